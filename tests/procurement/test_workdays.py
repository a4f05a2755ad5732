"""Working days with Vietnam's holidays, lunar ones included."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from procurement import workdays

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_tet_and_other_vietnamese_holidays_are_not_working_days():
    # Tết 2027: the first day of the lunar year is Saturday 6 February 2027; the holiday runs
    # from Thursday 4 to Wednesday 10 February.
    assert not workdays.is_working_day(dt.date(2027, 2, 8), "VN")  # Monday, third day of Tết
    assert not workdays.is_working_day(dt.date(2027, 2, 10), "VN")
    assert not workdays.is_working_day(dt.date(2026, 4, 30), "VN")  # Reunification Day
    assert not workdays.is_working_day(dt.date(2026, 9, 2), "VN")  # National Day
    assert workdays.is_working_day(dt.date(2027, 2, 11), "VN")  # Thursday after Tết
    assert not workdays.is_working_day(dt.date(2027, 2, 13), "VN")  # Saturday
    # Without a calendar only weekends are off.
    assert workdays.is_working_day(dt.date(2027, 2, 8), "")


def test_shift_working_days_skips_tet_and_keeps_the_local_time():
    friday = dt.datetime(2027, 2, 5, 9, 0, tzinfo=HCM)  # holiday already (Tết eve)
    wednesday_before = dt.datetime(2027, 2, 3, 9, 0, tzinfo=HCM)
    later = workdays.shift_working_days(wednesday_before, 2, "VN")
    assert later == dt.datetime(2027, 2, 12, 9, 0, tzinfo=HCM)  # Thursday 11, Friday 12
    assert workdays.shift_working_days(later, -2, "VN") == wednesday_before
    assert workdays.shift_working_days(friday, 0, "VN") == friday


def test_working_days_between_counts_after_start_up_to_end():
    # 2, 3, 11 and 12 February: Tết takes the 4th to the 10th.
    assert workdays.working_days_between(dt.date(2027, 2, 1), dt.date(2027, 2, 12), "VN") == 4
    assert workdays.working_days_between(dt.date(2027, 2, 1), dt.date(2027, 2, 12), "") == 9
    assert workdays.working_days_between(dt.date(2027, 2, 12), dt.date(2027, 2, 1), "VN") == 0


def test_holiday_names_come_in_english_and_vietnamese():
    assert workdays.holiday_name("VN", dt.date(2027, 2, 6)) == "Lunar New Year"
    assert workdays.holiday_name("VN", dt.date(2027, 2, 6), "vi") == "Tết Nguyên Đán"
