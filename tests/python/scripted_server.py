"""A real HTTP/1.1 server for the client tests: answers with a script, records requests.

It runs in a thread on 127.0.0.1, handles one request per connection
(`Connection: close`), answers the n-th request with the n-th reply of its script (and
599 once the script is used up), and stops by itself after `limit` requests or
`deadline` seconds, whichever comes first.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

REASONS = {200: "OK", 201: "Created", 204: "No Content", 404: "Not Found"}


@dataclass
class Reply:
    """One scripted answer: status, body (bytes, or any other value sent as JSON), and
    a delay before answering (for timeouts)."""

    status: int
    body: Any = b""
    delay: float = 0.0

    def encode(self) -> bytes:
        if isinstance(self.body, bytes):
            body, kind = self.body, "text/plain"
        else:
            body, kind = json.dumps(self.body).encode(), "application/json"
        reason = REASONS.get(self.status, "Scripted")
        head = [f"HTTP/1.1 {self.status} {reason}", "Connection: close"]
        if self.status != 204:
            head += [f"Content-Type: {kind}", f"Content-Length: {len(body)}"]
            return ("\r\n".join(head) + "\r\n\r\n").encode() + body
        return ("\r\n".join(head) + "\r\n\r\n").encode()


@dataclass
class Received:
    """A request as it arrived: method, raw target, headers (lower-case), body."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        """The raw (still percent-encoded) path."""
        return urlsplit(self.target).path

    @property
    def query(self) -> list[tuple[str, str]]:
        """The query pairs, decoded, in order."""
        return parse_qsl(urlsplit(self.target).query, keep_blank_values=True)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ScriptedServer:
    """See the module docstring. `sock` may be a socket bound but not yet listening:
    until `start()`, connections to its port are refused."""

    replies: list[Reply]
    limit: int = 20
    deadline: float = 30.0
    sock: socket.socket = field(default_factory=lambda: _bound_socket())
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        host, port = self.sock.getsockname()
        self.url = f"http://{host}:{port}"

    def start(self) -> None:
        if self._thread is not None:
            return
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.sock.close()

    def __enter__(self) -> ScriptedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        end = time.monotonic() + self.deadline
        while (
            not self._stop.is_set()
            and time.monotonic() < end
            and len(self.received) < self.limit
        ):
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                request = _read_request(conn)
                if request is None:
                    continue
                index = len(self.received)
                self.received.append(request)
                reply = (
                    self.replies[index]
                    if index < len(self.replies)
                    else Reply(599, b"unexpected request")
                )
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    conn.sendall(reply.encode())
                except OSError:
                    pass  # the client gave up (timeout)


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def _read_request(conn: socket.socket) -> Received | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return Received(method, target, headers, body)
