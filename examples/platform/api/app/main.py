"""A tiny HTTP API: health, and greetings behind a feature flag."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def greeting(name: str, new_greeting: bool) -> dict[str, str]:
    """Return the greeting for name; the new wording is behind the new-greeting flag."""
    cleaned = name.strip() or "world"
    if new_greeting:
        return {"message": f"Welcome aboard, {cleaned}!"}
    return {"message": f"Hello, {cleaned}."}


class Handler(BaseHTTPRequestHandler):
    """Serves /healthz and /greet?name=..."""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        """Answer GET requests."""
        if self.path == "/healthz":
            self._send(200, {"status": "ok"})
            return
        if self.path.startswith("/greet"):
            name = self.path.partition("name=")[2]
            flag = os.environ.get("NEW_GREETING", "false") == "true"
            self._send(200, greeting(name, flag))
            return
        self._send(404, {"error": "not found"})

    def _send(self, status: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    """Serve on PORT (default 8000)."""
    port = int(os.environ.get("PORT", "8000"))
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
