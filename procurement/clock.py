"""The authoritative clock: the database's, not the web server's or the worker's."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone


def db_now() -> dt.datetime:
    """Current time from the database server (``clock_timestamp()`` on PostgreSQL), aware, UTC.

    SQLite has no server: the embedded default's database lives in this process, so the
    process clock is the database clock there.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            (moment,) = cursor.fetchone()
        return moment.astimezone(dt.UTC)
    return timezone.now().astimezone(dt.UTC)
