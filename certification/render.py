"""Certificate rendering with Pillow: an A4 landscape card at 150 dpi (1754 x 1240 px) as PNG
and as a one-page PDF, Chinese text drawn with a CJK font, QR code to the verification page.

Same inputs → byte-identical files: no timestamps anywhere (the PDF's dates are fixed to the
issue date), the layout comes from a versioned spec, and fonts are fixed files.
"""

from __future__ import annotations

import glob
import io
import os
import time
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from core.settings import get_settings

# Layout version 1, built in. Newer versions live in CertificateLayout rows (JSON of this shape).
DEFAULT_LAYOUT: dict[str, Any] = {
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


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(), size)


def qr_image(url: str, side: int) -> Image.Image:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2, box_size=1)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    modules = len(matrix)
    scale = max(1, side // modules)
    image = Image.new("1", (modules, modules), 1)
    pixels = image.load()
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                pixels[x, y] = 0
    return image.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, fill: str) -> None:
    import math

    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((round(cx + radius * math.cos(angle), 2), round(cy + radius * math.sin(angle), 2)))
    draw.polygon(points, fill=fill)


def _centred(draw: ImageDraw.ImageDraw, width: int, y: int, text: str, size: int, fill: str) -> None:
    face = font(size)
    left, _top, right, _bottom = draw.textbbox((0, 0), text, font=face)
    draw.text(((width - (right - left)) // 2, y), text, font=face, fill=fill)


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


def draw_card(card: CardData, layout: dict[str, Any] | None = None) -> Image.Image:
    spec = {**DEFAULT_LAYOUT, **(layout or {})}
    width, height = spec["size"]
    colours = spec["colours"]
    image = Image.new("RGB", (width, height), colours["paper"])
    draw = ImageDraw.Draw(image)

    outer, inner = spec["border"]
    draw.rectangle([outer, outer, width - outer, height - outer], outline=colours["brand"], width=8)
    draw.rectangle([inner, inner, width - inner, height - inner], outline=colours["brand"], width=2)

    emblem = spec["emblem"]
    cx, cy = emblem["centre"]
    r = emblem["radius"]
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=colours["brand"], width=6)
    _star(draw, cx, cy, r * 0.62, colours["brand"])

    _centred(draw, width, spec["title"]["y"], spec["title"]["text"], spec["title"]["size"], colours["brand"])
    _centred(draw, width, spec["subtitle"]["y"], spec["subtitle"]["text"], spec["subtitle"]["size"], colours["muted"])

    box = spec["photo"]["box"]
    photo = _photo(card, box)
    if photo is not None:
        image.paste(photo, (box[0], box[1]))
    else:
        draw.rectangle(box, fill="#eef0f3")
        label = "照片"
        face = font(36)
        lb = draw.textbbox((0, 0), label, font=face)
        draw.text(((box[0] + box[2] - (lb[2] - lb[0])) // 2, (box[1] + box[3] - (lb[3] - lb[1])) // 2), label,
                  font=face, fill=colours["muted"])
    draw.rectangle(box, outline=colours["muted"], width=2)

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
    label_face, value_face = font(fields["label_size"]), font(fields["size"])
    for index, (label, value) in enumerate(rows):
        y = fields["y"] + index * fields["line"]
        draw.text((fields["x"], y + 4), label, font=label_face, fill=colours["muted"])
        room = spec["qr"]["box"][0] - 30 - (fields["x"] + fields["label_width"])
        face, size = value_face, fields["size"]
        while size > 20 and draw.textlength(value, font=face) > room:
            size -= 2
            face = font(size)
        draw.text((fields["x"] + fields["label_width"], y + (fields["size"] - size) // 2), value, font=face,
                  fill=colours["ink"])

    qr_box = spec["qr"]["box"]
    side = qr_box[2] - qr_box[0]
    code = qr_image(card.verify_url, side).convert("RGB")
    offset = (side - code.width) // 2
    image.paste(code, (qr_box[0] + offset, qr_box[1] + offset))
    caption = "扫码核验 · Scan to verify"
    face = font(spec["qr"]["caption_size"])
    cb = draw.textbbox((0, 0), caption, font=face)
    draw.text(((qr_box[0] + qr_box[2] - (cb[2] - cb[0])) // 2, qr_box[3] + 16), caption, font=face,
              fill=colours["muted"])

    footer = spec["footer"]
    verify_root = card.verify_url.rsplit("/verify/", 1)[0] + "/verify"
    _centred(draw, width, footer["y"], f"本证书真伪可扫描二维码或登录 {verify_root} 输入证书编号和姓名核验",
             footer["size"], colours["muted"])
    return image


def png_bytes(image: Image.Image, dpi: int = 150) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi), compress_level=1)
    return out.getvalue()


def pdf_bytes(image: Image.Image, card: CardData, dpi: int = 150) -> bytes:
    """One-page PDF of the card. The document dates are the issue date (never 'now'), so
    the same version gives the same bytes."""
    stamp = time.struct_time((card.issued_on.year, card.issued_on.month, card.issued_on.day, 0, 0, 0, 0, 1, 0))
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=float(dpi), title=card.certificate_no, author=card.issuer,
               subject="劳动人事争议调解员证书", creator="mediation-roster", producer="mediation-roster",
               creationDate=stamp, modDate=stamp)
    return out.getvalue()


def render(card: CardData, layout: dict[str, Any] | None = None) -> tuple[bytes, bytes]:
    """(PNG bytes, PDF bytes) of one card."""
    image = draw_card(card, layout)
    dpi = (layout or DEFAULT_LAYOUT).get("dpi", 150)
    return png_bytes(image, dpi), pdf_bytes(image, card, dpi)
