"""Certification tables: certificates, their gap-free serial counters, the verification
log (no personal data of the verifier) and the versioned certificate layouts."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    Date,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Certificate(Table):
    """调解员证 / 培训合格证书. The QR token signs (id, version); `version` is the card's
    render version and changes only when the card itself is re-issued with new content,
    never on a status change, so a printed QR code keeps working for its whole life."""

    id: Serial
    certificate_no = Varchar(length=40, unique=True, index=True)
    mediator_id = Integer(index=True)  # roster.Mediator id (another app: no ForeignKey)
    holder_name = Varchar(length=100)
    grade = Varchar(length=20, index=True)
    region_code = Varchar(length=12, index=True)
    issuer = Varchar(length=200)
    issued_on = Date()
    expires_on = Date(index=True)
    status = Varchar(length=16, default="valid", index=True)  # valid|expired|suspended|revoked|renewed
    status_reason = Varchar(length=40, default="")  # reason category for suspended/revoked
    status_note = Text(default="")
    version = Integer(default=1)  # the card's render version (bumped when the card changes)
    layout_version = Integer(default=1)
    renewed_from_id = Integer(null=True, default=None, index=True)
    renewed_by_id = Integer(null=True, default=None)
    sitting_id = Integer(null=True, default=None, index=True)  # training_exams sitting, when batch-issued
    photo_path = Varchar(length=300, null=True, default=None)
    png_sha256 = Varchar(length=64, default="", index=True)
    pdf_sha256 = Varchar(length=64, default="", index=True)
    reminded_days = Integer(null=True, default=None)  # smallest reminder sent (60, 30)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class EarlierFile(Table):
    """The SHA-256 of a file once handed out for a certificate version and later replaced by a
    re-render that differs (e.g. after a renderer upgrade): that file is still genuine."""

    certificate_id = Integer(index=True)
    version = Integer()
    kind = Varchar(length=4)  # png | pdf
    sha256 = Varchar(length=64, index=True)
    replaced_at = Timestamptz(default=TimestamptzNow())


class CertificateSerial(Table):
    """The last serial used per region, year and grade. Incremented with an atomic
    UPDATE ... RETURNING inside the issuing transaction: numbers are gap-free."""

    region_code = Varchar(length=12)
    year = Integer()
    grade = Varchar(length=20)
    last_serial = Integer(default=0)
    counter_key = Varchar(length=48, unique=True)  # "{region}-{year}-{grade}": one row each


class Verification(Table):
    """One row per verification: time, how, result, which certificate if any, and the
    SHA-256 of the token presented. Nothing about the verifier."""

    at = Timestamptz(default=TimestamptzNow(), index=True)
    via = Varchar(length=8)  # token|number|file|api
    result = Varchar(length=16)  # valid|expired|suspended|revoked|renewed|not_found|altered
    certificate_id = Integer(null=True, default=None, index=True)
    token_hash = Varchar(length=64, default="")


class CertificateLayout(Table):
    """A versioned layout: a JSON spec of positions and sizes. Issued certificates keep the
    layout version they were issued with, so editing a layout never changes them."""

    version = Integer(unique=True)
    spec = JSONB(default="{}")
    note = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
