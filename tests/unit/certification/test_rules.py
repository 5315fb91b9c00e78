"""Pure rules of certification: numbers, eligibility, effective status, expiry."""

from dataclasses import dataclass
from datetime import date, timedelta

from certification import rules
from core import clock


@dataclass
class Pass:
    passed: bool = True
    score: float = 80


def test_certificate_number_is_region_year_grade_letter_and_six_digit_serial():
    assert rules.format_number("350504", 2026, "senior", 7) == "3505042026G000007"
    assert rules.format_number("350000", 2025, "induction", 123456) == "3500002025R123456"


def test_valid_certificate_past_its_expiry_date_is_expired_before_the_sweep_runs():
    row = {"status": "valid", "expires_on": clock.today() - timedelta(days=1)}
    assert rules.effective_status(**row) == "expired"
    assert rules.effective_status(**{"status": "valid", "expires_on": clock.today()}) == "valid"
    assert rules.effective_status(**{"status": "suspended", "expires_on": clock.today() - timedelta(days=9)}) == "suspended"


def test_eligible_when_exam_passed_course_completed_and_appointed_or_in_recruitment():
    assert rules.eligibility("appointed", Pass(), object()) == (True, [])
    assert rules.eligibility("applicant", Pass(), object())[0] is True


def test_not_eligible_without_passed_exam_of_the_grade():
    ok, reasons = rules.eligibility("appointed", None, object())
    assert not ok and len(reasons) == 1
    assert not rules.eligibility("appointed", Pass(passed=False), object())[0]


def test_not_eligible_without_the_course_of_the_grade():
    ok, reasons = rules.eligibility("appointed", Pass(), None)
    assert not ok and len(reasons) == 1


def test_not_eligible_when_exited_or_suspended_with_every_reason_listed():
    ok, reasons = rules.eligibility("exited", None, None)
    assert not ok and len(reasons) == 3
    assert not rules.eligibility("suspended", Pass(), object())[0]


def test_expiry_is_three_years_from_issue():
    assert rules.add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)
