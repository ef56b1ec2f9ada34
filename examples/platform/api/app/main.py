"""A tiny HTTP API: health, greetings behind a feature flag, and visits counted in PostgreSQL."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from app.db import Visits, connect


def greeting(name: str, new_greeting: bool) -> dict[str, str]:
    """Return the greeting for name; the new wording is behind the new-greeting flag."""
    cleaned = name.strip() or "world"
    if new_greeting:
        return {"message": f"Welcome aboard, {cleaned}!"}
    return {"message": f"Hello, {cleaned}."}


def make_handler(visits: Visits) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to a visits store."""

    class Handler(BaseHTTPRequestHandler):
        """Serves /healthz, /greet?name=... and /visits."""

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            """Answer GET requests."""
            url = urlparse(self.path)
            if url.path == "/healthz":
                self._send(200, {"status": "ok"})
            elif url.path == "/greet":
                name = parse_qs(url.query).get("name", [""])[0]
                flag = os.environ.get("NEW_GREETING", "false") == "true"
                body: dict[str, Any] = dict(greeting(name, flag))
                body["visits"] = visits.record(name.strip() or "world")
                self._send(200, body)
            elif url.path == "/visits":
                self._send(200, {"total": visits.total()})
            else:
                self._send(404, {"error": "not found"})

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
            """Log requests to stdout, one line each."""
            print(f"{self.address_string()} {format % args}", flush=True)

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def main() -> None:
    """Serve on PORT (default 8000)."""
    port = int(os.environ.get("PORT", "8000"))
    ThreadingHTTPServer(("0.0.0.0", port), make_handler(connect())).serve_forever()


if __name__ == "__main__":
    main()
