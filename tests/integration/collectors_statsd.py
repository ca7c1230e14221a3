"""vigil-metrics with a StatsD client we did not write (Debian's
python3-statsd): counters, gauges with deltas, timers and sets sent over
UDP come out on the bus with the values that were sent, with their
metadata; malformed and DogStatsD-tagged lines are counted. The bus is
read directly by a small subscriber (collectors_sub), without the gateway.
Also checks that vigil-system and vigil-memory publish their series and
metadata on a live host."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import statsd  # noqa: E402  (Debian's python3-statsd)
from vigiltest import BUILDDIR, free_port, log  # noqa: E402

INTERVAL_MS = 1000


class Bus:
    """collectors_sub in the background; every JSON line it prints."""

    def __init__(self, url, seconds):
        self.proc = subprocess.Popen(
            [os.path.join(BUILDDIR, "tests/integration/collectors_sub"),
             url, str(seconds)], stdout=subprocess.PIPE, text=True)
        self.msgs = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.msgs.append(json.loads(line))

    def snapshot(self):
        with self.lock:
            return list(self.msgs)

    def wait(self, what, pred, timeout, start=None):
        """Wait until pred(message) holds for a message from start on
        (default: a new one); return it."""
        if start is None:
            start = len(self.snapshot())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msgs = self.snapshot()
            for m in msgs[start:]:
                if pred(m):
                    return m
            start = len(msgs)
            time.sleep(0.02)
        raise AssertionError(f"timed out after {timeout}s: {what}")

    def meta(self, src):
        out = {}
        for m in self.snapshot():
            if m["type"] == "meta" and m["src"] == src:
                for s in m["series"]:
                    out[s["name"]] = s
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)


def sample_of(src, pred=lambda v: True):
    return lambda m: (m["type"] == "sample" and m["src"] == src
                      and pred(m["vals"]))


def send_all(port):
    c = statsd.StatsClient("127.0.0.1", port)
    for _ in range(3):
        c.incr("app.hits", 5)
    c.decr("app.errors")
    c.gauge("app.temp", 20)
    c.gauge("app.temp", 5, delta=True)
    c.gauge("app.temp", -2, delta=True)
    for v in range(1, 101):
        c.timing("app.lat", v)
    for user in ("alice", "bob", "alice", "carol"):
        c.set("app.users", user)
    with c.pipeline() as p:  # several metrics in one datagram
        p.incr("app.piped", 2)
        p.incr("app.piped", 3)
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.sendto(b"app.tagged:4|c|#env:test,role:db\nnot a line\n\xff\x00:|c",
               ("127.0.0.1", port))
    raw.close()


def check_values(v):
    assert v["statsd.app.hits.count"] == 15, v
    assert abs(v["statsd.app.hits.rate"] - 15) < 1.5, v
    assert v["statsd.app.errors.count"] == -1, v
    assert v["statsd.app.temp"] == 23, v
    assert v["statsd.app.lat.count"] == 100, v
    assert v["statsd.app.lat.min"] == 1 and v["statsd.app.lat.max"] == 100, v
    assert v["statsd.app.lat.mean"] == 50.5, v
    for p in (50, 90, 95, 99):
        assert v[f"statsd.app.lat.p{p}"] == p, (p, v)
    assert v["statsd.app.users.unique"] == 3, v
    assert v["statsd.app.piped.count"] == 5, v
    assert v["statsd.app.tagged.count"] == 4, v
    # 3 + 1 + 3 + 100 + 4 + 2 + 3 lines, of which 2 are bad.
    assert v["statsd.lines"] == 116, v
    assert v["statsd.bad_lines"] == 2, v
    assert v["statsd.dropped"] == 0, v


def check_meta(bus):
    meta = bus.meta("metrics")
    assert meta["statsd.app.lat.p99"]["unit"] == "ms", meta
    assert meta["statsd.app.hits.rate"]["unit"] == "/s", meta
    assert meta["statsd.app.hits.rate"]["kind"] == "rate", meta
    assert meta["statsd.lines"]["kind"] == "counter", meta
    assert "statsd.app.users.unique" in meta, meta


def check_host(bus):
    s = bus.wait("system rates", sample_of(
        "system", lambda v: "cpu.total.busy" in v), 5)["vals"]
    assert 0 <= s["cpu.total.busy"] <= 100, s
    total = sum(s[f"cpu.total.{m}"] for m in (
        "user", "nice", "system", "idle", "iowait", "irq", "softirq",
        "steal"))
    assert abs(total - 100) < 1e-6, s
    assert s["sys.ctxt"] >= 0 and "load.1" in s and s["uptime"] > 0, s
    m = bus.wait("memory", sample_of(
        "memory", lambda v: "vm.pgfault" in v), 5)["vals"]
    assert 0 < m["mem.available"] <= m["mem.total"], m
    assert m["top.1.rss"] > 0 and m["top.1.pid"] > 0, m
    meta = bus.meta("system")
    assert meta["cpu.total.busy"]["unit"] == "%", meta
    assert meta["uptime"]["unit"] == "s", meta
    assert bus.meta("memory")["mem.total"]["unit"] == "bytes"


def main():
    tmp = tempfile.mkdtemp(prefix="vigil-col-")
    url = f"ipc://{tmp}/bus"
    port = free_port(socket.SOCK_DGRAM)
    conf = os.path.join(tmp, "vigil.conf")
    with open(conf, "w") as f:
        f.write(f"[vigild]\nrundir = {tmp}\nbus = {url}\n"
                f"[system]\ninterval = 250\n[memory]\ninterval = 250\n"
                f"[metrics]\ninterval = {INTERVAL_MS}\nport = {port}\n")
    bus = Bus(url, 40)
    procs = []
    try:
        bus.wait("subscriber", lambda m: m["type"] == "listening", 5, 0)
        for role in ("metrics", "system", "memory"):
            procs.append(subprocess.Popen(
                [os.path.join(BUILDDIR, f"vigil-{role}"), "-c", conf]))
        # A sample has reached us: the bus is up. Send right after a
        # flush, so that everything lands in one interval.
        bus.wait("first metrics sample", sample_of("metrics"), 5)
        bus.wait("a fresh interval", sample_of("metrics"), 5)
        t0 = time.monotonic()
        send_all(port)
        log(f"sent in {1000 * (time.monotonic() - t0):.1f} ms")
        m = bus.wait("the values", sample_of(
            "metrics", lambda v: v.get("statsd.lines", 0) > 0), 5)
        check_values(m["vals"])
        check_meta(bus)
        # The next interval: counters back to 0, the gauge stays.
        v = bus.wait("next", sample_of("metrics"), 5)["vals"]
        assert v["statsd.app.hits.count"] == 0, v
        assert v["statsd.app.temp"] == 23, v
        assert v["statsd.app.lat.count"] == 0, v
        assert "statsd.app.lat.p50" not in v, v
        check_host(bus)
        seqs = [m["seq"] for m in bus.snapshot() if m.get("src") == "metrics"]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
        log("PASS")
        return 0
    except BaseException as e:  # report, clean up, fail
        log(f"FAIL: {type(e).__name__}: {e}")
        return 1
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        bus.stop()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
