"""Application documents (报名材料): the copy of the ID card, qualification certificates and
CV an applicant attaches to a recruitment application.

Every file is checked before anything is kept, so one bad file refuses the whole application:
PDF, JPEG or PNG by content (magic bytes), never by the name alone; a name that claims another
kind than the content is refused too (a PNG called `.pdf`); images are decoded and re-encoded
with Pillow, which drops EXIF (GPS included); a PDF must start with `%PDF-` and end with
`%%EOF`; each file is within `rules.max_upload_bytes` and there are at most
`rules.max_application_documents` of them. Files lie under var/uploads/applications named by
their SHA-256 (as mediator photos do); the table keeps the path and the digest.

Only the administrators of the call's region (the reviewers) and the applicant who submitted
the application can open a document, and every opening is audited."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from core import audit, uploads
from core.auth.roles import Principal, Role
from core.errors import DomainError, Forbidden, NotFound
from core.i18n import _
from core.settings import get_settings
from roster import personal
from roster.tables import ApplicationDocument

FIELD = "documents"
AREA = "applications"
SUFFIXES = {"pdf": ("pdf",), "jpeg": ("jpg", "jpeg"), "png": ("png",)}
MEDIA_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
KIND_NAMES = {"pdf": "PDF", "jpeg": "JPEG", "png": "PNG"}


@dataclass(frozen=True)
class CheckedDocument:
    name: str
    data: bytes  # re-encoded for images, as received for PDFs
    kind: str


@dataclass(frozen=True, slots=True)
class AttachedDocument:
    """A document as the reviewers and the applicant see it listed: never its path or bytes."""

    id: int
    application: int
    name: str
    kind: str
    size: int


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A document being opened: enough to name the download."""

    id: int
    application: int
    position: int
    name: str
    kind: str


_ID_LIKE = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?!\d)")
_MOBILE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def clean_name(filename: str) -> str:
    """The file's own name without any folder, control characters or surrounding blanks, and
    with what looks like an ID number or a mobile number masked (people name scans after them;
    the name is shown to reviewers and written to the audit log)."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    name = _ID_LIKE.sub(lambda m: personal.mask_id_number(m.group(0)), name)
    name = _MOBILE_LIKE.sub(lambda m: personal.mask_phone(m.group(0)), name)
    if len(name) > 120:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[: 119 - len(suffix)] + dot + suffix) if dot and len(suffix) <= 8 else name[:120]
    return name or "document"


def _suffix(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def check_pdf_ends(data: bytes) -> None:
    """A PDF ends with its `%%EOF` marker (line ends and padding after it are allowed)."""
    if not data.rstrip(b"\r\n\t \x00").endswith(b"%%EOF"):
        raise DomainError(_("The PDF file is damaged or not a PDF."), FIELD)


async def check_documents(files: list[tuple[str, bytes]]) -> list[CheckedDocument]:
    """Check every file and answer the kept form of each; the first bad file raises a
    DomainError on the `documents` field that names it. Nothing is stored here."""
    rules = get_settings().rules
    if len(files) > rules.max_application_documents:
        raise DomainError(_("Attach at most %(n)s documents.", n=rules.max_application_documents), FIELD)
    checked = []
    for filename, data in files:
        name = clean_name(filename)
        try:
            suffix = _suffix(name)
            if suffix not in {s for names in SUFFIXES.values() for s in names}:
                raise DomainError(_("Only PDF, JPEG or PNG files (.pdf, .jpg, .png) are accepted."), FIELD)
            sniffed = uploads.sniff(data)
            if sniffed is not None and suffix not in SUFFIXES[sniffed]:
                raise DomainError(_("The name ends in .%(suffix)s but the file is a %(kind)s file.", suffix=suffix,
                                    kind=KIND_NAMES[sniffed]), FIELD)
            kept, kind = await uploads.accept_upload(data, FIELD, max_bytes=rules.max_upload_bytes)
            if kind == "pdf":
                check_pdf_ends(kept)
        except DomainError as refused:
            raise DomainError(_("%(name)s: %(problem)s", name=name, problem=refused.message), FIELD) from refused
        checked.append(CheckedDocument(name=name, data=kept, kind=kind))
    return checked


def _target(digest: str, kind: str) -> Path:
    suffix = "jpg" if kind == "jpeg" else kind
    return get_settings().var_dir / "uploads" / AREA / f"{digest}.{suffix}"


async def attach(application_id: int, documents: list[CheckedDocument], created: list[Path], at) -> None:
    """Store the checked files and their rows; call inside the application's transaction.
    Files this call creates are appended to `created` so the caller can remove them if the
    transaction fails (a file that was already there belongs to someone else too)."""
    rows = []
    for position, document in enumerate(documents):
        digest = hashlib.sha256(document.data).hexdigest()
        existed = _target(digest, document.kind).exists()
        stored = uploads.store(AREA, document.data, document.kind)
        if not existed:
            created.append(_target(digest, document.kind))
        rows.append(ApplicationDocument(application=application_id, position=position, name=document.name,
                                        kind=document.kind, size=stored.size, sha256=stored.sha256,
                                        path=stored.path, created_at=at))
    if rows:
        await ApplicationDocument.insert(*rows)


def discard(created: list[Path]) -> None:
    for path in created:
        path.unlink(missing_ok=True)


async def documents_of(application_ids: list[int]) -> dict[int, list[AttachedDocument]]:
    """Names, kinds and sizes of the documents of these applications (one query)."""
    if not application_ids:
        return {}
    out: dict[int, list[AttachedDocument]] = {}
    rows = await ApplicationDocument.select(
        ApplicationDocument.id, ApplicationDocument.application, ApplicationDocument.name, ApplicationDocument.kind,
        ApplicationDocument.size,
    ).where(ApplicationDocument.application.is_in(list(set(application_ids)))).order_by(
        ApplicationDocument.application).order_by(ApplicationDocument.position)
    for row in rows:
        out.setdefault(row["application"], []).append(AttachedDocument(**row))
    return out


async def open_document(principal: Principal, application_id: int, document_id: int,
                        call_id: int | None = None) -> tuple[StoredDocument, bytes]:
    """A document and its bytes, for the administrators of the call's region (the reviewers)
    and the applicant who submitted it; anyone else is refused. The opening is audited."""
    row = await ApplicationDocument.select(
        *ApplicationDocument.all_columns(),
        ApplicationDocument.application.user_id.as_alias("applicant_user_id"),
        ApplicationDocument.application.region_code.as_alias("region_code"),
        ApplicationDocument.application.call.as_alias("call_id"),
        ApplicationDocument.application._.call._.region_code.as_alias("call_region_code"),
    ).where(ApplicationDocument.id == document_id).first()
    if row is None or row["application"] != application_id or (call_id is not None and row["call_id"] != call_id):
        raise NotFound(_("No such document."))
    reviewer = principal.can_act_in(row["call_region_code"], Role.ADMIN)
    applicant = principal.user_id is not None and principal.user_id == row["applicant_user_id"]
    if not (reviewer or applicant):
        raise Forbidden(_("Only the reviewers of this call and the applicant can open its documents."))
    path = uploads.open_stored(row["path"])
    data = path.read_bytes() if path.is_file() else b""
    if not data or hashlib.sha256(data).hexdigest() != row["sha256"]:
        # missing or altered on disk: never hand out a file that is not the one received
        raise NotFound(_("This document's file is missing or has been altered."))
    await audit.record(principal, "open_application_document", "application", application_id,
                       region_code=row["region_code"], after={"document": row["id"], "kind": row["kind"]})
    return StoredDocument(id=row["id"], application=row["application"], position=row["position"], name=row["name"],
                          kind=row["kind"]), data


def download_headers(row: StoredDocument) -> dict[str, str]:
    """An attachment (never shown inline), named `application-<id>-<n>.<ext>` with the
    applicant's own name beside it in RFC 5987 form."""
    from urllib.parse import quote

    suffix = "jpg" if row.kind == "jpeg" else row.kind
    fallback = f"application-{row.application}-{row.position + 1}.{suffix}"
    own = row.name if _suffix(row.name) in SUFFIXES[row.kind] else f"{row.name}.{suffix}"
    return {"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(own, safe='')}",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
