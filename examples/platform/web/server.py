"""The front end: serves static/ and passes /api/* to the API (API_URL)."""

import os
import urllib.error
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "static"
API_URL = os.environ.get("API_URL", "http://localhost:8000")


class Handler(SimpleHTTPRequestHandler):
    """Static files, /healthz, and a pass-through of /api/ to the API."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=str(STATIC), **kwargs)

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        """Answer GET requests."""
        if self.path == "/healthz":
            self._reply(200, b'{"status": "ok"}')
        elif self.path.startswith("/api/"):
            try:
                with urllib.request.urlopen(API_URL + self.path[len("/api") :], timeout=5) as resp:
                    self._reply(resp.status, resp.read())
            except urllib.error.HTTPError as err:
                self._reply(err.code, err.read())
            except OSError:
                self._reply(502, b'{"error": "api unreachable"}')
        else:
            super().do_GET()

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
