"""Hostile files that are small on the wire and huge once decoded, made here rather than stored."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width: int, height: int) -> bytes:
    """The signature and IHDR of an 8-bit RGB PNG, nothing after: a header that declares a picture."""
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))


def png_bomb(width: int = 10_000, height: int = 7_900) -> bytes:
    """A complete, valid PNG of black pixels: 10000×7900 is 79 megapixels (237 MB decoded as RGB)
    in about 230 KB, like the 308 KB photo of the report."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (width * 3 + 1)  # filter byte, then the row's pixels
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return png_header(width, height) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def jpeg_with_a_second_frame_header(jpeg: bytes, width: int, height: int) -> bytes:
    """A genuine JPEG with an extra start-of-frame segment declaring another size before its own
    (decoders disagree about which one counts)."""
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return jpeg[:2] + sof + jpeg[2:]


def xlsx_bomb(unpacked_bytes: int = 60 * 1024 * 1024) -> bytes:
    """An XLSX (a zip) whose worksheet inflates to `unpacked_bytes` of blanks: tens of KB packed."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["kind", "topic"])
    out = io.BytesIO()
    book.save(out)
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as source, \
            zipfile.ZipFile(rebuilt, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * unpacked_bytes, 1)
            target.writestr(part, data, compress_type=zipfile.ZIP_DEFLATED)
    return rebuilt.getvalue()


def lying_xlsx(unpacked_bytes: int = 60 * 1024 * 1024, declared: int = 1000) -> bytes:
    """The same bomb, its central directory and local header claiming the worksheet is `declared`
    bytes unpacked."""
    data = bytearray(xlsx_bomb(unpacked_bytes))
    name = b"xl/worksheets/sheet1.xml"
    central = _record_naming(data, b"PK\x01\x02", 46, 28, name)
    struct.pack_into("<I", data, central + 24, declared)
    local = _record_naming(data, b"PK\x03\x04", 30, 26, name)
    struct.pack_into("<I", data, local + 22, declared)
    return bytes(data)


def _record_naming(data: bytearray, signature: bytes, fixed: int, name_length_at: int, name: bytes) -> int:
    """Offset of the zip record with `signature` whose file name is `name`."""
    start = data.find(signature)
    while start != -1:
        length = struct.unpack_from("<H", data, start + name_length_at)[0]
        if bytes(data[start + fixed:start + fixed + length]) == name:
            return start
        start = data.find(signature, start + 4)
    raise LookupError(name)
