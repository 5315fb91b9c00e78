"""Every number is a setting (issue 14): each field of RateLimits and Rules is read from its own
MEDIATION_ variable, a bad value stops the start-up naming the variable, and the scheduled jobs'
times come from the settings.

The fields are enumerated from the dataclasses, so a field added without being read from its
variable (or of a type this test cannot give a value for) fails here."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import get_type_hints
from zoneinfo import ZoneInfo

import pytest

from core import settings as settings_module
from core.settings import RateLimits, Rules, load_settings

# The variable of a field is MEDIATION_ and its name in capitals, but for these.
OWN_NAMES = {"enabled": "MEDIATION_RATE_LIMITS"}
# Older names, still read.
ALIASES = {
    "login_per_minute": "MEDIATION_RATE_LIMIT_LOGIN",
    "verify_per_minute": "MEDIATION_RATE_LIMIT_VERIFY",
    "api_token_per_minute": "MEDIATION_RATE_LIMIT_API_TOKEN",
    "public_form_per_minute": "MEDIATION_RATE_LIMIT_PUBLIC_FORM",
    "double_marking_tolerance_ratio": "MEDIATION_DOUBLE_MARKING_TOLERANCE",
}
FIELDS = [(cls, spec) for cls in (RateLimits, Rules) for spec in dataclasses.fields(cls)]


def variable(name: str) -> str:
    return OWN_NAMES.get(name, f"MEDIATION_{name.upper()}")


def other_value(cls: type, spec: dataclasses.Field) -> tuple[str, object]:
    """A valid value unlike the default: (what the variable says, what the setting must be)."""
    kind, default = get_type_hints(cls)[spec.name], spec.default
    if kind is bool:
        return ("off", False) if default else ("on", True)
    if kind is int:
        return str(default + 7), default + 7
    if kind is float:
        changed = round(default * 0.5 + 0.01, 4)
        return str(changed), changed
    if kind is str:
        assert default != "03:17"
        return "3:17", "03:17"
    if kind == tuple[int, int]:
        return "03-07", (3, 7)
    if kind == tuple[int, ...]:
        return "45, 14,3", (45, 14, 3)
    if kind == tuple[str, ...]:
        return "2026-10-09,2026-10-10", ("2026-10-09", "2026-10-10")
    raise AssertionError(f"{cls.__name__}.{spec.name}: give this test a value for the type {kind!r}")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for _cls, spec in FIELDS:
        for name in settings_module.variable_names(spec.name) + (variable(spec.name),):
            monkeypatch.delenv(name, raising=False)
    yield
    settings_module.get_settings.cache_clear()


@pytest.mark.parametrize(("cls", "spec"), FIELDS, ids=[f"{c.__name__}.{s.name}" for c, s in FIELDS])
def test_every_field_is_read_from_its_variable(monkeypatch, cls, spec):
    said, expected = other_value(cls, spec)
    assert expected != spec.default
    monkeypatch.setenv(variable(spec.name), said)
    loaded = load_settings()
    part = loaded.rules if cls is Rules else loaded.rate_limits
    assert getattr(part, spec.name) == expected, variable(spec.name)


def test_every_field_at_once_keeps_its_own_value(monkeypatch):
    expected = {}
    for cls, spec in FIELDS:
        said, value = other_value(cls, spec)
        monkeypatch.setenv(variable(spec.name), said)
        expected[(cls, spec.name)] = value
    loaded = load_settings()
    for (cls, name), value in expected.items():
        assert getattr(loaded.rules if cls is Rules else loaded.rate_limits, name) == value, name


def test_unset_variables_keep_the_documented_defaults():
    loaded = load_settings()
    assert loaded.rules == Rules() and loaded.rate_limits == RateLimits()
    assert loaded.rules.strikes_per_side == 2 and loaded.rules.certificate_reminder_days == (60, 30)
    assert loaded.rules.appraisal_month_day == (1, 15) and loaded.rules.appraisal_time == "02:00"
    assert loaded.rules.daily_sweep_time == "01:30"


@pytest.mark.parametrize(("field", "old_name", "said", "expected"), [
    ("login_per_minute", "MEDIATION_RATE_LIMIT_LOGIN", "33", 33),
    ("verify_per_minute", "MEDIATION_RATE_LIMIT_VERIFY", "44", 44),
    ("api_token_per_minute", "MEDIATION_RATE_LIMIT_API_TOKEN", "55", 55),
    ("public_form_per_minute", "MEDIATION_RATE_LIMIT_PUBLIC_FORM", "66", 66),
    ("double_marking_tolerance_ratio", "MEDIATION_DOUBLE_MARKING_TOLERANCE", "0.15", 0.15),
])
def test_older_variable_names_still_work(monkeypatch, field, old_name, said, expected):
    assert ALIASES[field] == old_name
    monkeypatch.setenv(old_name, said)
    loaded = load_settings()
    assert getattr(loaded.rate_limits if hasattr(loaded.rate_limits, field) else loaded.rules, field) == expected


def test_rate_limits_off_turns_them_off(monkeypatch):
    monkeypatch.setenv("MEDIATION_RATE_LIMITS", "off")
    assert load_settings().rate_limits.enabled is False


@pytest.mark.parametrize(("name", "said", "message"), [
    ("MEDIATION_STRIKES_PER_SIDE", "two", "MEDIATION_STRIKES_PER_SIDE must be a whole number, got 'two'"),
    ("MEDIATION_STRIKES_PER_SIDE", "-1", "MEDIATION_STRIKES_PER_SIDE must be 0 or more, got '-1'"),
    ("MEDIATION_MEDIATION_TIME_LIMIT_DAYS", "0", "MEDIATION_MEDIATION_TIME_LIMIT_DAYS must be 1 or more, got '0'"),
    ("MEDIATION_CERTIFICATE_REMINDER_DAYS", "60,thirty",
     "MEDIATION_CERTIFICATE_REMINDER_DAYS must be a whole number, got 'thirty'"),
    ("MEDIATION_EXCELLENT_CAP_RATIO", "20", "MEDIATION_EXCELLENT_CAP_RATIO must be a ratio between 0 and 1, got '20'"),
    ("MEDIATION_BASIC_BELOW_AGREEMENT_RATE", "-0.1",
     "MEDIATION_BASIC_BELOW_AGREEMENT_RATE must be a ratio between 0 and 1, got '-0.1'"),
    ("MEDIATION_EXCELLENT_MIN_SATISFACTION", "lots",
     "MEDIATION_EXCELLENT_MIN_SATISFACTION must be a number, got 'lots'"),
    ("MEDIATION_EXCELLENT_MIN_SATISFACTION", "6",
     "MEDIATION_EXCELLENT_MIN_SATISFACTION must be a satisfaction score between 0 and 5, got '6'"),
    ("MEDIATION_APPRAISAL_MONTH_DAY", "02-30",
     "MEDIATION_APPRAISAL_MONTH_DAY must be a date in the year as MM-DD (e.g. 01-15), got '02-30'"),
    ("MEDIATION_APPRAISAL_TIME", "25:00",
     "MEDIATION_APPRAISAL_TIME must be a time of day as HH:MM (e.g. 01:30), got '25:00'"),
    ("MEDIATION_DAILY_SWEEP_TIME", "half past one",
     "MEDIATION_DAILY_SWEEP_TIME must be a time of day as HH:MM (e.g. 01:30), got 'half past one'"),
    ("MEDIATION_HOLIDAYS", "2026-10-09,2026-13-01", "MEDIATION_HOLIDAYS must list dates as YYYY-MM-DD, got '2026-13-01'"),
    ("MEDIATION_RATE_LIMITS", "maybe", "MEDIATION_RATE_LIMITS must be on or off, got 'maybe'"),
    ("MEDIATION_RATE_LIMIT_LOGIN", "ten", "MEDIATION_RATE_LIMIT_LOGIN must be a whole number, got 'ten'"),
    ("MEDIATION_EXAM_PASS_MARK", "120", "MEDIATION_EXAM_PASS_MARK must not exceed MEDIATION_EXAM_TOTAL_MARKS (100)"),
])
def test_an_invalid_value_stops_the_start_naming_its_variable(monkeypatch, name, said, message):
    monkeypatch.setenv(name, said)
    with pytest.raises(RuntimeError) as refused:
        load_settings()
    assert str(refused.value).startswith(message)


def test_job_schedules_come_from_the_settings(monkeypatch):
    """The annual appraisal and the daily sweep run when the settings say, in the platform's zone."""
    from apscheduler.triggers.cron import CronTrigger

    import roster.review
    from core.jobs import CORE_JOBS

    monkeypatch.setenv("MEDIATION_APPRAISAL_MONTH_DAY", "02-20")
    monkeypatch.setenv("MEDIATION_APPRAISAL_TIME", "03:45")
    monkeypatch.setenv("MEDIATION_DAILY_SWEEP_TIME", "00:15")
    settings_module.get_settings.cache_clear()
    appraisal = next(spec for spec in roster.review.JOBS if spec.id == "annual_appraisal")
    sweep = next(spec for spec in CORE_JOBS if spec.id == "daily_sweep")
    assert appraisal.trigger == {"month": 2, "day": 20, "hour": 3, "minute": 45}
    assert sweep.trigger == {"hour": 0, "minute": 15}
    assert appraisal.schedule == "month=2 day=20 hour=3 minute=45"

    shanghai = ZoneInfo("Asia/Shanghai")
    after = datetime(2027, 1, 1, 12, 0, tzinfo=shanghai)
    fires = CronTrigger(timezone=shanghai, **appraisal.trigger).get_next_fire_time(None, after)
    assert fires == datetime(2027, 2, 20, 3, 45, tzinfo=shanghai)
    fires = CronTrigger(timezone=shanghai, **sweep.trigger).get_next_fire_time(None, after)
    assert fires == datetime(2027, 1, 2, 0, 15, tzinfo=shanghai)


def test_job_schedules_default_to_15_january_0200_and_0130_daily():
    import roster.review
    from core.jobs import CORE_JOBS

    settings_module.get_settings.cache_clear()
    assert roster.review.JOBS[0].trigger == {"month": 1, "day": 15, "hour": 2, "minute": 0}
    assert CORE_JOBS[0].trigger == {"hour": 1, "minute": 30}


def test_every_setting_is_in_the_operations_table():
    """docs/operations.md carries the table `python -m core.settings_table` prints, for every field."""
    from core.settings import ROOT
    from core.settings_table import BEGIN, END, MEANINGS, table

    assert {spec.name for _cls, spec in FIELDS} == set(MEANINGS)
    made = table()
    for _cls, spec in FIELDS:
        assert f"`{variable(spec.name)}`" in made
    doc = (ROOT / "docs" / "operations.md").read_text()
    assert doc[doc.index(BEGIN):doc.index(END) + len(END)] == made, "run python -m core.settings_table"
