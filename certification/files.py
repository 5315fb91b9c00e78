"""A certificate's files: the PNG and PDF of its current version, rendered once and cached,
identical for every download, with their SHA-256 fingerprints stored for the file check."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from certification import render, tables
from certification.layouts import layout_spec
from certification.render import CardData
from certification.schemas import Certificate
from certification.tables import EarlierFile
from certification.tokens import verify_url
from core import clock
from core.db import write_transaction
from core.settings import get_settings


def _cache_dir() -> Path:
    path = get_settings().var_dir / "certificates"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _photo_file(photo_path: str | None) -> str | None:
    if not photo_path:
        return None
    base = (get_settings().var_dir / "uploads").resolve()
    candidate = (base / photo_path).resolve()
    return str(candidate) if candidate.is_relative_to(base) and candidate.is_file() else None


def card_data(certificate: Certificate) -> CardData:
    return CardData(
        certificate_no=certificate.certificate_no, holder_name=certificate.holder_name, grade=certificate.grade,
        issuer=certificate.issuer, issued_on=certificate.issued_on, expires_on=certificate.expires_on,
        verify_url=verify_url(certificate.id, certificate.version), photo_file=_photo_file(certificate.photo_path),
    )


async def rendered_files(certificate: Certificate) -> tuple[bytes, bytes]:
    """(PNG, PDF) of the certificate's current version, from the cache (keyed by id and
    version) or rendered and cached; the first render stores the files' SHA-256."""
    base = _cache_dir()
    card = card_data(certificate)
    # Keyed by what is printed, not only by id: a restored or reset database can reuse ids.
    printed = hashlib.sha256(repr((card, certificate.layout_version)).encode()).hexdigest()[:16]
    stem = f"{certificate.id}-v{certificate.version}-{printed}"
    png_file, pdf_file = base / f"{stem}.png", base / f"{stem}.pdf"
    if png_file.exists() and pdf_file.exists():
        png, pdf = png_file.read_bytes(), pdf_file.read_bytes()
    else:
        spec = await layout_spec(certificate.layout_version)
        png, pdf = await asyncio.to_thread(render.render, card, spec)
        for target, data in ((png_file, png), (pdf_file, pdf)):
            temporary = target.with_suffix(target.suffix + ".tmp")
            temporary.write_bytes(data)
            temporary.replace(target)
    png_sha, pdf_sha = hashlib.sha256(png).hexdigest(), hashlib.sha256(pdf).hexdigest()
    if certificate.png_sha256 != png_sha or certificate.pdf_sha256 != pdf_sha:
        replaced = [EarlierFile(certificate_id=certificate.id, version=certificate.version, kind=kind, sha256=old,
                                replaced_at=clock.now())
                    for kind, old, new in (("png", certificate.png_sha256, png_sha),
                                           ("pdf", certificate.pdf_sha256, pdf_sha))
                    if old and old != new]
        async with write_transaction():
            if replaced:  # files already handed out stay genuine
                await EarlierFile.insert(*replaced)
            await tables.Certificate.update({tables.Certificate.png_sha256: png_sha,
                                             tables.Certificate.pdf_sha256: pdf_sha}).where(
                (tables.Certificate.id == certificate.id) & (tables.Certificate.version == certificate.version))
    return png, pdf
