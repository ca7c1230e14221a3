"""vigilctl against the whole stack: status as a table and as JSON;
`restart memory` changes memory's pid and no other; stop and start; a
reload where only [memory] changed restarts only memory; a reload that
removes a role stops it and one that adds it back starts it; an invalid
config is refused with its file:line and the old one keeps running;
unknown roles and commands fail with a clear message; other users cannot
reach the control socket."""

import json
import os
import signal
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import supervisor_lib as sl  # noqa: E402
import vigiltest  # noqa: E402
from vigiltest import ROLES, log, wait_for  # noqa: E402


def pids(stack):
    return {r: stack.role_pid(r) for r in ROLES}


def settled(stack):
    """All roles ready; their pids."""
    wait_for("every role ready", lambda: all(
        row["state"] == "ready" for row in sl.status(stack).values()), 10)
    return pids(stack)


def check_status(stack):
    r = sl.ctl(stack, "status")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["ROLE", "STATE", "PID", "UPTIME", "RESTARTS",
                                "LAST-EXIT", "NEXT-RETRY"], lines[0]
    assert len(lines) == 1 + len(ROLES), lines
    rows = sl.status(stack)
    for role in ROLES:
        assert rows[role]["pid"] == stack.role_pid(role), rows[role]
    log("status:\n" + r.stdout)


def check_errors(stack):
    for args, code, words in (
            (("restart", "nosuch"), 1, "unknown role 'nosuch'"),
            (("frobnicate",), 64, "unknown command 'frobnicate'"),
            (("restart",), 64, "needs one role"),
            (("status", "memory"), 64, "takes no argument")):
        r = sl.ctl(stack, *args)
        assert r.returncode == code, (args, r.returncode, r.stderr)
        assert words in r.stderr, (args, r.stderr)
    r = subprocess.run([os.path.join(vigiltest.BUILDDIR, "vigilctl"), "-s",
                        "/nonexistent/control", "status"],
                       capture_output=True, text=True)
    assert r.returncode == 69 and "is vigild running" in r.stderr, r


def check_restart_one(stack):
    before = settled(stack)
    r = sl.ctl(stack, "restart", "memory")
    assert r.returncode == 0, r.stderr
    after = wait_for("a new memory", lambda: (p := pids(stack))["memory"]
                     not in (None, before["memory"]) and p, 5)
    for role in ROLES:
        if role != "memory":
            assert after[role] == before[role], (role, before, after)
    log(f"restart memory: {before['memory']} -> {after['memory']}")


def check_stop_start(stack):
    assert sl.ctl(stack, "stop", "system").returncode == 0
    sl.wait_state(stack, "system", "stopped", 5)
    assert stack.role_pid("system") is None
    assert sl.ctl(stack, "start", "system").returncode == 0
    sl.wait_state(stack, "system", "ready", 5)


def reload_with(stack, sections, how):
    stack.write_conf(sections)
    if how == "hup":
        stack.proc.send_signal(signal.SIGHUP)
        return None
    # -s: vigilctl itself would stop at a broken config file.
    return sl.ctl(stack, "-s", os.path.join(stack.rundir, "control"),
                  "reload")


def check_reload(stack):
    base = {s: dict(k) for s, k in stack.sections.items()}
    before = settled(stack)
    conf = {s: dict(k) for s, k in base.items()}
    conf["memory"]["interval"] = 300
    r = reload_with(stack, conf, "ctl")
    assert r.returncode == 0, r.stderr
    after = wait_for("memory restarted", lambda: (p := pids(stack))["memory"]
                     not in (None, before["memory"]) and p, 5)
    for role in ROLES:
        if role != "memory":
            assert after[role] == before[role], (role, before, after)
    log("reload with [memory] changed restarted memory only")

    before = settled(stack)
    bad = {s: dict(k) for s, k in conf.items()}
    bad["vigild"]["crash_budget"] = 0
    r = reload_with(stack, bad, "ctl")
    assert r.returncode == 1 and "vigil.conf:" in r.stderr, r
    log(f"bad reload refused: {r.stderr.strip()}")
    assert pids(stack) == before, (before, pids(stack))
    assert "reload refused" in stack.logs()

    removed = {s: dict(k) for s, k in conf.items()}
    removed["vigild"]["roles"] = "gateway system memory"
    reload_with(stack, removed, "hup")
    wait_for("metrics gone", lambda: stack.role_pid("metrics") is None, 5)
    assert "metrics" not in sl.status(stack)
    now = pids(stack)
    for role in ("gateway", "system", "memory"):
        assert now[role] == before[role], (role, before, now)
    reload_with(stack, conf, "hup")
    sl.wait_state(stack, "metrics", "ready", 5)
    log("reload removed and added metrics")


def check_permissions(stack):
    path = os.path.join(stack.rundir, "control")
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0, st
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups",
                        os.path.join(vigiltest.BUILDDIR, "vigilctl"), "-s",
                        path, "status"], capture_output=True, text=True)
    assert r.returncode != 0, r
    # The roles run as nobody.
    for pid in pids(stack).values():
        with open(f"/proc/{pid}/status") as f:
            uid = next(l for l in f if l.startswith("Uid:")).split()[1]
        assert uid == "65534", (pid, uid)


async def main(stack):
    check_status(stack)
    check_errors(stack)
    check_restart_one(stack)
    check_stop_start(stack)
    check_reload(stack)
    check_permissions(stack)
    assert json.loads(sl.ctl(stack, "shutdown").stdout or "{}") == {}
    assert stack.proc.wait(timeout=10) == 0
    assert not os.path.exists(os.path.join(stack.rundir, "control"))
    assert not vigiltest.pids_with_arg(stack.conf)


if __name__ == "__main__":
    # Roles from a build tree keep root unless the file names a user.
    vigiltest.main(main, conf={"vigild": {"user": "nobody"}})
