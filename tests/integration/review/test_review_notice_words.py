"""An exit notice in words (issue 14 item 6): one function turns a ground and its figures into a
sentence, in Chinese and in English; the mediator's page, the administrators' page and the
notification all show that sentence, never a raw key such as "basic_two_years"."""

from __future__ import annotations

import html
from datetime import date, datetime

import pytest

from core import clock
from core.auth.roles import Role
from core.i18n import current_language
from core.tables import Notification
from roster.review import appraisal, exits
from tests.helpers import login, make_user
from tests.unit.review.review_helpers import ADMIN, certificate, hours, mediators

WORDS = {
    ("incompetent", (("year", 2025), ("grade", "incompetent"))): (
        "2025年度考评为不称职", "Graded 'incompetent' in the 2025 appraisal"),
    ("basic_two_years", (("years", (2024, 2025)),)): (
        "连续两年考评为基本称职（2024年、2025年）", "Graded 'basically competent' two years running (2024, 2025)"),
    ("certificate_revoked", (("certificate_no", "350504202400J000123"),)): (
        "证书（编号350504202400J000123）已被吊销", "Certificate 350504202400J000123 was revoked"),
    ("certificate_expired", (("certificate_no", "350504202300J000007"), ("expired_on", "2026-08-01"), ("days", 91))): (
        "证书已于2026年8月1日过期超过90日", "Certificate expired on 1 August 2026, more than 90 days ago"),
    ("inactive", (("years", (2024, 2025)), ("cases", 0), ("hours", 0))): (
        "连续2年（2024年至2025年）无调解案件且无培训学时",
        "No case and no training hours in 2 consecutive years (2024 to 2025)"),
    ("removal_finding", (("ground", "bribery"), ("found_on", "2026-03-01"), ("sanction", "removal"))): (
        "2026年3月1日查实索取、收受当事人财物，处分为除名",
        "Disciplinary finding of 1 March 2026: taking requests, money or gifts from a party; sanction: removal"),
    ("refused_cases", (("refusals", 3), ("since", "2025-03-02"))): (
        "自2025年3月2日以来无正当理由拒绝接受指派案件3次",
        "Refused assigned cases 3 times without good reason since 2 March 2025"),
    ("term_ended", (("term_ended_on", "2026-08-01"),)): (
        "聘任期已于2026年8月1日届满，未获续聘", "Appointment term ended on 1 August 2026 without reappointment"),
}


def _in(language: str, ground: str, figures: dict) -> str:
    token = current_language.set(language)
    try:
        return exits.notice_text(ground, figures)
    finally:
        current_language.reset(token)


@pytest.mark.parametrize(("ground", "figures"), list(WORDS), ids=[g for g, _f in WORDS])
def test_notice_words_name_the_ground_and_its_figures_in_both_languages(ground, figures):
    as_dict = {k: list(v) if isinstance(v, tuple) else v for k, v in figures}
    chinese, english = WORDS[(ground, figures)]
    assert _in("zh_CN", ground, as_dict) == chinese
    assert _in("en", ground, as_dict) == english


def test_every_exit_ground_has_its_words():
    assert {g for g, _f in WORDS} == set(exits.GROUNDS) == set(exits.NOTICE_TEXT)


def test_notice_words_without_figures_still_name_the_ground():
    assert _in("en", "basic_two_years", {}) == "Graded 基本称职 two years in a row"


def test_mediator_administrator_and_notification_show_the_same_words_not_the_raw_ground(client, run):
    user = run(make_user("med", Role.MEDIATOR, "350504"))
    with clock.frozen(datetime.fromisoformat("2026-01-15T02:00:00+00:00")):
        (mediator_id,) = mediators(run, 1, appointed_on=date(2023, 6, 1), name="申诉人", user_id=user)
        certificate(run, mediator_id, date(2023, 6, 1), date(2026, 5, 31))
        hours(run, mediator_id, 2024, 20)  # 20 of 24 hours in both years: 基本称职 twice
        hours(run, mediator_id, 2025, 20)
        for year in (2024, 2025):
            run(appraisal.confirm_appraisal(ADMIN, run(appraisal.run_appraisal(year, "350504", ADMIN)).run_id))
    chinese = "连续两年考评为基本称职（2024年、2025年）"
    english = "Graded 'basically competent' two years running (2024, 2025)"

    login(client, "med")
    client.cookies.set("lang", "zh_CN")
    page = html.unescape(client.get("/my/review/").text)
    assert chinese in page and "basic_two_years" not in page
    client.cookies.set("lang", "en")
    assert english in html.unescape(client.get("/my/review/").text)

    client.cookies.clear()
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    client.cookies.set("lang", "zh_CN")
    page = html.unescape(client.get("/admin/review/exits").text)
    assert chinese in page and "basic_two_years" not in page and "years: [" not in page
    client.cookies.set("lang", "en")
    assert english in html.unescape(client.get("/admin/review/exits").text)

    subjects = [n["subject"] for n in run(Notification.select(Notification.subject).where(
        (Notification.user_id == user) & (Notification.kind == "exit_notice")))]
    assert any(chinese in s for s in subjects), subjects

