/*
 * The restart policy: what vigild does when a role's process ends. It is a
 * pure function of what vigild knows about the role, so the whole policy is
 * checked from a table in the unit tests. The skeleton restarts after a
 * fixed delay; backoff, jitter and a crash-loop budget go here later, fed by
 * the fields of struct policy_input.
 */
#ifndef VIGIL_POLICY_H
#define VIGIL_POLICY_H

#include <stdint.h>

#include "supervisor/child.h"

enum policy_action {
	POLICY_RESTART = 0, /* start it again after delay_ms */
	POLICY_GIVE_UP,     /* FAILED: retrying cannot help */
	POLICY_STOPPED,     /* it was asked to stop: stay stopped */
};

struct policy {
	unsigned restart_delay_ms;
};

struct policy_input {
	enum child_state state; /* when the process ended */
	int status;             /* from waitpid() */
	unsigned restarts;      /* restarts so far */
	uint64_t uptime_ms;     /* how long the process ran */
};

enum policy_action policy_decide(
    const struct policy *p, const struct policy_input *in, unsigned *delay_ms);
const char *policy_action_name(enum policy_action action);

#endif
