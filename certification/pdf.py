"""A small PDF writer for certificates: objects, streams, xref and trailer, plus a Type0 font
(Identity-H, ToUnicode) embedding a TrueType subset of the CJK font, so the PDF carries real,
selectable and searchable Chinese text.

Deterministic bytes: no clock is read anywhere (the document dates are passed in), streams are
compressed with a fixed zlib level, dictionaries keep insertion order, and the /ID is a digest
of the body.

Why the subset is built glyph by glyph instead of with fontTools' subsetter: the subsetter
parses the whole 65,000-glyph CFF table of Noto Sans SC for every call (about 150 ms per
certificate, 25 times the old raster PDF). Here each glyph the certificates use is converted
once per process (CFF cubics to TrueType quadratics with cu2qu, within one font unit; glyf
outlines are copied, composites decomposed) and every certificate's font is assembled from
those with fontTools' FontBuilder: a few milliseconds.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import zlib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.filterPen import DecomposingFilterPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._g_l_y_f import Glyph

ZLIB_LEVEL = 6
# A PDF dictionary object: each key a PDF name (without the slash), each value a PDF value.
PdfDict = dict[str, Any]
CU2QU_MAX_ERR = 1.0  # font units (1/1000 em for Noto): far below a pixel at any print size


# --------------------------------------------------------------------------- objects and syntax
class Name(str):
    """A PDF name (/Type); the value is written without the slash."""


@dataclass(frozen=True)
class Ref:
    number: int


_NAME_SAFE = re.compile(rb"[!-~]")
_DELIMITERS = set(b"()<>[]{}/%#")


def _name(value: str) -> bytes:
    out = bytearray(b"/")
    for byte in value.encode("utf-8"):
        if _NAME_SAFE.fullmatch(bytes([byte])) and byte not in _DELIMITERS:
            out.append(byte)
        else:
            out += b"#%02X" % byte
    return bytes(out)


def number(value: float) -> bytes:
    """Fixed-point, no exponent, no trailing zeros: the same float always writes the same bytes."""
    if isinstance(value, int):
        return str(value).encode()
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return (text if text not in ("-0", "") else "0").encode()


def text_string(value: str) -> bytes:
    """A PDF text string: literal for printable ASCII, UTF-16BE with BOM otherwise."""
    if all(" " <= ch <= "~" for ch in value):
        return b"(" + value.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"


def serialize(value: Any) -> bytes:
    if isinstance(value, Name):
        return _name(value)
    if isinstance(value, Ref):
        return b"%d 0 R" % value.number
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, str):
        return text_string(value)
    if isinstance(value, bytes):
        return b"<" + value.hex().upper().encode() + b">"
    if isinstance(value, dict):
        return b"<<" + b"".join(_name(k) + b" " + serialize(v) for k, v in value.items()) + b">>"
    if isinstance(value, list | tuple):
        return b"[" + b" ".join(serialize(v) for v in value) + b"]"
    if value is None:
        return b"null"
    raise TypeError(f"cannot write {type(value).__name__} to a PDF")


class Document:
    """Objects numbered in the order they are added; `to_bytes` writes header, body, xref, trailer."""

    def __init__(self) -> None:
        self._objects: list[bytes | None] = []

    def reserve(self) -> Ref:
        self._objects.append(None)
        return Ref(len(self._objects))

    def set(self, ref: Ref, value: Any) -> Ref:
        self._objects[ref.number - 1] = serialize(value)
        return ref

    def add(self, value: Any) -> Ref:
        return self.set(self.reserve(), value)

    def stream(self, entries: PdfDict, data: bytes, *, compress: bool = True) -> Ref:
        if compress:
            data = zlib.compress(data, ZLIB_LEVEL)
            entries = {**entries, "Filter": Name("FlateDecode")}
        head = serialize({**entries, "Length": len(data)})
        ref = self.reserve()
        self._objects[ref.number - 1] = head + b"\nstream\n" + data + b"\nendstream"
        return ref

    def to_bytes(self, root: Ref, info: Ref | None = None) -> bytes:
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for index, body in enumerate(self._objects, start=1):
            if body is None:
                raise ValueError(f"PDF object {index} was reserved but never written")
            offsets.append(len(out))
            out += b"%d 0 obj\n" % index + body + b"\nendobj\n"
        digest = hashlib.md5(bytes(out), usedforsecurity=False).digest()  # /ID: a name for these bytes
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        trailer: PdfDict = {"Size": len(offsets) + 1, "Root": root}
        if info is not None:
            trailer["Info"] = info
        trailer["ID"] = [digest, digest]
        out += b"trailer\n" + serialize(trailer) + b"\nstartxref\n%d\n%%%%EOF\n" % xref
        return bytes(out)


def date_string(year: int, month: int, day: int) -> str:
    return f"D:{year:04d}{month:02d}{day:02d}000000Z"


# --------------------------------------------------------------------------- the CJK font
class GlyphMissing(ValueError):
    """The font has no glyph for a character the certificate would print (it would be a tofu box)."""


@dataclass
class _Source:
    """One font file, opened once per process; converted glyphs are kept for later certificates."""

    path: str
    font: TTFont
    cmap: dict[int, str]
    is_cff: bool
    units_per_em: int
    ps_name: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    glyphs: dict[str, _Glyph] = field(default_factory=dict)

    @cached_property
    def glyph_set(self):
        return self.font.getGlyphSet()

    def glyph(self, name: str) -> _Glyph:
        cached = self.glyphs.get(name)
        if cached is None:
            pen = TTGlyphPen(None)
            target = Cu2QuPen(pen, CU2QU_MAX_ERR, reverse_direction=True) if self.is_cff else pen
            glyph_set = self.glyph_set
            glyph_set[name].draw(DecomposingFilterPen(target, glyph_set))
            glyph = pen.glyph()
            data = glyph.compile(None, recalcBBoxes=True)  # compiled once: the costly part of a font
            if glyph.numberOfContours:
                bounds = (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax)
                cached = _Glyph(data, bounds, len(glyph.coordinates), glyph.numberOfContours)
            else:
                cached = _Glyph(b"", None, 0, 0)
            self.glyphs[name] = cached
        return cached


@dataclass(frozen=True)
class _Glyph:
    """A converted glyph: its compiled `glyf` record and what the font's summary tables need."""

    data: bytes
    bounds: tuple[int, int, int, int] | None
    points: int
    contours: int

    @property
    def x_min(self) -> int:
        return self.bounds[0] if self.bounds else 0


@lru_cache(maxsize=4)
def _source(path: str) -> _Source:
    # A collection (.ttc) opens its first face, the one Pillow draws the PNG with.
    font = TTFont(path, lazy=True, recalcTimestamp=False, recalcBBoxes=False, fontNumber=0)
    names = font["name"]
    ps_name = str(names.getDebugName(6) or names.getDebugName(4) or "CJKFont")
    return _Source(path=path, font=font, cmap=font.getBestCmap(), is_cff="CFF " in font or "CFF2" in font,
                   units_per_em=font["head"].unitsPerEm, ps_name=re.sub(r"[^A-Za-z0-9_.-]", "", ps_name) or "CJKFont")


@dataclass(frozen=True)
class SubsetFont:
    """A TrueType subset: `codes` maps each character to its 2-byte code (= CID = glyph id)."""

    base_font: str
    data: bytes
    codes: dict[str, int]
    widths: list[float]  # per glyph id, in 1/1000 em
    ascent: float
    descent: float
    cap_height: float
    bbox: tuple[float, float, float, float]

    def encode(self, text: str) -> bytes:
        return b"".join(self.codes[ch].to_bytes(2, "big") for ch in text)


def has_glyph(path: str, ch: str) -> bool:
    return ord(ch) in _source(path).cmap


def check_glyphs(path: str, text: str) -> None:
    """Raise GlyphMissing (naming code points, never the text: it holds a person's name) when
    the font lacks a character of `text`."""
    cmap = _source(path).cmap
    missing = sorted({ch for ch in text if ord(ch) not in cmap})
    if missing:
        raise GlyphMissing("The certificate font has no glyph for " + ", ".join(f"U+{ord(ch):04X}" for ch in missing))


def subset_font(path: str, text: str) -> SubsetFont:
    """The glyphs of `text` (plus .notdef) as a TrueType font; raises GlyphMissing rather than
    print a character the font doesn't have."""
    source = _source(path)
    chars = sorted(set(text))
    check_glyphs(path, text)
    with source.lock:  # lazy fontTools tables and the shared glyph objects are not thread-safe
        return _build_subset(source, chars)


# Name records carried over from the source (the OFL asks for its notice to travel with the font).
_NAME_RECORDS = {"copyright": 0, "familyName": 1, "styleName": 2, "licenseDescription": 13, "licenseInfoURL": 14}


def _build_subset(source: _Source, chars: list[str]) -> SubsetFont:
    src = source.font
    glyph_names = sorted({source.cmap[ord(ch)] for ch in chars}, key=src.getGlyphID)
    order = [".notdef"] + [name for name in glyph_names if name != ".notdef"]
    glyphs = {name: source.glyph(name) for name in order}
    advances = {name: src["hmtx"][name][0] for name in order}
    hhea, os2, head, post = src["hhea"], src["OS/2"], src["head"], src["post"]
    # Subset tag: six capitals derived from the glyph set, so the same text gives the same name.
    digest = hashlib.sha256("\n".join(order).encode()).digest()
    tag = "".join(chr(65 + byte % 26) for byte in digest[:6])

    builder = FontBuilder(source.units_per_em, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap({ord(ch): source.cmap[ord(ch)] for ch in chars})
    glyf = newTable("glyf")
    glyf.glyphs = {name: Glyph(glyph.data) for name, glyph in glyphs.items()}
    glyf.glyphOrder = order
    builder.font["glyf"], builder.font["loca"] = glyf, newTable("loca")
    # Left side bearing = xMin, as TrueType wants (and head.flags bit 1 promises).
    builder.setupHorizontalMetrics({name: (advances[name], glyphs[name].x_min) for name in order})
    inked = [(advances[name], bounds) for name in order if (bounds := glyphs[name].bounds)]
    builder.setupHorizontalHeader(
        ascent=hhea.ascent, descent=hhea.descent, lineGap=hhea.lineGap,
        advanceWidthMax=max(advances.values()),
        minLeftSideBearing=min((b[0] for _, b in inked), default=0),
        minRightSideBearing=min((advance - b[2] for advance, b in inked), default=0),
        xMaxExtent=max((b[2] for _, b in inked), default=0))
    names = {key: src["name"].getDebugName(number) for key, number in _NAME_RECORDS.items()}
    builder.setupNameTable({**{key: value for key, value in names.items() if value},
                            "psName": source.ps_name, "uniqueFontIdentifier": f"{tag}+{source.ps_name}"},
                           mac=False)
    builder.setupOS2(sTypoAscender=os2.sTypoAscender, sTypoDescender=os2.sTypoDescender,
                     sTypoLineGap=os2.sTypoLineGap, usWinAscent=os2.usWinAscent, usWinDescent=os2.usWinDescent,
                     fsType=os2.fsType, usWeightClass=os2.usWeightClass,
                     sxHeight=getattr(os2, "sxHeight", 0), sCapHeight=getattr(os2, "sCapHeight", 0))
    builder.setupPost(keepGlyphNames=False, underlinePosition=post.underlinePosition,
                      underlineThickness=post.underlineThickness)
    box = _union(b for _, b in inked)
    # The source's own dates, never the clock: the same text gives the same bytes.
    builder.updateHead(created=head.created, modified=head.modified, fontRevision=head.fontRevision,
                       xMin=box[0], yMin=box[1], xMax=box[2], yMax=box[3])
    builder.setupMaxp()
    maxp = builder.font["maxp"]
    maxp.maxPoints = max(glyph.points for glyph in glyphs.values())
    maxp.maxContours = max(glyph.contours for glyph in glyphs.values())
    # Everything the compiler would recalculate is set above (a test checks it against fontTools'
    # own recalculation), so the glyphs' compiled bytes are reused instead of compiled again.
    builder.font.recalcBBoxes = False
    out = io.BytesIO()
    builder.save(out)

    scale = 1000 / source.units_per_em
    return SubsetFont(
        base_font=f"{tag}+{source.ps_name}", data=out.getvalue(),
        codes={ch: order.index(source.cmap[ord(ch)]) for ch in chars},
        widths=[advances[name] * scale for name in order],
        ascent=hhea.ascent * scale, descent=hhea.descent * scale,
        cap_height=(getattr(os2, "sCapHeight", 0) or hhea.ascent) * scale,
        bbox=(box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale),
    )


def _union(boxes) -> tuple[int, int, int, int]:
    boxes = list(boxes)
    if not boxes:
        return (0, 0, 0, 0)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _to_unicode(codes: dict[str, int]) -> bytes:
    pairs = sorted((code, ch) for ch, code in codes.items())
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <FFFF>", b"endcodespacerange"]
    for start in range(0, len(pairs), 100):  # at most 100 entries per block
        block = pairs[start:start + 100]
        lines.append(b"%d beginbfchar" % len(block))
        lines += [b"<%04X> <%s>" % (code, ch.encode("utf-16-be").hex().upper().encode()) for code, ch in block]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines) + b"\n"


def add_type0_font(doc: Document, font: SubsetFont) -> Ref:
    """Type0 font, Identity-H, over a CIDFontType2 with the embedded subset and a ToUnicode CMap."""
    file_ref = doc.stream({"Length1": len(font.data)}, font.data)
    descriptor = doc.add({
        "Type": Name("FontDescriptor"), "FontName": Name(font.base_font), "Flags": 4,
        "FontBBox": [round(v) for v in font.bbox], "ItalicAngle": 0, "Ascent": round(font.ascent),
        "Descent": round(font.descent), "CapHeight": round(font.cap_height), "StemV": 80, "FontFile2": file_ref,
    })
    cid_font = doc.add({
        "Type": Name("Font"), "Subtype": Name("CIDFontType2"), "BaseFont": Name(font.base_font),
        "CIDSystemInfo": {"Registry": "Adobe", "Ordering": "Identity", "Supplement": 0},
        "FontDescriptor": descriptor, "DW": 1000, "W": [0, [round(w, 3) for w in font.widths]],
        "CIDToGIDMap": Name("Identity"),
    })
    to_unicode = doc.stream({}, _to_unicode(font.codes))
    return doc.add({"Type": Name("Font"), "Subtype": Name("Type0"), "BaseFont": Name(font.base_font),
                    "Encoding": Name("Identity-H"), "DescendantFonts": [cid_font], "ToUnicode": to_unicode})
