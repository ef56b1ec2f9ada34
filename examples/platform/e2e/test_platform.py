"""End-to-end tests of the whole platform through the front end (BASE_URL)."""

import json
import os
import unittest
import urllib.request

BASE_URL = os.environ.get("BASE_URL", "http://web:8080").rstrip("/")


def get(path: str) -> tuple[int, str]:
    """GET a path of the platform; return the status and body."""
    with urllib.request.urlopen(BASE_URL + path, timeout=10) as resp:
        return resp.status, resp.read().decode()


class PlatformTest(unittest.TestCase):
    """The front end serves the page and reaches the API, which reaches the database."""

    def test_front_page(self) -> None:
        """The page is served."""
        status, body = get("/")
        self.assertEqual(status, 200)
        self.assertIn("Example platform", body)

    def test_greeting_through_the_front_end(self) -> None:
        """A greeting goes web → api → PostgreSQL and counts the visit."""
        _, before = get("/api/visits")
        status, body = get("/api/greet?name=e2e")
        self.assertEqual(status, 200)
        greeting = json.loads(body)
        self.assertIn("e2e", greeting["message"])
        self.assertGreaterEqual(greeting["visits"], 1)
        _, after = get("/api/visits")
        self.assertEqual(json.loads(after)["total"], json.loads(before)["total"] + 1)


if __name__ == "__main__":
    unittest.main()
