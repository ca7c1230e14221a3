"""The gateway's HTTP side with curl and raw sockets: static files with
MIME types, ETag/304 and HEAD; traversal attempts (.., encoded forms, a
symbolic link out of www) get 400 or 404; 405, 400 and 431; the JSON API,
/healthz, and /metrics accepted by promtool; idle connections closed
after handshake_timeout; and a flood of WebSocket
upgrades over max_clients gets 503 while the clients already connected
keep receiving batches."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwtest  # noqa: E402
import vigiltest  # noqa: E402
from gwtest import curl, raw_http  # noqa: E402
from vigiltest import Client, log  # noqa: E402

import websockets  # noqa: E402

MAX_CLIENTS = 5


def make_www():
    d = tempfile.mkdtemp(prefix="vigil-www-")
    os.chmod(d, 0o755)
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write("<!doctype html><title>t</title>\n")
    with open(os.path.join(d, "app.js"), "w") as f:
        f.write("console.log(1);\n")
    os.mkdir(os.path.join(d, "sub"))
    os.chmod(os.path.join(d, "sub"), 0o755)
    with open(os.path.join(d, "sub", "style.css"), "w") as f:
        f.write("body{}\n")
    for name in ("index.html", "app.js", "sub/style.css"):
        os.chmod(os.path.join(d, name), 0o644)
    os.symlink("/etc/passwd", os.path.join(d, "escape"))
    return d


WWW = make_www()


def check_static(port):
    st, h, body = curl(port, "/")
    assert st == 200 and h["content-type"].startswith("text/html"), (st, h)
    assert body.startswith(b"<!doctype html>"), body
    etag = h["etag"]
    st, h, _ = curl(port, "/app.js")
    assert h["content-type"] == "text/javascript; charset=utf-8", h
    st, h, _ = curl(port, "/sub/style.css")
    assert h["content-type"] == "text/css; charset=utf-8", h
    st, h, body = curl(port, "/", "-H", f"If-None-Match: {etag}")
    assert st == 304 and body == b"", (st, body)
    st, h, body = curl(port, "/", "-I")
    assert st == 200 and body == b"", (st, body)
    assert int(h["content-length"]) > 0, h
    log("static: MIME types, ETag/304 and HEAD")


def check_refusals(port):
    for path, want in (("/../etc/passwd", 400), ("/%2e%2e/etc/passwd", 400),
                       ("/sub/%2E%2E/%2E%2E/etc/passwd", 400),
                       ("/sub%2f..%2f..%2fetc%2fpasswd", 400),
                       ("/..%5cetc", 400), ("/escape", 404),
                       ("/missing", 404), ("/app.js%00", 400)):
        st, _, body = curl(port, path)
        assert st == want, (path, st, body)
        assert b"root:" not in body, path
    st, h, _ = curl(port, "/", "-X", "POST")
    assert st == 405 and h.get("allow") == "GET, HEAD", (st, h)
    out = raw_http(port, b"NOT HTTP\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400"), out
    out = raw_http(port, b"GET / HTTP/1.1\r\nHost: x\r\nX: " +
                   b"a" * 10000 + b"\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 431"), out[:40]
    out = raw_http(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                   b"HEAD /app.js HTTP/1.1\r\nHost: x\r\n"
                   b"Connection: close\r\n\r\n")
    assert out.count(b"HTTP/1.1 200") == 2, out
    log("refusals: traversal 400/404, 405, 400, 431; keep-alive pipelining")


def check_api(port):
    st, _, body = curl(port, "/api/series")
    names = {s["name"] for s in json.loads(body)["series"]}
    assert st == 200 and "gateway.clients" in names, names
    st, _, body = curl(port, "/api/snapshot")
    snap = json.loads(body)
    byname = {s["name"]: s for s in snap["series"]}
    assert byname["mem.total"]["v"] > 0, byname.get("mem.total")
    st, _, body = curl(port, "/api/health")
    h = json.loads(body)
    assert "gateway" in h and "roles" in h, h
    assert h["gateway"]["bus_messages"] > 0, h
    st, _, body = curl(port, "/healthz")
    assert st == 200 and body == b"ok\n", (st, body)
    st, h, body = curl(port, "/metrics")
    assert st == 200, st
    assert h["content-type"].startswith("text/plain; version=0.0.4"), h
    assert b"vigil_gateway_clients{" in body, body[:200]
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: install Debian's prometheus"
    r = subprocess.run([promtool, "check", "metrics"], input=body,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert r.returncode == 0, r.stdout.decode()[:2000]
    log(f"API, /healthz and /metrics ({body.count(b'# TYPE')} families, "
        "promtool ok)")


async def check_flood(stack):
    port = stack.http_port
    clients = [Client(stack.ws_url(), "vigil.json")
               for _ in range(MAX_CLIENTS)]
    for c in clients:
        await c.__aenter__()
    try:
        refused = 0
        for _ in range(20):
            try:
                async with websockets.connect(stack.ws_url(),
                                              open_timeout=5):
                    pass
            except websockets.exceptions.InvalidStatusCode as e:
                assert e.status_code == 503, e
                refused += 1
        assert refused == 20, refused
        st, _, _ = curl(port, "/healthz")
        assert st == 200, st
        for c in clients:
            await c.until("a batch", lambda m: m["type"] == "batch", 5)
        assert gwtest.gateway_figures(port)["clients"] == MAX_CLIENTS
    finally:
        await clients[0].__aexit__()
    # A slot is free again.
    await asyncio.sleep(0.3)
    async with Client(stack.ws_url(), "vigil.json") as c:
        assert (await c.recv(5))["type"] == "hello"
    for c in clients[1:]:
        await c.__aexit__()
    log(f"flood: 20 upgrades over max_clients={MAX_CLIENTS} got 503, "
        "the others kept receiving")


def check_timeouts(port):
    import socket
    import time
    for first in (b"", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"):
        s = socket.create_connection(("127.0.0.1", port), 5)
        t0 = time.monotonic()
        s.sendall(first)
        got = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
        took = time.monotonic() - t0
        s.close()
        assert 0.8 < took < 3, took
        assert got.startswith(b"HTTP/1.1 200") == bool(first), got[:20]
    log("an idle connection, new or kept alive, is closed after "
        "handshake_timeout")


async def main(stack):
    await asyncio.sleep(0.5)
    check_timeouts(stack.http_port)
    check_static(stack.http_port)
    check_refusals(stack.http_port)
    check_api(stack.http_port)
    await check_flood(stack)


if __name__ == "__main__":
    try:
        rv = vigiltest.run(main, interval=100, conf={"gateway": {
            "www": WWW, "max_clients": MAX_CLIENTS, "max_header": 4096,
            "handshake_timeout": 1000}})
    finally:
        shutil.rmtree(WWW)
    sys.exit(rv)
