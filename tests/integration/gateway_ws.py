"""The gateway's WebSocket stream with a client we did not write
(python3-websockets): hello, metadata, a snapshot that holds history and
live batches in both subprotocols; prefix and rate selections and the
subscribe message; a resume that fills exactly the gap a disconnected
client missed; a raw client that sends an unmasked frame gets 1002, one
whose message is too long 1009, one that never answers a ping 4001."""

import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwtest  # noqa: E402
import vigiltest  # noqa: E402
from vigiltest import Client, log  # noqa: E402

import websockets  # noqa: E402

SERIES = "cpu.total.busy"


async def check_stream(stack, proto):
    async with Client(stack.ws_url(), proto) as c:
        assert c.ws.subprotocol == proto, c.ws.subprotocol
        hello = await c.recv(5)
        assert hello["type"] == "hello", hello
        assert hello["version"] == 1 and hello["history"] == 300, hello
        assert hello["batch"] == 50 and len(hello["session"]) > 0, hello
        snap = await c.until("a snapshot",
                             lambda m: m["type"] == "snapshot", 5)
        assert snap["resume"] is False, snap
        cpu = [s for s in snap["series"] if s["name"] == SERIES]
        assert cpu and len(cpu[0]["t"]) >= 4, snap["series"][:1]
        assert len(cpu[0]["t"]) == len(cpu[0]["v"]), cpu
        assert cpu[0]["t"] == sorted(cpu[0]["t"]), cpu
        assert any(m["type"] == "meta" for m in c.messages), "no meta"
        meta = next(m for m in c.messages if m["type"] == "meta")
        names = {s["name"] for s in meta["series"]}
        assert "gateway.clients" in names, names
        b = await c.until("a batch", lambda m: m["type"] == "batch", 5)
        assert b["cursor"] > snap["cursor"], (b["cursor"], snap["cursor"])
        assert abs(b["t"] - time.time() * 1000) < 2000, b["t"]
        log(f"{proto}: snapshot of {len(snap['series'])} series, "
            f"{len(cpu[0]['t'])} points of {SERIES}, then batches")


async def check_prefix_rate(stack):
    url = stack.ws_url() + "?prefix=mem.,load.&rate=2"
    async with Client(url, "vigil.msgpack") as c:
        snap = await c.until("snapshot", lambda m: m["type"] == "snapshot",
                             5)
        for s in snap["series"]:
            assert s["name"].startswith(("mem.", "load.")), s["name"]
        times = []
        while len(times) < 4:
            m = await c.until("batch", lambda m: m["type"] == "batch", 5)
            times.append(time.monotonic())
            for s in m["samples"]:
                for k in s["vals"]:
                    assert k.startswith(("mem.", "load.")), k
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert min(gaps) > 0.35, gaps
        log(f"prefix and rate=2: batches {['%.2f' % g for g in gaps]} s apart")
        await c.ws.send(json.dumps({"type": "subscribe",
                                    "prefix": ["gateway."]}))
        snap = await c.until("snapshot after subscribe",
                             lambda m: m["type"] == "snapshot", 5)
        assert snap["series"], snap
        for s in snap["series"]:
            assert s["name"].startswith("gateway."), s["name"]
        m = await c.until("a gateway batch", lambda m: m["type"] == "batch",
                          5)
        for s in m["samples"]:
            assert s["src"] == "gateway", s


def points(msgs, name):
    """{t: v} of one series over snapshots and batches."""
    out = {}
    for m in msgs:
        if m["type"] == "snapshot":
            for s in m["series"]:
                if s["name"] == name:
                    out.update(zip(s["t"], s["v"]))
        for s in vigiltest.samples(m):
            if name in s["vals"]:
                out[s["t"]] = s["vals"][name]
    return out


async def check_resume(stack):
    async with Client(stack.ws_url(), "vigil.json") as a:
        await a.until("A's first batch", lambda m: m["type"] == "batch", 5)
        b = Client(stack.ws_url(), "vigil.json")
        await b.__aenter__()
        hello = await b.recv(5)
        await b.until("B's batches", lambda m: m["type"] == "batch"
                      and len([x for x in b.messages
                               if x["type"] == "batch"]) >= 3, 5)
        cursor = [m for m in b.messages if "cursor" in m][-1]["cursor"]
        before = list(b.messages)
        await b.__aexit__()
        await asyncio.sleep(1.0)
        url = (stack.ws_url() + f"?session={hello['session']}"
               f"&cursor={cursor}")
        async with Client(url, "vigil.json") as b2:
            snap = await b2.until("resume snapshot",
                                  lambda m: m["type"] == "snapshot", 5)
            assert snap["resume"] is True, snap
            assert snap["cursor"] > cursor, (snap["cursor"], cursor)
            await b2.until("batches after the resume",
                           lambda m: m["type"] == "batch"
                           and m["cursor"] > snap["cursor"] + 10, 5)
            after = b2.messages
        await a.until("A past B", lambda m: m["type"] == "batch"
                      and m["cursor"] >= after[-1]["cursor"], 5)
    got = points(before + after, SERIES)
    first = min(t for t in points(before, SERIES))
    last = max(got)
    want = {t: v for t, v in points(a.messages, SERIES).items()
            if first <= t <= last}
    assert got.keys() == want.keys(), (sorted(set(want) - set(got)),
                                       sorted(set(got) - set(want)))
    gap = [t for t in got if t not in points(before, SERIES)
           and t < min(points([snap], SERIES) or [last])]
    resumed = points([snap], SERIES)
    assert len(resumed) >= 10, f"resume carried {len(resumed)} points"
    log(f"resume: {len(resumed)} points filled the gap exactly "
        f"({len(got)} in all, {len(gap)} stray)")
    assert not gap, gap


async def check_full_when_unknown(stack):
    url = stack.ws_url() + "?session=other&cursor=5"
    async with Client(url, "vigil.json") as c:
        snap = await c.until("snapshot", lambda m: m["type"] == "snapshot",
                             5)
        assert snap["resume"] is False, snap


def check_raw_closes(stack):
    ws = gwtest.RawWs(stack.http_port)
    ws.send(0x1, b'{"type":"hello"}', mask=False)
    assert ws.until_close(5) == 1002
    ws.close()
    ws = gwtest.RawWs(stack.http_port)
    ws.send(0x2, b"x" * 2000)
    assert ws.until_close(5) == 1009
    ws.close()
    ws = gwtest.RawWs(stack.http_port)
    ws.send(0x9, b"hi")
    while True:
        op, p = ws.frame(5)
        if op == 0xA:
            assert p == b"hi", p
            break
    t0 = time.monotonic()
    code = ws.until_close(10)
    took = time.monotonic() - t0
    assert code == 4001, code
    assert took < 4, took
    ws.close()
    log(f"raw clients: unmasked 1002, too long 1009, pong echoed, "
        f"silent closed with 4001 after {took:.1f}s")


async def check_ping_answered(stack):
    # websockets answers pings by itself: it stays open past the timeout.
    async with Client(stack.ws_url(), "vigil.json") as c:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3:
            await c.recv(2)
        assert c.ws.close_code is None


async def main(stack):
    await asyncio.sleep(1.0)  # some history first
    await check_stream(stack, "vigil.json")
    await check_stream(stack, "vigil.msgpack")
    await check_prefix_rate(stack)
    await check_resume(stack)
    await check_full_when_unknown(stack)
    check_raw_closes(stack)
    await check_ping_answered(stack)


if __name__ == "__main__":
    vigiltest.main(main, interval=100, conf={"gateway": {
        "history": 300, "batch_interval": 50, "max_message": 1024,
        "ping_interval": 1000, "ping_timeout": 1000}})
