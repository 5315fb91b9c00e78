"""Rendering: A4 landscape at 150 dpi, CJK font, byte-identical re-renders, QR decodes from
the PNG and from the PDF page rendered at 100 dpi, versioned layouts."""

from __future__ import annotations

import io
from datetime import date

import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from certification import files, issuing, layouts, registry, render, tokens
from tests.unit.certification.conftest import new_mediator

CARD = render.CardData("3505042026J000001", "林晓梅", "junior", "泉州市洛江区人力资源和社会保障局",
                       date(2026, 1, 2), date(2029, 1, 1), "http://testserver.local/verify/AAAAAAAAAAAAAAAAAAAAAA")


def test_png_is_a4_landscape_at_150_dpi():
    png, _pdf = render.render(CARD)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1754, 1240)
        assert round(image.info["dpi"][0]) == 150


def test_the_same_card_renders_byte_identical_files():
    first = render.render(CARD)
    second = render.render(CARD)
    assert first == second
    assert b"CreationDate" in first[1] and b"D:20260102" in first[1]


def test_qr_decodes_from_png_and_from_pdf_rendered_at_100_dpi():
    png, pdf = render.render(CARD)
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == [CARD.verify_url]
    page = pypdfium2.PdfDocument(pdf)[0]
    bitmap = page.render(scale=100 / 72).to_pil()
    assert [r.text for r in zxingcpp.read_barcodes(bitmap)] == [CARD.verify_url]


def test_rendering_fails_loudly_without_a_cjk_font(monkeypatch):
    monkeypatch.setattr(render, "font_candidates", lambda: ["/nonexistent/font.otf"])
    render.font_path.cache_clear()
    render.font.cache_clear()
    try:
        with pytest.raises(render.CJKFontMissing):
            render.draw_card(CARD)
    finally:
        monkeypatch.undo()
        render.font_path.cache_clear()
        render.font.cache_clear()


def test_a_font_without_chinese_glyphs_is_refused(monkeypatch):
    import PIL

    latin = [str(p) for p in __import__("pathlib").Path(PIL.__file__).parent.glob("**/*.ttf")]
    monkeypatch.setattr(render, "font_candidates", lambda: latin or ["/nonexistent"])
    render.font_path.cache_clear()
    render.font.cache_clear()
    try:
        with pytest.raises(render.CJKFontMissing):
            render.font_path()
    finally:
        monkeypatch.undo()
        render.font_path.cache_clear()
        render.font.cache_clear()


def test_issued_certificate_rerenders_identically_from_cache_and_from_scratch(run):
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior", render=True))
    png, pdf = run(files.rendered_files(row))
    for cached in files._cache_dir().glob(f"{row.id}-v*"):
        cached.unlink()
    assert run(files.rendered_files(row)) == (png, pdf)
    stored = run(registry.by_number(row.certificate_no))
    import hashlib

    assert stored.png_sha256 == hashlib.sha256(png).hexdigest()
    assert stored.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert decoded == [tokens.verify_url(row.id, row.version)]


def test_editing_the_layout_never_changes_an_issued_certificate(run):
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior"))
    before = run(files.rendered_files(row))
    version = run(layouts.save_layout(None, {"title": {"y": 300, "size": 60, "text": "调解员证"}}, "shorter title"))
    assert version == 2
    for cached in files._cache_dir().glob(f"{row.id}-v*"):
        cached.unlink()
    assert run(files.rendered_files(row)) == before
    other = run(new_mediator("乙"))
    newer = run(issuing.issue_certificate_unchecked(other, "junior"))
    assert newer.layout_version == 2


def test_token_url_keeps_the_qr_code_at_a_low_version():
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(f"https://mediation.hrss.fujian.gov.cn/verify/{tokens.make_token(4_000_000, 3)}")
    code.make(fit=True)
    assert code.version <= 5  # 37 x 37 modules even with a long government domain
