"""Exit grounds (DOMAIN.md "Exit (退出)") with dates and figures by hand and the clock frozen:
基本称职 two years running, certificate revoked or expired more than 90 days, the appointment
term (3 years) ending without reappointment, and disciplinary findings, where the sanction
decides: only removal starts an exit; a warning (警告) or a public notice (通报) is recorded."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core import clock
from core.errors import FieldErrors
from core.i18n import current_language
from roster import services as roster
from roster.mediators import renew_appointment
from roster.review import appraisal, exits, records
from roster.review.tables import DisciplinaryFinding, ExitNotice
from tests.unit.review.review_helpers import ADMIN, certificate, hours, mediators


def _at(day: str):
    """The clock frozen at 10:00 Beijing time on `day`."""
    return clock.frozen(datetime.fromisoformat(f"{day}T02:00:00+00:00"))


def _grounds(run, mediator_id: int) -> dict[str, dict]:
    return {g: f for m, _r, g, f in run(exits.find_grounds("350504")) if m == mediator_id}


def _zh(ground: str, figures: dict) -> str:
    token = current_language.set("zh_CN")
    try:
        return exits.notice_text(ground, figures)
    finally:
        current_language.reset(token)


def _confirm_year(run, year: int) -> None:
    run(appraisal.confirm_appraisal(ADMIN, run(appraisal.run_appraisal(year, "350504", ADMIN)).run_id))


# --------------------------------------------------------------------------- 基本称职 two years running
def test_basic_grade_two_years_running_is_an_exit_ground(db):
    run = db
    with _at("2026-01-15"):
        (mediator_id,) = mediators(run, 1, appointed_on=date(2023, 6, 1))
        certificate(run, mediator_id, date(2023, 6, 1), date(2026, 5, 31))
        hours(run, mediator_id, 2024, 20)  # 20 of 24 hours in 2024 and 2025: 基本称职 both years
        hours(run, mediator_id, 2025, 20)
        _confirm_year(run, 2024)
        assert "basic_two_years" not in _grounds(run, mediator_id)
        _confirm_year(run, 2025)
        assert _grounds(run, mediator_id)["basic_two_years"] == {"years": [2024, 2025]}
    notice = run(ExitNotice.select().where((ExitNotice.mediator_id == mediator_id)
                                           & (ExitNotice.ground == "basic_two_years")).output(load_json=True).first())
    assert notice["issued_on"] == date(2026, 1, 15) and notice["appeal_deadline"] == date(2026, 1, 30)
    assert _zh("basic_two_years", notice["figures"]) == "连续两年考评为基本称职（2024年、2025年）"


def test_basic_grade_one_year_only_is_no_exit_ground(db):
    run = db
    with _at("2026-01-15"):
        (mediator_id,) = mediators(run, 1, appointed_on=date(2023, 6, 1))
        certificate(run, mediator_id, date(2023, 6, 1), date(2026, 5, 31))
        hours(run, mediator_id, 2024, 30)  # 2024: hours met, certificate valid, no complaint: 称职
        hours(run, mediator_id, 2025, 20)  # 2025: 20 of 24 hours: 基本称职
        _confirm_year(run, 2024)
        _confirm_year(run, 2025)
        assert run(appraisal.confirmed_grades([mediator_id], 2024)) == {mediator_id: "competent"}
        assert run(appraisal.confirmed_grades([mediator_id], 2025)) == {mediator_id: "basic"}
        assert "basic_two_years" not in _grounds(run, mediator_id)
    assert run(ExitNotice.count().where(ExitNotice.ground == "basic_two_years")) == 0


# --------------------------------------------------------------------------- certificates
def test_certificate_revoked_is_an_exit_ground(db):
    run = db
    with _at("2026-03-02"):
        (mediator_id,) = mediators(run, 1)
        number = certificate(run, mediator_id, date(2024, 6, 1), date(2027, 5, 31), status="revoked",
                             number="350504202400J000123")
        assert _grounds(run, mediator_id)["certificate_revoked"] == {"certificate_no": "350504202400J000123"}
        assert run(exits.evaluate_exit_grounds("350504")) >= 1
    assert _zh("certificate_revoked", {"certificate_no": number}) == "证书（编号350504202400J000123）已被吊销"


@pytest.mark.parametrize(("today", "days", "exits_"), [
    ("2026-10-31", 91, True),   # 1 August + 91 days: more than 90
    ("2026-10-30", 90, False),  # exactly 90 days: not yet
    ("2026-10-29", 89, False),
])
def test_certificate_expired_more_than_90_days_is_an_exit_ground(db, today, days, exits_):
    run = db
    with _at(today):
        (mediator_id,) = mediators(run, 1)
        certificate(run, mediator_id, date(2023, 8, 2), date(2026, 8, 1), number="350504202300J000007")
        found = _grounds(run, mediator_id)
    assert ("certificate_expired" in found) is exits_
    if exits_:
        assert found["certificate_expired"] == {"certificate_no": "350504202300J000007", "expired_on": "2026-08-01",
                                                "days": days}
        assert _zh("certificate_expired", found["certificate_expired"]) == "证书已于2026年8月1日过期超过90日"


def test_certificate_expired_more_than_90_days_but_renewed_is_no_exit_ground(db):
    run = db
    with _at("2026-10-31"):
        (mediator_id,) = mediators(run, 1)
        certificate(run, mediator_id, date(2023, 8, 2), date(2026, 8, 1), number="350504202300J000007")
        certificate(run, mediator_id, date(2026, 10, 20), date(2029, 10, 19), number="350504202600J000031")
        assert "certificate_expired" not in _grounds(run, mediator_id)


# --------------------------------------------------------------------------- the appointment term
def test_term_ended_without_reappointment_is_an_exit_ground_from_the_day_after_it_ends(db):
    """Appointed 1 August 2023 for 3 years: the term ends 1 August 2026."""
    run = db
    with _at("2026-08-01"):
        (mediator_id,) = mediators(run, 1, appointed_on=date(2023, 8, 1))
        assert run(roster.mediator_summary(mediator_id)).term_ends_on == date(2026, 8, 1)
        assert "term_ended" not in _grounds(run, mediator_id)
    with _at("2026-08-02"):
        found = _grounds(run, mediator_id)
        assert found["term_ended"] == {"term_ended_on": "2026-08-01"}
        run(exits.evaluate_exit_grounds("350504"))
    assert _zh("term_ended", found["term_ended"]) == "聘任期已于2026年8月1日届满，未获续聘"
    assert run(ExitNotice.count().where((ExitNotice.mediator_id == mediator_id)
                                        & (ExitNotice.ground == "term_ended"))) == 1


def test_reappointment_before_the_term_ends_runs_3_more_years_from_its_end_and_is_no_exit_ground(db):
    run = db
    with _at("2026-07-20"):
        (mediator_id,) = mediators(run, 1, appointed_on=date(2023, 8, 1))
        assert run(renew_appointment(ADMIN, mediator_id)) == date(2029, 8, 1)
    with _at("2026-08-02"):
        assert "term_ended" not in _grounds(run, mediator_id)
        run(exits.evaluate_exit_grounds("350504"))
        assert run(ExitNotice.count().where(ExitNotice.ground == "term_ended")) == 0
    with _at("2029-08-02"):  # the new term ended without a further reappointment
        assert _grounds(run, mediator_id)["term_ended"] == {"term_ended_on": "2029-08-01"}


def test_reappointment_after_the_term_ended_runs_3_years_from_that_day(db):
    run = db
    with _at("2026-08-10"):
        (mediator_id,) = mediators(run, 1, appointed_on=date(2023, 8, 1))
        assert "term_ended" in _grounds(run, mediator_id)
        assert run(renew_appointment(ADMIN, mediator_id)) == date(2029, 8, 10)
        assert "term_ended" not in _grounds(run, mediator_id)


# --------------------------------------------------------------------------- disciplinary findings
def _finding(run, mediator_id: int, ground: str, sanction: str | None) -> int:
    data = {"found_on": "2026-03-01", "ground": ground, "description": "经调查核实"}
    if sanction is not None:
        data["sanction"] = sanction
    return run(records.record_finding(ADMIN, mediator_id, data))


@pytest.mark.parametrize("sanction", ["warning", "public_notice", "none"])
def test_a_warning_a_public_notice_or_no_sanction_is_recorded_and_starts_no_exit(db, sanction):
    run = db
    with _at("2026-03-02"):
        (mediator_id,) = mediators(run, 1, appointed_on=date(2026, 1, 5))
        finding_id = _finding(run, mediator_id, "partiality", sanction)
        assert "removal_finding" not in _grounds(run, mediator_id)
        assert run(exits.evaluate_exit_grounds("350504")) == 0
    stored = run(DisciplinaryFinding.select().where(DisciplinaryFinding.id == finding_id).first())
    assert stored["sanction"] == sanction and stored["ground"] == "partiality" and stored["removal_ground"]
    assert run(ExitNotice.count()) == 0


def test_a_removal_sanction_for_a_removal_ground_starts_an_exit(db):
    run = db
    with _at("2026-03-02"):
        (mediator_id,) = mediators(run, 1, appointed_on=date(2026, 1, 5))
        _finding(run, mediator_id, "bribery", "removal")
        assert _grounds(run, mediator_id)["removal_finding"] == {"ground": "bribery", "found_on": "2026-03-01",
                                                                 "sanction": "removal"}
        assert run(exits.evaluate_exit_grounds("350504")) == 1
    notice = run(ExitNotice.select().where(ExitNotice.mediator_id == mediator_id).output(load_json=True).first())
    assert notice["ground"] == "removal_finding" and notice["appeal_deadline"] == date(2026, 3, 17)
    assert _zh("removal_finding", notice["figures"]) == "2026年3月1日查实索取、收受当事人财物，处分为除名"


def test_a_removal_ground_recorded_without_naming_a_sanction_is_sanctioned_with_removal(db):
    run = db
    with _at("2026-03-02"):
        (mediator_id,) = mediators(run, 1, appointed_on=date(2026, 1, 5))
        finding_id = _finding(run, mediator_id, "coercion", None)
        assert run(DisciplinaryFinding.select(DisciplinaryFinding.sanction).where(
            DisciplinaryFinding.id == finding_id).first()) == {"sanction": "removal"}
        assert "removal_finding" in _grounds(run, mediator_id)


def test_removal_is_refused_for_a_ground_that_is_not_a_removal_ground(db):
    run = db
    with _at("2026-03-02"):
        (mediator_id,) = mediators(run, 1, appointed_on=date(2026, 1, 5))
        with pytest.raises(FieldErrors) as refused:
            _finding(run, mediator_id, "lateness", "removal")
        assert set(refused.value.errors) == {"sanction"}
        _finding(run, mediator_id, "lateness", "warning")  # a lesser finding with a warning is fine
        assert run(exits.evaluate_exit_grounds("350504")) == 0
    assert run(DisciplinaryFinding.count()) == 1


def test_a_warning_followed_by_a_removal_for_the_same_mediator_starts_one_exit(db):
    run = db
    with _at("2026-03-02"):
        (mediator_id,) = mediators(run, 1, appointed_on=date(2026, 1, 5))
        _finding(run, mediator_id, "insulting_party", "warning")
        assert run(exits.evaluate_exit_grounds("350504")) == 0
        _finding(run, mediator_id, "insulting_party", "removal")
        assert run(exits.evaluate_exit_grounds("350504")) == 1
        assert run(exits.evaluate_exit_grounds("350504")) == 0

