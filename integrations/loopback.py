"""A stand-in's HTTP server on 127.0.0.1 (the Shopify and PostNord fakes): served from a thread of its own, and
stopped for good — the keep-alive connections its clients still hold are shut too, so that a test's next server
cannot be answered by a handler thread of the last one, and requests held back on purpose are woken.

A stand-in builds one with its handler class and itself, which the handler reads as `self.server.fake`;
the handler's setup() and finish() call `opened` and `closed`, and `stopping` is what held-back answers wait on.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer:
    def __init__(self, handler: type[BaseHTTPRequestHandler], fake: object, name: str) -> None:
        self.handler = handler
        self.fake = fake
        self.name = name
        self.stopping = threading.Event()  # set by stop(): wakes answers held back by latency or a time-out
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, port: int = 0) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", port), self.handler)
        server.daemon_threads = True
        server.fake = self.fake  # type: ignore[attr-defined]
        server.loopback = self  # type: ignore[attr-defined]
        self._server = server
        self.stopping.clear()
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.name, daemon=True)  # fmt: skip
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def started(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        assert self._server is not None, f"{self.name} is not started"
        return int(self._server.server_address[1])

    def opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)


class LoopbackHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 as httpx expects, each connection known to its LoopbackServer until it closes."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def setup(self) -> None:
        super().setup()
        self.server.loopback.opened(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        self.server.loopback.closed(self.connection)  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):
            super().finish()
