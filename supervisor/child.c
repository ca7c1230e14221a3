/*
 * The state machine of one supervised role. child_next() is the whole
 * state x event table and nothing else; child_apply() is the only place a
 * child's state changes, so every transition is logged once and an
 * impossible one stops vigild instead of leaving a role in limbo.
 */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "supervisor/child.h"

#define X (-1)

/* next[state][event]; X: the event cannot happen in that state. */
/* clang-format off */
static const int child_table[CHILD_NSTATES][CHILD_NEVENTS] = {
	/*		SPAWNED		SPAWN_FAILED	NOT_FOUND
	 *		READY		STOP
	 *		EXIT_RESTART	EXIT_GIVE_UP	EXIT_STOPPED */
	[CHILD_STOPPED] = {
		CHILD_STARTING, CHILD_BACKOFF, CHILD_FAILED,
		X, CHILD_STOPPED,
		X, X, X },
	[CHILD_STARTING] = {
		X, X, X,
		CHILD_READY, CHILD_STOPPING,
		CHILD_BACKOFF, CHILD_FAILED, X },
	[CHILD_READY] = {
		X, X, X,
		X, CHILD_STOPPING,
		CHILD_BACKOFF, CHILD_FAILED, X },
	[CHILD_BACKOFF] = {
		CHILD_STARTING, CHILD_BACKOFF, CHILD_FAILED,
		X, CHILD_STOPPED,
		X, X, X },
	[CHILD_STOPPING] = {
		X, X, X,
		CHILD_STOPPING, CHILD_STOPPING,
		X, X, CHILD_STOPPED },
	[CHILD_FAILED] = {
		CHILD_STARTING, CHILD_BACKOFF, CHILD_FAILED,
		X, CHILD_STOPPED,
		X, X, X },
};
/* clang-format on */

static const char *child_state_names[CHILD_NSTATES] = {
	[CHILD_STOPPED] = "stopped",
	[CHILD_STARTING] = "starting",
	[CHILD_READY] = "ready",
	[CHILD_BACKOFF] = "backoff",
	[CHILD_STOPPING] = "stopping",
	[CHILD_FAILED] = "failed",
};

static const char *child_event_names[CHILD_NEVENTS] = {
	[CHILD_EV_SPAWNED] = "spawned",
	[CHILD_EV_SPAWN_FAILED] = "spawn-failed",
	[CHILD_EV_NOT_FOUND] = "not-found",
	[CHILD_EV_READY] = "ready",
	[CHILD_EV_STOP] = "stop",
	[CHILD_EV_EXIT_RESTART] = "exit-restart",
	[CHILD_EV_EXIT_GIVE_UP] = "exit-give-up",
	[CHILD_EV_EXIT_STOPPED] = "exit-stopped",
};

const char *
child_state_name(enum child_state state)
{
	if ((unsigned)state >= CHILD_NSTATES)
		return "unknown";
	return child_state_names[state];
}

const char *
child_event_name(enum child_event ev)
{
	if ((unsigned)ev >= CHILD_NEVENTS)
		return "unknown";
	return child_event_names[ev];
}

int
child_next(enum child_state state, enum child_event ev)
{
	if ((unsigned)state >= CHILD_NSTATES || (unsigned)ev >= CHILD_NEVENTS)
		return -1;
	return child_table[state][ev];
}

void
child_apply(struct child *c, enum child_event ev)
{
	int next;

	next = child_next(c->state, ev);
	if (next == -1)
		fatalx("%s: role %s: event %s in state %s", __func__, c->role,
		    child_event_name(ev), child_state_name(c->state));
	if ((enum child_state)next != c->state)
		log_debug("role %s: %s -> %s (%s)", c->role,
		    child_state_name(c->state), child_state_name(next),
		    child_event_name(ev));
	c->state = next;
}

int
child_running(const struct child *c)
{
	return c->pid != -1;
}

void
child_status_string(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, len, "wait status %#x", (unsigned)status);
}

void
child_status_short(int status, char *buf, size_t len)
{
	if (status == -1)
		snprintf(buf, len, "%s", "");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "status %#x", (unsigned)status);
}
