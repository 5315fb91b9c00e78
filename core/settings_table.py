"""The table of every rule and rate-limit setting for docs/operations.md, made from the dataclasses:
`python -m core.settings_table` prints it (variable, default, meaning). A field without a meaning
here fails tests/unit/core/test_every_rule_is_a_setting.py, and so does a docs table out of date."""

from __future__ import annotations

import dataclasses

from core.settings import _MAY_BE_ZERO, RateLimits, Rules, variable_names

BEGIN = "<!-- settings table: python -m core.settings_table -->"
END = "<!-- end of settings table -->"

MEANINGS = {
    # RateLimits
    "enabled": "`off` turns every rate limit off (load tests only)",
    "login_per_minute": "sign-in requests a minute per client address",
    "verify_per_minute": "certificate verifications a minute per client address",
    "api_token_per_minute": "API token requests a minute per client address",
    "public_form_per_minute": "public form submissions a minute per client address",
    "sign_in_free_attempts_per_account": "failed sign-ins per username-and-address before delays start (no lock-out)",
    "sign_in_free_attempts_per_address": "failed sign-ins per address before delays start",
    "sign_in_first_delay_seconds": "the first delay after the free attempts; each later one twice as long",
    "sign_in_longest_delay_seconds": "the longest sign-in delay",
    "sign_in_forget_hours": "a throttle key with no attempt for this long starts again",
    # Rules
    "filing_deadline_days": "days an organisation has to file a change (备案) before it is late",
    "appointment_term_years": "a mediator's appointment term (years)",
    "public_notice_working_days": "public notice (公示) of recruited candidates, in working days",
    "attendance_completion_ratio": "share of a course's sessions attended to complete it (0..1)",
    "yearly_training_hours": "training hours a mediator needs each year (appraisal, reports)",
    "exam_total_marks": "total marks of an exam paper",
    "exam_pass_mark": "pass mark of an exam (not above the total)",
    "double_marking_tolerance_ratio": "two examiners' marks differing by more than this share of the question's "
                                      "maximum call a third examiner (0..1)",
    "recheck_window_days": "days after a result is released in which a candidate may ask for a re-check",
    "resits_per_grade_per_year": "re-sits of an exam grade a mediator may take in a year, beside the first sitting",
    "certificate_validity_years": "a certificate's validity (years)",
    "certificate_reminder_days": "days before expiry a holder is reminded, comma-separated",
    "expired_certificate_exit_days": "days a certificate may stay expired before it is an exit ground",
    "excellent_cap_ratio": "most of a city's mediators who may be graded 优秀 (0..1)",
    "appeal_window_days": "days a mediator has to appeal an exit notice",
    "strike_window_working_days": "working days each side has to strike and rank the shortlist",
    "strikes_per_side": "names each side may strike from a shortlist",
    "qr_sign_in_slot_seconds": "a session sign-in QR code changes every this many seconds",
    "qr_sign_in_valid_slots": "slots a sign-in code is accepted in (its own and the ones before)",
    "qr_sign_in_grace_minutes": "sign-in opens this long before a session and closes this long after",
    "invitation_answer_working_days": "working days an invited expert has to answer",
    "mediation_time_limit_days": "days from acceptance within which the expert mediates the case",
    "conflict_lookback_years": "years a former employment or an earlier mediation for the same parties "
                               "still requires recusal",
    "refusals_before_exit": "refusals without good reason in the window that make an exit ground",
    "refusal_window_months": "months over which refusals are counted",
    "expert_term_years": "an expert's term in the pool (years)",
    "session_days": "days a signed-in session lasts",
    "api_token_hours": "hours a personal API token lasts",
    "system_token_max_days": "longest validity of a token for another system (days)",
    "idempotency_key_hours": "hours an Idempotency-Key (or a form's one-time key) and its answer are kept",
    "max_upload_bytes": "largest uploaded file (bytes)",
    "max_photo_bytes": "largest ID photo (bytes)",
    "max_application_documents": "files on one recruitment application",
    "max_image_pixels": "largest declared width × height of an image, checked before decoding",
    "max_workbook_unpacked_bytes": "largest unpacked size of an uploaded XLSX, checked before inflating",
    "holidays": "extra days off (`2026-10-09,2026-10-10`) beside the official calendar and the "
                "notice entered on `/admin/calendar/`",
    "appraisal_month_day": "the day the draft annual appraisal runs (`MM-DD`)",
    "appraisal_time": "the time of day it runs (`HH:MM`, the platform's zone)",
    "incompetent_substantiated_complaints": "substantiated complaints in a year that grade 不称职",
    "basic_substantiated_complaints": "substantiated complaints in a year that grade 基本称职",
    "min_cases_for_agreement_rate": "closed cases before the agreement rate counts",
    "basic_below_agreement_rate": "an agreement rate below this grades 基本称职 (0..1)",
    "basic_below_satisfaction": "a mean follow-up satisfaction below this grades 基本称职 (0..5)",
    "excellent_min_cases": "cases needed for 优秀",
    "excellent_min_agreement_rate": "agreement rate needed for 优秀 (0..1)",
    "excellent_min_satisfaction": "mean satisfaction needed for 优秀 (0..5)",
    "inactivity_exit_years": "consecutive years without a case or training hours that make an exit ground",
    "job_lease_seconds": "a scheduled run's lease, renewed while it works",
    "daily_sweep_time": "the time of day the daily sweep runs (`HH:MM`, the platform's zone)",
    "publication_reminder_days": "days unpublished roster changes may wait before administrators are reminded",
}


def _default(spec: dataclasses.Field) -> str:
    value = spec.default
    if isinstance(value, bool):
        return "`on`" if value else "`off`"
    if spec.name == "appraisal_month_day" and isinstance(value, tuple):
        return f"`{value[0]:02d}-{value[1]:02d}`"
    if isinstance(value, tuple):
        return f"`{','.join(str(v) for v in value)}`" if value else "empty"
    return f"`{value}`"


def _accepts(spec: dataclasses.Field) -> str:
    if type(spec.default) is int:
        return "; whole number ≥ 0" if spec.name in _MAY_BE_ZERO else "; whole number ≥ 1"
    return ""


def table() -> str:
    lines = [BEGIN, "| variable | default | meaning |", "|---|---|---|"]
    for cls in (RateLimits, Rules):
        for spec in dataclasses.fields(cls):
            names = variable_names(spec.name)
            name = f"`{names[0]}`" + (" (or " + ", ".join(f"`{n}`" for n in names[1:]) + ")" if names[1:] else "")
            lines.append(f"| {name} | {_default(spec)} | {MEANINGS[spec.name]}{_accepts(spec)} |")
    lines.append(END)
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
