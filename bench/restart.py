"""Restart latency of vigild, measured with real processes.

1. Death to exec: the memory role is bench/restart-role (a symlink named
   vigil-memory), which writes CLOCK_MONOTONIC to a file first thing in
   main(); each of N kills is timed from just before kill(2) to that
   stamp of the new process (so it includes exec and dynamic linking).
2. Death to first sample: the real vigil-memory with the real gateway; a
   WebSocket client sees the new process's first sample (its seq starts
   again); the time is the sample's own collection time "t" (wall clock)
   (ms on the WebSocket) minus the wall-clock time of the kill, so the gateway's batching does
   not count.
3. vigild's idle CPU: utime+stime over an idle period, every role ready.
4. The floor of (1), in the same run: this script itself kills the same
   binary, reaps it and starts it again with posix_spawn(3), timed the
   same way. vigild's own share is the difference.

Run from the build directory:
  VIGIL_BUILDDIR=$PWD /usr/bin/python3 SRCDIR/bench/restart.py [kills]
"""

import asyncio
import os
import signal
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import supervisor_lib as sl  # noqa: E402
import vigiltest  # noqa: E402
from vigiltest import wait_for  # noqa: E402

KILLS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
SAMPLE_KILLS = 50
IDLE_S = 10


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def cpu_ns(pid):
    """CPU time of every thread of pid, ns (schedstat: no tick rounding)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
            total += int(f.read().split()[0])
    return total


def bench_exec():
    st = sl.FakeStack({"memory": 'exec $ROLE "$@"'},
                      conf={"vigild": {"stable_after": 0, "watchdog": 0}})
    os.unlink(os.path.join(st.bindir, "vigil-memory"))
    os.symlink(sl.ROLE_BIN, os.path.join(st.bindir, "vigil-memory"))
    os.environ["VIGIL_BENCH_LOG"] = st.stamps
    lat = []
    try:
        st.start(args=("-f",))
        wait_for("first start", lambda: st.stamp_times(), 5)
        for _ in range(KILLS):
            n = len(st.stamp_times())
            pid = st.stamp_times()[-1][0]
            t0 = time.monotonic_ns()
            os.kill(pid, signal.SIGKILL)
            stamps = wait_for("the new process", lambda: (
                s := st.stamp_times()) and len(s) > n and s, 5, step=0.001)
            lat.append((stamps[-1][1] - t0) / 1e6)
    finally:
        del os.environ["VIGIL_BENCH_LOG"]
        st.cleanup()
    return lat


def bench_floor():
    """Kill, reap and respawn ROLE_BIN here, without vigild."""
    stamps = os.path.join(vigiltest.tempfile.mkdtemp(prefix="vigil-floor-"),
                          "stamps")
    open(stamps, "w").close()
    env = dict(os.environ, VIGIL_BENCH_LOG=stamps)
    env.pop("VIGIL_READY_FD", None)

    def times():
        with open(stamps) as f:
            return [int(line.split()[1]) for line in f if line.strip()]
    lat = []
    pid = os.posix_spawn(sl.ROLE_BIN, [sl.ROLE_BIN], env)
    try:
        wait_for("first start", times, 5)
        for _ in range(KILLS):
            n = len(times())
            t0 = time.monotonic_ns()
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pid = os.posix_spawn(sl.ROLE_BIN, [sl.ROLE_BIN], env)
            t = wait_for("the new process", lambda: (
                s := times()) and len(s) > n and s, 5, step=0.001)
            lat.append((t[-1] - t0) / 1e6)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        vigiltest.subprocess.run(["rm", "-rf", os.path.dirname(stamps)])
    return lat


async def bench_sample(stack):
    lat = []
    async with vigiltest.Client(stack.ws_url(), "vigil.json") as c:
        for _ in range(SAMPLE_KILLS):
            last = await c.until("a memory sample", lambda m: any(
                s["src"] == "memory" for s in vigiltest.samples(m)), 5)
            pid = wait_for("vigil-memory", lambda: stack.role_pid("memory"),
                           5)
            t0 = time.time_ns() / 1e6  # the WebSocket "t" is in ms
            os.kill(pid, signal.SIGKILL)
            first = {}

            def pred(m):
                for s in vigiltest.samples(m):
                    if s["src"] == "memory" and s["t"] > t0:
                        first.setdefault("t", s["t"])
                return "t" in first
            await c.until("the new memory's first sample", pred, 5)
            lat.append(first["t"] - t0)
            del last
    return lat


async def bench_idle(stack):
    wait_for("every role ready", lambda: all(
        r["state"] == "ready" for r in sl.status(stack).values()), 10)
    pid = stack.proc.pid
    t0, c0 = time.monotonic(), cpu_ns(pid)
    await asyncio.sleep(IDLE_S)
    used = (cpu_ns(pid) - c0) / 1e9
    return used / (time.monotonic() - t0) * 100


def report(name, xs):
    print(f"{name}: n={len(xs)} p50={statistics.median(xs):.2f} ms "
          f"p99={pct(xs, 99):.2f} ms max={max(xs):.2f} ms", flush=True)


def main():
    vigild, floor = bench_exec(), bench_floor()
    report("death -> exec", vigild)
    report("floor: kill, reap, posix_spawn -> exec", floor)
    print(f"ratio p50 {statistics.median(vigild) / statistics.median(floor):.2f}"
          f", p99 {pct(vigild, 99) / pct(floor, 99):.2f}", flush=True)
    stack = vigiltest.Stack(interval=100,
                            conf={"memory": {"stable_after": 0}})
    try:
        stack.start(args=("-f",))
        report("death -> first sample",
               asyncio.run(bench_sample(stack)))
        print(f"vigild idle CPU over {IDLE_S}s (health every 1 s, "
              f"4 roles, watchdog on): "
              f"{asyncio.run(bench_idle(stack)):.3f} %", flush=True)
    finally:
        stack.cleanup()


if __name__ == "__main__":
    main()
