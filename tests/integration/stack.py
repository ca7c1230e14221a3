"""The whole stack, for real: vigild starts every role; a WebSocket client
we did not write sees samples from all three collectors with growing
sequence numbers, in both subprotocols; a StatsD counter sent over UDP shows
up; a collector killed with SIGKILL comes back with a new pid and resumes;
SIGTERM to vigild leaves no vigil process and no socket file behind."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import statsd  # noqa: E402  (Debian's python3-statsd)
import vigiltest  # noqa: E402
from vigiltest import Client, log, wait_for  # noqa: E402

COLLECTORS = ("system", "memory", "metrics")


async def samples_from_all(client, timeout):
    """Wait until every collector sent two samples; check seq grows."""
    last = {}
    seen = {}

    def pred(m):
        for s in vigiltest.samples(m):
            src, seq = s["src"], s["seq"]
            if src in last:
                assert seq > last[src], f"{src}: seq {seq} after {last[src]}"
                seen[src] = seen.get(src, 0) + 1
            last[src] = seq
        return all(seen.get(c, 0) >= 1 for c in COLLECTORS)

    await client.until("two samples from each collector", pred, timeout)
    return last


async def check_hello_and_samples(stack, subprotocol):
    async with Client(stack.ws_url(), subprotocol) as c:
        assert c.ws.subprotocol == subprotocol, c.ws.subprotocol
        hello = await c.recv(5)
        assert hello["type"] == "hello", hello
        assert hello["version"] == 1, hello
        t0 = time.monotonic()
        await samples_from_all(c, 5)
        log(f"{subprotocol}: samples from {COLLECTORS} in "
            f"{time.monotonic() - t0:.2f}s")
        got = [s for m in c.messages for s in vigiltest.samples(m)]
        m = next(s for s in got if s["src"] == "system"
                 and "load.1" in s["vals"])
        assert m["t"] > 1.6e12 and m["iv"] == 250, m
        m = next(s for s in got if s["src"] == "memory")
        assert m["vals"]["mem.total"] > 0, m
        assert 0 < m["vals"]["mem.available"] <= m["vals"]["mem.total"], m


async def check_statsd(stack):
    async with Client(stack.ws_url(), "vigil.json") as c:
        await c.recv(5)
        client = statsd.StatsClient("127.0.0.1", stack.statsd_port)
        client.incr("itest.hits", 3)
        client.gauge("itest.level", 42)
        total = 0.0

        def pred(m):
            nonlocal total
            done = False
            for s in vigiltest.samples(m):
                if s["src"] == "metrics":
                    total += s["vals"].get("statsd.itest.hits.count", 0)
                    done = s["vals"].get("statsd.itest.level") == 42
            return total >= 3 and done

        await c.until("the StatsD counter and gauge", pred, 5)
        assert total == 3, total
        log("statsd counter and gauge arrived")


async def check_restart(stack):
    old = wait_for("vigil-memory", lambda: stack.role_pid("memory"), 5)
    async with Client(stack.ws_url(), "vigil.json") as c:
        await c.recv(5)
        os.kill(old, signal.SIGKILL)
        killed = time.monotonic()
        new = wait_for("a new vigil-memory",
                       lambda: (stack.role_pid("memory") or old) != old
                       and stack.role_pid("memory"), 5)
        log(f"vigil-memory {old} killed, {new} started in "
            f"{(time.monotonic() - killed) * 1000:.0f} ms")
        # The new process starts counting at 1 again and samples resume.
        await c.until("samples from the new vigil-memory",
                      lambda m: any(s["src"] == "memory" and s["seq"] <= 2
                                    for s in vigiltest.samples(m)), 5)
        others = {r: stack.role_pid(r) for r in ("system", "metrics")}
        assert all(others.values()), others


def check_stop(stack):
    children = list(vigiltest.proc_children(stack.proc.pid))
    assert len(children) == 4, children
    status = stack.stop()
    assert status == 0, f"vigild exit status {status}"
    left = vigiltest.pids_with_arg(stack.conf)
    assert not left, f"processes left: {left}"
    for pid in children:
        assert not os.path.exists(f"/proc/{pid}"), f"child {pid} left"
    files = os.listdir(stack.rundir) if os.path.isdir(stack.rundir) else []
    assert not files, f"left in the run directory: {files}"
    log("vigild stopped; no process or socket file left")


async def main(stack):
    await check_hello_and_samples(stack, "vigil.json")
    await check_hello_and_samples(stack, "vigil.msgpack")
    await check_statsd(stack)
    await check_restart(stack)
    check_stop(stack)


if __name__ == "__main__":
    vigiltest.main(main)
