"""Typed settings read once from the environment (prefix MEDIATION_).

Every number a rule depends on lives here so a province can change it without code.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"MEDIATION_{name}", default)


def _int(name: str, default: int) -> int:
    raw = _env(name)
    return default if raw in (None, "") else int(raw)


def _float(name: str, default: float) -> float:
    raw = _env(name)
    return default if raw in (None, "") else float(raw)


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
    appraisal_month_day: tuple[int, int] = (1, 15)
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

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


def _holidays() -> tuple[str, ...]:
    raw = _env("HOLIDAYS", "")
    return tuple(day.strip() for day in raw.split(",") if day.strip())


def _trusted_proxies() -> tuple[str, ...]:
    import ipaddress

    raw = tuple(part.strip() for part in (_env("TRUSTED_PROXIES", "") or "").split(",") if part.strip())
    for part in raw:
        ipaddress.ip_network(part, strict=False)  # a typo fails at start-up, not per request
    return raw


def load_settings() -> Settings:
    environment = _env("ENV", "development") or "development"
    var_dir = Path(_env("VAR_DIR", str(ROOT / "var")) or ROOT / "var")
    database_url = _env("DATABASE_URL") or f"sqlite:///{var_dir / 'mediation.sqlite3'}"
    rate_limits = RateLimits(
        enabled=(_env("RATE_LIMITS", "on") or "on").lower() not in {"off", "0", "false", "no"},
        login_per_minute=_int("RATE_LIMIT_LOGIN", 10),
        verify_per_minute=_int("RATE_LIMIT_VERIFY", 60),
        api_token_per_minute=_int("RATE_LIMIT_API_TOKEN", 10),
        public_form_per_minute=_int("RATE_LIMIT_PUBLIC_FORM", 10),
        sign_in_free_attempts_per_account=_int("SIGN_IN_FREE_ATTEMPTS_PER_ACCOUNT", 5),
        sign_in_free_attempts_per_address=_int("SIGN_IN_FREE_ATTEMPTS_PER_ADDRESS", 20),
        sign_in_first_delay_seconds=_int("SIGN_IN_FIRST_DELAY_SECONDS", 30),
        sign_in_longest_delay_seconds=_int("SIGN_IN_LONGEST_DELAY_SECONDS", 3600),
        sign_in_forget_hours=_int("SIGN_IN_FORGET_HOURS", 24),
    )
    rules = Rules(
        filing_deadline_days=_int("FILING_DEADLINE_DAYS", 30),
        appointment_term_years=_int("APPOINTMENT_TERM_YEARS", 3),
        public_notice_working_days=_int("PUBLIC_NOTICE_WORKING_DAYS", 5),
        attendance_completion_ratio=_float("ATTENDANCE_COMPLETION_RATIO", 0.8),
        yearly_training_hours=_int("YEARLY_TRAINING_HOURS", 24),
        exam_total_marks=_int("EXAM_TOTAL_MARKS", 100),
        exam_pass_mark=_int("EXAM_PASS_MARK", 60),
        double_marking_tolerance_ratio=_float("DOUBLE_MARKING_TOLERANCE", 0.2),
        recheck_window_days=_int("RECHECK_WINDOW_DAYS", 7),
        resits_per_grade_per_year=_int("RESITS_PER_GRADE_PER_YEAR", 2),
        certificate_validity_years=_int("CERTIFICATE_VALIDITY_YEARS", 3),
        expired_certificate_exit_days=_int("EXPIRED_CERTIFICATE_EXIT_DAYS", 90),
        excellent_cap_ratio=_float("EXCELLENT_CAP_RATIO", 0.2),
        appeal_window_days=_int("APPEAL_WINDOW_DAYS", 15),
        api_token_hours=_int("API_TOKEN_HOURS", 12),
        system_token_max_days=_int("SYSTEM_TOKEN_MAX_DAYS", 365),
        idempotency_key_hours=_int("IDEMPOTENCY_KEY_HOURS", 24),
        max_upload_bytes=_int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024),
        max_photo_bytes=_int("MAX_PHOTO_BYTES", 2 * 1024 * 1024),
        max_application_documents=_int("MAX_APPLICATION_DOCUMENTS", 5),
        max_image_pixels=_int("MAX_IMAGE_PIXELS", 25_000_000),
        max_workbook_unpacked_bytes=_int("MAX_WORKBOOK_UNPACKED_BYTES", 50 * 1024 * 1024),
        publication_reminder_days=_int("PUBLICATION_REMINDER_DAYS", 30),
        job_lease_seconds=_int("JOB_LEASE_SECONDS", 60),
        holidays=_holidays(),
    )
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
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
