/*
 * What an operator can ask of vigild, through vigilctl or SIGHUP: start,
 * stop, restart or reset one role, and reload the config. Each command
 * works from the role's current state and leaves the rest to the life
 * cycle in supervisor.c: a role that must stop first is stopped and
 * started again once reaped (restart_after_stop).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "common/config.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "supervisor/child.h"
#include "supervisor/health.h"
#include "supervisor/policy.h"
#include "supervisor/supervisor.h"
#include "supervisor/sv.h"

struct child *
supervisor_children(size_t *n)
{
	*n = CONFIG_NROLES;
	return sv.children;
}

int
supervisor_visible(const struct child *c)
{
	return c->configured || child_running(c);
}

struct child *
supervisor_lookup(const char *name, char *err, size_t errlen)
{
	int i;

	if ((i = config_role_index(name)) == -1) {
		snprintf(err, errlen, "unknown role '%s'", name);
		return NULL;
	}
	if (!sv.children[i].configured) {
		snprintf(err, errlen, "role '%s' is not in the roles list",
		    name);
		return NULL;
	}
	return &sv.children[i];
}

static int
ops_refuse(char *err, size_t errlen)
{
	if (!sv.stopping)
		return 0;
	snprintf(err, errlen, "vigild is shutting down");
	return -1;
}

/* Start c afresh: forget its deaths, cancel a pending retry. */
static void
ops_fresh_start(struct child *c)
{
	policy_reset(c->history);
	evtimer_del(c->timer);
	if (c->last_status != -1)
		c->restarts++;
	sv_start(c);
}

int
supervisor_start_role(struct child *c, char *err, size_t errlen)
{
	if (ops_refuse(err, errlen) == -1)
		return -1;
	switch (c->state) {
	case CHILD_STOPPED:
	case CHILD_FAILED:
	case CHILD_BACKOFF:
		log_info("role %s: start asked", c->role);
		ops_fresh_start(c);
		break;
	case CHILD_STOPPING:
		c->restart_after_stop = 1;
		break;
	default:
		break;
	}
	return 0;
}

int
supervisor_stop_role(struct child *c, char *err, size_t errlen)
{
	if (ops_refuse(err, errlen) == -1)
		return -1;
	log_info("role %s: stop asked", c->role);
	c->restart_after_stop = 0;
	sv_stop(c);
	return 0;
}

int
supervisor_restart_role(struct child *c, char *err, size_t errlen)
{
	if (ops_refuse(err, errlen) == -1)
		return -1;
	log_info("role %s: restart asked", c->role);
	if (child_running(c)) {
		policy_reset(c->history);
		c->restart_after_stop = 1;
		sv_stop(c);
		return 0;
	}
	ops_fresh_start(c);
	return 0;
}

int
supervisor_reset_role(struct child *c, char *err, size_t errlen)
{
	if (ops_refuse(err, errlen) == -1)
		return -1;
	log_info("role %s: reset asked", c->role);
	policy_reset(c->history);
	c->restarts = 0;
	if (c->state == CHILD_FAILED || c->state == CHILD_BACKOFF) {
		evtimer_del(c->timer);
		sv_start(c);
	}
	return 0;
}

/* Bring one role in line with the new config. */
static void
ops_apply(struct child *c, int now, int changed)
{
	int was = c->configured;

	c->configured = now;
	if (!was && now) {
		log_info("reload: role %s added", c->role);
		if (c->state == CHILD_STOPPING)
			c->restart_after_stop = 1;
		else
			ops_fresh_start(c);
	} else if (was && !now) {
		log_info("reload: role %s removed", c->role);
		c->restart_after_stop = 0;
		sv_stop(c);
	} else if (now && changed) {
		log_info("reload: role %s changed: restarting it", c->role);
		if (child_running(c)) {
			policy_reset(c->history);
			c->restart_after_stop = 1;
			sv_stop(c);
		} else if (c->state != CHILD_STOPPED)
			ops_fresh_start(c);
	}
}

/* Keep what cannot change while running: the files vigild holds open. */
static void
ops_keep(struct config *ncf, const struct config *ocf)
{
	char **n[] = { &ncf->rundir, &ncf->pidfile, &ncf->control };
	char *const o[] = { ocf->rundir, ocf->pidfile, ocf->control };
	size_t i;

	for (i = 0; i < sizeof n / sizeof n[0]; i++) {
		if (strcmp(*n[i], o[i]) == 0)
			continue;
		log_warnx("reload: %s changes at the next start of vigild",
		    *n[i]);
		free(*n[i]);
		*n[i] = xstrdup(o[i]);
	}
}

static int
ops_load(struct config *ncf, struct spawn_cred *cred, char *err, size_t errlen)
{
	const char *path = sv.conf != NULL ? sv.conf : sv.cf->path;

	if (config_load(ncf, path, err, errlen) == -1)
		return -1;
	if (sv.cred != NULL && ncf->user != NULL &&
	    spawn_cred_lookup(ncf->user, cred, err, errlen) == -1) {
		config_free(ncf);
		return -1;
	}
	ops_keep(ncf, sv.cf);
	return 0;
}

int
supervisor_reload(char *err, size_t errlen)
{
	struct config ncf;
	struct spawn_cred cred;
	int changed[CONFIG_NROLES], i, bus_changed;

	if (ops_refuse(err, errlen) == -1)
		return -1;
	sd_notify(0, "RELOADING=1");
	if (ops_load(&ncf, &cred, err, errlen) == -1) {
		sd_notify(0, "READY=1");
		return -1;
	}
	for (i = 0; i < CONFIG_NROLES; i++)
		changed[i] = config_role_changed(sv.cf, &ncf, i);
	bus_changed = strcmp(sv.cf->bus, ncf.bus) != 0;
	config_free(sv.cf);
	*sv.cf = ncf;
	if (sv.cred != NULL)
		sv.cred_buf = cred;
	if (bus_changed)
		health_reopen(sv.cf);
	for (i = 0; i < CONFIG_NROLES; i++)
		ops_apply(&sv.children[i],
		    config_has_role(sv.cf, config_role_names[i]), changed[i]);
	log_info("reloaded %s", sv.cf->path != NULL ? sv.cf->path : "");
	sd_notify(0, "READY=1");
	return 0;
}
