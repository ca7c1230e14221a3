/*
 * One supervised role: its state, its process and the libevent objects that
 * watch it. The state is one enum and changes in one place, child_apply(),
 * driven by a state x event table (child_next()) that the unit tests walk.
 */
#ifndef VIGIL_CHILD_H
#define VIGIL_CHILD_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

enum child_state {
	CHILD_STOPPED = 0, /* no process, none wanted */
	CHILD_STARTING,    /* forked, not ready yet */
	CHILD_READY,       /* wrote its readiness line */
	CHILD_BACKOFF,     /* ended; a timer starts it again */
	CHILD_STOPPING,    /* sent SIGTERM, waiting for it to end */
	CHILD_FAILED,      /* ended for good until an operator acts */
};
#define CHILD_NSTATES 6

enum child_event {
	CHILD_EV_SPAWNED = 0,  /* fork+exec succeeded */
	CHILD_EV_SPAWN_FAILED, /* could not fork; try again later */
	CHILD_EV_NOT_FOUND,    /* no executable to run */
	CHILD_EV_READY,        /* readiness line read */
	CHILD_EV_STOP,         /* vigild wants it stopped */
	CHILD_EV_EXIT_RESTART, /* ended; the policy says restart */
	CHILD_EV_EXIT_GIVE_UP, /* ended; the policy says do not retry */
	CHILD_EV_EXIT_STOPPED, /* ended after it was asked to stop */
};
#define CHILD_NEVENTS 8

struct event;
struct policy_history;

/*
 * What the one timer of a child means depends on its state: BACKOFF, the
 * next start; STARTING, the ready timeout; READY, the watchdog; STOPPING,
 * the stop timeout.
 */
struct child {
	const char *role; /* "gateway", "system", ... */
	int index;        /* enum config_role */
	char *path;       /* BINDIR/vigil-ROLE */
	enum child_state state;
	pid_t pid;    /* -1 when there is no process */
	int ready_fd; /* read end of the readiness pipe, or -1 */
	struct event *ready_ev;
	struct event *timer;
	char ready_buf[64]; /* partial line from the child */
	size_t ready_len;
	int64_t started_ns;      /* monotonic time of the last spawn */
	int64_t retry_ns;        /* monotonic time of the next start, or 0 */
	unsigned restarts;       /* spawns after the first */
	int last_status;         /* last waitpid status, -1 if none */
	const char *kill_reason; /* why vigild killed it: "hung", ... */
	int configured;          /* in the roles list */
	int restart_after_stop;  /* start again once it has stopped */

	/* For CPU % between two health samples. */
	uint64_t cpu_ticks;
	int64_t cpu_ns;
	pid_t cpu_pid;

	struct policy_history *history;
};

const char *child_state_name(enum child_state state);
const char *child_event_name(enum child_event ev);

/* The state after ev in state, or -1 if ev cannot happen in state. */
int child_next(enum child_state state, enum child_event ev);

/*
 * Move c to its next state, logging the change. An event that cannot
 * happen in c's state is a broken invariant.
 */
void child_apply(struct child *c, enum child_event ev);

/* 1 if c has a process (that may not have been reaped yet). */
int child_running(const struct child *c);

/* "exited with status 1", "killed by signal 9 (Killed)", ... */
void child_status_string(int status, char *buf, size_t len);

/* The short form for status tables and the bus: "exit 1", "signal 9". */
void child_status_short(int status, char *buf, size_t len);

#endif
