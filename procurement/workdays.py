"""Working days: weekdays that are not public holidays of a calendar, in the platform's time zone.

Holidays come from the ``holidays`` package (Vietnam's lunar-calendar holidays — Tết, the Hùng
Kings' day — included, with the substituted days the government announces). A regime names its
calendar by ISO country code; an empty code means weekends only.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings


@functools.lru_cache(maxsize=64)
def _holidays(calendar: str, year: int) -> frozenset[dt.date]:
    if not calendar:
        return frozenset()
    return frozenset(holidays.country_holidays(calendar, years=[year]).keys())


def holiday_name(calendar: str, day: dt.date, language: str = "en_US") -> str | None:
    if not calendar:
        return None
    return holidays.country_holidays(calendar, years=[day.year], language=language).get(day)


def is_working_day(day: dt.date, calendar: str) -> bool:
    return day.weekday() < 5 and day not in _holidays(calendar, day.year)


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def working_days_between(start: dt.date, end: dt.date, calendar: str) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day, calendar):
            count += 1
    return count


def shift_working_days(moment: dt.datetime, days: int, calendar: str) -> dt.datetime:
    """The same local time of day, ``days`` working days later (negative: earlier)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = moment.astimezone(zone)
    day, step, left = local.date(), (1 if days >= 0 else -1), abs(days)
    while left:
        day += dt.timedelta(days=step)
        if is_working_day(day, calendar):
            left -= 1
    return dt.datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)
