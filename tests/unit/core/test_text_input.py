"""Names and titles refuse control characters and hidden text-direction marks at input (rule:
what becomes a printed name, a spreadsheet cell or a file name is plain text), with the error on
the field: one check in core.text, used by every domain's forms, API and imports."""

from __future__ import annotations

import io

import pytest

from core.auth.roles import Grant, Principal, Role
from core.errors import DomainError, FieldErrors
from core.text import check_text, text_problem

ADMIN = Principal(user_id=None, username="admin", grants=(Grant(Role.ADMIN, "350000"),))
REFUSED = {
    "NUL": "林\x00晓梅", "escape": "林晓梅\x1b[31m", "bell": "\x07林晓梅", "tab": "林\t晓梅", "newline": "林晓梅\n",
    "DEL": "林\x7f晓梅", "C1 next line": "林\x85晓梅", "right-to-left override": "林晓梅\u202egpj.exe",
    "left-to-right embedding": "\u202a林晓梅", "isolate": "林\u2066晓梅\u2069", "right-to-left mark": "林\u200f晓梅",
    "line separator": "林\u2028晓梅",
}
MESSAGE = "请删除其中的控制字符或隐藏的文字方向标记。"


@pytest.mark.parametrize("name", list(REFUSED))
def test_a_name_with_a_control_character_or_direction_mark_is_refused(name):
    assert text_problem(REFUSED[name]) == MESSAGE
    with pytest.raises(DomainError) as refused:
        check_text(REFUSED[name], "name")
    assert refused.value.field == "name"


def test_ordinary_names_and_titles_pass_and_multiline_text_keeps_its_line_breaks():
    for text in ("林晓梅", "O'Brien-Smith", "阿依古丽·买买提", "泉州市洛江区 劳动争议调解中心（2026）", "=1+1"):
        assert text_problem(text) is None
    assert text_problem("第一段\n第二段\r\n\t缩进", multiline=True) is None
    assert text_problem("第一段\x0b第二段", multiline=True) == MESSAGE
    assert text_problem("案情\u202e反转", multiline=True) == MESSAGE


def _field_errors(call) -> dict[str, str]:
    with pytest.raises(FieldErrors) as refused:
        call()
    return refused.value.errors


def test_roster_organisation_and_mediator_names_refuse_control_characters():
    from roster import mediators, organisations

    errors = _field_errors(lambda: organisations.validate_organisation(
        {"name": "洛江\u202e心中解调", "type": "township", "region_code": "350504", "address": "万安街道\x001号"}))
    assert errors == {"name": MESSAGE, "address": MESSAGE}
    errors = _field_errors(lambda: mediators.validate_mediator(
        {"name": "林\x1b晓梅", "source_category": "lawyer", "region_code": "350504"}, require_id=False))
    assert errors == {"name": MESSAGE}


def test_recruitment_call_titles_refuse_control_characters(run):
    from roster import recruitment

    errors = _field_errors(lambda: run(recruitment.open_call(ADMIN, {
        "title": "2026年调解员\u2066选聘", "region_code": "350500", "opens_on": "2026-01-05", "closes_on": "2026-02-05"})))
    assert errors == {"title": MESSAGE}


def test_course_and_typical_case_titles_refuse_control_characters():
    from training import cases, courses

    errors = _field_errors(lambda: courses.validate_course({
        "title": "初级\x08培训", "grade": "junior", "region_code": "350500", "class_hours": 8, "capacity": 30,
        "enrol_opens_on": "2026-01-05", "enrol_closes_on": "2026-01-20", "starts_on": "2026-02-02"}))
    assert errors == {"title": MESSAGE}
    errors = _field_errors(lambda: cases.validate_case({
        "title": "欠薪\u202e案", "dispute_type": "wage_arrears", "summary": "概要", "region_code": "350500"}))
    assert errors == {"title": MESSAGE}


def test_questions_refuse_control_characters_by_form_and_by_import(run):
    from tests.unit.exams.factory import single
    from training.exams import bank as exams

    errors = _field_errors(lambda: exams.validate_question({**single(), "topic": "工资\x07", "stem": "题\x0c干"}))
    assert errors == {"topic": MESSAGE, "stem": MESSAGE}
    assert exams.validate_question({**single(), "stem": "阅读案情：\n甲公司拖欠工资。\n问："})["stem"].count("\n") == 2
    content = (",".join(exams.CSV_COLUMNS) + "\nsingle,工资\u202e,junior,3,5,拖欠工资可以申请仲裁吗,是|否,A,\n").encode()
    report = run(exams.import_questions(ADMIN, "bank.csv", content))
    assert report.imported == 0 and report.errors == [(2, "topic", MESSAGE)]


def test_expert_names_and_a_courts_case_refuse_control_characters():
    from expert_pool import court_selections, experts

    errors = _field_errors(lambda: experts.validate_expert({
        "name": "王\u200e专家", "background": next(iter(experts.BACKGROUNDS)), "region_code": "350500",
        "specialties": ["wage_arrears"]}))
    assert errors == {"name": MESSAGE}
    errors = _field_errors(lambda: court_selections.validate_request({
        "case_no": "（2026）闽0504民初\x1b123号", "dispute_type": "wage_arrears", "region": "350504",
        "employers": [{"name": "泉州\u202e司公某"}], "workers": [{"name": "张三"}], "count": 3}))
    assert errors == {"case_no": MESSAGE, "employers[0].name": MESSAGE}


def test_case_references_refuse_control_characters_in_forms_and_workbooks():
    from openpyxl import Workbook

    from roster.review import records

    errors = _field_errors(lambda: records.validate_case(
        {"case_ref": "洛劳调\x00字12号", "dispute_type": "wage_arrears", "received_on": "2025-01-02"}))
    assert errors == {"case_ref": MESSAGE}
    book = Workbook()
    book.active.append(list(records.CASE_COLUMNS))
    book.active.append(["350504202600001", "洛劳调\u2067字12号", "wage_arrears", "2025-01-02", "", "", ""])
    out = io.BytesIO()
    book.save(out)
    row = records.read_table("cases.xlsx", out.getvalue())[0]
    assert _field_errors(lambda: records.validate_case(row)) == {"case_ref": MESSAGE}


def test_account_display_names_refuse_control_characters(run):
    from core.accounts import create_account

    errors = _field_errors(lambda: run(create_account(ADMIN, {
        "username": "lin", "display_name": "林\u202e晓梅", "password": "a long enough password", "role": "auditor",
        "region_code": "350500"})))
    assert errors == {"display_name": MESSAGE}
