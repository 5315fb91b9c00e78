"""Uploads are checked by content, not by name, and images are re-encoded with Pillow
(which also drops EXIF, GPS included). Files are stored by their SHA-256 under var/."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from core.errors import DomainError
from core.i18n import _
from core.settings import get_settings

Image.MAX_IMAGE_PIXELS = 40_000_000  # refuse decompression bombs


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to var/uploads
    kind: str  # "pdf" | "jpeg" | "png"
    size: int
    sha256: str


def sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def reencode_image(data: bytes, field: str, max_side: int = 2000) -> tuple[bytes, str]:
    """Decode and re-encode a JPEG/PNG; anything else, or a broken file, is refused."""
    kind = sniff(data)
    if kind not in ("jpeg", "png"):
        raise DomainError(_("Only JPEG or PNG images are accepted."), field)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = image.convert("RGB") if kind == "jpeg" or image.mode not in ("RGB", "RGBA", "L") else image.copy()
            image.thumbnail((max_side, max_side))
            out = io.BytesIO()
            if kind == "jpeg":
                image.save(out, format="JPEG", quality=88, optimize=True)
            else:
                image.save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as broken:
        raise DomainError(_("The image could not be read."), field) from broken
    return out.getvalue(), kind


def check_pdf(data: bytes, field: str) -> None:
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise DomainError(_("The PDF file is damaged or not a PDF."), field)


def accept_upload(data: bytes, field: str, *, allow_pdf: bool = True, max_bytes: int | None = None) -> tuple[bytes, str]:
    """Validate an upload: size, real type by content; images re-encoded. Returns (bytes, kind)."""
    limit = max_bytes or get_settings().rules.max_upload_bytes
    if not data:
        raise DomainError(_("The file is empty."), field)
    if len(data) > limit:
        raise DomainError(_("The file is larger than %(mb)s MB.", mb=round(limit / 1024 / 1024, 1)), field)
    kind = sniff(data)
    if kind == "pdf" and allow_pdf:
        check_pdf(data, field)
        return data, kind
    if kind in ("jpeg", "png"):
        return reencode_image(data, field)
    raise DomainError(_("Only PDF, JPEG or PNG files are accepted.") if allow_pdf else _("Only JPEG or PNG images are accepted."), field)


def store(area: str, data: bytes, kind: str) -> StoredFile:
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(area) / f"{digest}.{ 'jpg' if kind == 'jpeg' else kind}"
    target = get_settings().var_dir / "uploads" / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_bytes(data)
    return StoredFile(path=str(relative), kind=kind, size=len(data), sha256=digest)


def open_stored(relative: str) -> Path:
    base = (get_settings().var_dir / "uploads").resolve()
    target = (base / relative).resolve()
    if not str(target).startswith(str(base)):
        raise DomainError(_("File not found."))
    return target
