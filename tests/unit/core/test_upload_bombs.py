"""Decompression bombs (rule: an image is refused by its declared size, past the pixel limit,
before it is decoded; a workbook by its declared unpacked size before it is inflated), with a
message naming the limit."""

from __future__ import annotations

import io
import resource

import pytest
from PIL import Image

from core import uploads
from core.auth.roles import Grant, Principal, Role
from core.errors import DomainError
from core.settings import get_settings
from tests.bombs import jpeg_with_a_second_frame_header, lying_xlsx, png_bomb, png_header, xlsx_bomb

ADMIN = Principal(user_id=None, username="admin", grants=(Grant(Role.ADMIN, "350000"),))
LIMIT = "超过 25 百万像素的上限"  # the default MEDIATION_MAX_IMAGE_PIXELS, 25,000,000
WORKBOOK_LIMIT = "该工作簿解压后超过 50 MB"  # the default MEDIATION_MAX_WORKBOOK_UNPACKED_BYTES


def _refusal(call) -> DomainError:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value


def test_the_default_limits_are_25_megapixels_and_50_mb_unpacked():
    assert get_settings().rules.max_image_pixels == 25_000_000
    assert get_settings().rules.max_workbook_unpacked_bytes == 50 * 1024 * 1024


def test_a_header_declaring_79_megapixels_is_refused_before_any_pixel_is_decoded():
    # nothing but the header: decoding would fail as unreadable, so the limit message proves
    # the refusal came from the declared size alone
    refused = _refusal(lambda: uploads.reencode_image(png_header(10_000, 7_900), "photo"))
    assert refused.field == "photo" and "10000 × 7900 像素" in refused.message and LIMIT in refused.message


def test_a_79_megapixel_png_of_230_kb_is_refused_without_growing_the_process(run):
    bomb = png_bomb()
    assert len(bomb) < 300_000
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB
    refused = _refusal(lambda: run(uploads.accept_upload(bomb, "photo", allow_pdf=False)))
    assert LIMIT in refused.message and refused.field == "photo"
    # decoding it would take 237 MB (79 MP × 3 bytes); the peak grew by less than 20 MB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 20 * 1024


def test_a_jpeg_whose_frame_headers_disagree_is_judged_by_the_largest():
    out = io.BytesIO()
    Image.new("RGB", (100, 80), "white").save(out, format="JPEG")
    lying = jpeg_with_a_second_frame_header(out.getvalue(), 30_000, 20_000)
    refused = _refusal(lambda: uploads.reencode_image(lying, "photo"))
    assert "30000 × 20000 像素" in refused.message and LIMIT in refused.message


def test_an_image_within_the_limit_is_re_encoded_and_made_smaller(run):
    out = io.BytesIO()
    Image.new("RGB", (6000, 4000), "white").save(out, format="PNG")  # a 24-megapixel camera's frame
    kept, kind = run(uploads.accept_upload(out.getvalue(), "documents"))
    assert kind == "png" and Image.open(io.BytesIO(kept)).size == (2000, 1333)


def test_a_workbook_declaring_60_mb_unpacked_is_refused_before_it_is_inflated(run):
    from roster.review import records
    from training.exams import bank as exams

    bomb = xlsx_bomb()
    assert len(bomb) < 100_000
    refused = _refusal(lambda: uploads.check_workbook(bomb, "file"))
    assert refused.field == "file" and WORKBOOK_LIMIT in refused.message
    assert WORKBOOK_LIMIT in _refusal(lambda: run(exams.import_questions(ADMIN, "bank.xlsx", bomb))).message
    assert WORKBOOK_LIMIT in _refusal(lambda: run(records.import_cases(ADMIN, "cases.xlsx", bomb))).message


def test_a_workbook_that_understates_its_unpacked_size_is_unreadable_not_inflated(run):
    from roster.review import records
    from training.exams import bank as exams

    lying = lying_xlsx()
    uploads.check_workbook(lying, "file")  # its sizes as declared pass…
    # …and inflating stops at the declared size, where the checksum fails
    assert _refusal(lambda: run(exams.import_questions(ADMIN, "bank.xlsx", lying))).field == "file"
    refused = _refusal(lambda: run(records.import_cases(ADMIN, "cases.xlsx", lying)))
    assert refused.field == "file" and refused.message == "该文件不是可读取的 XLSX 工作簿。"
