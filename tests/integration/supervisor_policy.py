"""vigild's restart policy with real processes: a role that exits 1 at
once is retried with growing delays and then FAILED (crash budget); one
that exits 78 is FAILED at once and never retried; reset and start bring
a FAILED role back; a start that never becomes ready is killed; a child
stopped with SIGSTOP stops its heartbeats and is replaced as hung; and
vigild publishes every role's health on the bus."""

import os
import signal
import subprocess
import sys
import time

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import supervisor_lib as sl  # noqa: E402
from vigiltest import log, wait_for  # noqa: E402

ROLES = {
    "system": 'VIGIL_TEST_ROLE=exit:1 exec $ROLE "$@"',
    "memory": "exit 78",
    "metrics": 'exec $ROLE "$@"',
    "gateway": 'VIGIL_TEST_ROLE=noready exec $ROLE "$@"',
}
CONF = {
    "vigild": {"backoff_min": 100, "backoff_max": 5000, "stable_after": 3000,
               "crash_budget": 5, "crash_window": 60000, "watchdog": 600,
               "health_interval": 200, "stop_timeout": 1000},
    "gateway": {"ready_timeout": 300, "crash_budget": 2},
}


def check_backoff(stack):
    row = sl.wait_state(stack, "system", "failed", 15)
    assert row["restarts"] == 4 and row["exit"] == "exit 1", row
    assert row["pid"] == 0 and row["retry_ms"] == 0, row
    starts = [t for pid, t in stack.stamp_times()]
    # system's starts are the ones from processes that are gone; take the
    # delays from vigild's log, which names the role.
    delays = [int(line.rsplit("restarting in ", 1)[1].split()[0])
              for line in stack.logs().splitlines()
              if "role system" in line and "restarting in" in line]
    log(f"system: delays {delays} ms, {len(starts)} starts in all")
    assert len(delays) == 4, delays
    for i, d in enumerate(delays):
        base = 100 << i
        assert base <= d <= base * 5 // 4, (i, d)
    assert "crash budget spent" in stack.logs()


def check_no_retry(stack):
    row = sl.wait_state(stack, "memory", "failed", 5)
    assert row["restarts"] == 0 and row["exit"] == "exit 78", row
    time.sleep(0.5)
    row = sl.status(stack)["memory"]
    assert row["state"] == "failed" and row["restarts"] == 0, row
    # An operator start runs it again; it fails again at once.
    r = sl.ctl(stack, "start", "memory")
    assert r.returncode == 0, r.stderr
    # restarts counts the start at once; the exit 78 follows.
    wait_for("memory's second try to fail",
             lambda: (lambda r: r["restarts"] == 1 and r["state"] == "failed")
             (sl.status(stack)["memory"]), 5)


def check_reset(stack):
    stack.set_role("system", 'exec $ROLE "$@"')
    r = sl.ctl(stack, "reset", "system")
    assert r.returncode == 0, r.stderr
    row = sl.wait_state(stack, "system", "ready", 5)
    assert row["restarts"] == 0 and row["pid"] > 0, row


def check_not_ready(stack):
    row = sl.wait_state(stack, "gateway", "failed", 10)
    assert "not ready" in stack.logs(), stack.logs()
    assert row["exit"] == "signal 9", row


def check_hung(stack):
    old = sl.wait_state(stack, "metrics", "ready", 5)["pid"]
    os.kill(old, signal.SIGSTOP)
    t0 = time.monotonic()
    new = wait_for("a new metrics", lambda: (
        sl.status(stack)["metrics"]["pid"] not in (0, old)
        and sl.status(stack)["metrics"]["pid"]), 5)
    log(f"hung metrics {old} replaced by {new} in "
        f"{time.monotonic() - t0:.2f}s")
    assert "hung" in stack.logs()
    assert not sl.zombies(stack.proc.pid)


def check_health(stack):
    url = f"ipc://{stack.rundir}/bus"
    # vigild dials the bus; listen where the gateway would.
    out = subprocess.run(["nngcat", "--sub0", "--listen", url,
                          "--subscribe", "vigil.health", "--raw",
                          "--count", "1", "--recv-timeout", "5"],
                         capture_output=True, timeout=15).stdout
    topic, payload = out.split(b"\0", 1)
    assert topic == b"vigil.health", topic
    h = msgpack.unpackb(payload, raw=False)
    roles = {r["name"]: r for r in h["roles"]}
    assert h["src"] == "vigild" and set(roles) == set(ROLES), h
    m = roles["metrics"]
    assert m["state"] == "ready" and m["pid"] > 0, m
    assert m["rss"] > 0 and m["fds"] >= 3 and m["cpu"] >= 0, m
    assert roles["memory"]["state"] == "failed", roles["memory"]
    log(f"health: {m}")


def test(stack):
    check_backoff(stack)
    check_no_retry(stack)
    check_not_ready(stack)
    check_reset(stack)
    check_hung(stack)
    check_health(stack)


if __name__ == "__main__":
    sys.exit(sl.run_fake(test, ROLES, CONF))
