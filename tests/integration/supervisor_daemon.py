"""vigild as a daemon, with stand-in roles: -n checks a config (file:line
on error, exit 78, also for a missing user); a second vigild is refused
while the first holds the pidfile; without -f vigild detaches, writes its
pid, and `vigilctl shutdown` stops it and removes its files; SIGKILL of
vigild leaves no child behind."""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import supervisor_lib as sl  # noqa: E402
from vigiltest import BUILDDIR, log, pids_with_arg, wait_for  # noqa: E402

VIGILD = os.path.join(BUILDDIR, "vigild")
ROLES = {r: 'exec $ROLE "$@"' for r in ("system", "memory")}


def vigild(stack, *args, conf=None):
    return subprocess.run([VIGILD, *args, "-c", conf or stack.conf],
                          capture_output=True, text=True, timeout=15)


def check_n(stack):
    r = vigild(stack, "-n")
    assert r.returncode == 0 and "configuration OK" in r.stderr, r
    bad = os.path.join(stack.tmp, "bad.conf")
    with open(bad, "w") as f:
        f.write("[vigild]\nroles = system\n\nbackoff_max = -1\n")
    r = vigild(stack, "-n", conf=bad)
    assert r.returncode == 78 and "bad.conf:4:" in r.stderr, r
    with open(bad, "w") as f:
        f.write("[vigild]\nuser = no-such-vigil-user\n")
    r = vigild(stack, "-n", conf=bad)
    assert r.returncode == 78 and "no-such-vigil-user" in r.stderr, r
    r = vigild(stack, "-f", conf=bad)
    assert r.returncode == 78, r
    log("vigild -n: ok, file:line, missing user")


def check_second(stack):
    r = vigild(stack, "-f")
    assert r.returncode != 0 and "already running" in r.stderr, r
    assert f"pid {stack.proc.pid}" in r.stderr, r.stderr
    assert stack.proc.poll() is None
    log(f"second vigild refused: {r.stderr.strip()}")


def check_sigkill(stack):
    rows = sl.status(stack)
    children = [rows[r]["pid"] for r in ROLES]
    assert all(children), children
    os.kill(stack.proc.pid, signal.SIGKILL)
    stack.proc.wait()
    wait_for("the roles to exit", lambda: not any(
        os.path.exists(f"/proc/{p}") and open(f"/proc/{p}/stat").read()
        .rsplit(")", 1)[1].split()[0] != "Z" for p in children), 5)
    assert not pids_with_arg(stack.conf), pids_with_arg(stack.conf)
    log(f"SIGKILL of vigild: children {children} gone")


def check_daemon(stack):
    pidfile = os.path.join(stack.rundir, "vigild.pid")
    r = vigild(stack)
    assert r.returncode == 0, r
    # The pidfile of the vigild killed above is still there, stale.
    stale = str(stack.proc.pid)

    def new_pid():
        with open(pidfile) as f:
            text = f.read().strip()
        return text not in ("", stale) and text

    pid = int(wait_for("the daemon's pid in the pidfile", new_pid, 5))
    assert os.path.exists(f"/proc/{pid}"), pid
    assert os.getsid(pid) != os.getsid(0), "not detached"
    sl.wait_state(stack, "memory", "ready", 5)
    r = vigild(stack)
    assert r.returncode != 0 and "already running" in r.stderr, r
    assert sl.ctl(stack, "shutdown").returncode == 0
    wait_for("vigild to exit", lambda: not os.path.exists(f"/proc/{pid}"), 10)
    for name in ("vigild.pid", "control"):
        assert not os.path.exists(os.path.join(stack.rundir, name)), name
    assert not pids_with_arg(stack.conf)
    log(f"daemon {pid} detached, shut down, files removed")


def test(stack):
    check_n(stack)
    check_second(stack)
    check_sigkill(stack)
    check_daemon(stack)


if __name__ == "__main__":
    sys.exit(sl.run_fake(test, ROLES))
