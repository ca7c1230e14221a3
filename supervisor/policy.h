/*
 * The restart policy: what vigild does when a role's process ends. It is a
 * pure function of the role's settings, its recent deaths and the way this
 * process ended, with the clock and the random jitter passed in, so the
 * whole policy is checked from tables in the unit tests.
 *
 * A death within stable_ms of the start is "unstable": it is counted in a
 * sliding window of crash_window_ms, and the delay before the next start
 * doubles from backoff_min_ms with each unstable death in a row, plus up to
 * 25% jitter, capped at backoff_max_ms. crash_budget unstable deaths within
 * the window make the role FAILED. A death after a stable run restarts the
 * role at once and forgets the earlier deaths. Exit statuses 64 and 78 mean
 * the role cannot run as configured: FAILED at once.
 */
#ifndef VIGIL_POLICY_H
#define VIGIL_POLICY_H

#include <stdint.h>

#include "common/config.h"
#include "supervisor/child.h"

/* The largest crash_budget vigil.conf(5) accepts. */
#define POLICY_BUDGET_MAX 1000

enum policy_action {
	POLICY_RESTART = 0, /* start it again after delay_ms */
	POLICY_GIVE_UP,     /* FAILED: exit status says retrying cannot help */
	POLICY_CRASH_LOOP,  /* FAILED: crash budget spent */
	POLICY_STOPPED,     /* it was asked to stop: stay stopped */
};

/* What the policy remembers about one role between deaths. */
struct policy_history {
	unsigned streak;                    /* unstable deaths in a row */
	unsigned ndeaths;                   /* entries in deaths[] */
	unsigned head;                      /* oldest entry */
	uint64_t deaths[POLICY_BUDGET_MAX]; /* ms, unstable deaths only */
};

struct policy_input {
	enum child_state state; /* when the process ended */
	int status;             /* from waitpid() */
	uint64_t uptime_ms;     /* how long the process ran */
	int failed_start;       /* killed for not becoming ready in time */
	uint64_t now_ms;        /* monotonic clock */
	uint32_t random;        /* any value; gives the jitter */
};

/* Decide, and record the death in h; *delay_ms is set for POLICY_RESTART. */
enum policy_action policy_decide(const struct config_policy *p,
    struct policy_history *h, const struct policy_input *in,
    unsigned *delay_ms);

/* Forget every death: after an operator's start or reset. */
void policy_reset(struct policy_history *h);

const char *policy_action_name(enum policy_action action);

/* 1 if status is one of the exit codes that are never retried. */
int policy_final_status(int status);

#endif
