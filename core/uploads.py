"""Uploads are checked by content, not by name, and images are re-encoded with Pillow
(which also drops EXIF, GPS included). Files are stored by their SHA-256 under var/.

A small file can declare a huge picture (a 308 KB PNG of 79 megapixels decodes into 240 MB) or
a huge workbook (an XLSX is a zip). So an image's declared size is read from its header and
refused past `rules.max_image_pixels` before anything is decoded, a workbook's declared
unpacked size likewise, and the decoding itself runs on one worker thread: off the event loop,
so other requests keep being served, and one at a time, so N uploads at once cannot take N
times the memory."""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import io
import struct
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from PIL import Image, UnidentifiedImageError

from core.errors import DomainError
from core.i18n import _
from core.settings import get_settings

# Pillow's own guard, for any Image.open anywhere: it warns past this and refuses past twice it.
Image.MAX_IMAGE_PIXELS = get_settings().rules.max_image_pixels
MAX_WORKBOOK_PARTS = 1000  # an XLSX holds a few dozen parts; a zip of a million tiny ones is an attack

_decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload-decoder")
T = TypeVar("T")


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


async def run_decoder(function: Callable[..., T], *args: object) -> T:
    """Run `function(*args)` (decoding someone's file) on the decoder thread, in the caller's
    context (its language, for the messages), and wait for it without holding the event loop."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_decoder, context.run, function, *args)


def _png_size(data: bytes) -> tuple[int, int] | None:
    # The IHDR chunk comes first in every PNG: length 13, "IHDR", width, height (big-endian).
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


# Start-of-frame markers (SOF0–SOF15 but DHT, JPG and DAC), which carry the frame's height and width.
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """The largest frame any start-of-frame marker before the scan declares (a file may carry
    several; taking the largest means no frame of it passes unchecked)."""
    size, position = None, 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return size
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            position += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header after this
            return size
        length = struct.unpack(">H", data[position + 2:position + 4])[0]
        if marker in _JPEG_FRAMES and position + 9 <= len(data):
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            if size is None or width * height > size[0] * size[1]:
                size = (width, height)
        position += 2 + length
    return size


def declared_size(data: bytes, kind: str) -> tuple[int, int] | None:
    """Width and height as the file's header declares them, read without decoding anything."""
    return _png_size(data) if kind == "png" else _jpeg_size(data) if kind == "jpeg" else None


def check_image_pixels(size: tuple[int, int], field: str) -> None:
    limit = get_settings().rules.max_image_pixels
    width, height = size
    if width * height > limit:
        raise DomainError(_("The image is %(width)s × %(height)s pixels, more than the limit of %(megapixels)s "
                            "megapixels. Send a smaller image.", width=width, height=height,
                            megapixels=f"{limit / 1_000_000:g}"), field)


def reencode_image(data: bytes, field: str, max_side: int = 2000) -> tuple[bytes, str]:
    """Decode and re-encode a JPEG/PNG; anything else, a broken file, or a picture larger than
    the pixel limit is refused. Slow and memory-hungry by nature: call it through
    `accept_upload` (which runs it on the decoder thread), never on the event loop."""
    kind = sniff(data)
    if kind not in ("jpeg", "png"):
        raise DomainError(_("Only JPEG or PNG images are accepted."), field)
    size = declared_size(data, kind)
    if size is None or 0 in size:
        raise DomainError(_("The image could not be read."), field)
    check_image_pixels(size, field)  # before a single pixel is decoded
    try:
        with Image.open(io.BytesIO(data), formats=["PNG" if kind == "png" else "JPEG"]) as opened:
            if opened.size != size:  # Pillow read another header than the one checked: a lying file
                raise DomainError(_("The image could not be read."), field)
            if kind == "jpeg":
                opened.draft("RGB", (max_side, max_side))  # decode a big photo at 1/2, 1/4 or 1/8 scale
            opened.load()
            image: Image.Image = opened
            if image.mode not in ("RGB", "RGBA", "L"):  # palette, CMYK, 16-bit: resampled as RGB
                image = image.convert("RGB")
            image.thumbnail((max_side, max_side))
            if kind == "jpeg" and image.mode != "RGB":
                image = image.convert("RGB")
            out = io.BytesIO()
            if kind == "jpeg":
                image.save(out, format="JPEG", quality=88, optimize=True)
            else:
                image.save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as broken:
        raise DomainError(_("The image could not be read."), field) from broken
    return out.getvalue(), kind


def check_workbook(data: bytes, field: str) -> None:
    """Refuse an XLSX whose parts declare more than `rules.max_workbook_unpacked_bytes`
    unpacked, before any part is inflated. The declared sizes bind: Python's zipfile stops
    inflating a part at its declared size and fails its checksum if more was packed."""
    limit = get_settings().rules.max_workbook_unpacked_bytes
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as broken:
        raise DomainError(_("This file is not a readable XLSX workbook."), field) from broken
    if len(parts) > MAX_WORKBOOK_PARTS or sum(part.file_size for part in parts) > limit:
        raise DomainError(_("The workbook unpacks to more than %(mb)s MB. Split it into smaller files.",
                            mb=f"{limit / 1024 / 1024:g}"), field)


def check_pdf(data: bytes, field: str) -> None:
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise DomainError(_("The PDF file is damaged or not a PDF."), field)


async def accept_upload(data: bytes, field: str, *, allow_pdf: bool = True, max_bytes: int | None = None
                        ) -> tuple[bytes, str]:
    """Validate an upload: size, real type by content; images checked against the pixel limit
    and re-encoded on the decoder thread. Returns (bytes, kind)."""
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
        return await run_decoder(reencode_image, data, field)
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
