"""Backpressure with a client that stops reading: it skips batches once
more than client_queue bytes wait for it, and after lag_timeout it is
closed with code 4000 (which it reads once it reads again), while a second
client, from python3-websockets, receives every batch, in order and on
time, the whole while."""

import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwtest  # noqa: E402
import vigiltest  # noqa: E402
from vigiltest import Client, log, wait_for  # noqa: E402

LAG_TIMEOUT = 2000


async def collect(c, stop, got):
    while not stop.is_set():
        try:
            m = await c.recv(0.5)
        except asyncio.TimeoutError:
            continue
        if m["type"] == "batch":
            got.append((time.time() * 1000, m))


async def main(stack):
    port = stack.http_port
    await asyncio.sleep(0.5)
    async with Client(stack.ws_url(), "vigil.json") as good:
        stop = asyncio.Event()
        got = []
        task = asyncio.create_task(collect(good, stop, got))
        stalled = gwtest.RawWs(port, rcvbuf=4096)
        t0 = time.monotonic()

        def figures():
            return gwtest.gateway_figures(port)

        async def until(what, pred, timeout):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                f = await asyncio.to_thread(figures)
                if pred(f):
                    return f
                await asyncio.sleep(0.1)
            raise AssertionError(f"timed out: {what}")

        f = await until("batches skipped", lambda f: f["batches_skipped"] > 0,
                        15)
        skipped_at = time.monotonic()
        log(f"stalled client skips batches after {skipped_at - t0:.1f}s")
        f = await until("the stalled client closed",
                        lambda f: f["lag_closed"] >= 1,
                        LAG_TIMEOUT / 1000 + 5)
        closed_at = time.monotonic()
        assert closed_at - skipped_at >= LAG_TIMEOUT / 1000 - 0.3, \
            (closed_at - skipped_at)
        code = await asyncio.to_thread(stalled.until_close, 10)
        stalled.close()
        assert code == 4000, code
        log(f"closed with 4000 after {closed_at - skipped_at:.1f}s behind")
        await asyncio.sleep(1)
        stop.set()
        await task
    assert len(got) > 20, len(got)
    for (_, a), (_, b) in zip(got, got[1:]):
        assert b["cursor"] - a["cursor"] == len(b["samples"]), \
            ("a batch missed", a["cursor"], b["cursor"], len(b["samples"]))
    lat = sorted(rx - m["t"] for rx, m in got)
    gaps = [b[0] - a[0] for a, b in zip(got, got[1:])]
    p99 = lat[int(len(lat) * 0.99) - 1]
    log(f"good client: {len(got)} batches, none missed, latency p99 "
        f"{p99:.0f} ms, largest gap {max(gaps):.0f} ms")
    assert p99 < 250, lat[-5:]
    assert max(gaps) < 1000, max(gaps)


if __name__ == "__main__":
    vigiltest.main(main, interval=50, conf={"gateway": {
        "batch_interval": 50, "client_queue": 4096,
        "lag_timeout": LAG_TIMEOUT}})
