"""Helpers for the gateway's integration tests: a raw WebSocket client on
a plain socket (for peers that misbehave on purpose: never read, never
answer a ping, send unmasked frames), HTTP requests with curl, and the
gateway's own figures from /api/health."""

import base64
import json
import os
import socket
import struct
import subprocess
import time


def curl(port, path, *args):
    """(status, headers dict, body bytes) of a request made by curl."""
    out = subprocess.run(
        ["curl", "-s", "-i", "--path-as-is", "--max-time", "5", *args,
         f"http://127.0.0.1:{port}{path}"],
        stdout=subprocess.PIPE, check=False).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def raw_http(port, data, timeout=5):
    """Send raw bytes, return everything the server answers until close."""
    s = socket.create_connection(("127.0.0.1", port), timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        pass
    s.close()
    return out


def gateway_figures(port):
    status, _, body = curl(port, "/api/health")
    assert status == 200, status
    return json.loads(body)["gateway"]


class RawWs:
    """A WebSocket client on a bare socket, with a chosen receive buffer."""

    def __init__(self, port, query="", rcvbuf=None, proto="vigil.json"):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(5)
        self.s.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall((
            f"GET /ws{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: {proto}\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.s.recv(4096)
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head

    def send(self, opcode, payload, mask=True):
        b0 = 0x80 | opcode
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
        else:
            head = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        if mask:
            key = os.urandom(4)
            payload = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
            head += key
        self.s.sendall(head + payload)

    def frame(self, timeout=5):
        """(opcode, payload) of the next frame, or None at EOF."""
        self.s.settimeout(timeout)
        while True:
            n = self.buf[1] & 0x7f if len(self.buf) >= 2 else 0
            hl = {126: 4, 127: 10}.get(n, 2)
            if len(self.buf) >= hl:
                if n == 126:
                    n = struct.unpack("!H", self.buf[2:4])[0]
                elif n == 127:
                    n = struct.unpack("!Q", self.buf[2:10])[0]
                if len(self.buf) >= hl + n:
                    op, p = self.buf[0] & 0x0f, self.buf[hl:hl + n]
                    self.buf = self.buf[hl + n:]
                    return op, p
            b = self.s.recv(65536)
            if not b:
                return None
            self.buf += b

    def until_close(self, timeout):
        """The close code the server sends, reading everything before."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            f = self.frame(max(0.1, deadline - time.monotonic()))
            if f is None:
                return None
            if f[0] == 0x8:
                return struct.unpack("!H", f[1][:2])[0] if f[1] else 1005
        raise AssertionError(f"no close frame within {timeout}s")

    def close(self):
        self.s.close()
