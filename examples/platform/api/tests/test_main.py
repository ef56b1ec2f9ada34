"""Unit tests of the example API."""

import json
import os
import threading
import unittest
import urllib.request
from http.server import ThreadingHTTPServer

from app.db import MemoryVisits, connect
from app.main import greeting, make_handler


class GreetingTest(unittest.TestCase):
    """greeting() with and without the flag."""

    def test_old_greeting(self) -> None:
        """The default wording."""
        self.assertEqual(greeting(" ada ", False), {"message": "Hello, ada."})

    def test_new_greeting_behind_flag(self) -> None:
        """The flagged wording."""
        self.assertEqual(greeting("", True), {"message": "Welcome aboard, world!"})


class HandlerTest(unittest.TestCase):
    """The HTTP handler over a memory store."""

    def test_greet_counts_visits(self) -> None:
        """Two greetings of one name count two visits."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(MemoryVisits()))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            for want in (1, 2):
                with urllib.request.urlopen(base + "/greet?name=ada") as resp:
                    self.assertEqual(json.load(resp)["visits"], want)
            with urllib.request.urlopen(base + "/visits") as resp:
                self.assertEqual(json.load(resp), {"total": 2})
        finally:
            server.shutdown()


@unittest.skipUnless(os.environ.get("DATABASE_URL"), "needs PostgreSQL (DATABASE_URL)")
class PostgresTest(unittest.TestCase):
    """The PostgreSQL store, against the database of DATABASE_URL."""

    def test_record_and_total(self) -> None:
        """Counts persist in the table."""
        visits = connect()
        before = visits.total()
        first = visits.record("postgres-test")
        self.assertEqual(visits.record("postgres-test"), first + 1)
        self.assertEqual(visits.total(), before + 2)


if __name__ == "__main__":
    unittest.main()
