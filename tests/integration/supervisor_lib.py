"""Helpers for vigild's own integration tests: vigilctl, the status table
as data, a vigild whose roles are small stand-in programs (so tests need no
gateway and run fast), and the zombie, fd and RSS checks."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigiltest  # noqa: E402
from vigiltest import BUILDDIR, wait_for  # noqa: E402

ROLE_BIN = os.path.join(BUILDDIR, "bench", "restart-role")


def ctl(stack, *args):
    """Run vigilctl against stack; return the CompletedProcess."""
    return subprocess.run([os.path.join(BUILDDIR, "vigilctl"), "-c",
                           stack.conf, *args], capture_output=True,
                          text=True, timeout=15)


def status(stack):
    """{role: row} from `vigilctl -j status`."""
    r = ctl(stack, "-j", "status")
    assert r.returncode == 0, (r.returncode, r.stderr)
    reply = json.loads(r.stdout)
    assert reply["ok"] is True, reply
    return {row["role"]: row for row in reply["roles"]}


def wait_state(stack, role, state, timeout):
    return wait_for(f"{role} {state}",
                    lambda: status(stack).get(role, {}).get("state") == state
                    and status(stack)[role], timeout)


def zombies(ppid):
    """Pids of ppid's children that are zombies."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == ppid and fields[0] == "Z":
            out.append(int(d))
    return out


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid):
    """Private (anonymous) resident memory of pid, KiB: what a leak grows.
    Shared library pages touched for the first time would add to VmRSS
    without anything being kept."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


class FakeStack(vigiltest.Stack):
    """vigild -f whose roles are shell scripts in a temporary bindir.

    roles: {role: shell body}; the body may exec ROLE_BIN (ready, then
    heartbeats until SIGTERM) or exit with a status."""

    def __init__(self, roles, conf=None):
        merged = {"vigild": {"roles": " ".join(roles)}}
        for sec, keys in (conf or {}).items():
            merged.setdefault(sec, {}).update(keys)
        super().__init__(conf=merged)
        self.bindir = os.path.join(self.tmp, "bin")
        os.mkdir(self.bindir)
        os.chmod(self.bindir, 0o755)
        self.sections["vigild"]["bindir"] = self.bindir
        self.write_conf(self.sections)
        self.stamps = os.path.join(self.tmp, "stamps")
        with open(self.stamps, "w"):
            pass
        os.chmod(self.stamps, 0o666)
        for role, body in roles.items():
            self.set_role(role, body)

    def set_role(self, role, body):
        path = os.path.join(self.bindir, f"vigil-{role}")
        with open(path + ".tmp", "w") as f:
            f.write(f"#!/bin/sh\nROLE={ROLE_BIN}\n"
                    f"export VIGIL_BENCH_LOG={self.stamps}\n{body}\n")
        os.chmod(path + ".tmp", 0o755)
        os.rename(path + ".tmp", path)

    def start(self, args=("-f", "-v")):
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(
            [os.path.join(BUILDDIR, "vigild"), *args, "-c", self.conf],
            stdin=subprocess.DEVNULL, stdout=self.stderr, stderr=self.stderr,
            start_new_session=True)
        vigiltest.log(f"vigild pid {self.proc.pid}, dir {self.tmp}")
        wait_for("the control socket", self.control_up, 10)
        return self

    def control_up(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"vigild exited with {self.proc.returncode}")
        return os.path.exists(os.path.join(self.rundir, "control"))

    def stamp_times(self):
        """[(pid, monotonic ns)] of every start of ROLE_BIN so far."""
        with open(self.stamps) as f:
            return [tuple(int(x) for x in line.split()) for line in f
                    if line.strip()]


def run_fake(test, roles, conf=None):
    """Run test(stack) with a FakeStack; exit 0 or 1 for automake."""
    stack = FakeStack(roles, conf)
    try:
        stack.start()
        test(stack)
        vigiltest.log("PASS")
        return 0
    except BaseException as e:
        vigiltest.log(f"FAIL: {type(e).__name__}: {e}")
        vigiltest.log("vigild's log:\n" + stack.logs())
        return 1
    finally:
        stack.cleanup()
