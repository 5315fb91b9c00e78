"""Question import/export: every bad row reported by number; nothing stored unless asked."""

import csv
import io

import pytest

from core.errors import DomainError
from tests.unit.exams.factory import pooled

HEADER = "kind,topic,grade,difficulty,marks,stem,options,answer,rubric\n"


def _admin():
    from core.auth.roles import Role
    from core.auth.services import load_principal
    from tests.unit.exams.factory import make_user

    async def build():
        return await load_principal(await make_user("importer", Role.ADMIN, "350000"))

    return build()


def test_import_reports_every_bad_row_by_number_and_stores_nothing(run):
    from training.exams import services
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
        report = await services.import_questions(admin, "bank.csv", content)
        assert report.bad_rows == [3, 4, 5, 6] and report.imported == 0
        assert {(r, f) for r, f, _m in report.errors} >= {(3, "difficulty"), (4, "kind"), (5, "answer"), (6, "rubric")}
        assert await Question.count() == 0
        again = await services.import_questions(admin, "bank.csv", content, import_good_rows=True)
        assert again.imported == 1 and await Question.count() == 1

    run(pooled(scenario()))


def test_export_then_import_round_trips_in_csv_and_xlsx(run):
    from tests.unit.exams.factory import single, written
    from training.exams import services
    from training.exams.tables import Question

    async def scenario():
        admin = await _admin()
        await services.create_question(admin, single(answer="C"))
        await services.create_question(admin, {**single(), "kind": "multiple", "answer": "A,B"})
        await services.create_question(admin, {**single(), "kind": "true_false", "answer": "true"})
        await services.create_question(admin, written())
        exports = [await services.export_questions(fmt) for fmt in ("csv", "xlsx")]
        for content, _media, filename in exports:
            report = await services.import_questions(admin, filename, content)
            assert report.errors == [] and report.imported == 4
        assert await Question.count() == 12
        rows = list(csv.DictReader(io.StringIO((await services.export_questions("csv"))[0].decode("utf-8-sig"))))
        assert rows[0]["answer"] == "C" and rows[1]["answer"] == "A,B"

    run(pooled(scenario()))


def test_import_refuses_unknown_file_types_and_missing_columns(run):
    from training.exams import services

    async def scenario():
        admin = await _admin()
        with pytest.raises(DomainError):
            await services.import_questions(admin, "bank.txt", b"x")
        with pytest.raises(DomainError) as raised:
            await services.import_questions(admin, "bank.csv", b"kind,topic\nsingle,x\n")
        assert "grade" in raised.value.message

    run(pooled(scenario()))
