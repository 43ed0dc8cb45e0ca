"""A real HTTP server on 127.0.0.1 for tests that talk to an outside service (AI, image enhancement, webhooks).

The test decides every answer with a plain function and reads back every request the server received:

    def answer(request: ReceivedRequest) -> Reply:
        return Reply(200, {"ok": True})

    with local_http_server(answer) as server:
        call_the_service(server.url + "/v1")
        assert server.requests[0].json()["model"] == "gpt-4o-mini"

A handler may sleep to play a hang; the server thread stops when the `with` block ends.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int = 200
    # A dict or list is sent as JSON; bytes or str as they are.
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, (dict, list)):
            headers.setdefault("Content-Type", "application/json")
            return json.dumps(self.body).encode(), headers
        return (self.body.encode() if isinstance(self.body, str) else self.body), headers


Answer = Callable[[ReceivedRequest], Reply]


@dataclass
class LocalHttpServer:
    url: str
    requests: list[ReceivedRequest]


def _handler_for(answer: Answer, received: list[ReceivedRequest]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = ReceivedRequest(
                method=self.command,
                path=self.path,
                headers={key.lower(): value for key, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            received.append(request)
            reply = answer(request)
            body, headers = reply.encoded()
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # The client may have given up (a timeout test): there is nobody left to answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # tests read `requests`, not stderr

    return Handler


@contextmanager
def local_http_server(answer: Answer) -> Iterator[LocalHttpServer]:
    received: list[ReceivedRequest] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(answer, received))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield LocalHttpServer(url=f"http://127.0.0.1:{port}", requests=received)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
