/*
 * Parsers of /proc/net/dev, /proc/diskstats and /proc/mounts, and the
 * rules for which block devices and file systems are reported. Names from
 * these files become parts of series names, so every character outside
 * [A-Za-z0-9_.-] is replaced by '_' and a name too long is left out.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/devices.h"
#include "collectors/procfs.h"

const char *const devices_net_names[DEVICES_NET_N] = {
	"rx_bytes",
	"rx_packets",
	"rx_errors",
	"rx_drops",
	"tx_bytes",
	"tx_packets",
	"tx_errors",
	"tx_drops",
};

/* Copy a name of len bytes as a series key; -1 if empty or too long. */
static int
devices_key(const char *s, size_t len, char *key)
{
	size_t i;

	if (len == 0 || len > DEVICES_NAME_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		key[i] = (isalnum((unsigned char)s[i]) || s[i] == '_' ||
		             s[i] == '-' || s[i] == '.')
		    ? s[i]
		    : '_';
	}
	key[len] = '\0';
	return 0;
}

/* "  eth0: 1 2 3 ..." : rx fields 0-3, tx fields 8-11 of 16. */
static int
devices_net_line(const char *line, struct devices_net *n)
{
	const char *p = line, *colon;
	uint64_t f[16];
	int i;

	while (*p == ' ')
		p++;
	if ((colon = strchr(p, ':')) == NULL ||
	    devices_key(p, (size_t)(colon - p), n->name) != 0)
		return -1;
	p = colon + 1;
	for (i = 0; i < 16; i++) {
		if (procfs_number(&p, &f[i]) != 0)
			return -1;
	}
	for (i = 0; i < 4; i++) {
		n->v[DEVICES_RX_BYTES + i] = f[i];
		n->v[DEVICES_TX_BYTES + i] = f[8 + i];
	}
	return 0;
}

int
devices_read_net(const char *root, struct devices_net *out, size_t max,
    int *more)
{
	FILE *fp;
	char line[512];
	size_t n = 0;
	int lineno = 0;

	*more = 0;
	if ((fp = procfs_fopen(root, "proc/net/dev")) == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL) {
		if (++lineno <= 2)
			continue; /* the two header lines */
		if (n == max) {
			*more = 1;
			break;
		}
		if (devices_net_line(line, &out[n]) == 0)
			n++;
	}
	fclose(fp);
	if (lineno < 2) {
		errno = EINVAL;
		return -1;
	}
	return (int)n;
}

/* "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11 ..." */
static int
devices_disk_line(const char *line, struct devices_disk *d)
{
	const char *p = line, *name;
	uint64_t f[10];
	int i;

	if (procfs_number(&p, &f[0]) != 0 || procfs_number(&p, &f[1]) != 0)
		return -1;
	while (*p == ' ')
		p++;
	name = p;
	while (*p != ' ' && *p != '\0' && *p != '\n')
		p++;
	if (devices_key(name, (size_t)(p - name), d->name) != 0)
		return -1;
	for (i = 0; i < 10; i++) {
		if (procfs_number(&p, &f[i]) != 0)
			return -1;
	}
	d->reads = f[0];
	d->read_sectors = f[2];
	d->writes = f[4];
	d->write_sectors = f[6];
	d->io_ms = f[9];
	return 0;
}

int
devices_read_disks(const char *root, struct devices_disk *out, size_t max,
    int *more)
{
	FILE *fp;
	char line[512];
	struct devices_disk d;
	size_t n = 0;
	int have_sys = devices_have_sys(root);

	*more = 0;
	if ((fp = procfs_fopen(root, "proc/diskstats")) == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL) {
		if (devices_disk_line(line, &d) != 0 ||
		    !devices_disk_wanted(root, d.name, have_sys))
			continue;
		if (n == max) {
			*more = 1;
			break;
		}
		out[n++] = d;
	}
	fclose(fp);
	return (int)n;
}

int
devices_have_sys(const char *root)
{
	char path[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof path, "%s/sys/block", root);
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* sda1, vdb2, xvda1, hdc3: a partition of an old-style disk name. */
static int
devices_sd_partition(const char *name)
{
	const char *p = name;

	if (strncmp(p, "xvd", 3) == 0)
		p += 3;
	else if ((p[0] == 's' || p[0] == 'h' || p[0] == 'v') && p[1] == 'd')
		p += 2;
	else
		return 0;
	if (!islower((unsigned char)*p))
		return 0;
	while (islower((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	return *p == '\0';
}

/* nvme0n1p1, mmcblk0p2: a digit, 'p', digits at the end. */
static int
devices_p_partition(const char *name)
{
	size_t len = strlen(name), i = len;

	while (i > 0 && isdigit((unsigned char)name[i - 1]))
		i--;
	return i < len && i >= 2 && name[i - 1] == 'p' &&
	    isdigit((unsigned char)name[i - 2]);
}

int
devices_disk_wanted(const char *root, const char *name, int have_sys)
{
	char path[PATH_MAX];
	struct stat sb;

	if (strncmp(name, "loop", 4) == 0 || strncmp(name, "ram", 3) == 0)
		return 0;
	if (!have_sys)
		return !devices_sd_partition(name) &&
		    !devices_p_partition(name);
	snprintf(path, sizeof path, "%s/sys/block/%s", root, name);
	return stat(path, &sb) == 0;
}

/*
 * Pseudo and memory file systems hold no disk space; network ones can
 * hang statvfs(2) for minutes when the server is gone, which would stall
 * every series of the collector.
 */
static const char *const devices_fs_skip[] = {
	"autofs",
	"binfmt_misc",
	"bpf",
	"cgroup",
	"cgroup2",
	"cifs",
	"configfs",
	"debugfs",
	"devpts",
	"devtmpfs",
	"efivarfs",
	"fuse.sshfs",
	"fusectl",
	"hugetlbfs",
	"mqueue",
	"nfs",
	"nfs4",
	"nfsd",
	"nsfs",
	"proc",
	"pstore",
	"ramfs",
	"rpc_pipefs",
	"securityfs",
	"selinuxfs",
	"smb3",
	"squashfs",
	"sysfs",
	"tmpfs",
	"tracefs",
};

int
devices_fs_wanted(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof devices_fs_skip / sizeof devices_fs_skip[0];
	     i++) {
		if (strcmp(type, devices_fs_skip[i]) == 0)
			return 0;
	}
	return 1;
}

void
devices_fs_key(const char *path, char *key, size_t len)
{
	const char *p = path;
	size_t i = 0;

	while (*p == '/')
		p++;
	if (*p == '\0') {
		snprintf(key, len, "root");
		return;
	}
	for (; *p != '\0' && i + 1 < len; p++, i++) {
		key[i] = (isalnum((unsigned char)*p) || *p == '_' ||
		             *p == '-' || *p == '.')
		    ? *p
		    : '_';
	}
	key[i] = '\0';
}

/* Decode the \ooo escapes of a mount point field of len bytes. */
static int
devices_unescape(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (o + 1 >= outlen)
			return -1;
		if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' &&
		    s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
		    s[i + 3] >= '0' && s[i + 3] <= '7') {
			out[o++] = (char)((s[i + 1] - '0') * 64 +
			    (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return 0;
}

/* "dev /mount/point type opts 0 0" */
static int
devices_mount_line(const char *line, struct devices_mount *m)
{
	const char *f[3], *p = line;
	size_t flen[3];
	int i;

	for (i = 0; i < 3; i++) {
		while (*p == ' ')
			p++;
		f[i] = p;
		while (*p != ' ' && *p != '\0' && *p != '\n')
			p++;
		flen[i] = (size_t)(p - f[i]);
		if (flen[i] == 0)
			return -1;
	}
	if (flen[2] >= sizeof m->type ||
	    devices_unescape(f[1], flen[1], m->path, sizeof m->path) != 0 ||
	    m->path[0] != '/')
		return -1;
	memcpy(m->type, f[2], flen[2]);
	m->type[flen[2]] = '\0';
	devices_fs_key(m->path, m->key, sizeof m->key);
	return 0;
}

/* A later mount on the same point hides the earlier one. */
static size_t
devices_mount_find(const struct devices_mount *out, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(out[i].key, key) == 0)
			return i;
	}
	return n;
}

int
devices_read_mounts(const char *root, struct devices_mount *out, size_t max,
    int *more)
{
	FILE *fp;
	char *line = NULL;
	size_t size = 0, n = 0, i;
	struct devices_mount m;

	*more = 0;
	if ((fp = procfs_fopen(root, "proc/mounts")) == NULL)
		return -1;
	while (getline(&line, &size, fp) != -1) {
		if (devices_mount_line(line, &m) != 0 ||
		    !devices_fs_wanted(m.type))
			continue;
		if ((i = devices_mount_find(out, n, m.key)) < n) {
			out[i] = m;
			continue;
		}
		if (n == max) {
			*more = 1;
			continue;
		}
		out[n++] = m;
	}
	free(line);
	fclose(fp);
	return (int)n;
}

int
devices_statvfs(const char *root, const char *path, struct devices_space *sp)
{
	char full[PATH_MAX];
	struct statvfs vfs;
	size_t rlen = strlen(root);

	while (rlen > 0 && root[rlen - 1] == '/')
		rlen--;
	if (snprintf(full, sizeof full, "%.*s%s", (int)rlen, root, path) >=
	    (int)sizeof full) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (statvfs(full, &vfs) != 0)
		return -1;
	sp->size = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	sp->used = (uint64_t)(vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize;
	sp->free = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	return 0;
}
