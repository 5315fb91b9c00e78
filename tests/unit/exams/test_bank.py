"""The question bank: validation, and import/export (every bad row reported by number;
nothing stored unless asked)."""

from __future__ import annotations

import csv
import io

import pytest

from core.auth.roles import Role
from core.errors import DomainError, FieldErrors
from tests.unit.exams.factory import (
    make_user,
    pooled,
    single,
    written,
)


def test_question_validation_names_each_bad_field():
    from training.exams.bank import validate_question

    with pytest.raises(FieldErrors) as raised:
        validate_question({"kind": "single", "topic": "", "grade": "x", "difficulty": "9", "marks": "0",
                           "stem": "", "options": "only one", "answer": "Z"})
    assert set(raised.value.errors) >= {"topic", "grade", "difficulty", "marks", "stem", "options", "answer"}
    clean = validate_question(single(answer="B"))
    assert clean["answer"] == [1] and clean["options"] == ["yes", "no", "maybe"]
    assert validate_question({**single(), "kind": "true_false", "answer": "错"})["answer"] == [False]


HEADER = "kind,topic,grade,difficulty,marks,stem,options,answer,rubric\n"


def _admin():
    from core.auth.services import load_principal

    async def build():
        return await load_principal(await make_user("importer", Role.ADMIN, "350000"))

    return build()


def test_import_reports_every_bad_row_by_number_and_stores_nothing(run):
    from training.exams import bank
    from training.exams.tables import Question

    content = (HEADER
               + "single,wages,junior,2,5,Which?,a|b|c,B,\n"  # row 2: fine
               + "single,wages,junior,9,5,Which?,a|b|c,B,\n"  # row 3: difficulty
               + "essay,wages,junior,2,5,Which?,,,\n"  # row 4: kind
               + "true_false,hours,junior,1,2,Is it?,,maybe,\n"  # row 5: answer
               + "short_answer,cases,senior,3,10,Explain,,,\n"  # row 6: rubric missing
               ).encode()

    async def scenario():
        admin = await _admin()
        report = await bank.import_questions(admin, "bank.csv", content)
        assert report.bad_rows == [3, 4, 5, 6] and report.imported == 0
        assert {(r, f) for r, f, _m in report.errors} >= {(3, "difficulty"), (4, "kind"), (5, "answer"), (6, "rubric")}
        assert await Question.count() == 0
        again = await bank.import_questions(admin, "bank.csv", content, import_good_rows=True)
        assert again.imported == 1 and await Question.count() == 1

    run(pooled(scenario()))


def test_export_then_import_round_trips_in_csv_and_xlsx(run):
    from tests.unit.exams.factory import single
    from training.exams import bank
    from training.exams.tables import Question

    async def scenario():
        admin = await _admin()
        await bank.create_question(admin, single(answer="C"))
        await bank.create_question(admin, {**single(), "kind": "multiple", "answer": "A,B"})
        await bank.create_question(admin, {**single(), "kind": "true_false", "answer": "true"})
        await bank.create_question(admin, written())
        exports = [await bank.export_questions(fmt) for fmt in ("csv", "xlsx")]
        for content, _media, filename in exports:
            report = await bank.import_questions(admin, filename, content)
            assert report.errors == [] and report.imported == 4
        assert await Question.count() == 12
        rows = list(csv.DictReader(io.StringIO((await bank.export_questions("csv"))[0].decode("utf-8-sig"))))
        assert rows[0]["answer"] == "C" and rows[1]["answer"] == "A,B"

    run(pooled(scenario()))


def test_import_refuses_unknown_file_types_and_missing_columns(run):
    from training.exams import bank

    async def scenario():
        admin = await _admin()
        with pytest.raises(DomainError):
            await bank.import_questions(admin, "bank.txt", b"x")
        with pytest.raises(DomainError) as raised:
            await bank.import_questions(admin, "bank.csv", b"kind,topic\nsingle,x\n")
        assert "grade" in raised.value.message

    run(pooled(scenario()))
