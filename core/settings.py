"""Typed settings read once from the environment (prefix MEDIATION_).

Every number a rule depends on lives here so a province can change it without code.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"MEDIATION_{name}", default)


def _secret_key(var_dir: Path, environment: str) -> str:
    """The signing secret: from the environment, or generated once into var/ for demos.

    Production refuses to start without an explicit key, so a lost var/ can never
    silently invalidate every issued certificate token.
    """
    explicit = _env("SECRET_KEY")
    if explicit:
        if len(explicit) < 32:
            raise RuntimeError("MEDIATION_SECRET_KEY must be at least 32 characters")
        return explicit
    if environment == "production":
        raise RuntimeError("MEDIATION_SECRET_KEY is required when MEDIATION_ENV=production")
    key_file = var_dir / "secret_key"
    if not key_file.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


@dataclass(frozen=True)
class RateLimits:
    """Named rate limits as (requests, per-unit); all off when MEDIATION_RATE_LIMITS=off."""

    enabled: bool = True
    login_per_minute: int = 10
    verify_per_minute: int = 60
    api_token_per_minute: int = 10
    public_form_per_minute: int = 10
    # Sign-in throttling (no account lock-out): failed sign-ins slow down the client address and
    # the username-and-address pair with growing delays; the owner signing in from elsewhere is
    # never held back. The first `free` attempts go straight through; the next waits
    # `first_delay_seconds`, each later one twice as long, up to `longest_delay_seconds`; a key
    # that has seen no attempt for `forget_hours` starts again.
    sign_in_free_attempts_per_account: int = 5
    sign_in_free_attempts_per_address: int = 20
    sign_in_first_delay_seconds: int = 30
    sign_in_longest_delay_seconds: int = 3600
    sign_in_forget_hours: int = 24


@dataclass(frozen=True)
class Rules:
    """Every numeric rule of DOMAIN.md, named; the UI shows the rule beside an outcome."""

    filing_deadline_days: int = 30
    appointment_term_years: int = 3
    public_notice_working_days: int = 5
    attendance_completion_ratio: float = 0.8
    yearly_training_hours: int = 24
    exam_total_marks: int = 100
    exam_pass_mark: int = 60
    double_marking_tolerance_ratio: float = 0.2
    recheck_window_days: int = 7
    resits_per_grade_per_year: int = 2
    certificate_validity_years: int = 3
    certificate_reminder_days: tuple[int, ...] = (60, 30)
    expired_certificate_exit_days: int = 90
    excellent_cap_ratio: float = 0.2
    appeal_window_days: int = 15
    strike_window_working_days: int = 2
    strikes_per_side: int = 2
    qr_sign_in_slot_seconds: int = 60  # a new session sign-in code each slot
    qr_sign_in_valid_slots: int = 3  # a code is accepted in its own slot and the two before
    qr_sign_in_grace_minutes: int = 15  # sign-in opens this long before a session and closes this long after
    invitation_answer_working_days: int = 3
    mediation_time_limit_days: int = 15
    conflict_lookback_years: int = 2
    refusals_before_exit: int = 3
    refusal_window_months: int = 12
    expert_term_years: int = 3
    session_days: int = 7
    api_token_hours: int = 12
    system_token_max_days: int = 365  # tokens a court's case system keeps
    idempotency_key_hours: int = 24  # how long a request's Idempotency-Key (or form key) is remembered
    max_upload_bytes: int = 5 * 1024 * 1024
    max_photo_bytes: int = 2 * 1024 * 1024
    max_application_documents: int = 5  # files on one recruitment application, each within max_upload_bytes
    # An image's declared width × height, checked before it is decoded: 25 MP takes a 24 MP camera's
    # photo (6000×4000) and an A3 page scanned at 300 dpi (17.4 MP; A4 is 8.7 MP), and decodes into
    # at most 100 MB, one image at a time (core.uploads). The ID photo itself is 413×531.
    max_image_pixels: int = 25_000_000
    # What an uploaded XLSX (a zip) may unpack to before it is read: a 5 MB workbook of text unpacks
    # to about 30 MB; a zip bomb of the same size declares gigabytes.
    max_workbook_unpacked_bytes: int = 50 * 1024 * 1024
    holidays: tuple[str, ...] = ()
    # Annual appraisal (考评): the grade rules, read top to bottom (see roster/review/appraisal.py).
    appraisal_month_day: tuple[int, int] = (1, 15)  # the day the draft appraisal runs (MM-DD) ...
    appraisal_time: str = "02:00"  # ... at this time of day (HH:MM, the platform's zone)
    incompetent_substantiated_complaints: int = 2
    basic_substantiated_complaints: int = 1
    min_cases_for_agreement_rate: int = 5
    basic_below_agreement_rate: float = 0.4
    basic_below_satisfaction: float = 3.0
    excellent_min_cases: int = 10
    excellent_min_agreement_rate: float = 0.7
    excellent_min_satisfaction: float = 4.5
    inactivity_exit_years: int = 2
    # Scheduled jobs hold a lease this long, renewed every third of it while they work; a run whose
    # process died is taken over once its lease has run out.
    job_lease_seconds: int = 60
    daily_sweep_time: str = "01:30"  # when the daily sweep runs (HH:MM, the platform's zone)
    # The published roster (名册公布): remind a region's administrators when changes wait longer.
    publication_reminder_days: int = 30


@dataclass(frozen=True)
class Settings:
    environment: str
    database_url: str
    secret_key: str
    retired_secret_keys: tuple[str, ...]
    base_url: str
    default_language: str
    log_level: str
    var_dir: Path
    scheduler_enabled: bool
    debug: bool
    rate_limits: RateLimits = field(default_factory=RateLimits)
    rules: Rules = field(default_factory=Rules)
    cjk_font_path: str | None = None
    # Proxies whose X-Forwarded-For is believed (addresses or networks); anyone else's header is
    # ignored and the client is the socket's peer.
    trusted_proxies: tuple[str, ...] = ()
    # Shared state (rate-limit counters, sign-in throttles) for several workers or machines; unset,
    # a small SQLite file under var/ serves the workers of one machine.
    redis_url: str | None = None
    redis_prefix: str = "mediation:"  # every key this site writes in Redis starts with it
    # The platform's time zone: calendar dates, "today", deadlines, schedules and every timestamp
    # shown or returned are in it (core/clock.py).
    time_zone: str = "Asia/Shanghai"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


def _trusted_proxies() -> tuple[str, ...]:
    import ipaddress

    raw = tuple(part.strip() for part in (_env("TRUSTED_PROXIES", "") or "").split(",") if part.strip())
    for part in raw:
        ipaddress.ip_network(part, strict=False)  # a typo fails at start-up, not per request
    return raw


def _time_zone() -> str:
    from zoneinfo import ZoneInfo

    name = _env("TIME_ZONE", "Asia/Shanghai") or "Asia/Shanghai"
    ZoneInfo(name)  # an unknown zone fails at start-up
    return name


# Every field of RateLimits and Rules is read from MEDIATION_<FIELD NAME IN CAPITALS> by its type, so
# a field added to either class is a setting at once (docs/operations.md lists them all). A few
# fields keep the older names they were first read from, still accepted.
_OWN_NAMES = {"enabled": "RATE_LIMITS"}  # a field whose name alone would say nothing
_ALIASES = {
    "login_per_minute": ("RATE_LIMIT_LOGIN",),
    "verify_per_minute": ("RATE_LIMIT_VERIFY",),
    "api_token_per_minute": ("RATE_LIMIT_API_TOKEN",),
    "public_form_per_minute": ("RATE_LIMIT_PUBLIC_FORM",),
    "double_marking_tolerance_ratio": ("DOUBLE_MARKING_TOLERANCE",),
}
# Whole numbers that may be 0 (no strikes, no free attempts, no grace...); every other one must be 1 or more.
_MAY_BE_ZERO = frozenset({
    "sign_in_free_attempts_per_account", "sign_in_free_attempts_per_address", "public_notice_working_days",
    "exam_pass_mark", "yearly_training_hours", "recheck_window_days", "resits_per_grade_per_year",
    "appeal_window_days", "strike_window_working_days", "strikes_per_side", "qr_sign_in_grace_minutes",
    "conflict_lookback_years", "min_cases_for_agreement_rate", "excellent_min_cases",
    "basic_substantiated_complaints", "incompetent_substantiated_complaints",
})
_TRUE, _FALSE = {"on", "1", "true", "yes"}, {"off", "0", "false", "no"}


def variable_names(field_name: str) -> tuple[str, ...]:
    """The environment variables a RateLimits or Rules field is read from, the documented one first."""
    own = f"MEDIATION_{_OWN_NAMES.get(field_name, field_name.upper())}"
    return (own, *(f"MEDIATION_{alias}" for alias in _ALIASES.get(field_name, ())))


def _whole(variable: str, name: str, raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise RuntimeError(f"{variable} must be a whole number, got {raw!r}") from None
    least = 0 if name in _MAY_BE_ZERO else 1
    if value < least:
        raise RuntimeError(f"{variable} must be {least} or more, got {raw!r}")
    return value


def _number(variable: str, name: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise RuntimeError(f"{variable} must be a number, got {raw!r}") from None
    if name.endswith(("_ratio", "_rate")) and not 0 <= value <= 1:
        raise RuntimeError(f"{variable} must be a ratio between 0 and 1, got {raw!r}")
    if name.endswith("_satisfaction") and not 0 <= value <= 5:
        raise RuntimeError(f"{variable} must be a satisfaction score between 0 and 5, got {raw!r}")
    if not value >= 0:  # also refuses nan
        raise RuntimeError(f"{variable} must be 0 or more, got {raw!r}")
    return value


def _month_day(variable: str, raw: str) -> tuple[int, int]:
    from datetime import date

    parts = [p.strip() for p in raw.replace("-", ",").split(",")]
    try:
        month, day = (int(p) for p in parts)
        date(2025, month, day)  # a year without 29 February, so the job runs every year
    except ValueError:
        raise RuntimeError(f"{variable} must be a date in the year as MM-DD (e.g. 01-15), got {raw!r}") from None
    return month, day


def _time_of_day(variable: str, raw: str) -> str:
    hour, _sep, minute = raw.strip().partition(":")
    if not (hour.isdecimal() and minute.isdecimal() and len(minute) == 2 and int(hour) < 24 and int(minute) < 60):
        raise RuntimeError(f"{variable} must be a time of day as HH:MM (e.g. 01:30), got {raw!r}")
    return f"{int(hour):02d}:{minute}"


def _parse(variable: str, name: str, kind: Any, raw: str) -> Any:
    from datetime import date
    from typing import get_args, get_origin

    if kind is bool:
        if raw.strip().lower() not in _TRUE | _FALSE:
            raise RuntimeError(f"{variable} must be on or off, got {raw!r}")
        return raw.strip().lower() in _TRUE
    if kind is int:
        return _whole(variable, name, raw)
    if kind is float:
        return _number(variable, name, raw)
    if kind is str:
        return _time_of_day(variable, raw) if name.endswith("_time") else raw.strip()
    if get_origin(kind) is tuple:
        args = get_args(kind)
        if args == (int, int):
            return _month_day(variable, raw)
        items = [part.strip() for part in raw.split(",") if part.strip()]
        if args[0] is int:
            return tuple(_whole(variable, name, item) for item in items)
        if name == "holidays":
            for item in items:
                try:
                    date.fromisoformat(item)
                except ValueError:
                    raise RuntimeError(f"{variable} must list dates as YYYY-MM-DD, got {item!r}") from None
        return tuple(items)
    raise RuntimeError(f"{variable}: no reader for the type {kind!r}")  # a new kind of field needs one here


def _from_environment(cls: type) -> Any:
    """An instance of RateLimits or Rules with every field its variable sets; unset fields keep their default."""
    import dataclasses
    from typing import get_type_hints

    kinds = get_type_hints(cls)
    values = {}
    for spec in dataclasses.fields(cls):
        for variable in variable_names(spec.name):
            raw = os.environ.get(variable)
            if raw not in (None, ""):
                values[spec.name] = _parse(variable, spec.name, kinds[spec.name], raw)
                break
    made = cls(**values)
    if isinstance(made, Rules) and made.exam_pass_mark > made.exam_total_marks:
        raise RuntimeError(f"MEDIATION_EXAM_PASS_MARK must not exceed MEDIATION_EXAM_TOTAL_MARKS "
                           f"({made.exam_total_marks}), got {made.exam_pass_mark}")
    return made


def load_settings() -> Settings:
    environment = _env("ENV", "development") or "development"
    var_dir = Path(_env("VAR_DIR", str(ROOT / "var")) or ROOT / "var")
    database_url = _env("DATABASE_URL") or f"sqlite:///{var_dir / 'mediation.sqlite3'}"
    rate_limits = _from_environment(RateLimits)
    rules = _from_environment(Rules)
    retired = tuple(k for k in (_env("RETIRED_SECRET_KEYS", "") or "").split(",") if k.strip())
    return Settings(
        environment=environment,
        database_url=database_url,
        secret_key=_secret_key(var_dir, environment),
        retired_secret_keys=retired,
        base_url=(_env("BASE_URL", "http://127.0.0.1:8000") or "").rstrip("/"),
        default_language=_env("DEFAULT_LANGUAGE", "zh_CN") or "zh_CN",
        log_level=(_env("LOG_LEVEL", "INFO") or "INFO").upper(),
        var_dir=var_dir,
        scheduler_enabled=(_env("SCHEDULER", "off") or "off").lower() in {"on", "1", "true", "yes"},
        debug=(_env("DEBUG", "off") or "off").lower() in {"on", "1", "true", "yes"},
        rate_limits=rate_limits,
        rules=rules,
        cjk_font_path=_env("CJK_FONT_PATH"),
        trusted_proxies=_trusted_proxies(),
        redis_url=_env("REDIS_URL") or None,
        redis_prefix=_env("REDIS_PREFIX", "mediation:") or "mediation:",
        time_zone=_time_zone(),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
