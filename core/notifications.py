"""Notifications: what the platform tells a person (reminders, notices, outcomes).

Every message is stored once as an in-site notification, deduplicated by a key the caller
chooses (so a job that runs twice tells nobody twice), and queued in the outbox for a mail or
SMS gateway. The outbox holds the account and the message, never an address or a phone: the
gateway resolves those from its own directory, so personal data stays out of the queue.

Each queued message carries a region (the recipient's, or the matter's for an account without
grants); a gateway account reads and acknowledges only the messages of its own region and below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core import clock
from core.db import write_transaction
from core.errors import NotFound
from core.i18n import _
from core.regions import root_region, within_regions
from core.tables import Notification, OutboxMessage, UserRole
from core.web import Page

MAX_ATTEMPTS = 5  # after this many failed deliveries a message stays in the site only


@dataclass(frozen=True)
class Message:
    user_id: int
    kind: str  # machine-readable category, e.g. "certificate_expiry"
    subject: str
    body: str
    dedupe_key: str  # the same key is never sent twice
    region_code: str = ""  # whose gateway delivers it; empty: the recipient's home region


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """A message waiting in the outbox, as a gateway fetches it (the outbox API's items)."""

    id: int
    user_id: int
    region_code: str
    channel: str  # mail | sms
    subject: str
    body: str
    created_at: datetime
    attempts: int  # failed deliveries so far


def _now() -> datetime:
    return clock.now()


async def notify(messages: list[Message], channels: tuple[str, ...] = ("mail",)) -> int:
    """Store the messages not already sent and queue them for the gateway; answers how many were new.

    Set-based: one query for the keys already present, one insert per table, one transaction.
    """
    wanted = {m.dedupe_key[:128]: m for m in messages}
    if not wanted:
        return 0
    existing: set[str] = set()
    keys = list(wanted)
    for start in range(0, len(keys), 900):  # SQLite caps bound parameters
        chunk = keys[start:start + 900]
        existing |= {r["dedupe_key"] for r in await Notification.select(Notification.dedupe_key)
                     .where(Notification.dedupe_key.is_in(chunk))}
    new = [(key, m) for key, m in wanted.items() if key not in existing]
    if not new:
        return 0
    at = _now()
    regions = await _delivery_regions([m for _key, m in new])
    async with write_transaction():
        await Notification.insert(*[Notification(user_id=m.user_id, kind=m.kind, subject=m.subject[:200],
                                                 body=m.body, dedupe_key=key, created_at=at) for key, m in new])
        ids = {r["dedupe_key"]: r["id"] for r in await Notification.select(Notification.id, Notification.dedupe_key)
               .where(Notification.dedupe_key.is_in([key for key, _m in new]))}
        await OutboxMessage.insert(*[OutboxMessage(notification_id=ids[key], user_id=m.user_id, channel=channel,
                                                   region_code=regions[key], subject=m.subject[:200], body=m.body,
                                                   created_at=at)
                                     for key, m in new for channel in channels])
    return len(new)


async def _delivery_regions(messages: list[Message]) -> dict[str, str]:
    """Each message's region: the one it names, else the recipient's first grant's region, else
    the province's (an applicant's account has no grants): one query for all recipients."""
    unnamed = list({m.user_id for m in messages if not m.region_code})
    home: dict[int, str] = {}
    for start in range(0, len(unnamed), 900):
        for row in await UserRole.select(UserRole.user, UserRole.region_code).where(
                UserRole.user.is_in(unnamed[start:start + 900])).order_by(UserRole.id, ascending=False):
            home[row["user"]] = row["region_code"]  # newest first, so the first grant wins
    root = root_region()
    return {m.dedupe_key[:128]: m.region_code or home.get(m.user_id) or root for m in messages}


async def inbox(user_id: int, page: int = 1, page_size: int = 20) -> Page:
    query = Notification.select(Notification.id, Notification.kind, Notification.subject, Notification.body,
                                Notification.created_at, Notification.read_at).where(Notification.user_id == user_id)
    items = await query.order_by(Notification.created_at, ascending=False).order_by(
        Notification.id, ascending=False).limit(page_size).offset((page - 1) * page_size)
    total = await Notification.count().where(Notification.user_id == user_id)
    return Page(items=items, total=total, page=page, page_size=page_size)


async def unread_count(user_id: int) -> int:
    return await Notification.count().where(Notification.user_id == user_id, Notification.read_at.is_null())


async def mark_read(user_id: int, notification_ids: list[int] | None = None) -> int:
    """Mark the person's own notifications read (all of them when no ids are given)."""
    where = [Notification.user_id == user_id, Notification.read_at.is_null()]
    if notification_ids is not None:
        if not notification_ids:
            return 0
        where.append(Notification.id.is_in(notification_ids[:500]))
    changed = await Notification.count().where(*where)
    if changed:
        async with write_transaction():
            await Notification.update({Notification.read_at: _now()}).where(*where)
    return changed


def _in_regions(regions: list[str]) -> Any:
    """The gateway's reach; no region at all reaches nothing."""
    return within_regions(OutboxMessage.region_code, regions) or (OutboxMessage.id < 0)


async def pending_outbox(regions: list[str], limit: int = 100, channel: str = "") -> list[QueuedMessage]:
    """Messages of these regions waiting for the gateway, oldest first; failed ones are retried
    with a back-off."""
    now = _now()
    where = [_in_regions(regions), OutboxMessage.sent_at.is_null(), OutboxMessage.attempts < MAX_ATTEMPTS,
             (OutboxMessage.retry_after.is_null()) | (OutboxMessage.retry_after <= now)]
    if channel:
        where.append(OutboxMessage.channel == channel)
    rows = await OutboxMessage.select(
        OutboxMessage.id, OutboxMessage.user_id, OutboxMessage.region_code, OutboxMessage.channel,
        OutboxMessage.subject, OutboxMessage.body, OutboxMessage.created_at, OutboxMessage.attempts,
    ).where(*where).order_by(OutboxMessage.id).limit(max(1, min(limit, 500)))
    return [QueuedMessage(**row) for row in rows]


async def acknowledge(regions: list[str], sent_ids: list[int], failed: dict[int, str] | None = None
                      ) -> dict[str, int]:
    """The gateway reports what it delivered and what failed (with its error, retried later).

    A message outside the gateway's regions is answered like one that doesn't exist (404), and
    then nothing of the report is applied: a gateway cannot silence another region's mail."""
    failed = failed or {}
    sent_ids, failed = sent_ids[:500], dict(list(failed.items())[:500])
    asked = list(set(sent_ids) | set(failed))
    found = {r["id"] for r in await OutboxMessage.select(OutboxMessage.id).where(
        OutboxMessage.id.is_in(asked), _in_regions(regions))} if asked else set()
    if len(found) != len(asked):
        raise NotFound(_("No such message."), "sent" if set(sent_ids) - found else "failed")
    now = _now()
    sent = 0
    async with write_transaction():
        if sent_ids:
            where = [OutboxMessage.id.is_in(sent_ids), OutboxMessage.sent_at.is_null()]
            sent = await OutboxMessage.count().where(*where)
            await OutboxMessage.update({OutboxMessage.sent_at: now}).where(*where)
        rows = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.attempts).where(
            OutboxMessage.id.is_in(list(failed)), OutboxMessage.sent_at.is_null()) if failed else []
        for row in rows:
            attempts = row["attempts"] + 1
            await OutboxMessage.update({
                OutboxMessage.attempts: attempts,
                OutboxMessage.last_error: str(failed[row["id"]])[:500],
                OutboxMessage.retry_after: now + timedelta(minutes=5 * 2 ** (attempts - 1)),
            }).where(OutboxMessage.id == row["id"])
    return {"sent": sent, "failed": len(rows)}
