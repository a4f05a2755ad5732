"""Test code run in threads, each thread with its own database connection (the PostgreSQL tests
of locks and concurrent writers)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from django.db import connections


def in_threads(target: Callable[..., object], arguments: Iterable[tuple]) -> list[BaseException]:
    """Run ``target(*args)`` in one thread per item of ``arguments``, all at once; wait for all
    and return what they raised (nothing: an empty list)."""
    errors: list[BaseException] = []

    def run(*args: object) -> None:
        try:
            target(*args)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=args) for args in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
