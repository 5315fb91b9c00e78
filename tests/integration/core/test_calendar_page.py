"""The holiday calendar page (/admin/calendar/): a province administrator enters the year's State
Council notice, which working-day deadlines then follow; the calendar library's days show greyed
beside the entries; every change is audited; administrators below the province are refused; the
work list warns while a year a deadline can reach has no notice."""

from __future__ import annotations

from datetime import date

from core.auth.roles import Role
from core.tables import AuditRecord, Holiday
from core.workdays import add_working_days
from tests.helpers import login, make_user, post_form
from tests.unit.core.test_workdays import NOTICE_2026


def _province(client, run) -> None:
    run(make_user("province", Role.ADMIN, "350000"))
    login(client, "province")


def test_the_2026_page_shows_the_librarys_days_greyed_and_the_pasted_notice_enters_them(client, run):
    _province(client, run)
    page = client.get("/admin/calendar/?year=2026")
    assert page.status_code == 200 and "节假日日历 2026" in page.text
    assert '<tr class="muted">' in page.text and "2026-02-14" in page.text and "调休上班日" in page.text
    assert "日历库" in page.text and "尚未录入" not in page.text
    answer = post_form(client, "/admin/calendar/notice", {"year": "2026", "text": NOTICE_2026},
                       form_page="/admin/calendar/?year=2026")
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/calendar/?year=2026"
    assert run(Holiday.count()) == 39  # 33 days off and 6 make-up working days
    saturday = run(Holiday.select().where(Holiday.day == date(2026, 2, 28)).first())
    assert (saturday["kind"], saturday["name"], saturday["notice"]) == (
        "workday", "春节", "国务院办公厅关于2026年部分节假日安排的通知")
    assert run(AuditRecord.count().where(AuditRecord.action == "enter_holiday")) == 39
    shown = client.get("/admin/calendar/?year=2026").text
    assert "省级录入" in shown and "以省级录入为准" in shown  # the library's days, replaced by the entries


def test_an_entered_day_moves_a_deadline_and_its_removal_moves_it_back(client, run):
    _province(client, run)
    # Tue 29 Sep 2026: Wed 30 (1), 1–7 Oct off, Thu 8 (2), Fri 9 (3), Sat 10 make-up (4), Mon 12 (5)
    assert run(add_working_days(date(2026, 9, 29), 5)) == date(2026, 10, 12)
    answer = post_form(client, "/admin/calendar/days", {
        "year": "2026", "kind": "holiday", "name": "国庆节", "days": "2026-10-09", "notice": "闽政办明电〔2026〕1号"},
        form_page="/admin/calendar/?year=2026")
    assert answer.status_code == 303
    # with Friday 9 October off: Wed 30 (1), Thu 8 (2), Sat 10 (3), Mon 12 (4), Tue 13 (5)
    assert run(add_working_days(date(2026, 9, 29), 5)) == date(2026, 10, 13)
    entry = run(Holiday.select(Holiday.id).first())["id"]
    assert post_form(client, f"/admin/calendar/{entry}/remove", {}, form_page="/admin/calendar/").status_code == 303
    assert run(add_working_days(date(2026, 9, 29), 5)) == date(2026, 10, 12)
    actions = run(AuditRecord.select(AuditRecord.action, AuditRecord.entity_id, AuditRecord.actor_name).order_by(
        AuditRecord.id).where(AuditRecord.entity == "holiday"))
    assert actions == [{"action": "enter_holiday", "entity_id": "2026-10-09", "actor_name": "province"},
                       {"action": "remove_holiday", "entity_id": "2026-10-09", "actor_name": "province"}]


def test_a_wrong_entry_is_shown_beside_its_field_and_changes_nothing(client, run):
    _province(client, run)
    answer = post_form(client, "/admin/calendar/days", {"year": "2027", "kind": "holiday", "name": "春节",
                                                        "days": "2027-02-06..2027-01-30"},
                       form_page="/admin/calendar/?year=2027")
    assert answer.status_code == 400 and "起止顺序颠倒" in answer.text and 'id="e-days"' in answer.text
    answer = post_form(client, "/admin/calendar/notice", {"year": "2027", "text": NOTICE_2026},
                       form_page="/admin/calendar/?year=2027")
    assert answer.status_code == 400 and "该通知是2026年的，不是2027年的" in answer.text
    assert run(Holiday.count()) == 0 and run(AuditRecord.count().where(AuditRecord.entity == "holiday")) == 0


def test_only_the_provinces_administrators_keep_the_calendar(client, run):
    run(make_user("quanzhou", Role.ADMIN, "350500"))
    login(client, "quanzhou")
    assert 'href="/admin/calendar/"' not in client.get("/admin/worklist/").text  # no menu entry
    assert client.get("/admin/calendar/", follow_redirects=False).status_code == 403
    refused = post_form(client, "/admin/calendar/days", {"year": "2027", "kind": "holiday", "name": "春节",
                                                         "days": "2027-02-08"}, form_page="/admin/worklist/")
    assert refused.status_code == 403 and run(Holiday.count()) == 0
    client.cookies.clear()
    run(make_user("auditor", Role.AUDITOR, "350000"))
    login(client, "auditor")
    assert client.get("/admin/calendar/", follow_redirects=False).status_code == 403


def test_the_work_list_warns_while_next_years_notice_is_missing(client, run, night):
    """Today is 5 December 2026: a deadline set now can reach January 2027, which the library lacks."""
    run(make_user("quanzhou", Role.ADMIN, "350500"))
    login(client, "quanzhou")
    assert "尚未录入国务院2027年节假日安排通知" in client.get("/admin/worklist/").text
    assert "由省级管理员录入" in client.get("/admin/worklist/").text
    client.cookies.clear()
    _province(client, run)
    work = client.get("/admin/worklist/").text
    assert "尚未录入国务院2027年节假日安排通知" in work and 'href="/admin/calendar/?year=2027"' in work
    assert 'href="/admin/calendar/"' in work  # the menu entry
    assert "尚未录入" in client.get("/admin/calendar/?year=2027").text
    post_form(client, "/admin/calendar/days", {"year": "2027", "kind": "holiday", "name": "元旦",
                                               "days": "2027-01-01"}, form_page="/admin/calendar/?year=2027")
    assert "尚未录入" not in client.get("/admin/worklist/").text


def test_the_page_speaks_english_too(client, run):
    _province(client, run)
    client.get("/lang/en")
    page = client.get("/admin/calendar/?year=2026").text
    assert "Holiday calendar 2026" in page and "Make-up working day" in page and "Spring Festival" in page
