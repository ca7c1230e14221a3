"""Helpers for vigil's integration tests: a temporary run directory, free
ports, a config file, the real vigild started in its own session, and
clean-up that kills whatever is left even when a test fails."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import msgpack
import websockets

BUILDDIR = os.environ.get("VIGIL_BUILDDIR", os.getcwd())
SRCDIR = os.environ.get("VIGIL_SRCDIR", BUILDDIR)
ROLES = ("gateway", "system", "memory", "metrics")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port(kind=socket.SOCK_STREAM):
    """A port the kernel just handed out on 127.0.0.1, then released."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, pred, timeout, step=0.05):
    """Poll pred() until it returns a true value or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


def proc_children(ppid):
    """{pid: comm} of the live children of ppid, from /proc."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == ppid and fields[0] != "Z":
            out[int(d)] = comm
    return out


def pids_with_arg(arg):
    """Pids of live processes whose command line contains arg."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{d}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if arg.encode() in argv and state != "Z":
            pids.append(int(d))
    return pids


class Stack:
    """vigild -f with every role, on free ports, in a temporary directory."""

    def __init__(self, interval=250, conf=None):
        """conf: {section: {key: value}} merged over the test defaults."""
        self.tmp = tempfile.mkdtemp(prefix="vigil-test-")
        # vigild run as root starts the roles as an unprivileged user, who
        # must read the config file.
        os.chmod(self.tmp, 0o755)
        self.rundir = os.path.join(self.tmp, "run")
        self.http_port = free_port()
        self.statsd_port = free_port(socket.SOCK_DGRAM)
        self.conf = os.path.join(self.tmp, "vigil.conf")
        sections = {
            "vigild": {"rundir": self.rundir, "bindir": BUILDDIR,
                       "stop_timeout": 3000},
            "gateway": {"port": self.http_port, "www": f"{BUILDDIR}/www"},
            "system": {"interval": interval},
            "memory": {"interval": interval},
            "metrics": {"interval": interval, "port": self.statsd_port},
        }
        for sec, keys in (conf or {}).items():
            sections.setdefault(sec, {}).update(keys)
        self.write_conf(sections)
        self.stderr_path = os.path.join(self.tmp, "vigild.stderr")
        self.proc = None

    def write_conf(self, sections):
        """Write the config file; vigild reads it again on reload."""
        self.sections = sections
        with open(self.conf, "w", opener=lambda p, fl: os.open(p, fl, 0o644)) as f:
            for sec, keys in sections.items():
                f.write(f"[{sec}]\n")
                for k, v in keys.items():
                    if v is not None:
                        f.write(f"{k} = {v}\n")
                f.write("\n")

    def start(self, args=("-f", "-v")):
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(
            [os.path.join(BUILDDIR, "vigild"), *args, "-c", self.conf],
            stdin=subprocess.DEVNULL, stdout=self.stderr, stderr=self.stderr,
            start_new_session=True)
        log(f"vigild pid {self.proc.pid}, http {self.http_port}, "
            f"statsd {self.statsd_port}, dir {self.tmp}")
        wait_for("the gateway's HTTP port", self.http_up, 10)
        return self

    def http_up(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"vigild exited with {self.proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", self.http_port), 0.2).close()
            return True
        except OSError:
            return False

    def role_pid(self, role):
        """Pid of the running vigil-ROLE child of vigild, or None."""
        for pid, comm in proc_children(self.proc.pid).items():
            if comm == f"vigil-{role}"[:15]:
                return pid
        return None

    def ws_url(self):
        return f"ws://127.0.0.1:{self.http_port}/ws"

    def logs(self):
        try:
            with open(self.stderr_path) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        """SIGTERM vigild and wait; return its exit status."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=15)

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()
        for pid in pids_with_arg(self.conf):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        subprocess.run(["rm", "-rf", self.tmp])


def samples(m):
    """The bus samples a WebSocket message carries (none, one or many)."""
    if m.get("type") == "sample":
        return [m]
    if m.get("type") == "batch":
        return m["samples"]
    return []


def decode(frame):
    """A WebSocket message as a dict, from either subprotocol."""
    if isinstance(frame, bytes):
        return msgpack.unpackb(frame, raw=False)
    return json.loads(frame)


class Client:
    """A WebSocket client (python3-websockets) that keeps every message."""

    def __init__(self, url, subprotocol):
        self.url = url
        self.subprotocol = subprotocol
        self.messages = []

    async def __aenter__(self):
        protos = [self.subprotocol] if self.subprotocol else None
        self.ws = await websockets.connect(self.url, subprotocols=protos,
                                           open_timeout=5, max_size=2**24)
        return self

    async def __aexit__(self, *exc):
        await self.ws.close()

    async def recv(self, timeout):
        m = decode(await asyncio.wait_for(self.ws.recv(), timeout))
        self.messages.append(m)
        return m

    async def until(self, what, pred, timeout):
        """Receive until pred(message) is true; return that message."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout}s: {what}")
            try:
                m = await self.recv(left)
            except asyncio.TimeoutError:
                raise AssertionError(f"timed out after {timeout}s: {what}")
            if pred(m):
                return m


def run(main, **stack_args):
    """Run an async test function with a stack; exit 0 or 1 for automake."""
    stack = Stack(**stack_args)
    try:
        stack.start()
        asyncio.run(main(stack))
        log("PASS")
        return 0
    except BaseException as e:  # report everything, clean up, fail
        log(f"FAIL: {type(e).__name__}: {e}")
        log("vigild's log:\n" + stack.logs())
        return 1
    finally:
        stack.cleanup()


def main(test, **stack_args):
    sys.exit(run(test, **stack_args))
