"""A stand-in for vigil-gateway, for testing the dashboard alone: it serves
a www directory and speaks the WebSocket side of vigil-protocol(7) (hello,
meta, snapshot, batch, health, ?session=&cursor= resume) with made-up
series of every kind the collectors publish. Test hooks over HTTP:
/_fake/drop closes every WebSocket at once; /_fake/down?ms=N also refuses
new ones for N ms, keeping the session, so a client must resume.

usage: fakegw.py --www DIR [--port N] [--interval MS] [--history N]
                 [--extra N] [--batch MS]
"""

import argparse
import asyncio
import http
import json
import math
import mimetypes
import os
import random
import sys
import time

import msgpack
import websockets
import websockets.server

HOST = "fakehost"


def now_ms():
    return int(time.time() * 1000)


class Series:
    """Every made-up series: name -> (src, unit, kind, function of t)."""

    def __init__(self, extra):
        self.defs = {}
        self.texts = {"system": {}, "memory": {}, "metrics": {}, "gateway": {}}
        w = lambda p, a, b: (lambda t: a + b * (1 + math.sin(t / p)) / 2)
        modes = ["user", "nice", "system", "iowait", "irq", "softirq",
                 "steal", "idle", "busy"]
        for cpu in ["total", "0", "1"]:
            for i, m in enumerate(modes):
                self.add(f"cpu.{cpu}.{m}", "system", "%", "gauge",
                         w(20 + i * 3, 1, 30 if m != "idle" else 60))
        for n in ["1", "5", "15"]:
            self.add(f"load.{n}", "system", "", "gauge", w(40, 0.2, 2))
        self.add("uptime", "system", "s", "gauge", lambda t: t / 10 % 864000)
        self.add("procs.running", "system", "", "gauge", w(7, 1, 4))
        self.add("procs.blocked", "system", "", "gauge", w(9, 0, 1))
        for n in ["forks", "ctxt", "intr"]:
            self.add(f"sys.{n}", "system", "/s", "rate", w(13, 10, 3000))
        for ifc in ["eth0", "lo"]:
            for n in ["rx_bytes", "tx_bytes"]:
                self.add(f"net.{ifc}.{n}", "system", "bytes/s", "rate",
                         w(11, 1000, 2e6))
            for n in ["rx_packets", "tx_packets", "rx_errors", "tx_errors",
                      "rx_drops", "tx_drops"]:
                self.add(f"net.{ifc}.{n}", "system", "/s", "rate",
                         w(17, 0, 500 if "packets" in n else 2))
        for dev in ["vda", "vdb"]:
            for n in ["read_bytes", "write_bytes"]:
                self.add(f"disk.{dev}.{n}", "system", "bytes/s", "rate",
                         w(19, 0, 5e6))
            for n in ["reads", "writes"]:
                self.add(f"disk.{dev}.{n}", "system", "/s", "rate",
                         w(23, 0, 300))
            self.add(f"disk.{dev}.busy", "system", "%", "gauge", w(29, 0, 40))
        for key, mnt in [("root", "/"), ("boot", "/boot")]:
            size = 50e9 if key == "root" else 1e9
            self.add(f"fs.{key}.size", "system", "bytes", "gauge",
                     lambda t, s=size: s)
            self.add(f"fs.{key}.used", "system", "bytes", "gauge",
                     w(300, size * 0.3, size * 0.1))
            self.add(f"fs.{key}.free", "system", "bytes", "gauge",
                     w(300, size * 0.6, size * 0.1))
            self.texts["system"][f"fs.{key}.mount"] = mnt
        for r in ["cpu.some", "io.some", "io.full"]:
            self.add(f"pressure.{r}", "system", "%", "gauge", w(31, 0, 5))
        total = 16 * 2**30
        self.add("mem.total", "memory", "bytes", "gauge", lambda t: total)
        for i, n in enumerate(["free", "available", "used", "buffers",
                               "cached", "shared", "slab", "dirty",
                               "writeback", "committed"]):
            self.add(f"mem.{n}", "memory", "bytes", "gauge",
                     w(50 + i, total * 0.05, total * 0.3))
        for n in ["total", "free", "used"]:
            self.add(f"swap.{n}", "memory", "bytes", "gauge",
                     w(60, 2**30, 2**29))
        for n in ["pgfault", "pgmajfault", "pswpin", "pswpout"]:
            self.add(f"vm.{n}", "memory", "/s", "rate", w(21, 0, 1000))
        self.add("vm.oom_kill", "memory", "", "counter", lambda t: 0)
        for n in ["some", "full"]:
            self.add(f"pressure.memory.{n}", "memory", "%", "gauge",
                     w(37, 0, 3))
        for i in range(1, 6):
            self.add(f"top.{i}.rss", "memory", "bytes", "gauge",
                     lambda t, i=i: 2**30 / i)
            self.add(f"top.{i}.pid", "memory", "", "gauge",
                     lambda t, i=i: 1000 + i)
            self.texts["memory"][f"top.{i}.name"] = f"proc{i}"
        for n in ["count", "min", "max", "mean", "p50", "p90", "p95", "p99"]:
            self.add(f"statsd.api.req_time.{n}", "metrics",
                     "" if n == "count" else "ms", "gauge", w(15, 5, 80))
        self.add("statsd.api.hits.count", "metrics", "", "gauge", w(9, 0, 50))
        self.add("statsd.api.hits.rate", "metrics", "/s", "rate", w(9, 0, 50))
        self.add("statsd.queue_depth", "metrics", "", "gauge", w(8, 0, 20))
        self.add("statsd.users.unique", "metrics", "", "gauge", w(40, 3, 9))
        for n in ["lines", "bad_lines", "dropped"]:
            self.add(f"statsd.{n}", "metrics", "", "counter",
                     lambda t: int(t / 1000) % 10000)
        for i in range(extra):
            self.add(f"statsd.bench.g{i}", "metrics", "", "gauge",
                     w(10 + i % 13, i, 100))
        for n, u in [("clients", ""), ("connections.opened", "/s"),
                     ("connections.closed", "/s"), ("frames_sent", "/s"),
                     ("bytes_sent", "bytes/s"), ("batches_skipped", "/s"),
                     ("lag_closed", ""), ("bus.messages", "/s"),
                     ("bus.gaps", ""), ("series", "")]:
            self.add(f"gateway.{n}", "gateway", u, "gauge", w(12, 0, 10))

    def add(self, name, src, unit, kind, f):
        self.defs[name] = (src, unit, kind, f)

    def meta(self):
        return [{"name": n, "src": d[0], "unit": d[1], "kind": d[2],
                 "desc": f"made-up {n}"} for n, d in self.defs.items()]

    def sample(self, src, seq, t, iv):
        vals = {n: d[3](t / 100)
                for n, d in self.defs.items() if d[0] == src}
        s = {"src": src, "host": HOST, "seq": seq, "t": t, "iv": iv,
             "vals": vals}
        if self.texts.get(src):
            s["text"] = self.texts[src]
        return s


class Fake:
    def __init__(self, args):
        self.args = args
        self.series = Series(args.extra)
        self.session = f"{random.getrandbits(48):012x}"
        self.cursor = 0
        self.history = []           # (cursor, sample), oldest first
        self.pending = []           # samples not yet batched
        self.clients = set()
        self.down_until = 0
        self.seq = {}
        self.started = time.monotonic()
        t = now_ms() - args.history * args.interval
        t -= t % args.interval
        while t <= now_ms() - args.interval:
            self.collect(t, pend=False)
            t += args.interval
        self.next_t = t

    def collect(self, t, pend=True):
        for src in ["system", "memory", "metrics", "gateway"]:
            self.seq[src] = self.seq.get(src, 0) + 1
            s = self.series.sample(src, self.seq[src], t, self.args.interval)
            self.cursor += 1
            self.history.append((self.cursor, s))
            if pend:
                self.pending.append(s)
        keep = self.args.history * 4
        if len(self.history) > keep:
            del self.history[:len(self.history) - keep]

    def snapshot(self, after):
        by = {}
        for c, s in self.history:
            if c <= after:
                continue
            for n, v in s["vals"].items():
                e = by.setdefault(n, {"name": n, "src": s["src"], "t": [],
                                      "v": []})
                e["t"].append(s["t"])
                e["v"].append(v)
        return {"type": "snapshot", "cursor": self.cursor,
                "series": list(by.values())}

    def health(self):
        up = int((time.monotonic() - self.started) * 1000)
        roles = []
        for i, r in enumerate(["gateway", "system", "memory", "metrics"]):
            roles.append({"name": r, "state": "running", "pid": 4000 + i,
                          "uptime": up, "restarts": i % 2,
                          "exit": "signal 9" if i % 2 else "", "retry": 0,
                          "cpu": 0.5 + i, "rss": (5 + i) * 2**20,
                          "fds": 10 + i})
        return {"type": "health", "t": now_ms(), "roles": roles}

    async def send(self, ws, m):
        if ws.subprotocol == "vigil.msgpack":
            await ws.send(msgpack.packb(m, use_bin_type=True))
        else:
            await ws.send(json.dumps(m))

    async def handler(self, ws, path):
        q = {}
        if "?" in path:
            for kv in path.split("?", 1)[1].split("&"):
                k, _, v = kv.partition("=")
                q[k] = v
        after = 0
        if q.get("session") == self.session and self.history:
            c = int(q.get("cursor", "0") or 0)
            if c >= self.history[0][0] - 1:
                after = c
        await self.send(ws, {"type": "hello", "version": 1,
                             "server": "fakegw 1", "host": HOST,
                             "session": self.session,
                             "history": self.args.history,
                             "batch": self.args.batch})
        await self.send(ws, {"type": "meta", "series": self.series.meta()})
        await self.send(ws, self.snapshot(after))
        self.clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            self.clients.discard(ws)

    async def ticker(self):
        while True:
            t = self.next_t
            await asyncio.sleep(max(0, (t - now_ms()) / 1000))
            self.collect(t)
            self.next_t = t + self.args.interval

    async def batcher(self):
        n = 0
        while True:
            await asyncio.sleep(self.args.batch / 1000)
            n += 1
            if self.pending:
                m = {"type": "batch", "cursor": self.cursor, "t": now_ms(),
                     "samples": self.pending}
                self.pending = []
                for ws in list(self.clients):
                    try:
                        await self.send(ws, m)
                    except websockets.ConnectionClosed:
                        pass
            if n % max(1, 1000 // self.args.batch) == 0:
                h = self.health()
                for ws in list(self.clients):
                    try:
                        await self.send(ws, h)
                    except websockets.ConnectionClosed:
                        pass

    def drop(self):
        for ws in list(self.clients):
            ws.transport.abort()
        self.clients.clear()

    async def http(self, path, headers):
        if path.startswith("/_fake/"):
            q = path.partition("?")[2]
            if path.startswith("/_fake/down"):
                ms = int(q.partition("=")[2] or "1000")
                self.down_until = time.monotonic() + ms / 1000
            self.drop()
            return http.HTTPStatus.OK, [], b"ok\n"
        if path.split("?")[0] == "/ws":
            if time.monotonic() < self.down_until:
                return http.HTTPStatus.SERVICE_UNAVAILABLE, [], b"down\n"
            return None
        rel = path.split("?")[0].lstrip("/") or "index.html"
        full = os.path.realpath(os.path.join(self.args.www, rel))
        root = os.path.realpath(self.args.www)
        if not full.startswith(root + os.sep) or not os.path.isfile(full):
            return http.HTTPStatus.NOT_FOUND, [], b"not found\n"
        with open(full, "rb") as f:
            body = f.read()
        ctype = mimetypes.guess_type(full)[0] or "application/octet-stream"
        return http.HTTPStatus.OK, [("Content-Type", ctype)], body


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--www", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--interval", type=int, default=1000)
    ap.add_argument("--history", type=int, default=300)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--extra", type=int, default=0)
    args = ap.parse_args()
    fake = Fake(args)
    async with websockets.server.serve(
            fake.handler, "127.0.0.1", args.port,
            subprotocols=["vigil.msgpack", "vigil.json"],
            process_request=fake.http, max_size=2**20) as srv:
        port = srv.sockets[0].getsockname()[1]
        print(f"port {port}", flush=True)
        await asyncio.gather(fake.ticker(), fake.batcher())


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
