/*
 * Parsers for the per-device files of the system collector: network
 * interfaces (/proc/net/dev), block devices (/proc/diskstats) and mounted
 * file systems (/proc/mounts), under a root directory like procfs.h. They
 * return every entry the file has, up to a cap; choosing which ones to
 * publish (devices_disk_wanted, devices_fs_wanted) is separate so that it
 * is tested on its own.
 */
#ifndef VIGIL_DEVICES_H
#define VIGIL_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#define DEVICES_NAME_MAX 64   /* bytes of a device name or a series key */
#define DEVICES_PATH_MAX 1024 /* bytes of a mount point, decoded */

enum devices_net_field {
	DEVICES_RX_BYTES,
	DEVICES_RX_PACKETS,
	DEVICES_RX_ERRORS,
	DEVICES_RX_DROPS,
	DEVICES_TX_BYTES,
	DEVICES_TX_PACKETS,
	DEVICES_TX_ERRORS,
	DEVICES_TX_DROPS,
	DEVICES_NET_N,
};

extern const char *const devices_net_names[DEVICES_NET_N];

struct devices_net {
	char name[DEVICES_NAME_MAX + 1]; /* as a series key */
	uint64_t v[DEVICES_NET_N];
};

struct devices_disk {
	char name[DEVICES_NAME_MAX + 1]; /* as a series key */
	uint64_t reads;                  /* completed */
	uint64_t writes;                 /* completed */
	uint64_t read_sectors;  /* of 512 bytes, whatever the device's */
	uint64_t write_sectors; /* of 512 bytes */
	uint64_t io_ms;         /* time with I/O in flight */
};

struct devices_mount {
	char key[DEVICES_NAME_MAX + 1]; /* "root", "home", "var_log" ... */
	char path[DEVICES_PATH_MAX + 1];
	char type[32];
};

/*
 * Fill at most max entries of out from ROOT/proc/net/dev (or diskstats,
 * or mounts); the count, or -1 with errno. *more is set when entries
 * were left out.
 */
int devices_read_net(const char *root, struct devices_net *out, size_t max,
    int *more);
int devices_read_disks(const char *root, struct devices_disk *out, size_t max,
    int *more);
int devices_read_mounts(const char *root, struct devices_mount *out, size_t max,
    int *more);

/*
 * 1 when a block device is a whole disk worth reporting: not a partition
 * (a whole disk has ROOT/sys/block/NAME; without /sys, a name ending in a
 * digit after a letter, or in pN, is taken for a partition, except nvme
 * namespaces), not loop or ram. Else 0.
 */
int devices_disk_wanted(const char *root, const char *name, int have_sys);
/* 1 when ROOT/sys/block can be read. */
int devices_have_sys(const char *root);
/* 1 when a file system type holds disk space worth reporting. */
int devices_fs_wanted(const char *type);
/* The series key of a mount point: "root" for /, else / -> _. */
void devices_fs_key(const char *path, char *key, size_t len);

/* Space of a file system in bytes, as df(1) shows it. */
struct devices_space {
	uint64_t size; /* f_blocks */
	uint64_t used; /* f_blocks - f_bfree */
	uint64_t free; /* f_bavail: what an unprivileged user can still use */
};

/* statvfs(ROOT + path); 0, or -1 with errno. */
int devices_statvfs(const char *root, const char *path,
    struct devices_space *sp);

#endif
