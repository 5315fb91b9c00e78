"""The audit trail every domain writes to: who, when, which record, what changed, why."""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypedDict

from piccolo.columns.combination import Combinable

from core.auth.roles import Principal
from core.tables import AuditRecord

request_id: ContextVar[str] = ContextVar("request_id", default="")

# Fields whose values are personal data: recorded as changed, never in clear.
PERSONAL_FIELDS = {"id_number", "id_number_enc", "phone", "phone_enc", "password", "password_hash", "token"}


def mask_value(field_name: str, value: Any) -> Any:
    if field_name in PERSONAL_FIELDS and value not in (None, ""):
        return "***"
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class Change(TypedDict):
    """A field's values before and after a change, as an audit record stores them (JSON)."""

    before: Any
    after: Any


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Change]:
    """Changed fields only, as {field: {"before": x, "after": y}}, personal data masked."""
    before, after = before or {}, after or {}
    changed: dict[str, Change] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            changed[key] = {"before": _plain(mask_value(key, old)), "after": _plain(mask_value(key, new))}
    return changed


def audit_row(
    actor: Principal | None,
    action: str,
    entity: str,
    entity_id: Any,
    *,
    region_code: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditRecord:
    return AuditRecord(
        actor_id=actor.user_id if actor else None,
        actor_name=(actor.username if actor and actor.username else "system"),
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        region_code=region_code or "",
        changes=json.dumps(diff(before, after), ensure_ascii=False),
        reason=reason,
        request_id=request_id.get(),
    )


async def record(
    actor: Principal | None,
    action: str,
    entity: str,
    entity_id: Any,
    *,
    region_code: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    """Write one audit record. Call it inside the same transaction as the change."""
    await AuditRecord.insert(
        audit_row(actor, action, entity, entity_id, region_code=region_code, before=before, after=after, reason=reason)
    )


async def record_many(rows: list[AuditRecord]) -> None:
    """Set-based audit for bulk work (batch issue, appraisal)."""
    for start in range(0, len(rows), 500):
        await AuditRecord.insert(*rows[start : start + 500])


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit record as the audit page shows it."""

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    entity: str
    entity_id: str
    region_code: str
    changes: dict[str, Change]  # as `diff` made it
    reason: str
    request_id: str


async def browse(
    region_prefixes: list[str] | None,
    *,
    entity: str = "",
    action: str = "",
    actor: str = "",
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[AuditEntry], int]:
    """Audit records visible to someone scoped to `region_prefixes` (None: everything)."""
    query = AuditRecord.select()
    count = AuditRecord.count()
    conditions = []
    if region_prefixes is not None:
        scope: Combinable | None = None
        for prefix in region_prefixes:
            clause = AuditRecord.region_code.like(prefix + "%")
            scope = clause if scope is None else scope | clause
        conditions.append(scope if scope is not None else AuditRecord.id < 0)
    if entity:
        conditions.append(AuditRecord.entity == entity)
    if action:
        conditions.append(AuditRecord.action == action)
    if actor:
        conditions.append(AuditRecord.actor_name == actor)
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.order_by(AuditRecord.id, ascending=False).limit(page_size).offset((page - 1) * page_size)
    entries = [AuditEntry(**{**row, "changes": json.loads(row["changes"] or "{}") if isinstance(row["changes"], str)
                             else row["changes"]}) for row in rows]
    return entries, await count
