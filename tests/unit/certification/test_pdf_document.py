"""The certificate PDF: real Chinese text in an embedded, subset CJK font (Type0 / Identity-H /
CIDFontType2 with a ToUnicode map), never tofu, and laid out like the PNG."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pypdfium2
import pytest
from fontTools.ttLib import TTFont
from PIL import Image, ImageFont
from pypdf import PdfReader, PdfWriter

from certification import files, issuing, pdf, render, verification
from tests.unit.certification.conftest import new_mediator
from tests.unit.certification.test_rendering import CARD


def _font_objects(document: bytes):
    reader = PdfReader(io.BytesIO(document), strict=True)
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert len(fonts) == 1
    type0 = next(iter(fonts.values())).get_object()
    cid_font = type0["/DescendantFonts"][0].get_object()
    return reader, type0, cid_font, cid_font["/FontDescriptor"].get_object()


def _ink(image: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    return image.convert("L").crop(box).point(lambda v: 255 if v < 128 else 0)


def test_pdf_text_is_set_in_an_embedded_subset_of_the_cjk_font():
    _png, document = render.render(CARD)
    _reader, type0, cid_font, descriptor = _font_objects(document)
    assert type0["/Subtype"] == "/Type0" and type0["/Encoding"] == "/Identity-H"
    assert "/ToUnicode" in type0
    assert cid_font["/Subtype"] == "/CIDFontType2" and cid_font["/CIDToGIDMap"] == "/Identity"
    assert re.fullmatch(r"/[A-Z]{6}\+[A-Za-z0-9_.-]+", descriptor["/FontName"])  # subset tag
    assert type0["/BaseFont"] == cid_font["/BaseFont"] == descriptor["/FontName"]

    embedded = TTFont(io.BytesIO(descriptor["/FontFile2"].get_data()))
    text = render.card_plan(CARD).text()
    cmap = pdf._source(render.font_path()).cmap
    # Subset: exactly the glyphs the certificate prints, plus .notdef, out of tens of thousands.
    assert embedded["maxp"].numGlyphs == len({cmap[ord(ch)] for ch in text}) + 1
    assert set(embedded.getBestCmap()) == {ord(ch) for ch in text}
    assert len(pdf._source(render.font_path()).font.getGlyphOrder()) > 10_000


def test_holder_name_grade_and_number_are_text_that_extracts_as_chinese():
    _png, document = render.render(CARD)
    text = PdfReader(io.BytesIO(document)).pages[0].extract_text()
    for expected in (CARD.holder_name, "初级（Junior）", CARD.certificate_no, CARD.issuer, "2026年1月2日",
                     "劳动人事争议调解员证书"):
        assert expected in text


def test_rendered_pdf_page_shows_the_name_in_real_glyphs_where_the_png_has_it():
    """No tofu: the PDF's name region, rasterised by pdfium, has the ink of the PNG's (drawn by
    FreeType from the font) in the same place, and the three characters look different."""
    png, document = render.render(CARD)
    run = next(item for item in render.card_plan(CARD).items
               if isinstance(item, render.TextRun) and item.text == CARD.holder_name)
    box = (run.x - 10, run.y - 10, run.x + 3 * run.size + 20, run.y + run.size * 3 // 2)
    page = pypdfium2.PdfDocument(document)[0].render(scale=150 / 72).to_pil()
    from_png, from_pdf = _ink(Image.open(io.BytesIO(png)), box), _ink(page, box)
    png_ink, pdf_ink = from_png.histogram()[255], from_pdf.histogram()[255]
    assert png_ink > 500 and abs(pdf_ink - png_ink) < 0.15 * png_ink
    assert all(abs(a - b) <= 2 for a, b in zip(from_png.getbbox(), from_pdf.getbbox(), strict=True))
    cells = {_ink(page, (run.x + k * run.size, run.y, run.x + (k + 1) * run.size, run.y + run.size * 7 // 5)).tobytes()
             for k in range(3)}
    assert len(cells) == 3  # tofu would draw the same box three times


def test_pdf_page_is_the_layout_at_a4_landscape_with_the_issue_date_as_its_dates():
    _png, document = render.render(CARD)
    reader = PdfReader(io.BytesIO(document))
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (841.92, 595.2)  # 1754 x 1240 px at 150 dpi
    assert reader.metadata["/CreationDate"] == reader.metadata["/ModDate"] == "D:20260102000000Z"
    assert reader.metadata["/Title"] == CARD.certificate_no


def test_pdf_bytes_do_not_depend_on_what_the_process_rendered_before():
    """Byte-identical re-renders: the per-process glyph and emblem caches change nothing."""
    first = render.render(CARD)[1]
    render.render(replace(CARD, holder_name="欧阳娜娜", certificate_no="3505042026G000123"))
    pdf._source.cache_clear()
    render._emblem_image.cache_clear()
    assert render.render(CARD)[1] == first


def test_subset_font_tables_agree_with_fonttools_own_recalculation():
    """The subset reuses compiled glyphs and sets head/hhea/maxp itself: they must be what
    fontTools would have computed."""
    subset = pdf.subset_font(render.font_path(), "林晓梅 证书编号 Junior 3505（）·　")
    font = TTFont(io.BytesIO(subset.data))
    stored = {tag: dict(vars(font[tag])) for tag in ("head", "hhea", "maxp")}
    font["maxp"].recalc(font)
    font["hhea"].recalc(font)
    for tag, values in stored.items():
        recalculated = vars(font[tag])
        assert {k: v for k, v in values.items() if recalculated.get(k) != v} == {}, tag


def test_the_subset_font_draws_the_same_glyphs_as_the_source_font():
    subset = pdf.subset_font(render.font_path(), "林晓梅")
    for text in ("林", "晓", "梅"):
        ours = ImageFont.truetype(io.BytesIO(subset.data), 80).getmask(text)
        theirs = ImageFont.truetype(render.font_path(), 80).getmask(text)
        assert ours.size == theirs.size or abs(ours.size[0] - theirs.size[0]) <= 1
        assert abs(sum(ours) - sum(theirs)) < 0.03 * sum(theirs)  # outlines kept within a font unit


def test_a_character_the_font_lacks_is_refused_without_printing_the_name():
    card = replace(CARD, holder_name="林\U0001f600梅")
    with pytest.raises(render.GlyphMissing) as refused:
        render.render(card)
    assert "U+1F600" in str(refused.value) and "林" not in str(refused.value)
    with pytest.raises(render.GlyphMissing):
        render.draw_card(card)  # nor a PNG with a tofu box


def test_a_truetype_cjk_font_file_is_embedded_as_well(tmp_path, monkeypatch):
    """glyf-based fonts (TrueType, like WenQuanYi) take the same path as the CFF-based Noto OTFs."""
    truetype = tmp_path / "cjk.ttf"
    truetype.write_bytes(pdf.subset_font(render.font_path(), render.card_plan(CARD).text() + "证书").data)
    monkeypatch.setattr(render, "font_candidates", lambda: [str(truetype)])
    render.font_path.cache_clear()
    render.font.cache_clear()
    try:
        assert render.font_path() == str(truetype)
        _png, document = render.render(CARD)
        _reader, _type0, _cid_font, descriptor = _font_objects(document)
        assert "/FontFile2" in descriptor
        assert CARD.holder_name in PdfReader(io.BytesIO(document)).pages[0].extract_text()
    finally:
        monkeypatch.undo()
        render.font_path.cache_clear()
        render.font.cache_clear()


def test_writer_escapes_strings_and_names_and_writes_a_valid_xref():
    doc = pdf.Document()
    catalog, pages = doc.reserve(), doc.reserve()
    doc.set(pages, {"Type": pdf.Name("Pages"), "Kids": [], "Count": 0})
    doc.set(catalog, {"Type": pdf.Name("Catalog"), "Pages": pages})
    info = doc.add({"Title": "a (b) \\ c", "Author": "调解", "Odd": pdf.Name("a b/c")})
    data = doc.to_bytes(catalog, info)
    assert b"(a \\(b\\) \\\\ c)" in data and b"<FEFF8C0389E3>" in data and b"/a#20b#2Fc" in data
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert reader.metadata["/Title"] == "a (b) \\ c" and reader.metadata["/Author"] == "调解"
    for number, offset in ((1, data.index(b"1 0 obj")), (3, data.index(b"3 0 obj"))):
        assert b"%010d 00000 n " % offset in data, number
    with pytest.raises(ValueError):
        unfinished = pdf.Document()
        unfinished.reserve()
        unfinished.to_bytes(pdf.Ref(1))


def test_a_pdf_edited_in_its_text_is_not_genuine(run):
    """The file check works on bytes: re-saving the issued PDF with another name in it fails."""
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior", render=True))
    _png, document = run(files.rendered_files(row))
    assert run(verification.verify_file(document)).certificate_no == row.certificate_no

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(document)))
    contents = writer.pages[0]["/Contents"].get_object()
    subset = pdf.subset_font(render.font_path(), render.card_plan(files.card_data(row)).text())
    name = subset.encode(row.holder_name).hex().encode()
    swapped = subset.encode(row.holder_name[::-1]).hex().encode()
    assert name in contents.get_data()
    contents.set_data(contents.get_data().replace(name, swapped))
    out = io.BytesIO()
    writer.write(out)
    edited = out.getvalue()
    assert row.holder_name[::-1] in PdfReader(io.BytesIO(edited)).pages[0].extract_text()
    assert run(verification.verify_file(edited)) is None


def test_text_is_text_and_only_the_emblem_qr_and_photo_are_images():
    _png, document = render.render(CARD)
    page = PdfReader(io.BytesIO(document)).pages[0]
    images = [obj.get_object() for obj in page["/Resources"]["/XObject"].values()]
    # The emblem and the QR code (one bit per module; no photo on this card): no page-sized raster.
    assert len(images) == 2 and all(int(image["/Width"]) < 1754 // 2 for image in images)
    assert sorted(int(image["/BitsPerComponent"]) for image in images) == [1, 8]
    assert page["/Contents"].get_object()["/Filter"] == "/FlateDecode"
    text_runs = [item for item in render.card_plan(CARD).items if isinstance(item, render.TextRun)]
    assert page.get_contents().get_data().count(b" Tj") == len(text_runs)


def test_the_holder_photo_is_embedded_as_a_jpeg(tmp_path):
    photo = tmp_path / "photo.png"
    Image.new("RGB", (600, 800), "#3a7").save(photo)
    _png, document = render.render(replace(CARD, photo_file=str(photo)))
    page = PdfReader(io.BytesIO(document)).pages[0]
    filters = [obj.get_object().get("/Filter") for obj in page["/Resources"]["/XObject"].values()]
    assert "/DCTDecode" in filters
