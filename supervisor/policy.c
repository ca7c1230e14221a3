/*
 * The restart decision, kept free of processes, time and logging so it can
 * be tested from a table. Exit codes 64 (EXIT_USAGE) and 78 (EXIT_CONFIG)
 * mean the role cannot run as configured: restarting it would only fail
 * again, so it is left FAILED until an operator fixes the cause.
 */
#include <sys/wait.h>

#include "common/config.h"
#include "supervisor/policy.h"

static int
policy_final_status(int status)
{
	if (!WIFEXITED(status))
		return 0;
	switch (WEXITSTATUS(status)) {
	case EXIT_USAGE:
	case EXIT_CONFIG:
		return 1;
	}
	return 0;
}

enum policy_action
policy_decide(
    const struct policy *p, const struct policy_input *in, unsigned *delay_ms)
{
	*delay_ms = 0;
	if (in->state == CHILD_STOPPING)
		return POLICY_STOPPED;
	if (policy_final_status(in->status))
		return POLICY_GIVE_UP;
	*delay_ms = p->restart_delay_ms;
	return POLICY_RESTART;
}

const char *
policy_action_name(enum policy_action action)
{
	switch (action) {
	case POLICY_RESTART:
		return "restart";
	case POLICY_GIVE_UP:
		return "give up";
	case POLICY_STOPPED:
		return "stopped";
	}
	return "unknown";
}
