"""Pure rules of certification: tokens, numbers, eligibility, effective status."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from certification import services as svc
from core import clock


@dataclass
class Pass:
    passed: bool = True
    score: float = 80


def test_certificate_number_is_region_year_grade_letter_and_six_digit_serial():
    assert svc.format_number("350504", 2026, "senior", 7) == "3505042026G000007"
    assert svc.format_number("350000", 2025, "induction", 123456) == "3500002025R123456"


def test_token_round_trips_and_is_short():
    token = svc.make_token(123, 2)
    assert len(token) == 22 and "=" not in token
    assert svc.read_token(token) == (123, 2)


def test_changing_any_character_of_a_token_makes_it_unknown():
    token = svc.make_token(42, 1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for position in range(len(token)):
        for replacement in (alphabet[(alphabet.index(token[position]) + 1) % 64], alphabet[(alphabet.index(token[position]) + 17) % 64]):
            altered = token[:position] + replacement + token[position + 1:]
            assert svc.read_token(altered) is None, (position, replacement)


@pytest.mark.parametrize("bad", ["", "abc", "A" * 21, "A" * 23, "A" * 20 + "==", "A" * 21 + "=", "A" * 21 + "+",
                                 "A" * 21 + "/", "../../etc/passwd", "A" * 21 + "\u00e9", "%00" * 8, "A" * 2000])
def test_token_with_padding_wrong_length_or_bad_characters_is_unknown(bad):
    assert svc.read_token(bad) is None


def test_token_signed_with_another_sites_key_is_unknown():
    foreign = svc.make_token(5, 1, key="another-site-secret-" + "y" * 32)
    assert svc.read_token(foreign) is None


def test_token_signed_with_a_retired_key_keeps_verifying_while_the_key_is_listed(monkeypatch):
    old_key = "the-previous-secret-key-" + "z" * 32
    old_token = svc.make_token(9, 1, key=old_key)
    assert svc.read_token(old_token) is None
    monkeypatch.setattr(svc, "RETIRED_KEYS", [old_key])
    assert svc.read_token(old_token) == (9, 1)
    monkeypatch.setattr(svc, "RETIRED_KEYS", [])
    assert svc.read_token(old_token) is None


def test_valid_certificate_past_its_expiry_date_is_expired_before_the_sweep_runs():
    row = {"status": "valid", "expires_on": clock.today() - timedelta(days=1)}
    assert svc.effective_status(row) == "expired"
    assert svc.effective_status({"status": "valid", "expires_on": clock.today()}) == "valid"
    assert svc.effective_status({"status": "suspended", "expires_on": clock.today() - timedelta(days=9)}) == "suspended"


def test_eligible_when_exam_passed_course_completed_and_appointed_or_in_recruitment():
    assert svc.eligibility("appointed", Pass(), object()) == (True, [])
    assert svc.eligibility("applicant", Pass(), object())[0] is True


def test_not_eligible_without_passed_exam_of_the_grade():
    ok, reasons = svc.eligibility("appointed", None, object())
    assert not ok and len(reasons) == 1
    assert not svc.eligibility("appointed", Pass(passed=False), object())[0]


def test_not_eligible_without_the_course_of_the_grade():
    ok, reasons = svc.eligibility("appointed", Pass(), None)
    assert not ok and len(reasons) == 1


def test_not_eligible_when_exited_or_suspended_with_every_reason_listed():
    ok, reasons = svc.eligibility("exited", None, None)
    assert not ok and len(reasons) == 3
    assert not svc.eligibility("suspended", Pass(), object())[0]


def test_expiry_is_three_years_from_issue():
    assert svc.add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)
