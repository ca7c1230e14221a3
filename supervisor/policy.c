/*
 * The restart decision, kept free of processes, time sources and logging so
 * it can be tested from a table. See policy.h for the rules; vigild(8)
 * explains them to operators.
 */
#include <sys/wait.h>

#include <string.h>

#include "common/config.h"
#include "supervisor/policy.h"

int
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

/* Drop the deaths that left the window, then record one at now. */
static unsigned
policy_count(const struct config_policy *p, struct policy_history *h,
    uint64_t now)
{
	unsigned budget = p->crash_budget;

	if (budget == 0 || budget > POLICY_BUDGET_MAX)
		budget = POLICY_BUDGET_MAX;
	while (h->ndeaths > 0 &&
	    (now - h->deaths[h->head] >= p->crash_window_ms ||
	        h->ndeaths >= budget)) {
		h->head = (h->head + 1) % POLICY_BUDGET_MAX;
		h->ndeaths--;
	}
	h->deaths[(h->head + h->ndeaths) % POLICY_BUDGET_MAX] = now;
	return ++h->ndeaths;
}

/* backoff_min doubled streak-1 times, plus jitter, capped at backoff_max. */
static unsigned
policy_delay(const struct config_policy *p, unsigned streak, uint32_t random)
{
	uint64_t d = p->backoff_min_ms;
	unsigned i;

	for (i = 1; i < streak && d < p->backoff_max_ms; i++)
		d *= 2;
	if (d > p->backoff_max_ms)
		d = p->backoff_max_ms;
	d += random % (d / 4 + 1);
	if (d > p->backoff_max_ms)
		d = p->backoff_max_ms;
	return (unsigned)d;
}

enum policy_action
policy_decide(const struct config_policy *p, struct policy_history *h,
    const struct policy_input *in, unsigned *delay_ms)
{
	*delay_ms = 0;
	if (in->state == CHILD_STOPPING)
		return POLICY_STOPPED;
	if (policy_final_status(in->status))
		return POLICY_GIVE_UP;
	if (!in->failed_start && in->uptime_ms >= p->stable_ms) {
		policy_reset(h);
		return POLICY_RESTART;
	}
	h->streak++;
	if (policy_count(p, h, in->now_ms) >= p->crash_budget)
		return POLICY_CRASH_LOOP;
	*delay_ms = policy_delay(p, h->streak, in->random);
	return POLICY_RESTART;
}

void
policy_reset(struct policy_history *h)
{
	h->streak = 0;
	h->ndeaths = 0;
	h->head = 0;
}

const char *
policy_action_name(enum policy_action action)
{
	switch (action) {
	case POLICY_RESTART:
		return "restart";
	case POLICY_GIVE_UP:
		return "give up";
	case POLICY_CRASH_LOOP:
		return "crash loop";
	case POLICY_STOPPED:
		return "stopped";
	}
	return "unknown";
}
