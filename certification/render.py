"""Certificate rendering: an A4 landscape card at 150 dpi (1754 x 1240 px) as a Pillow PNG and
as a one-page PDF whose words are real text in an embedded subset of the CJK font (selectable,
searchable, copied as Chinese), with the QR code, photo and emblem as images.

Both files are painted from one plan (`card_plan`) computed from the versioned layout spec with
Pillow's text measurements, so they show the same thing in the same places.

Same inputs → byte-identical files: no timestamps anywhere (the PDF's dates are fixed to the
issue date), the layout comes from a versioned spec, and fonts are fixed files.
"""

from __future__ import annotations

import glob
import io
import math
import os
import zlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import qrcode
from PIL import Image, ImageColor, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from certification import pdf
from core.settings import get_settings

# A layout: the JSON spec of positions and sizes stored in a CertificateLayout row.
LayoutSpec = dict[str, Any]

# Layout version 1, built in. Newer versions live in CertificateLayout rows (JSON of this shape).
DEFAULT_LAYOUT: LayoutSpec = {
    "size": [1754, 1240],
    "dpi": 150,
    "colours": {"ink": "#1d2733", "brand": "#9b1c1c", "muted": "#5b6675", "paper": "#fffdf7"},
    "border": [40, 58],  # outer and inner frame insets
    "emblem": {"centre": [877, 190], "radius": 78},
    "title": {"y": 300, "size": 70, "text": "劳动人事争议调解员证书"},
    "subtitle": {"y": 392, "size": 28, "text": "Labour Dispute Mediator Certificate"},
    "photo": {"box": [170, 480, 470, 880]},
    "fields": {"x": 560, "y": 480, "label_width": 250, "line": 82, "size": 40, "label_size": 34},
    "qr": {"box": [1230, 560, 1590, 920], "caption_size": 26},
    "footer": {"y": 1090, "size": 24},
}

GRADE_NAMES = {"induction": "初任", "junior": "初级", "intermediate": "中级", "senior": "高级"}
GRADE_NAMES_EN = {"induction": "Induction", "junior": "Junior", "intermediate": "Intermediate", "senior": "Senior"}

FONT_ENV = "MEDIATION_CJK_FONT"


class CJKFontMissing(RuntimeError):
    """No font with Chinese glyphs was found: rendering refuses rather than print tofu boxes."""


GlyphMissing = pdf.GlyphMissing  # the font lacks a character to print: refused, never a tofu box


@dataclass(frozen=True)
class CardData:
    """Everything printed on a card (and nothing else: the render depends only on this)."""

    certificate_no: str
    holder_name: str
    grade: str
    issuer: str
    issued_on: date
    expires_on: date
    verify_url: str
    photo_file: str | None = None  # absolute path of the holder's photo, if any


def font_candidates() -> list[str]:
    found: list[str] = []
    explicit = os.environ.get(FONT_ENV) or get_settings().cjk_font_path
    if explicit:
        found.append(explicit)
    try:
        import pylopdf_fonts_zh_cn

        package_dir = Path(pylopdf_fonts_zh_cn.__file__).parent
        found += sorted(str(p) for p in package_dir.glob("NotoSansSC-*.otf"))
        found += sorted(str(p) for p in package_dir.glob("*.otf")) + sorted(str(p) for p in package_dir.glob("*.ttf"))
    except ImportError:
        pass
    for pattern in ("/usr/share/fonts/opentype/noto/NotoSansCJK*", "/usr/share/fonts/opentype/noto/NotoSerifCJK*",
                    "/usr/share/fonts/truetype/wqy/*", "/usr/share/fonts/**/NotoSansCJK*"):
        found += sorted(glob.glob(pattern, recursive=True))
    return found


def _has_cjk_glyphs(font: ImageFont.FreeTypeFont) -> bool:
    """A font without Chinese draws the same .notdef box for every character."""
    def mask(text: str) -> bytes:
        image = Image.new("L", (60, 60), 0)
        ImageDraw.Draw(image).text((5, 0), text, font=font, fill=255)
        return image.tobytes()

    han, other, missing = mask("证"), mask("书"), mask("\U000f0000")
    return any(han) and han != missing and han != other


@lru_cache(maxsize=1)
def font_path() -> str:
    for candidate in font_candidates():
        if not os.path.isfile(candidate):
            continue
        try:
            font = ImageFont.truetype(candidate, 40)
        except OSError:
            continue
        if _has_cjk_glyphs(font):
            return candidate
    raise CJKFontMissing(
        "No CJK font found for certificates: install the pylopdf-fonts-zh-cn package, or set "
        f"{FONT_ENV} (or MEDIATION_CJK_FONT_PATH) to a Noto Sans/Serif SC font file."
    )


def unprintable(text: str) -> list[str]:
    """The characters of `text` the certificate font has no glyph for (e.g. a rare character
    in a name): such a card is refused before it is issued, never printed with tofu boxes."""
    try:
        pdf.check_glyphs(font_path(), text)
    except GlyphMissing:
        return sorted({ch for ch in text if not pdf.has_glyph(font_path(), ch)})
    return []


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(), size)


def qr_modules(url: str) -> Image.Image:
    """The QR code at one pixel per module (quiet zone included): 0 = dark."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2, box_size=1)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    modules = len(matrix)
    image = Image.new("1", (modules, modules), 1)
    pixels = image.load()
    assert pixels is not None  # a new in-memory image always loads
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                pixels[x, y] = 0
    return image


def qr_image(url: str, side: int) -> Image.Image:
    modules = qr_modules(url)
    scale = max(1, side // modules.width)
    return modules.resize((modules.width * scale, modules.height * scale), Image.Resampling.NEAREST)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, fill: str) -> None:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((round(cx + radius * math.cos(angle), 2), round(cy + radius * math.sin(angle), 2)))
    draw.polygon(points, fill=fill)


def _emblem(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, colour: str, scale: int = 1) -> None:
    draw.ellipse([cx - r * scale, cy - r * scale, cx + r * scale, cy + r * scale], outline=colour, width=6 * scale)
    _star(draw, cx, cy, r * scale * 0.62, colour)


def _photo(card: CardData, box: list[int]) -> Image.Image | None:
    if not card.photo_file or not os.path.isfile(card.photo_file):
        return None
    try:
        with Image.open(card.photo_file) as source:
            source.load()
            photo = source.convert("RGB")
    except OSError:
        return None
    width, height = box[2] - box[0], box[3] - box[1]
    ratio = max(width / photo.width, height / photo.height)
    photo = photo.resize((max(1, round(photo.width * ratio)), max(1, round(photo.height * ratio))),
                         Image.Resampling.BICUBIC)
    left, top = (photo.width - width) // 2, (photo.height - height) // 2
    return photo.crop((left, top, left + width, top + height))


def _date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class TextRun:
    """Text drawn from (x, y), Pillow's default anchor: left edge, ascender line, in pixels."""

    x: int
    y: int
    text: str
    size: int
    colour: str


@dataclass(frozen=True)
class Frame:
    box: tuple[int, int, int, int]  # Pillow's inclusive pixel box; the line lies inside it
    colour: str
    width: int


@dataclass(frozen=True)
class Fill:
    box: tuple[int, int, int, int]
    colour: str


@dataclass(frozen=True)
class Emblem:
    cx: int
    cy: int
    radius: int
    colour: str


@dataclass(frozen=True)
class Picture:
    """A raster placed with its top-left corner at (x, y), `scale` pixels per image pixel."""

    image: Image.Image
    x: int
    y: int
    scale: int = 1


@dataclass(frozen=True)
class CardPlan:
    """Where everything goes, in pixels of the versioned layout: the PNG and the PDF are both
    painted from this, so they cannot drift apart."""

    card: CardData
    size: tuple[int, int]
    dpi: int
    paper: str
    items: tuple[TextRun | Frame | Fill | Emblem | Picture, ...]

    def text(self) -> str:
        return "".join(item.text for item in self.items if isinstance(item, TextRun))


def card_plan(card: CardData, layout: LayoutSpec | None = None) -> CardPlan:
    spec = {**DEFAULT_LAYOUT, **(layout or {})}
    width, height = spec["size"]
    colours = spec["colours"]
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    items: list[TextRun | Frame | Fill | Emblem | Picture] = []

    def centred(y: int, text: str, size: int, fill: str, left: int = 0, right: int = width) -> None:
        bbox = measure.textbbox((0, 0), text, font=font(size))
        items.append(TextRun(int(left + right - (bbox[2] - bbox[0])) // 2, y, text, size, fill))

    outer, inner = spec["border"]
    items.append(Frame((outer, outer, width - outer, height - outer), colours["brand"], 8))
    items.append(Frame((inner, inner, width - inner, height - inner), colours["brand"], 2))
    emblem = spec["emblem"]
    items.append(Emblem(emblem["centre"][0], emblem["centre"][1], emblem["radius"], colours["brand"]))
    centred(spec["title"]["y"], spec["title"]["text"], spec["title"]["size"], colours["brand"])
    centred(spec["subtitle"]["y"], spec["subtitle"]["text"], spec["subtitle"]["size"], colours["muted"])

    box = tuple(spec["photo"]["box"])
    photo = _photo(card, list(box))
    if photo is not None:
        items.append(Picture(photo, box[0], box[1]))
    else:
        items.append(Fill(box, "#eef0f3"))
        label = "照片"
        lb = measure.textbbox((0, 0), label, font=font(36))
        items.append(TextRun((box[0] + box[2] - (lb[2] - lb[0])) // 2, (box[1] + box[3] - (lb[3] - lb[1])) // 2,
                             label, 36, colours["muted"]))
    items.append(Frame(box, colours["muted"], 2))

    fields = spec["fields"]
    grade = card.grade
    rows = [
        ("姓　　名", card.holder_name),
        ("等　　级", f"{GRADE_NAMES.get(grade, grade)}（{GRADE_NAMES_EN.get(grade, grade)}）"),
        ("证书编号", card.certificate_no),
        ("发证机关", card.issuer),
        ("发证日期", _date(card.issued_on)),
        ("有效期至", _date(card.expires_on)),
    ]
    room = spec["qr"]["box"][0] - 30 - (fields["x"] + fields["label_width"])
    for index, (label, value) in enumerate(rows):
        y = fields["y"] + index * fields["line"]
        items.append(TextRun(fields["x"], y + 4, label, fields["label_size"], colours["muted"]))
        size = fields["size"]
        while size > 20 and measure.textlength(value, font=font(size)) > room:
            size -= 2
        items.append(TextRun(fields["x"] + fields["label_width"], y + (fields["size"] - size) // 2, value, size,
                             colours["ink"]))

    qr_box = spec["qr"]["box"]
    side = qr_box[2] - qr_box[0]
    modules = qr_modules(card.verify_url)
    scale = max(1, side // modules.width)
    offset = (side - modules.width * scale) // 2
    items.append(Picture(modules, qr_box[0] + offset, qr_box[1] + offset, scale))
    centred(qr_box[3] + 16, "扫码核验 · Scan to verify", spec["qr"]["caption_size"], colours["muted"],
            qr_box[0], qr_box[2])

    verify_root = card.verify_url.rsplit("/verify/", 1)[0] + "/verify"
    centred(spec["footer"]["y"], f"本证书真伪可扫描二维码或登录 {verify_root} 输入证书编号和姓名核验",
            spec["footer"]["size"], colours["muted"])

    plan = CardPlan(card, (width, height), int(spec.get("dpi", 150)), colours["paper"], tuple(items))
    pdf.check_glyphs(font_path(), plan.text())  # a tofu box on a certificate is worse than an error
    return plan


# --------------------------------------------------------------------------- PNG
def paint_png(plan: CardPlan) -> Image.Image:
    image = Image.new("RGB", plan.size, plan.paper)
    draw = ImageDraw.Draw(image)
    for item in plan.items:
        if isinstance(item, TextRun):
            draw.text((item.x, item.y), item.text, font=font(item.size), fill=item.colour)
        elif isinstance(item, Frame):
            draw.rectangle(item.box, outline=item.colour, width=item.width)
        elif isinstance(item, Fill):
            draw.rectangle(item.box, fill=item.colour)
        elif isinstance(item, Emblem):
            _emblem(draw, item.cx, item.cy, item.radius, item.colour)
        elif isinstance(item, Picture):
            picture = item.image
            if item.scale != 1:
                picture = picture.resize((picture.width * item.scale, picture.height * item.scale),
                                         Image.Resampling.NEAREST)
            image.paste(picture.convert("RGB"), (item.x, item.y))
    return image


def draw_card(card: CardData, layout: LayoutSpec | None = None) -> Image.Image:
    return paint_png(card_plan(card, layout))


def png_bytes(image: Image.Image, dpi: int = 150) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi), compress_level=1)
    return out.getvalue()


# --------------------------------------------------------------------------- PDF
EMBLEM_SUPERSAMPLING = 3  # the emblem raster at 450 dpi, so its curves stay smooth when printed


def _rgb(colour: str) -> bytes:
    red, green, blue = ImageColor.getrgb(colour)[:3]
    return b" ".join(pdf.number(round(c / 255, 4)) for c in (red, green, blue))


@lru_cache(maxsize=8)
def _emblem_image(radius: int, colour: str, paper: str) -> tuple[int, bytes]:
    """(side in pixels, Flate-compressed RGB) of the emblem drawn by Pillow at a higher resolution."""
    scale = EMBLEM_SUPERSAMPLING * 4  # drawn 4x larger again and reduced: smooth (anti-aliased) edges
    image = Image.new("RGB", ((2 * radius + 1) * scale,) * 2, paper)
    centre = radius * scale + (scale - 1) / 2
    _emblem(ImageDraw.Draw(image), centre, centre, radius, colour, scale)
    image = image.reduce(4)
    return image.width, zlib.compress(image.tobytes(), pdf.ZLIB_LEVEL)


def pdf_bytes(plan: CardPlan) -> bytes:
    """One A4 page: frames as vector lines, the emblem, photo and QR code as images, and every
    word as text in an embedded subset of the CJK font. The document dates are the issue date
    (never 'now'), so the same version gives the same bytes."""
    doc = pdf.Document()
    catalog, pages, page = doc.reserve(), doc.reserve(), doc.reserve()
    subset = pdf.subset_font(font_path(), plan.text())
    resources: pdf.PdfDict = {"Font": {"F1": pdf.add_type0_font(doc, subset)}}
    content, images = _page_content(plan, subset, doc)
    if images:
        resources["XObject"] = images
    k = 72 / plan.dpi
    width, height = plan.size
    doc.set(page, {"Type": pdf.Name("Page"), "Parent": pages, "MediaBox": [0, 0, round(width * k, 2),
                                                                           round(height * k, 2)],
                   "Resources": resources, "Contents": doc.stream({}, content)})
    doc.set(pages, {"Type": pdf.Name("Pages"), "Kids": [page], "Count": 1})
    doc.set(catalog, {"Type": pdf.Name("Catalog"), "Pages": pages, "Lang": "zh-CN",
                      "ViewerPreferences": {"DisplayDocTitle": True}})
    card = plan.card
    stamp = pdf.date_string(card.issued_on.year, card.issued_on.month, card.issued_on.day)
    info = doc.add({"Title": card.certificate_no, "Author": card.issuer, "Subject": "劳动人事争议调解员证书",
                    "Creator": "mediation-roster", "Producer": "mediation-roster", "CreationDate": stamp,
                    "ModDate": stamp})
    return doc.to_bytes(catalog, info)


def _page_content(plan: CardPlan, subset: pdf.SubsetFont, doc: pdf.Document) -> tuple[bytes, dict[str, pdf.Ref]]:
    """The page's content stream and its image XObjects. One user unit = one layout pixel with
    y up, so the page is the layout scaled to 72 points per inch."""
    n = pdf.number
    height = plan.size[1]
    images: dict[str, pdf.Ref] = {}
    ops = [b"%s 0 0 %s 0 0 cm" % (n(72 / plan.dpi), n(72 / plan.dpi)),
           _rgb(plan.paper) + b" rg 0 0 %d %d re f" % plan.size]
    for item in plan.items:
        if isinstance(item, TextRun):
            baseline = item.y + font(item.size).getmetrics()[0]  # Pillow puts the ascender line at y
            ops.append(b"BT /F1 %d Tf %s rg 1 0 0 1 %d %d Tm <%s> Tj ET" % (
                item.size, _rgb(item.colour), item.x, height - baseline, subset.encode(item.text).hex().encode()))
        elif isinstance(item, Frame):  # Pillow's outline lies inside the box: stroke half a line in
            x0, y0, x1, y1 = item.box
            half = item.width / 2
            ops.append(b"%s RG %d w %s %s %s %s re S" % (
                _rgb(item.colour), item.width, n(x0 + half), n(height - (y1 + 1) + half),
                n(x1 + 1 - x0 - item.width), n(y1 + 1 - y0 - item.width)))
        elif isinstance(item, Fill):
            x0, y0, x1, y1 = item.box
            ops.append(_rgb(item.colour) + b" rg %d %d %d %d re f" % (x0, height - (y1 + 1), x1 + 1 - x0, y1 + 1 - y0))
        elif isinstance(item, Emblem):
            side, data = _emblem_image(item.radius, item.colour, plan.paper)
            name = f"Em{len(images) + 1}"
            images[name] = doc.stream({"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"), "Width": side,
                                       "Height": side, "ColorSpace": pdf.Name("DeviceRGB"), "BitsPerComponent": 8,
                                       "Filter": pdf.Name("FlateDecode")}, data, compress=False)
            box = 2 * item.radius + 1
            ops.append(b"q %d 0 0 %d %d %d cm /%s Do Q" % (box, box, item.cx - item.radius,
                                                         height - (item.cy + item.radius + 1), name.encode()))
        elif isinstance(item, Picture):
            name = f"Im{len(images) + 1}"
            images[name] = _image_xobject(doc, item.image)
            w, h = item.image.width * item.scale, item.image.height * item.scale
            ops.append(b"q %d 0 0 %d %d %d cm /%s Do Q" % (w, h, item.x, height - item.y - h, name.encode()))
    return b"\n".join(ops) + b"\n", images


def _image_xobject(doc: pdf.Document, image: Image.Image) -> pdf.Ref:
    entries: pdf.PdfDict = {"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"), "Width": image.width,
                               "Height": image.height}
    if image.mode == "1":  # the QR code: one bit per module, 0 = black as in DeviceGray
        return doc.stream({**entries, "ColorSpace": pdf.Name("DeviceGray"), "BitsPerComponent": 1},
                          image.tobytes())
    out = io.BytesIO()  # the holder's photo: JPEG, as photos are
    image.convert("RGB").save(out, format="JPEG", quality=90, optimize=False, subsampling="4:2:0")
    return doc.stream({**entries, "ColorSpace": pdf.Name("DeviceRGB"), "BitsPerComponent": 8,
                       "Filter": pdf.Name("DCTDecode")}, out.getvalue(), compress=False)


def render(card: CardData, layout: LayoutSpec | None = None) -> tuple[bytes, bytes]:
    """(PNG bytes, PDF bytes) of one card."""
    plan = card_plan(card, layout)
    return png_bytes(paint_png(plan), plan.dpi), pdf_bytes(plan)
