"""Working-day deadlines follow China's official calendar: public holidays are skipped and make-up
working days (调休上班日) count; a day the province entered decides before the calendar library,
and a year neither covers counts weekends only, with a warning.

The real 2026 arrangements, from 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04):
- 春节: 15 (Sun) to 23 (Mon) February off; Saturday 14 and Saturday 28 February worked;
- 中秋节: 25 (Fri) to 27 (Sun) September off;
- 国庆节: 1 (Thu) to 7 (Wed) October off; Sunday 20 September and Saturday 10 October worked.
Every expected date below is counted by hand on that calendar (the comment shows the count)."""

from __future__ import annotations

from datetime import date

import pytest

from core import holiday_calendar
from core.auth.roles import Grant, Principal, Role
from core.errors import DomainError, FieldErrors, Forbidden
from core.holiday_notice_text import parse_days, parse_notice
from core.tables import AuditRecord, Holiday
from core.workdays import WorkingCalendar, add_working_days, years_without_notice

PROVINCE = Principal(user_id=None, username="province", grants=(Grant(Role.ADMIN, "350000"),))
QUANZHOU = Principal(user_id=None, username="quanzhou", grants=(Grant(Role.ADMIN, "350500"),))

NOTICE_5, STRIKE_2, ANSWER_3 = 5, 2, 3  # the rules' defaults: public notice, strikes, answers

SPRING_FESTIVAL_2026 = [
    # Thu 12 Feb: Fri 13 (1), Sat 14 make-up (2), 15–23 off, Tue 24 (3), Wed 25 (4), Thu 26 (5)
    (date(2026, 2, 12), NOTICE_5, date(2026, 2, 26)),
    # Thu 12 Feb: Fri 13 (1), Sat 14 make-up (2): the strike window closes on the Saturday
    (date(2026, 2, 12), STRIKE_2, date(2026, 2, 14)),
    # Fri 13 Feb: Sat 14 make-up (1), 15–23 off, Tue 24 (2), Wed 25 (3)
    (date(2026, 2, 13), ANSWER_3, date(2026, 2, 25)),
    # Wed 25 Feb: Thu 26 (1), Fri 27 (2), Sat 28 make-up (3)
    (date(2026, 2, 25), ANSWER_3, date(2026, 2, 28)),
]
NATIONAL_DAY_2026 = [
    # Tue 29 Sep: Wed 30 (1), 1–7 Oct off, Thu 8 (2), Fri 9 (3), Sat 10 make-up (4), Sun 11 off, Mon 12 (5)
    (date(2026, 9, 29), NOTICE_5, date(2026, 10, 12)),
    # Fri 18 Sep: Sat 19 off, Sun 20 make-up (1), Mon 21 (2)
    (date(2026, 9, 18), STRIKE_2, date(2026, 9, 21)),
    # Thu 24 Sep: 25–27 off (中秋节), Mon 28 (1), Tue 29 (2)
    (date(2026, 9, 24), STRIKE_2, date(2026, 9, 29)),
    # Wed 30 Sep: 1–7 Oct off, Thu 8 (1), Fri 9 (2), Sat 10 make-up (3)
    (date(2026, 9, 30), ANSWER_3, date(2026, 10, 10)),
]


@pytest.mark.parametrize(("start", "days", "expected"), SPRING_FESTIVAL_2026 + NATIONAL_DAY_2026)
def test_deadlines_skip_2026_holidays_and_count_make_up_working_days(run, start, days, expected):
    assert run(add_working_days(start, days)) == expected


def test_an_ordinary_week_skips_the_weekend_only(run):
    assert run(add_working_days(date(2026, 12, 3), NOTICE_5)) == date(2026, 12, 10)  # Thu → next Thu
    assert run(add_working_days(date(2026, 12, 5), ANSWER_3)) == date(2026, 12, 9)  # Sat → Mon, Tue, Wed


def test_a_day_the_province_entered_decides_before_the_library(run):
    """The province gives Friday 9 October 2026 off as well (an extra day of its own notice)."""
    changed = run(holiday_calendar.enter_days(PROVINCE, {
        "kind": "holiday", "name": "国庆节", "days": "2026-10-09", "notice": "闽政办明电〔2026〕1号"}))
    assert changed == 1
    # Tue 29 Sep: Wed 30 (1), 1–7 off, Thu 8 (2), Fri 9 off now, Sat 10 make-up (3), Mon 12 (4), Tue 13 (5)
    assert run(add_working_days(date(2026, 9, 29), NOTICE_5)) == date(2026, 10, 13)
    # and it can make a library holiday a working day: Wed 7 October worked after all
    run(holiday_calendar.enter_days(PROVINCE, {"kind": "workday", "name": "国庆节", "days": "2026-10-07"}))
    # Wed 30 Sep: 1–6 off, Wed 7 (1), Thu 8 (2), Fri 9 off, Sat 10 (3)
    assert run(add_working_days(date(2026, 9, 30), ANSWER_3)) == date(2026, 10, 10)
    assert run(add_working_days(date(2026, 10, 6), STRIKE_2)) == date(2026, 10, 8)  # Wed 7 (1), Thu 8 (2)


def test_a_year_the_library_lacks_counts_weekends_until_the_province_enters_its_notice(run):
    """chinese-calendar 1.11.0 ends with 2026. The 2027 days below are illustrative, not the notice."""
    assert run(years_without_notice(on=date(2026, 12, 5))) == [2027]  # a deadline set today reaches January
    assert run(years_without_notice(on=date(2026, 11, 5))) == []  # 31 days on is still 2026
    # Thu 4 Feb 2027, weekends only: Fri 5 (1), Mon 8 (2), Tue 9 (3), Wed 10 (4), Thu 11 (5)
    assert run(add_working_days(date(2027, 2, 4), NOTICE_5)) == date(2027, 2, 11)
    run(holiday_calendar.enter_days(PROVINCE, {"kind": "holiday", "name": "春节", "days": "2027-02-06..2027-02-12"}))
    run(holiday_calendar.enter_days(PROVINCE, {"kind": "workday", "name": "春节", "days": "2027-02-13"}))
    # Thu 4 Feb: Fri 5 (1), 6–12 off, Sat 13 make-up (2), Mon 15 (3), Tue 16 (4), Wed 17 (5)
    assert run(add_working_days(date(2027, 2, 4), NOTICE_5)) == date(2027, 2, 17)
    assert run(years_without_notice(on=date(2026, 12, 5))) == []


def test_the_settings_days_off_rank_below_the_province_and_above_the_library():
    off = frozenset({date(2026, 10, 10), date(2026, 12, 7)})
    calendar = WorkingCalendar(entered={date(2026, 12, 7): True}, days_off=off)
    assert calendar.is_working_day(date(2026, 10, 10)) is False  # a library make-up Saturday, off by settings
    assert calendar.is_working_day(date(2026, 12, 7)) is True  # the province's entry decides
    assert calendar.is_working_day(date(2026, 2, 14)) is True  # the library's make-up Saturday
    assert calendar.is_working_day(date(2026, 2, 16)) is False  # the library's 春节


def test_entering_days_is_audited_idempotent_and_for_the_province_only(run):
    with pytest.raises(Forbidden):
        run(holiday_calendar.enter_days(QUANZHOU, {"kind": "holiday", "name": "春节", "days": "2027-02-08"}))
    data = {"kind": "holiday", "name": "春节", "days": "2027-02-08, 2027-02-09", "notice": "通知"}
    assert run(holiday_calendar.enter_days(PROVINCE, data)) == 2
    assert run(holiday_calendar.enter_days(PROVINCE, data)) == 0  # the same entry again changes nothing
    assert run(holiday_calendar.enter_days(PROVINCE, {**data, "kind": "workday", "days": "2027-02-09"})) == 1
    rows = run(Holiday.select(Holiday.day, Holiday.kind).order_by(Holiday.day))
    assert rows == [{"day": date(2027, 2, 8), "kind": "holiday"}, {"day": date(2027, 2, 9), "kind": "workday"}]
    audits = run(AuditRecord.select(AuditRecord.action, AuditRecord.entity_id).order_by(AuditRecord.id))
    assert audits == [{"action": "enter_holiday", "entity_id": "2027-02-08"},
                      {"action": "enter_holiday", "entity_id": "2027-02-09"},
                      {"action": "enter_holiday", "entity_id": "2027-02-09"}]
    entry = run(Holiday.select(Holiday.id).where(Holiday.day == date(2027, 2, 8)).first())["id"]
    with pytest.raises(Forbidden):
        run(holiday_calendar.remove_entry(QUANZHOU, entry))
    assert run(holiday_calendar.remove_entry(PROVINCE, entry)) == date(2027, 2, 8)
    assert run(holiday_calendar.remove_entry(PROVINCE, entry)) is None  # removed already
    assert run(AuditRecord.count().where(AuditRecord.action == "remove_holiday")) == 1


def test_entries_are_checked_field_by_field(run):
    with pytest.raises(FieldErrors) as refused:
        run(holiday_calendar.enter_days(PROVINCE, {"kind": "vacation", "name": "", "days": "明天"}))
    assert set(refused.value.errors) == {"kind", "name", "days"}
    with pytest.raises(FieldErrors) as refused:
        run(holiday_calendar.enter_days(PROVINCE, {"kind": "holiday", "name": "春\u202e节", "days": "2027-02-08"}))
    assert set(refused.value.errors) == {"name"}
    assert run(Holiday.count()) == 0


NOTICE_2026 = """国务院办公厅关于2026年部分节假日安排的通知
经国务院批准，现将2026年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
鼓励单位和个人结合落实带薪年休假等制度，实际形成较长假期，推动错峰出行。
国务院办公厅
2025年11月4日"""


def test_the_2026_notice_as_printed_reads_as_its_holidays_and_make_up_days():
    days = parse_notice(NOTICE_2026, 2026)
    worked = [d.day for d in days if d.kind == "workday"]
    assert worked == [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
                      date(2026, 9, 20), date(2026, 10, 10)]
    off = [d.day.isoformat() for d in days if d.kind == "holiday"]
    assert off == ["2026-01-01", "2026-01-02", "2026-01-03",
                   "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
                   "2026-02-21", "2026-02-22", "2026-02-23",
                   "2026-04-04", "2026-04-05", "2026-04-06",
                   "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05",
                   "2026-06-19", "2026-06-20", "2026-06-21",
                   "2026-09-25", "2026-09-26", "2026-09-27",
                   "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06",
                   "2026-10-07"]
    names = {d.day: d.name for d in days}
    assert (names[date(2026, 2, 28)], names[date(2026, 10, 10)]) == ("春节", "国庆节")


def test_older_notices_read_too_a_day_in_lieu_and_a_range_across_the_new_year():
    """国务院办公厅关于2017年部分节假日安排的通知 gave 2 January in lieu (补休); the 2023 notice's 元旦
    ran from 2022."""
    days = parse_notice("一、元旦：1月1日放假，1月2日（星期一）补休。\n"
                        "二、春节：1月27日至2月2日放假调休，共7天。1月22日（星期日）、2月4日（星期六）上班。", 2017)
    assert [(d.day.isoformat(), d.kind) for d in days][:3] == [
        ("2017-01-01", "holiday"), ("2017-01-02", "holiday"), ("2017-01-22", "workday")]
    days = parse_notice("一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。", 2023)
    assert [d.day.isoformat() for d in days] == ["2022-12-31", "2023-01-01", "2023-01-02"]


def test_a_notice_pasted_under_the_wrong_year_or_garbled_is_refused():
    with pytest.raises(DomainError) as wrong_title:
        parse_notice(NOTICE_2026, 2027)
    assert "2026" in wrong_title.value.message
    with pytest.raises(DomainError) as wrong_weekday:  # 1 January 2027 is a Friday, not 周四
        parse_notice(NOTICE_2026.split("\n", 1)[1], 2027)
    assert "2027-01-01" in wrong_weekday.value.message
    with pytest.raises(DomainError):
        parse_notice("放假安排另行通知", 2027)


def test_typed_days_read_dates_and_ranges_and_refuse_the_rest():
    assert parse_days("2027-02-06..2027-02-08，2027-2-20\n2027-03-01 至 2027-03-02") == [
        date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8), date(2027, 2, 20), date(2027, 3, 1), date(2027, 3, 2)]
    for garbled in ("2027-02-30", "明天", "2027-02-13..2027-02-06", "2027-01-01..2027-03-01", ""):
        with pytest.raises(DomainError):
            parse_days(garbled)
