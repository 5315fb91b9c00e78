"""What training's modules share: the shapes of what comes in (form values, stored rows), the
enrolment statuses, the rules' numbers, finding a stored record by id, and the pair key that
keeps one enrolment per course and mediator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from piccolo.table import Table

from core.errors import NotFound
from core.settings import Rules, get_settings

# Form or API values as they come in: strings from a form, typed values from the API, the
# demo and tests. Each module's validate_* reads them into a typed record.
FormValues = Mapping[str, Any]
# A row as Piccolo's select() hands it back: the edge each record is read from.
Row = dict[str, Any]

MODES = ("onsite", "online")
COURSE_STATUSES = ("draft", "published", "closed")
ENROLLED, WAITLISTED, WITHDRAWN, COMPLETED, WAITLIST_CLOSED = (
    "enrolled", "waitlisted", "withdrawn", "completed", "waitlist_closed")
HOLDS_PLACE = (ENROLLED, COMPLETED)
ACTIVE = (ENROLLED, WAITLISTED, COMPLETED)

MAX_ID = 2**31 - 1  # ids beyond a 32-bit integer cannot exist (and would overflow PostgreSQL)


def rules() -> Rules:
    return get_settings().rules


def exists_id(value: int) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


async def stored_row(table: type[Table], record_id: int, missing: str) -> Row:
    """The row of `table` with this id; NotFound(missing) when there is none."""
    row = await table.select().where(table._meta.primary_key == record_id).first() if exists_id(record_id) else None
    if row is None:
        raise NotFound(missing)
    return row


def course_key(course_id: int, mediator_id: int) -> str:
    return f"{course_id}:{mediator_id}"
