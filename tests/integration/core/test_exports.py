"""Every CSV and XLSX the platform hands out (rule: exports never carry a live formula): a name,
title or question stored as `=HYPERLINK(...)`, `+1`, `-1+1`, `@SUM(1)` or with a leading tab
comes out as text with a leading apostrophe, in both formats; numbers are numeric cells and
dates are date cells in XLSX; CSV starts with the UTF-8 byte-order mark; and the file is named
for what it is and the date or period it shows. The export routes are found by walking the
app's routes, so a new export without a case here fails the walk."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from urllib.parse import unquote

from openpyxl import load_workbook

from core.auth.roles import Grant, Principal, Role
from tests.conftest import BEIJING_DAY
from tests.helpers import login
from tests.unit.exams.factory import make_user

SEED = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-1+1", "@SUM(1)", "\tx"]
NEUTRALISED = {"'" + text for text in FORMULAS}
BOM = "\ufeff".encode()
COVERED = {  # every export route, and the test below that checks it
    "/roster/export/{kind:str}/{fmt:str}": "test_public_roster_exports_neutralise_formulas_and_keep_numbers",
    "/roster/publications/{publication_id:int}/export/{kind:str}/{fmt:str}":
        "test_an_earlier_publication_exports_its_withdrawal_dates_as_dates",
    "/admin/certificates/export/{fmt:str}": "test_certificate_export_neutralises_holder_names_and_keeps_dates",
    "/admin/exams/questions/export": "test_question_bank_export_neutralises_stems_and_re_imports_as_it_was",
    "/admin/reports/{table:str}/{fmt:str}": "test_report_exports_are_numbers_named_for_their_period",
}


def _csv(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.text[:2000]
    assert answer.content.startswith(BOM) and answer.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def _sheet(answer):
    assert answer.status_code == 200, answer.text[:2000]
    return load_workbook(io.BytesIO(answer.content)).active


def _column(sheet, index: int) -> list:
    return [row[index] for row in sheet.iter_rows(min_row=2)]


def _text_cells(cells, expected: set[str]) -> None:
    assert {c.value for c in cells} == expected
    assert all(c.data_type == "s" for c in cells), [(c.value, c.data_type) for c in cells]  # never "f"


def _file_name(answer) -> str:
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment;") and re.search(r'filename="[ -~]+"', disposition)
    return unquote(re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1))


def test_every_export_route_is_covered_here(app):
    exports = {route.path for route in app.routes if "export" in route.path or "{fmt" in route.path}
    assert exports == set(COVERED)


# --------------------------------------------------------------------------- the public roster
def _roster(run) -> tuple[int, date, int]:
    """Five organisations and mediators named like formulas, and one more who exits after the
    publication: (publication id, its date, the leaver's id)."""
    from core import clock
    from roster import services as roster
    from roster.publication import publication, publish

    for text in FORMULAS:  # stored before names were checked at input, or imported
        organisation = run(roster.create_organisation_record(name=text, region_code="350504"))
        run(roster.create_mediator_record(name=text, region_code="350504", organisation_id=organisation))
    leaver = run(roster.create_mediator_record(name="退出者", region_code="350504"))
    publication_id = run(publish(SEED, "350000"))
    run(roster.change_mediator_status(leaver, "exited", ground="resigned", actor=SEED))
    return publication_id, clock.date_of(run(publication(publication_id)).published_at), leaver


def test_public_roster_exports_neutralise_formulas_and_keep_numbers(client, run):
    _id, published_on, _leaver = _roster(run)
    mediators = _csv(client.get("/roster/export/mediators/csv"))
    assert mediators[0][:2] == ["名册编号", "姓名"]
    assert {r[1] for r in mediators[1:]} == NEUTRALISED and {r[2] for r in mediators[1:]} == NEUTRALISED
    answer = client.get("/roster/export/mediators/xlsx")
    sheet = _sheet(answer)
    _text_cells(_column(sheet, 1), NEUTRALISED)
    _text_cells(_column(sheet, 2), NEUTRALISED)
    assert _file_name(answer) == f"调解员名册_{published_on.isoformat()}.xlsx"
    answer = client.get("/roster/export/organisations/xlsx", params={"region": "350504"})
    organisations = _sheet(answer)
    _text_cells(_column(organisations, 1), NEUTRALISED)
    members = _column(organisations, 6)
    assert [c.value for c in members] == [1, 1, 1, 1, 1] and all(c.data_type == "n" for c in members)
    assert _file_name(answer) == f"调解组织名册_350504_{published_on.isoformat()}.xlsx"
    rows = _csv(client.get("/roster/export/organisations/csv"))
    assert {r[1] for r in rows[1:]} == NEUTRALISED and {r[6] for r in rows[1:]} == {"1"}


def test_an_earlier_publication_exports_its_withdrawal_dates_as_dates(client, run, night):

    publication_id, published_on, _leaver = _roster(run)
    base = f"/roster/publications/{publication_id}/export/mediators"
    answer = client.get(f"{base}/xlsx")
    sheet = _sheet(answer)
    assert sheet.cell(1, 8).value == "撤下日期"
    by_name = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(by_name) == NEUTRALISED | {"退出者"}
    withdrawn = by_name["退出者"][7]
    assert withdrawn.is_date and withdrawn.value.date() == date.fromisoformat(BEIJING_DAY)  # a date cell, not text
    assert all(by_name[name][7].value is None for name in NEUTRALISED)
    _text_cells([by_name[name][1] for name in NEUTRALISED], NEUTRALISED)
    assert _file_name(answer) == f"调解员名册_{published_on.isoformat()}_第{publication_id}次公布.xlsx"
    rows = _csv(client.get(f"{base}/csv"))
    assert {r[1]: r[7] for r in rows[1:]} == {**dict.fromkeys(NEUTRALISED, ""), "退出者": BEIJING_DAY}


# --------------------------------------------------------------------------- certificates
def test_certificate_export_neutralises_holder_names_and_keeps_dates(client, run, night):
    from certification import services as certification
    from roster import services as roster

    for text in FORMULAS[:4]:  # (a tab cannot be printed on a certificate, so no holder has one)
        mediator = run(roster.create_mediator_record(name=text, region_code="350504"))
        run(certification.issue_certificate_unchecked(mediator, "junior", issued_on=date(2026, 3, 2)))
    run(make_user("admin", Role.ADMIN, "350000"))
    assert login(client, "admin").status_code == 303
    answer = client.get("/admin/certificates/export/xlsx", params={"region": "350504"})
    sheet = _sheet(answer)
    _text_cells(_column(sheet, 1), NEUTRALISED - {"'\tx"})
    for index, expected in ((6, date(2026, 3, 2)), (7, date(2029, 3, 1))):  # issued on, expires on (3 years)
        cells = _column(sheet, index)
        assert all(c.is_date and c.value == datetime(expected.year, expected.month, expected.day) for c in cells)

    assert _file_name(answer) == f"证书_350504_{BEIJING_DAY}.xlsx"
    rows = _csv(client.get("/admin/certificates/export/csv"))
    assert {r[1] for r in rows[1:]} == NEUTRALISED - {"'\tx"} and {r[6] for r in rows[1:]} == {"2026-03-02"}


# --------------------------------------------------------------------------- question bank
def test_question_bank_export_neutralises_stems_and_re_imports_as_it_was(client, run, night):
    from tests.unit.exams.factory import single
    from training.exams import bank as exams
    from training.exams.tables import Question

    run(make_user("admin", Role.ADMIN, "350000"))
    for text in FORMULAS[:4]:  # (a stem's leading blanks are trimmed at input, so no stem starts with a tab)
        run(exams.create_question(SEED, {**single(marks=4, difficulty=2), "stem": text}, region_code="350000"))
    assert login(client, "admin").status_code == 303
    answer = client.get("/admin/exams/questions/export", params={"format": "xlsx"})
    sheet = _sheet(answer)
    assert [c.value for c in sheet[1]][:6] == ["kind", "topic", "grade", "difficulty", "marks", "stem"]
    _text_cells(_column(sheet, 5), NEUTRALISED - {"'\tx"})
    assert all(c.value == 2 and c.data_type == "n" for c in _column(sheet, 3))  # difficulty: a number
    assert all(c.value == 4 and c.data_type == "n" for c in _column(sheet, 4))  # marks: a number
    assert _file_name(answer) == f"题库_{BEIJING_DAY}.xlsx"
    exported = client.get("/admin/exams/questions/export", params={"format": "csv"})
    assert {r[5] for r in _csv(exported)[1:]} == NEUTRALISED - {"'\tx"}
    report = run(exams.import_questions(SEED, _file_name(exported), exported.content))
    assert report.errors == [] and report.imported == 4
    stems = [r["stem"] for r in run(Question.select(Question.stem))]
    assert sorted(stems) == sorted(FORMULAS[:4] * 2)  # the re-import stores what was typed, not the apostrophe


# --------------------------------------------------------------------------- reports
def test_report_exports_are_numbers_named_for_their_period(client, run, night):
    from roster import services as roster

    for n in range(3):
        run(roster.create_mediator_record(name=f"调解员{n}", region_code="350504"))
    run(roster.create_mediator_record(name="申请人", region_code="350504", status="applicant"))
    run(make_user("admin", Role.ADMIN, "350000"))
    assert login(client, "admin").status_code == 303
    answer = client.get("/admin/reports/mediators_by_status/xlsx", params={"region": "350500", "year": 2025})
    sheet = _sheet(answer)
    assert [c.value for c in sheet[1]] == ["项目", "数值"]
    assert {row[0].value: row[1].value for row in sheet.iter_rows(min_row=2)} == {"在册": 3, "申请中": 1}
    assert all(row[1].data_type == "n" for row in sheet.iter_rows(min_row=2))
    assert _file_name(answer) == f"调解员（按状态）_350500_{BEIJING_DAY}.xlsx"  # counted as of today
    yearly = client.get("/admin/reports/grades/csv", params={"region": "350500", "year": 2025})
    assert _csv(yearly)[0] == ["项目", "数值"] and _file_name(yearly) == "考评等次_350500_2025.csv"
