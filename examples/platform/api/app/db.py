"""Visits stored in PostgreSQL (DATABASE_URL), or in memory when no database is configured."""

import os
from typing import Protocol


class Visits(Protocol):
    """Counts greetings per name."""

    def record(self, name: str) -> int:
        """Count one more visit of name and return its total."""

    def total(self) -> int:
        """Return the number of visits of every name."""


class MemoryVisits:
    """Visits kept in a dict: unit tests and a run without a database."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def record(self, name: str) -> int:
        """Count one more visit of name and return its total."""
        self._counts[name] = self._counts.get(name, 0) + 1
        return self._counts[name]

    def total(self) -> int:
        """Return the number of visits of every name."""
        return sum(self._counts.values())


class PostgresVisits:
    """Visits in a PostgreSQL table, created on first use."""

    def __init__(self, url: str) -> None:
        import psycopg2  # pylint: disable=import-outside-toplevel

        self._conn = psycopg2.connect(url)
        self._conn.autocommit = True
        with self._conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS visits (name text PRIMARY KEY, count integer NOT NULL)"
            )

    def record(self, name: str) -> int:
        """Count one more visit of name and return its total."""
        with self._conn.cursor() as cur:
            cur.execute(
                "INSERT INTO visits (name, count) VALUES (%s, 1) "
                "ON CONFLICT (name) DO UPDATE SET count = visits.count + 1 RETURNING count",
                (name,),
            )
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def total(self) -> int:
        """Return the number of visits of every name."""
        with self._conn.cursor() as cur:
            cur.execute("SELECT COALESCE(SUM(count), 0) FROM visits")
            row = cur.fetchone()
        return int(row[0]) if row else 0


def connect() -> Visits:
    """PostgreSQL when DATABASE_URL is set, else memory."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return PostgresVisits(url)
    return MemoryVisits()
