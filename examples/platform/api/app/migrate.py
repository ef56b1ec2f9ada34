"""The migration ecs-deploy runs before new tasks start: create the visits table (idempotent)."""

from app.db import connect


def main() -> None:
    """Connect once: the PostgreSQL store creates its table when it is missing."""
    connect()
    print("migrated", flush=True)


if __name__ == "__main__":
    main()
