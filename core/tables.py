"""Tables every domain shares: regions, accounts and roles, tokens, audit, jobs, notifications."""

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Region(Table):
    """Administrative division (行政区划), keyed by its GB/T 2260 code."""

    id: Serial  # Piccolo adds the primary key; named here for type checkers
    code = Varchar(length=12, unique=True, index=True)
    name = Varchar(length=64)
    parent_code = Varchar(length=12, null=True, default=None, index=True)
    level = Integer()  # 1 province, 2 city, 3 county/district, 4 township/street


class User(Table, tablename="account"):
    id: Serial
    username = Varchar(length=64, unique=True, index=True)
    display_name = Varchar(length=64)
    password_hash = Varchar(length=255)
    is_active = Boolean(default=True)
    language = Varchar(length=8, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class UserRole(Table):
    """A role held in a region; a user may hold several. Org managers and court users
    also name the organisation or court they act for."""

    id: Serial
    user = ForeignKey(references=User, index=True)
    role = Varchar(length=24)
    region_code = Varchar(length=12)
    organisation_id = Integer(null=True, default=None)
    court_id = Integer(null=True, default=None)
    mediator_id = Integer(null=True, default=None)


class ApiToken(Table):
    """Bearer tokens for API clients: only the SHA-256 of the token is stored."""

    id: Serial
    user = ForeignKey(references=User, index=True)
    token_hash = Varchar(length=64, unique=True, index=True)
    label = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class AuditRecord(Table):
    """Who did what to which record, when and why; before/after of changed fields."""

    id: Serial
    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor_id = Integer(null=True, default=None)
    actor_name = Varchar(length=64, default="system")
    action = Varchar(length=64, index=True)
    entity = Varchar(length=48, index=True)
    entity_id = Varchar(length=48, default="")
    region_code = Varchar(length=12, default="", index=True, index_method=IndexMethod.btree)
    changes = JSON(default="{}")
    reason = Text(default="")
    request_id = Varchar(length=32, default="")


class JobRun(Table):
    id: Serial
    job_id = Varchar(length=48, index=True)
    run_key = Varchar(length=48, default="")
    status = Varchar(length=16)  # running | succeeded | failed | skipped | abandoned
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    changes = Integer(default=0)
    details = JSON(default="{}")
    triggered_by = Varchar(length=64, default="scheduler")


class JobLock(Table):
    """One row per job while it runs: a second scheduler finds the row and skips. The row is a
    lease: its holder renews it while it works, so when the holder dies the lease runs out and
    the next run takes over (marking the dead one's run abandoned)."""

    id: Serial
    job_id = Varchar(length=48, unique=True)
    holder = Varchar(length=64)
    acquired_at = Timestamptz(default=TimestamptzNow())
    lease_until = Timestamptz(null=True, default=None)  # None: a lock from before leases, expired
    run_id = Integer(null=True, default=None)


class Notification(Table):
    """In-site notification, shown on the person's notifications page (see core/notifications.py)."""

    id: Serial
    user_id = Integer(index=True)
    kind = Varchar(length=48)
    subject = Varchar(length=200)
    body = Text(default="")
    dedupe_key = Varchar(length=128, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)


class OutboxMessage(Table):
    """A notification queued for the mail or SMS gateway: the account, not its address."""

    id: Serial
    notification_id = Integer(index=True)
    user_id = Integer()
    # Where the recipient belongs (their first grant's region, or the region of the matter for an
    # account without grants): each gateway delivers the messages of its own region only.
    region_code = Varchar(length=12, default="", index=True)
    channel = Varchar(length=16)  # mail | sms
    subject = Varchar(length=200)
    body = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None, index=True)
    attempts = Integer(default=0)
    last_error = Text(default="")
    retry_after = Timestamptz(null=True, default=None)


class Holiday(Table):
    """A day of the State Council's holiday notice as a province administrator entered it
    (/admin/calendar/): a public holiday (no work) or a make-up working day (调休上班日). It decides
    the day for working-day deadlines before the calendar library and weekends (core/workdays.py)."""

    id: Serial
    day = Date(unique=True)
    name = Varchar(length=64, default="")  # the holiday it belongs to, e.g. 春节, 国庆节
    kind = Varchar(length=8, default="holiday")  # holiday | workday
    notice = Varchar(length=200, default="")  # the notice it came from, e.g. 国办发明电〔2025〕7号


class IdempotencyRecord(Table):
    """A request that must not run twice (core/idempotency.py): an API POST's `Idempotency-Key`
    or a page form's one-time key, for one account. While the first request runs the record says
    so; then it keeps the answer, which a repeat of the same request gets back instead of a
    second run. Records are forgotten after `rules.idempotency_key_hours`."""

    id: Serial
    scope_key = Varchar(length=64, unique=True)  # SHA-256 of the account, the key (and a form's path)
    user_id = Integer(index=True)
    method = Varchar(length=8)
    path = Text()
    request_hash = Varchar(length=64)  # SHA-256 of method, path, query and body
    state = Varchar(length=8, default="running")  # running | done
    status_code = Integer(null=True, default=None)
    response_headers = JSON(default="{}")  # content-type and location only
    response_body = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    finished_at = Timestamptz(null=True, default=None)
