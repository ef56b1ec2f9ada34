"""Unit tests of the example API."""

import unittest

from app.main import greeting


class GreetingTest(unittest.TestCase):
    """greeting() with and without the flag."""

    def test_old_greeting(self) -> None:
        """The default wording."""
        self.assertEqual(greeting(" ada ", False), {"message": "Hello, ada."})

    def test_new_greeting_behind_flag(self) -> None:
        """The flagged wording."""
        self.assertEqual(greeting("", True), {"message": "Welcome aboard, world!"})


if __name__ == "__main__":
    unittest.main()
