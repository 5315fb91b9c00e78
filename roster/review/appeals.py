"""Appeals (申诉) of exit notices: the mediator named in an open notice appeals within the
window, with reasons and up to three documents; the documents are opened by that mediator and by
the administrators and auditors of the region."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from core import audit, clock
from core.auth.roles import Principal, Role
from core.db import write_transaction
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.i18n import _
from roster.review import tables
from roster.review.exits import exit_notice


@dataclass(frozen=True, slots=True)
class AppealDocument:
    """A document lodged with an appeal, stored by its SHA-256 (a JSON item of the appeal)."""

    name: str
    path: str
    kind: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Appeal:
    """A mediator's appeal (申诉) of an exit notice."""

    id: int
    notice: int
    reasons: str
    documents: tuple[AppealDocument, ...]
    lodged_on: date
    lodged_by: int | None


MAX_APPEAL_DOCUMENTS = 3


async def accept_appeal_documents(files: list[tuple[str, bytes]]) -> list[AppealDocument]:
    """Check every file (PDF/JPEG/PNG by content, size-limited, images re-encoded) before any is
    stored, so a bad file refuses the whole appeal. Files are stored by their SHA-256; their names
    lose folders, control characters and direction marks, as recruitment documents' do."""
    from core import uploads
    from roster.application_documents import clean_name

    if len(files) > MAX_APPEAL_DOCUMENTS:
        raise DomainError(_("At most %(n)s documents.", n=MAX_APPEAL_DOCUMENTS), "documents")
    checked = [(name, *await uploads.accept_upload(data, "documents")) for name, data in files]
    documents = []
    for name, data, kind in checked:
        stored = uploads.store("appeals", data, kind)
        documents.append(AppealDocument(clean_name(name), stored.path, kind, stored.size, stored.sha256))
    return documents


async def appeal_document(principal: Principal, notice_id: int, index: int) -> AppealDocument:
    """A document of an appeal: for the mediator who lodged it and the administrators of the region."""
    notice = await exit_notice(notice_id)
    if principal.mediator_id != notice.mediator_id and not principal.can_act_in(
            notice.region_code, Role.ADMIN, Role.AUDITOR):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    documents = [d for a in (await appeals_of([notice_id])).get(notice_id, []) for d in a.documents]
    if not 0 <= index < len(documents):
        raise NotFound(_("No such document."))
    await audit.record(principal, "open_appeal_document", "mediator", notice.mediator_id,
                       region_code=notice.region_code, reason=documents[index].name)
    return documents[index]


async def appeal(principal: Principal, notice_id: int, reasons: str, documents: list[AppealDocument] | None = None,
                 today: date | None = None) -> int:
    today = today or clock.today()
    notice = await exit_notice(notice_id)
    if principal.mediator_id != notice.mediator_id:
        raise Forbidden(_("Only the mediator named in the notice can appeal it."))
    if notice.status != "open":
        raise Conflict(_("This notice can no longer be appealed."))
    if today > notice.appeal_deadline:
        raise Conflict(_("The appeal window closed on %(day)s.", day=notice.appeal_deadline.isoformat()))
    if len(reasons.strip()) < 10:
        raise DomainError(_("Give the reasons for the appeal (at least 10 characters)."), "reasons")
    async with write_transaction():
        row = await tables.Appeal.insert(tables.Appeal(
            notice=notice_id, reasons=reasons.strip(), documents=[asdict(d) for d in documents or []],
            lodged_on=today, lodged_by=principal.user_id)).returning(tables.Appeal.id)
        await tables.ExitNotice.update({"status": "appealed"}).where(tables.ExitNotice.id == notice_id)
        await audit.record(principal, "appeal_exit_notice", "mediator", notice.mediator_id,
                           region_code=notice.region_code, reason=reasons.strip()[:200])
    return row[0]["id"]


async def appeals_of(notice_ids: list[int]) -> dict[int, list[Appeal]]:
    if not notice_ids:
        return {}
    out: dict[int, list[Appeal]] = {}
    for row in await tables.Appeal.select().where(tables.Appeal.notice.is_in(notice_ids)).output(load_json=True):
        out.setdefault(row["notice"], []).append(Appeal(
            row["id"], row["notice"], row["reasons"], tuple(AppealDocument(**d) for d in row["documents"] or []),
            row["lodged_on"], row["lodged_by"]))
    return out
