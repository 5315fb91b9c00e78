"""Examinations: question bank (with CSV/XLSX import and export), papers (fixed or
blueprint), sittings and admission tickets, taking the exam (window and duration enforced
by the server, autosave), objective auto-marking, blind double marking with a third
examiner, results, re-checks, item statistics, and the cross-domain contract
(`ExamPass`, `exam_pass`, `passed_candidates`, `sitting_summary`, `released_sittings`).

Decisions the rules leave open (documented here and on the pages):
- Multiple choice is all-or-nothing: full marks only for exactly the right set of options.
- A written answer left blank scores 0 at submission and goes to no examiner.
- Double marking: two examiners per written answer; when their marks differ by MORE than
  `double_marking_tolerance_ratio` × the question's maximum, a third examiner marks it and
  the final mark is the mean of the two closest of the three marks. If two pairs are equally
  close, the pair with the higher mean counts (the benefit of the doubt goes to the candidate).
- Re-sits: in one calendar year a mediator may sit a grade once plus
  `resits_per_grade_per_year` re-sits (admissions to sittings of that grade that year).
- A paper not submitted by its deadline is submitted automatically with the answers saved
  before the deadline (`finalise_expired`); answers sent after the deadline are refused.
- Autosaves are not written to the audit log one by one (a candidate saves hundreds of
  times); starting, submission, marks, release and re-checks are audited.
- A re-check is handled by an examiner who marked none of the candidate's answers; the
  re-check examiner's marks replace the written marks, and the outcome is `changed` when the
  total moved, `upheld` otherwise.
- The re-check window is counted in the platform's calendar days: asked for on or before the
  day `recheck_window_days` after the day of the release (`recheck_last_day`).
- Dates are the platform's (core.clock): the year a sitting counts for (re-sits, ticket
  numbers) is the year of its opening on the platform's calendar.
"""

from __future__ import annotations

import csv
import io
import json
import random
import secrets
import statistics
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core import audit, clock, exports
from core.auth.roles import Principal, Role
from core.db import serialise_on, write_transaction
from core.errors import Conflict, DomainError, FieldErrors, Forbidden, NotFound
from core.exports import Table
from core.i18n import N_, _
from core.regions import ancestors, is_within, region_like, within_regions
from core.settings import get_settings
from core.text import check_fields, text_problem
from core.vocab import Grade
from training.exams.tables import Admission, Answer, Marking, Paper, PaperQuestion, Question, Recheck, Sitting

KINDS = ("single", "multiple", "true_false", "short_answer", "case_analysis")
OBJECTIVE = ("single", "multiple", "true_false")
WRITTEN = ("short_answer", "case_analysis")
KIND_LABELS = {
    "single": N_("Single choice"),
    "multiple": N_("Multiple choice"),
    "true_false": N_("True or false"),
    "short_answer": N_("Short answer"),
    "case_analysis": N_("Case analysis"),
}
CSV_COLUMNS = ("kind", "topic", "grade", "difficulty", "marks", "stem", "options", "answer", "rubric")
OPTION_SEPARATOR = "|"
MAX_RESPONSE_CHARS = 20_000  # TODO settings: longest written answer accepted
MAX_IMPORT_ROWS = 5_000  # TODO settings: largest question import


def rules():
    return get_settings().rules


def _j(value: Any) -> Any:
    """JSONB values come back as text on some engines/queries."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def kind_label(kind: str) -> str:
    return _(KIND_LABELS.get(kind, kind))


def grade_label(grade: str) -> str:
    try:
        return Grade(grade).label
    except ValueError:
        return grade


def letters(indexes: list[int]) -> str:
    return ",".join(chr(ord("A") + i) for i in sorted(indexes))


# ---------------------------------------------------------------- question bank

def _parse_options(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(o).strip() for o in raw if str(o).strip()]
    text = str(raw or "")
    parts = text.split("\n") if "\n" in text else text.split(OPTION_SEPARATOR)
    return [p.strip() for p in parts if p.strip()]


TRUE_WORDS = {"true", "t", "yes", "y", "1", "对", "正确", "是", "√"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "错", "错误", "否", "×"}


def validate_question(data: dict[str, Any]) -> dict[str, Any]:
    """A clean question from form/CSV values, or FieldErrors naming each bad field."""
    errors: dict[str, str] = {}
    kind = str(data.get("kind") or "").strip()
    if kind not in KINDS:
        errors["kind"] = _("Choose a question type.")
    topic = str(data.get("topic") or "").strip()
    if not topic or len(topic) > 60:
        errors["topic"] = _("Enter a topic of at most 60 characters.")
    grade = str(data.get("grade") or "").strip()
    if grade not in [g.value for g in Grade]:
        errors["grade"] = _("Choose a grade.")
    try:
        difficulty = int(str(data.get("difficulty") or "").strip())
        if not 1 <= difficulty <= 5:
            raise ValueError
    except ValueError:
        errors["difficulty"] = _("Difficulty is a whole number from 1 to 5.")
        difficulty = 0
    try:
        marks = int(str(data.get("marks") or "").strip())
        if not 1 <= marks <= 100:
            raise ValueError
    except ValueError:
        errors["marks"] = _("Marks are a whole number from 1 to 100.")
        marks = 0
    stem = str(data.get("stem") or "").strip()
    if not stem:
        errors["stem"] = _("Enter the question.")
    elif len(stem) > 10_000:
        errors["stem"] = _("The question is too long.")
    options: list[str] = []
    answer: list[Any] = []
    raw_answer = str(data.get("answer") if data.get("answer") is not None else "").strip()
    rubric = str(data.get("rubric") or "").strip()
    if kind in ("single", "multiple"):
        options = _parse_options(data.get("options"))
        if len(options) < 2 or len(options) > 8:
            errors["options"] = _("Give between 2 and 8 options, separated by | or one per line.")
        picked = []
        for token in raw_answer.replace("，", ",").replace(" ", ",").split(","):
            token = token.strip().upper()
            if not token:
                continue
            if len(token) == 1 and "A" <= token <= "H":
                picked.append(ord(token) - ord("A"))
            else:
                picked = None
                break
        if picked is None or not picked or (options and max(picked) >= len(options)):
            errors["answer"] = _("Give the correct option letters, e.g. A or A,C.")
        elif kind == "single" and len(set(picked)) != 1:
            errors["answer"] = _("A single-choice question has exactly one correct option.")
        elif kind == "multiple" and len(set(picked)) < 2:
            errors["answer"] = _("A multiple-choice question has at least two correct options.")
        else:
            answer = sorted(set(picked))
    elif kind == "true_false":
        word = raw_answer.lower()
        if word in TRUE_WORDS:
            answer = [True]
        elif word in FALSE_WORDS:
            answer = [False]
        else:
            errors["answer"] = _("The answer of a true-or-false question is true or false.")
    elif kind in WRITTEN:
        if not rubric:
            errors["rubric"] = _("Give the reference answer or marking rubric for examiners.")
    check_fields({"topic": topic}, errors, ("topic",))
    # the stem and rubric may run over several lines (a case to analyse); only line breaks are kept
    check_fields({"stem": stem, "rubric": rubric}, errors, ("stem", "rubric"), multiline=True)
    if any(text_problem(option) for option in options) and "options" not in errors:
        errors["options"] = text_problem("".join(options))
    if errors:
        raise FieldErrors(errors)
    return {"kind": kind, "topic": topic, "grade": grade, "difficulty": difficulty, "marks": marks,
            "stem": stem, "options": options, "answer": answer, "rubric": rubric}


def _require_admin(principal: Principal, region_code: str | None = None) -> None:
    if not principal.has_role(Role.ADMIN):
        raise Forbidden(_("Only administrators may do this."))
    if region_code is not None and not principal.can_act_in(region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))


def admin_region(principal: Principal) -> str:
    regions = principal.regions_for(Role.ADMIN)
    return min(regions, key=len) if regions else ""


async def create_question(principal: Principal, data: dict[str, Any], region_code: str | None = None) -> int:
    clean = validate_question(data)
    region = region_code or admin_region(principal)
    _require_admin(principal, region)
    async with write_transaction():
        rows = await Question.insert(Question(**clean, region_code=region)).returning(Question.id)
        qid = rows[0]["id"]
        await audit.record(principal, "create", "exam_question", qid, region_code=region, after=clean)
    return qid


async def update_question(principal: Principal, question_id: int, data: dict[str, Any]) -> None:
    current = await question(question_id)
    _require_admin(principal, current["region_code"])
    clean = validate_question(data)
    async with write_transaction():
        await Question.update(clean).where(Question.id == question_id)
        await audit.record(principal, "update", "exam_question", question_id, region_code=current["region_code"],
                           before={k: current[k] for k in clean}, after=clean)


async def set_question_active(principal: Principal, question_id: int, active: bool) -> None:
    current = await question(question_id)
    _require_admin(principal, current["region_code"])
    async with write_transaction():
        await Question.update({Question.active: active}).where(Question.id == question_id)
        await audit.record(principal, "activate" if active else "deactivate", "exam_question", question_id,
                           region_code=current["region_code"], before={"active": current["active"]},
                           after={"active": active})


def _question_row(row: dict[str, Any]) -> dict[str, Any]:
    row["options"] = _j(row.get("options")) or []
    row["answer"] = _j(row.get("answer")) or []
    return row


def bank_scope(column: Any, principal: Principal) -> Any:
    """What an administrator's bank holds: the questions and papers of their region and below,
    and those of the regions above (the province's bank serves every city), never another
    city's. No administrator grant: nothing."""
    regions = principal.regions_for(Role.ADMIN)
    above = sorted({code for region in regions for code in ancestors(region)})
    where = within_regions(column, regions)
    if above:
        where = column.is_in(above) if where is None else where | column.is_in(above)
    return where if where is not None else column.is_in([""])


def _reads_bank(principal: Principal, region_code: str) -> bool:
    return principal.can_act_in(region_code, Role.ADMIN) or any(
        region_code in ancestors(code) for code in principal.regions_for(Role.ADMIN))


def _require_bank(principal: Principal, region_code: str) -> None:
    if not _reads_bank(principal, region_code):
        raise Forbidden(_("This record belongs to a region outside your authority."))


async def readable_question(principal: Principal, question_id: int) -> dict[str, Any]:
    row = await question(question_id)
    _require_bank(principal, row["region_code"])
    return row


async def readable_paper(principal: Principal, paper_id: int) -> dict[str, Any]:
    row = await paper(paper_id)
    _require_bank(principal, row["region_code"])
    return row


async def question(question_id: int) -> dict[str, Any]:
    row = await Question.select().where(Question.id == question_id).first()
    if row is None:
        raise NotFound(_("No such question."))
    return _question_row(row)


async def questions_by_id(ids) -> dict[int, dict[str, Any]]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = await Question.select().where(Question.id.is_in(ids))
    return {r["id"]: _question_row(r) for r in rows}


async def list_questions(*, kind: str = "", topic: str = "", grade: str = "", difficulty: int | None = None,
                         active: bool | None = None, page: int = 1, page_size: int = 50,
                         principal: Principal | None = None) -> tuple[list[dict], int]:
    """The bank, filtered; with a principal, only the bank they read (`bank_scope`)."""
    query = Question.select()
    count = Question.count()
    conditions = [] if principal is None else [bank_scope(Question.region_code, principal)]
    if kind:
        conditions.append(Question.kind == kind)
    if topic:
        conditions.append(Question.topic == topic)
    if grade:
        conditions.append(Question.grade == grade)
    if difficulty:
        conditions.append(Question.difficulty == difficulty)
    if active is not None:
        conditions.append(Question.active == active)
    for condition in conditions:
        query = query.where(condition)
        count = count.where(condition)
    rows = await query.order_by(Question.id).limit(page_size).offset((page - 1) * page_size)
    return [_question_row(r) for r in rows], await count


async def topics() -> list[str]:
    rows = await Question.select(Question.topic).distinct().order_by(Question.topic)
    return [r["topic"] for r in rows]


# ------------------------------------------------------------ import / export

@dataclass
class ImportReport:
    total: int = 0
    imported: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row number, field, message)

    @property
    def bad_rows(self) -> list[int]:
        return sorted({r for r, _f, _m in self.errors})


def _rows_from_csv(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    return [{(k or "").strip().lower(): (v or "") for k, v in row.items() if k is not None} for row in reader]


def _rows_from_xlsx(content: bytes) -> list[dict[str, str]]:
    from openpyxl import load_workbook

    from core.uploads import check_workbook

    check_workbook(content, "file")  # a zip: its declared unpacked size, before anything is inflated
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    workbook.close()
    if not rows:
        return []
    header = [str(h or "").strip().lower() for h in rows[0]]
    out = []
    for values in rows[1:]:
        out.append({header[i]: ("" if v is None else str(v)) for i, v in enumerate(values) if i < len(header)})
    return out


def parse_question_file(filename: str, content: bytes) -> list[dict[str, str]]:
    name = (filename or "").lower()
    try:
        if name.endswith(".xlsx"):
            rows = _rows_from_xlsx(content)
        elif name.endswith(".csv"):
            rows = _rows_from_csv(content)
        else:
            raise DomainError(_("Upload a .csv or .xlsx file."), "file")
    except DomainError:
        raise
    except Exception:  # noqa: BLE001 - any unreadable upload is the same mistake for the user
        raise DomainError(_("The file could not be read as CSV (UTF-8) or XLSX."), "file") from None
    if not rows:
        raise DomainError(_("The file has no question rows."), "file")
    rows = [{k: exports.restore(v) for k, v in row.items()} for row in rows]  # an export re-imports as it was
    missing = [c for c in ("kind", "topic", "grade", "difficulty", "marks", "stem") if c not in rows[0]]
    if missing:
        raise DomainError(_("Missing columns: %(columns)s.", columns=", ".join(missing)), "file")
    if len(rows) > MAX_IMPORT_ROWS:
        raise DomainError(_("At most %(n)s rows per import.", n=MAX_IMPORT_ROWS), "file")
    return rows


async def import_questions(principal: Principal, filename: str, content: bytes, *,
                           import_good_rows: bool = False) -> ImportReport:
    """Validate every row; report each bad row by its number in the file (the header is
    row 1). Nothing is stored when any row is bad, unless `import_good_rows`."""
    region = admin_region(principal)
    _require_admin(principal, region)
    from core.uploads import run_decoder

    rows = await run_decoder(parse_question_file, filename, content)  # an XLSX takes seconds to read
    report = ImportReport(total=len(rows))
    good = []
    for number, row in enumerate(rows, start=2):
        if not any(str(v).strip() for v in row.values()):
            report.total -= 1
            continue
        try:
            good.append(validate_question(row))
        except FieldErrors as invalid:
            for field_name, message in invalid.errors.items():
                report.errors.append((number, field_name, message))
    if report.errors and not import_good_rows:
        return report
    if good:
        async with write_transaction():
            for start in range(0, len(good), 500):
                await Question.insert(*[Question(**q, region_code=region) for q in good[start:start + 500]])
            await audit.record(principal, "import", "exam_question", "", region_code=region,
                               after={"imported": len(good), "bad_rows": report.bad_rows, "file": filename})
    report.imported = len(good)
    return report


def _export_rows(questions: list[dict[str, Any]]) -> list[list[Any]]:
    out = []
    for q in questions:
        if q["kind"] in ("single", "multiple"):
            answer = letters(q["answer"])
        elif q["kind"] == "true_false":
            answer = "true" if q["answer"] and q["answer"][0] else "false"
        else:
            answer = ""
        out.append([q["kind"], q["topic"], q["grade"], q["difficulty"], q["marks"], q["stem"],
                    f" {OPTION_SEPARATOR} ".join(q["options"]), answer, q["rubric"]])
    return out


async def question_table(**filters: Any) -> Table:
    """The bank (filtered) in the import format, so an export re-imports."""
    rows, _total = await list_questions(page=1, page_size=100_000, **filters)
    return Table("questions", list(CSV_COLUMNS), _export_rows(rows))


async def export_questions(fmt: str = "csv", **filters: Any) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the bank as it stands today."""
    table = await question_table(**filters)
    content = exports.csv_bytes(table) if fmt == "csv" else exports.xlsx_bytes(table)
    return (content, exports.CSV_MEDIA if fmt == "csv" else exports.XLSX_MEDIA,
            exports.file_name(_("Question bank"), clock.today(), fmt=fmt))


# ---------------------------------------------------------------------- papers

def _int(value: Any, name: str, errors: dict[str, str], low: int, high: int, message: str) -> int:
    try:
        number = int(str(value).strip())
        if not low <= number <= high:
            raise ValueError
        return number
    except (TypeError, ValueError):
        errors[name] = message
        return 0


def parse_blueprint(text: str) -> list[dict[str, Any]]:
    """Blueprint lines "topic, kind, difficulty, marks, count" (kind and difficulty may be *)."""
    rows, errors = [], {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if len(parts) != 5:
            errors["blueprint"] = _("Line %(n)s: write topic, type, difficulty, marks, count.", n=number)
            break
        topic, kind, difficulty, marks, count = parts
        row_errors: dict[str, str] = {}
        if kind not in ("*", *KINDS):
            row_errors["kind"] = "x"
        diff = None if difficulty == "*" else _int(difficulty, "difficulty", row_errors, 1, 5, "x")
        mk = _int(marks, "marks", row_errors, 1, 100, "x")
        ct = _int(count, "count", row_errors, 1, 200, "x")
        if row_errors or not topic:
            errors["blueprint"] = _("Line %(n)s is not valid (type, difficulty 1-5, marks and count).", n=number)
            break
        rows.append({"topic": topic, "kind": None if kind == "*" else kind, "difficulty": diff, "marks": mk,
                     "count": ct})
    if errors:
        raise FieldErrors(errors)
    return rows


def blueprint_text(rows: list[dict[str, Any]]) -> str:
    return "\n".join(f"{r['topic']}, {r.get('kind') or '*'}, {r.get('difficulty') or '*'}, {r['marks']}, {r['count']}"
                     for r in rows)


def _bank_filter(grade: str, row: dict[str, Any]):
    conditions = [Question.active == True, Question.grade == grade, Question.topic == row["topic"],  # noqa: E712
                  Question.marks == row["marks"]]
    if row.get("kind"):
        conditions.append(Question.kind == row["kind"])
    if row.get("difficulty"):
        conditions.append(Question.difficulty == row["difficulty"])
    return conditions


async def _bank_ids(grade: str, row: dict[str, Any]) -> list[int]:
    query = Question.select(Question.id)
    for condition in _bank_filter(grade, row):
        query = query.where(condition)
    return [r["id"] for r in await query.order_by(Question.id)]


async def check_blueprint(grade: str, rows: list[dict[str, Any]], total: int) -> list[str]:
    problems = []
    if not rows:
        problems.append(_("A blueprint needs at least one line."))
    sum_marks = sum(r["marks"] * r["count"] for r in rows)
    if rows and sum_marks != total:
        problems.append(_("The blueprint adds up to %(sum)s marks; the paper must total %(total)s.",
                          sum=sum_marks, total=total))
    for number, row in enumerate(rows, start=1):
        available = len(await _bank_ids(grade, row))
        if available < row["count"]:
            problems.append(_("Line %(n)s asks for %(count)s questions but the bank has %(available)s.",
                              n=number, count=row["count"], available=available))
    return problems


async def create_paper(principal: Principal, data: dict[str, Any]) -> int:
    region = admin_region(principal)
    _require_admin(principal, region)
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("Enter a title of at most 200 characters.")
    check_fields({"title": title}, errors, ("title",))
    grade = str(data.get("grade") or "")
    if grade not in [g.value for g in Grade]:
        errors["grade"] = _("Choose a grade.")
    kind = str(data.get("kind") or "fixed")
    if kind not in ("fixed", "blueprint"):
        errors["kind"] = _("Choose fixed or blueprint.")
    duration = _int(data.get("duration_minutes", 90), "duration_minutes", errors, 10, 600,
                    _("Duration is 10 to 600 minutes."))
    blueprint: list[dict[str, Any]] = []
    if kind == "blueprint" and not errors:
        try:
            blueprint = parse_blueprint(str(data.get("blueprint") or ""))
        except FieldErrors as invalid:
            errors.update(invalid.errors)
        else:
            problems = await check_blueprint(grade, blueprint, rules().exam_total_marks)
            if problems:
                errors["blueprint"] = " ".join(problems)
    if errors:
        raise FieldErrors(errors)
    values = {"title": title, "grade": grade, "kind": kind, "blueprint": blueprint,
              "total_marks": rules().exam_total_marks, "pass_mark": rules().exam_pass_mark,
              "duration_minutes": duration, "region_code": region}
    async with write_transaction():
        rows = await Paper.insert(Paper(**values)).returning(Paper.id)
        paper_id = rows[0]["id"]
        await audit.record(principal, "create", "exam_paper", paper_id, region_code=region, after=values)
    return paper_id


async def paper(paper_id: int) -> dict[str, Any]:
    row = await Paper.select().where(Paper.id == paper_id).first()
    if row is None:
        raise NotFound(_("No such paper."))
    row["blueprint"] = _j(row["blueprint"]) or []
    return row


async def papers(principal: Principal | None = None) -> list[dict[str, Any]]:
    query = Paper.select() if principal is None else Paper.select().where(bank_scope(Paper.region_code, principal))
    rows = await query.order_by(Paper.id, ascending=False)
    for row in rows:
        row["blueprint"] = _j(row["blueprint"]) or []
    return rows


async def paper_question_ids(paper_id: int) -> list[int]:
    rows = await PaperQuestion.select(PaperQuestion.question).where(PaperQuestion.paper == paper_id).order_by(
        PaperQuestion.position).order_by(PaperQuestion.id)
    return [r["question"] for r in rows]


async def set_paper_questions(principal: Principal, paper_id: int, question_ids: list[int]) -> None:
    """Replace a fixed paper's questions (in the order given)."""
    current = await paper(paper_id)
    _require_admin(principal, current["region_code"])
    if current["kind"] != "fixed":
        raise DomainError(_("Only a fixed paper has a list of questions."), "question_ids")
    if await Sitting.exists().where(Sitting.paper == paper_id):
        raise Conflict(_("This paper is used by a sitting and can no longer change."))
    found = {q: row for q, row in (await questions_by_id(question_ids)).items()
             if _reads_bank(principal, row["region_code"])}  # another city's questions are unknown here
    unknown = [q for q in question_ids if q not in found]
    if unknown:
        raise DomainError(_("Unknown questions: %(ids)s.", ids=", ".join(map(str, unknown))), "question_ids")
    wrong_grade = [q for q in question_ids if found[q]["grade"] != current["grade"]]
    if wrong_grade:
        raise DomainError(_("Questions of another grade: %(ids)s.", ids=", ".join(map(str, wrong_grade))),
                          "question_ids")
    ordered = list(dict.fromkeys(question_ids))
    async with write_transaction():
        await PaperQuestion.delete().where(PaperQuestion.paper == paper_id)
        if ordered:
            await PaperQuestion.insert(*[PaperQuestion(paper=paper_id, question=q, position=i,
                                                       pair_key=f"{paper_id}:{q}") for i, q in enumerate(ordered)])
        await audit.record(principal, "set_questions", "exam_paper", paper_id, region_code=current["region_code"],
                           after={"question_ids": ordered})


async def paper_problems(paper_row: dict[str, Any]) -> list[str]:
    """Why a paper cannot be used for a sitting yet (empty when it can)."""
    if paper_row["kind"] == "blueprint":
        return await check_blueprint(paper_row["grade"], paper_row["blueprint"], paper_row["total_marks"])
    ids = await paper_question_ids(paper_row["id"])
    found = await questions_by_id(ids)
    total = sum(found[q]["marks"] for q in ids if q in found)
    if total != paper_row["total_marks"]:
        return [_("The questions add up to %(sum)s marks; the paper must total %(total)s.", sum=total,
                  total=paper_row["total_marks"])]
    return []


async def draw_questions(paper_row: dict[str, Any], seed: str) -> list[int]:
    """The candidate's questions: a fixed paper's list, or a blueprint drawn with a random
    generator seeded by `seed` (stored on the admission), so the draw can be replayed."""
    if paper_row["kind"] == "fixed":
        return await paper_question_ids(paper_row["id"])
    chosen: list[int] = []
    for index, row in enumerate(paper_row["blueprint"]):
        pool = [q for q in await _bank_ids(paper_row["grade"], row) if q not in chosen]
        generator = random.Random(f"{seed}:{index}")  # noqa: S311 - a reproducible draw, not a secret
        if len(pool) < row["count"]:
            raise Conflict(_("The question bank no longer has enough questions for this paper."))
        chosen += sorted(generator.sample(pool, row["count"]))
    return chosen


async def replay_draw(admission_id: int) -> dict[str, Any]:
    """Redraw from the stored seed and compare with the stored paper."""
    admission = await _admission(admission_id)
    sitting_row = await _sitting(admission["sitting"])
    paper_row = await paper(sitting_row["paper"])
    redrawn = await draw_questions(paper_row, admission["seed"])
    return {"matches": redrawn == admission["question_ids"], "question_ids": redrawn}


# --------------------------------------------------------------------- sittings

def parse_local_datetime(value: str, field_name: str, errors: dict[str, str]) -> datetime | None:
    text = (value or "").strip().replace(" ", "T")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        errors[field_name] = _("Enter a date and time, e.g. 2026-05-20 09:00.")
        return None
    return parsed.replace(tzinfo=clock.zone()) if parsed.tzinfo is None else parsed


async def _sitting(sitting_id: int) -> dict[str, Any]:
    row = await Sitting.select().where(Sitting.id == sitting_id).first()
    if row is None:
        raise NotFound(_("No such sitting."))
    row["examiner_ids"] = [int(x) for x in (_j(row["examiner_ids"]) or [])]
    row["opens_at"], row["closes_at"] = _aware(row["opens_at"]), _aware(row["closes_at"])
    row["results_released_at"] = _aware(row["results_released_at"])
    return row


async def sitting_for_admin(principal: Principal, sitting_id: int) -> dict[str, Any]:
    row = await _sitting(sitting_id)
    if not principal.can_act_in(row["region_code"], Role.ADMIN, Role.AUDITOR):
        raise Forbidden(_("This record belongs to a region outside your authority."))
    return row


def sitting_phase(row: dict[str, Any], at: datetime | None = None) -> str:
    at = at or clock.now()
    if row["status"] == "released":
        return "released"
    if at < row["opens_at"]:
        return "scheduled"
    if at < row["closes_at"]:
        return "open"
    return "closed"


def _window(data: dict[str, Any], errors: dict[str, str]) -> tuple[datetime | None, datetime | None]:
    """A sitting's window: it closes after it opens, and not already in the past by the
    platform's clock (a sitting nobody can sit is a mistake, at creation as at edit)."""
    opens_at = parse_local_datetime(str(data.get("opens_at") or ""), "opens_at", errors)
    closes_at = parse_local_datetime(str(data.get("closes_at") or ""), "closes_at", errors)
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = _("The window must close after it opens.")
    elif closes_at and closes_at <= clock.now():
        errors["closes_at"] = _("The window closes at %(at)s, which has already passed: choose a closing time "
                                "in the future.", at=clock.iso(closes_at)[:16].replace("T", " "))
    return opens_at, closes_at


async def update_sitting(principal: Principal, sitting_id: int, data: dict[str, Any]) -> None:
    """Edit a sitting's title, window and duration until its results are released; the window
    follows the same rules as at creation."""
    row = await _sitting(sitting_id)
    _require_admin(principal, row["region_code"])
    if row["status"] == "released":
        raise DomainError(_("The results of this sitting are released: it can no longer be edited."), "closes_at")
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("Enter a title of at most 200 characters.")
    check_fields({"title": title}, errors, ("title",))
    opens_at, closes_at = _window(data, errors)
    duration = _int(data.get("duration_minutes") or row["duration_minutes"], "duration_minutes", errors,
                    10, 600, _("Duration is 10 to 600 minutes."))
    if errors:
        raise FieldErrors(errors)
    before = {"title": row["title"], "opens_at": clock.iso(row["opens_at"]), "closes_at": clock.iso(row["closes_at"]),
              "duration_minutes": row["duration_minutes"]}
    after = {"title": title, "opens_at": clock.iso(opens_at), "closes_at": clock.iso(closes_at),
             "duration_minutes": duration}
    async with write_transaction():
        await Sitting.update({Sitting.title: title, Sitting.opens_at: opens_at, Sitting.closes_at: closes_at,
                              Sitting.duration_minutes: duration}).where(Sitting.id == sitting_id)
        await audit.record(principal, "update", "exam_sitting", sitting_id, region_code=row["region_code"],
                           before=before, after=after)


async def create_sitting(principal: Principal, data: dict[str, Any]) -> int:
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("Enter a title of at most 200 characters.")
    check_fields({"title": title}, errors, ("title",))
    region = str(data.get("region_code") or admin_region(principal)).strip()
    if not principal.can_act_in(region, Role.ADMIN):
        errors["region_code"] = _("Choose a region within your authority.")
    paper_row = None
    try:
        paper_row = await paper(int(str(data.get("paper_id") or "0")))
    except (ValueError, NotFound):
        errors["paper_id"] = _("Choose a paper.")
    opens_at, closes_at = _window(data, errors)
    duration = None
    if paper_row:
        duration = _int(data.get("duration_minutes") or paper_row["duration_minutes"], "duration_minutes", errors,
                        10, 600, _("Duration is 10 to 600 minutes."))
        problems = await paper_problems(paper_row)
        if problems:
            errors["paper_id"] = " ".join(problems)
    if errors:
        raise FieldErrors(errors)
    values = {"title": title, "paper": paper_row["id"], "grade": paper_row["grade"], "region_code": region,
              "opens_at": opens_at, "closes_at": closes_at, "duration_minutes": duration, "examiner_ids": []}
    async with write_transaction():
        rows = await Sitting.insert(Sitting(**values)).returning(Sitting.id)
        sitting_id = rows[0]["id"]
        await audit.record(principal, "create", "exam_sitting", sitting_id, region_code=region, after=values)
    return sitting_id


async def sittings_for_admin(principal: Principal) -> list[dict[str, Any]]:
    rows = await Sitting.select().order_by(Sitting.opens_at, ascending=False)
    out = []
    for row in rows:
        if principal.can_act_in(row["region_code"], Role.ADMIN, Role.AUDITOR):
            row["opens_at"], row["closes_at"] = _aware(row["opens_at"]), _aware(row["closes_at"])
            row["phase"] = sitting_phase(row)
            out.append(row)
    counts = await _admission_counts([r["id"] for r in out])
    for row in out:
        row["candidates"] = counts.get(row["id"], 0)
    return out


async def _admission_counts(sitting_ids: list[int]) -> dict[int, int]:
    if not sitting_ids:
        return {}
    rows = await Admission.select(Admission.sitting).where(Admission.sitting.is_in(sitting_ids))
    counts: dict[int, int] = defaultdict(int)
    for row in rows:
        counts[row["sitting"]] += 1
    return counts


async def examiner_choices(region_code: str) -> list[tuple[int, str]]:
    """Examiner accounts whose grant covers the sitting's region (or lies within it)."""
    from core.tables import User, UserRole

    grants = await UserRole.select(UserRole.user, UserRole.region_code).where(UserRole.role == Role.EXAMINER.value)
    ids = sorted({g["user"] for g in grants if is_within(region_code, g["region_code"])
                  or is_within(g["region_code"], region_code)})
    if not ids:
        return []
    users = await User.select(User.id, User.display_name, User.username).where(User.id.is_in(ids)).where(
        User.is_active == True)  # noqa: E712
    return [(u["id"], f"{u['display_name']} ({u['username']})") for u in users]


def panel_warning(panel: list[int]) -> str:
    """Two examiners can double-mark but cannot settle a disagreement: a warning, not a refusal."""
    if len(panel) >= 3:
        return ""
    return _("The marking panel has %(n)s examiners: answers whose two marks disagree will wait until a third "
             "examiner is added.", n=len(panel))


async def set_panel(principal: Principal, sitting_id: int, examiner_ids: list[int]) -> Assignment:
    """Save the marking panel and assign what waits; the answer carries the warnings (a panel
    under three examiners, scripts still waiting for a third marker)."""
    row = await _sitting(sitting_id)
    _require_admin(principal, row["region_code"])
    allowed = {uid for uid, _label in await examiner_choices(row["region_code"])}
    chosen = sorted(set(examiner_ids))
    if not set(chosen) <= allowed:
        raise DomainError(_("Choose examiners of this region."), "examiner_ids")
    if len(chosen) < 2:
        raise DomainError(_("Double marking needs at least two examiners (three to settle disagreements)."),
                          "examiner_ids")
    async with write_transaction():
        await Sitting.update({Sitting.examiner_ids: chosen}).where(Sitting.id == sitting_id)
        await audit.record(principal, "set_panel", "exam_sitting", sitting_id, region_code=row["region_code"],
                           before={"examiner_ids": row["examiner_ids"]}, after={"examiner_ids": chosen})
    return await assign_pending(sitting_id)


# ----------------------------------------------------------------- admissions

EligibilityCheck = Callable[[list[int], str], Awaitable[dict[int, Any]]]


async def _completions(mediator_ids: list[int], grade: str) -> dict[int, Any]:
    from training import services as training_services

    return await training_services.completions_of_grade(mediator_ids, grade)


async def sittings_taken(mediator_ids: list[int], grade: str, year: int) -> dict[int, int]:
    if not mediator_ids:
        return {}
    rows = await Admission.select(Admission.mediator_id).where(Admission.mediator_id.is_in(mediator_ids)).where(
        Admission.grade == grade).where(Admission.year == year)
    counts: dict[int, int] = defaultdict(int)
    for row in rows:
        counts[row["mediator_id"]] += 1
    return counts


async def eligibility(mediator_ids: list[int], sitting_row: dict[str, Any], *,
                      completions: EligibilityCheck | None = None) -> dict[int, list[str]]:
    """Reasons each mediator may not sit (empty list: eligible): the course of the grade
    completed, at most 1 + `resits_per_grade_per_year` sittings of a grade in a year, in the
    sitting's region, not already admitted."""
    from roster import services as roster_services

    ids = list(dict.fromkeys(mediator_ids))
    grade, year = sitting_row["grade"], clock.date_of(sitting_row["opens_at"]).year
    summaries = await roster_services.mediator_summaries(ids)
    done = await (completions or _completions)(ids, grade)
    taken = await sittings_taken(ids, grade, year)
    already = {r["mediator_id"] for r in await Admission.select(Admission.mediator_id).where(
        Admission.sitting == sitting_row["id"]).where(Admission.mediator_id.is_in(ids or [0]))}
    limit = 1 + rules().resits_per_grade_per_year
    reasons: dict[int, list[str]] = {}
    for mid in ids:
        why = []
        summary = summaries.get(mid)
        if summary is None:
            why.append(_("No such mediator."))
        elif not is_within(summary.region_code, sitting_row["region_code"]):
            why.append(_("The mediator is outside the sitting's region."))
        if mid in already:
            why.append(_("Already admitted to this sitting."))
        if mid not in done:
            why.append(_("Has not completed the required course of this grade."))
        if taken.get(mid, 0) >= limit:
            why.append(_("Already sat this grade %(n)s times this year (at most %(resits)s re-sits per grade per year).",
                         n=taken.get(mid, 0), resits=rules().resits_per_grade_per_year))
        reasons[mid] = why
    return reasons


def _script_no() -> str:
    return "S" + "".join(secrets.choice("0123456789") for _i in range(9))


async def admit_candidates(principal: Principal, sitting_id: int, mediator_ids: list[int], *,
                           completions: EligibilityCheck | None = None) -> tuple[list[int], dict[int, list[str]]]:
    """Admit the eligible mediators (ticket number and anonymous script number each, and
    their paper drawn now from a stored seed); return (admitted ids, refused with reasons)."""
    sitting_row = await _sitting(sitting_id)
    _require_admin(principal, sitting_row["region_code"])
    if sitting_phase(sitting_row) in ("closed", "released"):
        raise Conflict(_("The sitting has closed."))
    reasons = await eligibility(mediator_ids, sitting_row, completions=completions)
    eligible = [mid for mid, why in reasons.items() if not why]
    refused = {mid: why for mid, why in reasons.items() if why}
    if not eligible:
        return [], refused
    from roster import services as roster_services

    summaries = await roster_services.mediator_summaries(eligible)
    paper_row = await paper(sitting_row["paper"])
    year = clock.date_of(sitting_row["opens_at"]).year
    draws = {}
    for mid in eligible:
        seed = secrets.token_hex(8)
        draws[mid] = (seed, await draw_questions(paper_row, seed))
    async with write_transaction():
        # the same admission sent twice at once: numbered one after the other, each person once
        await serialise_on(f"exam_sitting:{sitting_id}")
        admitted = {r["mediator_id"] for r in await Admission.select(Admission.mediator_id).where(
            Admission.sitting == sitting_id)}
        existing = len(admitted)
        rows = []
        for n, mid in enumerate([m for m in eligible if m not in admitted], start=existing + 1):
            seed, qids = draws[mid]
            rows.append(Admission(sitting=sitting_id, mediator_id=mid, region_code=summaries[mid].region_code,
                                  grade=sitting_row["grade"], year=year,
                                  ticket_no=f"{year}{sitting_id:04d}{n:05d}", script_no=_script_no(),
                                  pair_key=f"{sitting_id}:{mid}", seed=seed, question_ids=qids))
        for start in range(0, len(rows), 500):
            await Admission.insert(*rows[start:start + 500])
        if rows:
            await audit.record(principal, "admit", "exam_sitting", sitting_id, region_code=sitting_row["region_code"],
                               after={"admitted": [r.mediator_id for r in rows], "refused": sorted(refused)})
    return eligible, refused


async def admit_eligible_in_region(principal: Principal, sitting_id: int, *,
                                   completions: EligibilityCheck | None = None):
    """Admit every appointed mediator of the sitting's region who may sit."""
    from roster import services as roster_services

    sitting_row = await _sitting(sitting_id)
    _require_admin(principal, sitting_row["region_code"])
    people = await roster_services.mediators_in_region(sitting_row["region_code"])
    return await admit_candidates(principal, sitting_id, [p.id for p in people], completions=completions)


async def _admission(admission_id: int) -> dict[str, Any]:
    row = await Admission.select().where(Admission.id == admission_id).first()
    if row is None:
        raise NotFound(_("No such admission."))
    row["question_ids"] = [int(q) for q in (_j(row["question_ids"]) or [])]
    for key in ("started_at", "deadline", "submitted_at", "created_at"):
        row[key] = _aware(row[key])
    return row


async def candidates(principal: Principal, sitting_id: int) -> list[dict[str, Any]]:
    """The admin's list of a sitting's candidates (names from the roster)."""
    from roster import services as roster_services

    await sitting_for_admin(principal, sitting_id)
    rows = await Admission.select().where(Admission.sitting == sitting_id).order_by(Admission.ticket_no)
    names = await roster_services.mediator_summaries([r["mediator_id"] for r in rows])
    for row in rows:
        summary = names.get(row["mediator_id"])
        row["name"] = summary.name if summary else "?"
        row["organisation_name"] = summary.organisation_name if summary else ""
    return rows


async def mediator_id_of(principal: Principal) -> int | None:
    if principal.mediator_id:
        return principal.mediator_id
    if not principal.is_authenticated:
        return None
    from roster import services as roster_services

    summary = await roster_services.mediator_for_user(principal.user_id)
    return summary.id if summary else None


async def own_admission(principal: Principal, admission_id: int) -> dict[str, Any]:
    """The candidate's own admission; any other id answers 404 (no probing of others)."""
    mid = await mediator_id_of(principal)
    row = await Admission.select().where(Admission.id == admission_id).first() if mid is not None else None
    if row is None or row["mediator_id"] != mid:
        raise NotFound(_("No such admission."))
    row["question_ids"] = [int(q) for q in (_j(row["question_ids"]) or [])]
    for key in ("started_at", "deadline", "submitted_at", "created_at"):
        row[key] = _aware(row[key])
    return row


async def _expire_if_due(row: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
    """A started paper past its deadline is submitted with its saved answers."""
    at = at or clock.now()
    if row["status"] == "started" and row["deadline"] and _aware(row["deadline"]) < at:
        await _finalise(await _admission(row["id"]), _aware(row["deadline"]), actor=None)
        return await _admission(row["id"])
    return row


async def my_admissions(principal: Principal) -> list[dict[str, Any]]:
    mid = await mediator_id_of(principal)
    if mid is None:
        return []
    for row in await Admission.select(Admission.id, Admission.status, Admission.deadline).where(
            Admission.mediator_id == mid).where(Admission.status == "started"):
        await _expire_if_due(row)
    rows = await Admission.select().where(Admission.mediator_id == mid).order_by(Admission.id, ascending=False)
    sittings = {s["id"]: s for s in await Sitting.select().where(
        Sitting.id.is_in([r["sitting"] for r in rows] or [0]))}
    for row in rows:
        s = sittings[row["sitting"]]
        s["opens_at"], s["closes_at"] = _aware(s["opens_at"]), _aware(s["closes_at"])
        row["sitting_row"] = s
        row["phase"] = sitting_phase(s)
        row["deadline"] = _aware(row["deadline"])
    return rows


async def ticket(principal: Principal, admission_id: int) -> dict[str, Any]:
    from roster import services as roster_services

    row = await own_admission(principal, admission_id)
    return await _ticket_view(row, roster_services)


async def _ticket_view(row: dict[str, Any], roster_services) -> dict[str, Any]:
    sitting_row = await _sitting(row["sitting"])
    summary = await roster_services.mediator_summary(row["mediator_id"])
    return {"admission": row, "sitting": sitting_row, "name": summary.name if summary else "",
            "organisation_name": summary.organisation_name if summary else ""}


async def tickets(principal: Principal, sitting_id: int) -> list[dict[str, Any]]:
    """Every candidate's admission ticket of a sitting (printable)."""
    sitting_row = await sitting_for_admin(principal, sitting_id)
    rows = await candidates(principal, sitting_id)
    return [{"admission": r, "sitting": sitting_row, "name": r["name"], "organisation_name": r["organisation_name"]}
            for r in rows]


# ---------------------------------------------------------------- taking the exam

async def start_exam(principal: Principal, admission_id: int, at: datetime | None = None) -> dict[str, Any]:
    """Open the paper: inside the sitting's window; the deadline is the start plus the
    duration, and never later than the window's close. Starting again changes nothing."""
    at = at or clock.now()
    row = await own_admission(principal, admission_id)
    if row["status"] != "admitted":
        return row
    sitting_row = await _sitting(row["sitting"])
    phase = sitting_phase(sitting_row, at)
    if phase == "scheduled":
        raise DomainError(_("The exam has not opened yet."), "admission")
    if phase != "open":
        raise DomainError(_("The exam window has closed."), "admission")
    deadline = min(at + timedelta(minutes=sitting_row["duration_minutes"]), sitting_row["closes_at"])
    async with write_transaction():
        updated = await Admission.update({Admission.status: "started", Admission.started_at: at,
                                          Admission.deadline: deadline}).where(
            Admission.id == admission_id).where(Admission.status == "admitted").returning(Admission.id)
        if updated:
            await audit.record(principal, "start", "exam_admission", admission_id,
                               region_code=sitting_row["region_code"], after={"deadline": deadline})
    return await _admission(admission_id)


def normalise_response(q: dict[str, Any], raw: Any) -> Any:
    """A response in its stored shape: [indexes] | [bool] | text; None when blank."""
    kind = q["kind"]
    if raw is None or raw == "" or raw == []:
        return None
    if kind in ("single", "multiple"):
        values = raw if isinstance(raw, list) else [raw]
        try:
            picked = sorted({int(v) for v in values if str(v).strip() != ""})
        except (TypeError, ValueError):
            raise DomainError(_("Not a valid choice."), f"q{q['id']}") from None
        if any(p < 0 or p >= len(q["options"]) for p in picked):
            raise DomainError(_("Not a valid choice."), f"q{q['id']}")
        if kind == "single" and len(picked) > 1:
            raise DomainError(_("Choose one option."), f"q{q['id']}")
        return picked or None
    if kind == "true_false":
        value = raw[0] if isinstance(raw, list) and raw else raw
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return [True]
        if word in FALSE_WORDS:
            return [False]
        raise DomainError(_("Answer true or false."), f"q{q['id']}")
    text = raw if isinstance(raw, str) else str(raw)
    if len(text) > MAX_RESPONSE_CHARS:
        raise DomainError(_("The answer is too long (at most %(n)s characters).", n=MAX_RESPONSE_CHARS),
                          f"q{q['id']}")
    return text.strip() or None


def _check_time(row: dict[str, Any], at: datetime) -> None:
    if row["status"] == "admitted":
        raise DomainError(_("Start the exam first."), "admission")
    if row["status"] != "started":
        raise Conflict(_("This paper has been submitted; it can no longer change."))
    if at > row["deadline"]:
        raise Conflict(_("Time is up: answers sent after the deadline are refused. "
                         "Your answers saved before the deadline are kept and submitted."))


_QUESTION_CACHE: dict[int, tuple[float, dict[str, Any]]] = {}
QUESTION_CACHE_SECONDS = 30  # autosave reads a question's kind and options; edits show within this time


async def _questions_cached(ids: list[int]) -> dict[int, dict[str, Any]]:
    import time

    moment = time.monotonic()
    found = {q: hit[1] for q in ids if (hit := _QUESTION_CACHE.get(q)) and moment - hit[0] < QUESTION_CACHE_SECONDS}
    missing = [q for q in ids if q not in found]
    if missing:
        fresh = await questions_by_id(missing)
        for qid, q in fresh.items():
            _QUESTION_CACHE[qid] = (moment, q)
        found.update(fresh)
    return found


def _upsert_sql() -> str:
    """One atomic statement: insert or update the answer only while the paper is still
    open (status started), so an answer can never land after the submission."""
    from core.db import is_sqlite

    cast = (lambda p, _t: p) if is_sqlite() else (lambda p, t: f"CAST({p} AS {t})")
    return (
        "INSERT INTO exam_answer (admission, question_id, answer_key, response, saved_at, max_marks, written, score) "
        f"SELECT {cast('{}', 'integer')}, {cast('{}', 'integer')}, {cast('{}', 'varchar')}, {cast('{}', 'jsonb')}, "
        f"{cast('{}', 'timestamptz')}, {cast('{}', 'integer')}, {cast('{}', 'boolean')}, NULL "
        "WHERE EXISTS (SELECT 1 FROM exam_admission WHERE id = {} AND status = 'started') "
        "ON CONFLICT (answer_key) DO UPDATE SET response = excluded.response, saved_at = excluded.saved_at "
        "RETURNING id"
    )


async def save_answers(principal: Principal, admission_id: int, responses: dict[int, Any],
                       at: datetime | None = None) -> dict[str, Any]:
    """Autosave (one answer) or save (the whole form); refused after the deadline or once
    the paper is submitted. Each answer is one atomic statement (no explicit transaction:
    at 2,000 candidates autosaving, the write lock is the scarce resource)."""
    at = at or clock.now()
    row = await own_admission(principal, admission_id)
    _check_time(row, at)
    unknown = [qid for qid in responses if qid not in row["question_ids"]]
    if unknown:
        raise DomainError(_("That question is not on your paper."), "question_id")
    found = await _questions_cached(list(responses))
    clean = {qid: normalise_response(found[qid], raw) for qid, raw in responses.items()}
    sql = _upsert_sql()
    for qid, value in clean.items():
        q = found[qid]
        stored = await Answer.raw(sql, admission_id, qid, f"{admission_id}:{qid}",
                                  None if value is None else json.dumps(value, ensure_ascii=False), at, q["marks"],
                                  q["kind"] in WRITTEN, admission_id)
        if not stored:
            raise Conflict(_("This paper has been submitted; it can no longer change."))
    return {"saved_at": at, "deadline": row["deadline"],
            "remaining_seconds": max(0, int((row["deadline"] - at).total_seconds()))}


async def saved_responses(admission_id: int) -> dict[int, Any]:
    rows = await Answer.select(Answer.question_id, Answer.response).where(Answer.admission == admission_id)
    return {r["question_id"]: _j(r["response"]) for r in rows}


async def exam_paper_view(principal: Principal, admission_id: int) -> dict[str, Any]:
    """The candidate's own paper with saved answers (never the correct answers or rubric)."""
    row = await _expire_if_due(await own_admission(principal, admission_id))
    sitting_row = await _sitting(row["sitting"])
    found = await questions_by_id(row["question_ids"])
    saved = await saved_responses(admission_id)
    items = []
    for number, qid in enumerate(row["question_ids"], start=1):
        q = found[qid]
        items.append({"number": number, "id": qid, "kind": q["kind"], "kind_label": kind_label(q["kind"]),
                      "marks": q["marks"], "stem": q["stem"], "options": q["options"], "saved": saved.get(qid)})
    return {"admission": row, "sitting": sitting_row, "questions": items}


def mark_objective(q: dict[str, Any], response: Any) -> float:
    """All-or-nothing: exactly the right option(s) / truth value, else 0."""
    response = _j(response)
    if response is None:
        return 0.0
    if q["kind"] in ("single", "multiple"):
        return float(q["marks"]) if sorted(response) == sorted(q["answer"]) else 0.0
    if q["kind"] == "true_false":
        return float(q["marks"]) if list(response) == list(q["answer"]) else 0.0
    raise ValueError("not an objective question")


async def submit(principal: Principal, admission_id: int, at: datetime | None = None) -> dict[str, Any]:
    at = at or clock.now()
    row = await own_admission(principal, admission_id)
    if row["status"] == "started" and at > row["deadline"]:
        await _finalise(row, row["deadline"], actor=None)
    _check_time(row, at)
    await _finalise(row, at, actor=principal)
    return await _admission(admission_id)


_BATCHERS: dict[int, tuple[Any, dict[str, Any]]] = {}
SUBMIT_BATCH = 200  # papers finalised per write transaction when many arrive at once (SQLite)


async def _finalise(row: dict[str, Any], at: datetime, actor: Principal | None) -> bool:
    """Submission: objective answers mark themselves, blank written answers score 0, the
    rest go to two examiners each. Returns False if someone else finalised first.

    On SQLite (one writer) submissions arriving together are grouped: a drain task takes
    up to SUBMIT_BATCH queued papers into one write transaction (group commit), so 2,000
    papers at the deadline do not each wait for the write lock in turn."""
    import asyncio

    from core.db import is_sqlite

    found = await questions_by_id(row["question_ids"])  # fresh: scoring never uses a cached answer key
    sitting_row = await _sitting(row["sitting"])
    if not is_sqlite():
        async with write_transaction():
            return await _finalise_in_transaction(row, at, actor, found, sitting_row)
    loop = asyncio.get_running_loop()
    entry = _BATCHERS.get(id(loop))
    if entry is None or entry[0] is not loop:
        entry = _BATCHERS[id(loop)] = (loop, {"queue": [], "task": None})
    state = entry[1]
    future = loop.create_future()
    state["queue"].append((row, at, actor, found, sitting_row, future))
    if state["task"] is None or state["task"].done():
        state["task"] = loop.create_task(_drain(state))
    return await future


async def _drain(state: dict[str, Any]) -> None:
    while state["queue"]:
        batch, state["queue"] = state["queue"][:SUBMIT_BATCH], state["queue"][SUBMIT_BATCH:]
        try:
            async with write_transaction():
                results = [await _finalise_in_transaction(*item[:5]) for item in batch]
        except Exception:  # noqa: BLE001 - one bad paper must not fail the others: retry one by one
            for item in batch:
                try:
                    async with write_transaction():
                        result = await _finalise_in_transaction(*item[:5])
                except Exception as failure:  # noqa: BLE001
                    if not item[5].done():
                        item[5].set_exception(failure)
                else:
                    if not item[5].done():
                        item[5].set_result(result)
            continue
        for item, result in zip(batch, results, strict=True):
            if not item[5].done():
                item[5].set_result(result)


async def _finalise_in_transaction(row: dict[str, Any], at: datetime, actor: Principal | None,
                                   found: dict[int, dict[str, Any]], sitting_row: dict[str, Any]) -> bool:
    admission_id = row["id"]
    claimed = await Admission.update({Admission.status: "submitted", Admission.submitted_at: at}).where(
        Admission.id == admission_id).where(Admission.status == "started").returning(Admission.id)
    if not claimed:
        return False
    answers = {a["question_id"]: _j(a["response"]) for a in await Answer.select(
        Answer.question_id, Answer.response).where(Answer.admission == admission_id)}
    objective, written_total, rows = 0.0, 0.0, []
    for qid in row["question_ids"]:
        q = found[qid]
        response = answers.get(qid)
        score = None
        if q["kind"] in OBJECTIVE:
            score = mark_objective(q, response)
            objective += score
        elif response is None:
            score = 0.0
        rows.append(Answer(admission=admission_id, question_id=qid, answer_key=f"{admission_id}:{qid}",
                           response=None, saved_at=at, max_marks=q["marks"], written=q["kind"] in WRITTEN,
                           score=score))
    # one statement: scores on saved answers, empty rows for questions never answered
    await Answer.insert(*rows).on_conflict(target=Answer.answer_key, action="DO UPDATE",
                                           values=[Answer.score, Answer.max_marks, Answer.written])
    objective = round(objective, 2)
    values: dict[Any, Any] = {Admission.objective_score: objective}
    final = all(r.score is not None for r in rows)
    if final:  # nothing for examiners: the result is final now
        total = round(objective + written_total, 2)
        values.update({Admission.written_score: written_total, Admission.total: total,
                       Admission.passed: total >= await _pass_mark(row["sitting"]), Admission.status: "marked"})
    await Admission.update(values).where(Admission.id == admission_id)
    await audit.record(actor, "submit" if actor else "auto_submit", "exam_admission", admission_id,
                       region_code=sitting_row["region_code"], after={"objective_score": objective})
    if not final:
        await _assign_answers(sitting_row, admission_id)
    return True


async def finalise_expired(sitting_id: int | None = None, at: datetime | None = None) -> int:
    """Submit every started paper whose deadline has passed, with its saved answers."""
    at = at or clock.now()
    query = Admission.select(Admission.id).where(Admission.status == "started").where(Admission.deadline < at)
    if sitting_id is not None:
        query = query.where(Admission.sitting == sitting_id)
    changed = 0
    for item in await query:
        row = await _admission(item["id"])
        if await _finalise(row, row["deadline"], actor=None):
            changed += 1
    return changed


# ----------------------------------------------------------------------- marking

async def _open_load(sitting_id: int) -> dict[int, int]:
    """Unmarked assignments per examiner of a sitting (one grouped query)."""
    from piccolo.query.functions.aggregate import Count

    rows = await Marking.select(Marking.examiner_id, Count(Marking.id, alias="n")).where(
        Marking.sitting_id == sitting_id).where(Marking.marked_at.is_null()).group_by(Marking.examiner_id)
    load: dict[int, int] = defaultdict(int)
    for row in rows:
        load[row["examiner_id"]] = row["n"]
    return load


def _pick(panel: list[int], load: dict[int, int], exclude: set[int], salt: int) -> int | None:
    free = [e for e in panel if e not in exclude]
    if not free:
        return None
    free.sort(key=lambda e: (load.get(e, 0), (e * 7919 + salt) % 101, e))
    return free[0]


async def _assign_answers(sitting_row: dict[str, Any], admission_id: int | None = None) -> int:
    """Give each written answer still short of its two markers examiners from the panel,
    the least loaded first, never the same examiner twice on one answer."""
    panel = sitting_row["examiner_ids"]
    if len(panel) < 2:
        return 0
    query = Answer.select(Answer.id).where(Answer.written == True).where(Answer.score.is_null())  # noqa: E712
    if admission_id is not None:
        query = query.where(Answer.admission == admission_id)
    else:
        query = query.where(Answer.admission.sitting == sitting_row["id"])
    answer_ids = [r["id"] for r in await query]
    if not answer_ids:
        return 0
    existing = defaultdict(list)
    for m in await Marking.select(Marking.answer, Marking.examiner_id, Marking.round).where(
            Marking.answer.is_in(answer_ids)):
        existing[m["answer"]].append(m)
    load = await _open_load(sitting_row["id"])
    created = 0
    new_rows = []
    for aid in answer_ids:
        rounds = {m["round"] for m in existing[aid]}
        used = {m["examiner_id"] for m in existing[aid]}
        for rnd in (1, 2):
            if rnd in rounds:
                continue
            examiner = _pick(panel, load, used, aid + rnd)
            if examiner is None:
                break
            new_rows.append(Marking(answer=aid, sitting_id=sitting_row["id"], examiner_id=examiner, round=rnd,
                                    slot_key=f"{aid}:r{rnd}", examiner_key=f"{aid}:e{examiner}"))
            used.add(examiner)
            load[examiner] += 1
            created += 1
    for start in range(0, len(new_rows), 500):
        await Marking.insert(*new_rows[start:start + 500])
    return created


@dataclass(frozen=True)
class WaitingScript:
    """A written answer whose two marks disagree and for which the panel has no third examiner."""

    script_no: str
    answer_id: int
    question_id: int
    marks: tuple[float, float]
    reason: str


@dataclass(frozen=True)
class Assignment:
    """What an assignment run did: markings created, scripts still waiting for a third marker
    (with why), and a warning about the panel when it has fewer than three examiners."""

    created: int
    waiting_third: list[WaitingScript]
    panel_warning: str = ""


async def waiting_for_third(sitting_row: dict[str, Any]) -> list[WaitingScript]:
    """Answers of the sitting with two disagreeing marks and no third marking: every examiner
    on the panel has already marked them (or the panel is too small)."""
    rows = await Marking.select(Marking.answer, Marking.examiner_id, Marking.round, Marking.mark,
                                Marking.marked_at).where(Marking.sitting_id == sitting_row["id"]).where(
        Marking.round <= 3)
    by_answer: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_answer[r["answer"]].append(r)
    candidates = [aid for aid, ms in by_answer.items()
                  if len(ms) == 2 and all(m["marked_at"] is not None for m in ms)]
    if not candidates:
        return []
    answers = await Answer.select(Answer.id, Answer.max_marks, Answer.question_id, Answer.admission.script_no).where(
        Answer.id.is_in(candidates)).where(Answer.score.is_null())
    panel = sitting_row["examiner_ids"]
    out = []
    for a in sorted(answers, key=lambda a: (a["admission.script_no"], a["id"])):
        marks = [m["mark"] for m in sorted(by_answer[a["id"]], key=lambda m: m["round"])]
        _final, needs_third = settle(marks, a["max_marks"])
        if not needs_third:
            continue
        tolerance = rules().double_marking_tolerance_ratio * a["max_marks"]
        reason = _("Marks %(a)s and %(b)s differ by more than %(tolerance)s, so a third examiner must mark it, but "
                   "every examiner on the panel (%(n)s) has already marked this answer: add an examiner to the panel.",
                   a=marks[0], b=marks[1], tolerance=round(tolerance, 2), n=len(panel))
        out.append(WaitingScript(script_no=a["admission.script_no"], answer_id=a["id"], question_id=a["question_id"],
                                 marks=(marks[0], marks[1]), reason=reason))
    return out


async def _administrators_of(region_code: str) -> list[int]:
    """Active administrators whose grant covers the region."""
    from core.tables import UserRole

    rows = await UserRole.select(UserRole.user, UserRole.region_code).where(
        (UserRole.role == Role.ADMIN.value) & (UserRole.user.is_active == True))  # noqa: E712
    return sorted({r["user"] for r in rows if is_within(region_code, r["region_code"])})


async def _tell_waiting_third(sitting_row: dict[str, Any], waiting: list[WaitingScript]) -> int:
    """Tell the region's administrators that scripts wait for a third examiner: once per sitting
    and panel (a changed panel that still falls short tells them again)."""
    from core.notifications import Message, notify

    if not waiting:
        return 0
    panel_key = "-".join(str(e) for e in sorted(sitting_row["examiner_ids"])) or "none"
    subject = _("%(n)s scripts wait for a third examiner: %(title)s", n=len(waiting), title=sitting_row["title"])
    body = _("Two examiners' marks differ by more than the tolerance on %(n)s written answers of the sitting "
             "“%(title)s” (scripts %(scripts)s), and every examiner on its panel has already marked them. Add an "
             "examiner to the marking panel on the sitting's page; the scripts are assigned as soon as you save it.",
             n=len(waiting), title=sitting_row["title"],
             scripts=", ".join(sorted({w.script_no for w in waiting})))
    return await notify([
        Message(user_id=uid, kind="exam_third_examiner", subject=subject, body=body,
                region_code=sitting_row["region_code"],
                dedupe_key=f"exam-third-wait:{sitting_row['id']}:{panel_key}:{uid}")
        for uid in await _administrators_of(sitting_row["region_code"])])


async def assign_pending(sitting_id: int) -> Assignment:
    """Assign what waits for examiners (after the panel changed): first and second markers,
    and third examiners for disagreements. Scripts no panel examiner can take as third marker
    are named in the answer, and the region's administrators are told."""
    sitting_row = await _sitting(sitting_id)
    async with write_transaction():
        created = await _assign_answers(sitting_row)
        # disagreements still without a third examiner
        answers = await Answer.select(Answer.id).where(Answer.written == True).where(  # noqa: E712
            Answer.score.is_null()).where(Answer.admission.sitting == sitting_id)
        for a in answers:
            created += await _resolve(a["id"], sitting_row)
        waiting = await waiting_for_third(sitting_row)
    await _tell_waiting_third(sitting_row, waiting)
    return Assignment(created=created, waiting_third=waiting, panel_warning=panel_warning(sitting_row["examiner_ids"]))


def settle(marks: list[float], max_marks: float) -> tuple[float | None, bool]:
    """(final mark or None, needs a third examiner) from the marks given so far.
    Two marks within tolerance: their mean. More than `double_marking_tolerance_ratio` ×
    max apart: a third examiner; with three marks: the mean of the two closest (equally
    close pairs: the higher mean)."""
    if len(marks) < 2:
        return None, False
    tolerance = rules().double_marking_tolerance_ratio * max_marks
    first, second = marks[0], marks[1]
    if len(marks) == 2:
        if abs(first - second) > tolerance + 1e-9:
            return None, True
        return round((first + second) / 2, 2), False
    pairs = [(abs(a - b), -(a + b) / 2) for a, b in ((marks[0], marks[1]), (marks[0], marks[2]), (marks[1], marks[2]))]
    best = min(pairs)
    return round(-best[1], 2), False


async def _resolve(answer_id: int, sitting_row: dict[str, Any], waiting: list[int] | None = None) -> int:
    """After a mark: settle the answer, or call a third examiner. Returns markings created;
    an answer no panel examiner can take as third marker is added to `waiting`."""
    answer = await Answer.select().where(Answer.id == answer_id).first()
    markings = await Marking.select().where(Marking.answer == answer_id).where(Marking.round <= 3).order_by(
        Marking.round)
    done = [m for m in markings if m["marked_at"] is not None]
    marks = [m["mark"] for m in done]
    final, needs_third = settle(marks, answer["max_marks"])
    if final is not None and len(done) >= (3 if len(markings) >= 3 else 2):
        await Answer.update({Answer.score: final}).where(Answer.id == answer_id)
        await _complete_if_marked(answer["admission"])
        return 0
    if needs_third and not any(m["round"] == 3 for m in markings):
        used = {m["examiner_id"] for m in markings}
        load = await _open_load(sitting_row["id"])
        examiner = _pick(sitting_row["examiner_ids"], load, used, answer_id + 3)
        if examiner is None:
            if waiting is not None:
                waiting.append(answer_id)
            return 0  # waits for the administrator to add an examiner to the panel (who is told)
        await Marking.insert(Marking(answer=answer_id, sitting_id=sitting_row["id"], examiner_id=examiner, round=3,
                                     slot_key=f"{answer_id}:r3", examiner_key=f"{answer_id}:e{examiner}"))
        return 1
    return 0


async def _complete_if_marked(admission_id: int) -> None:
    answers = await Answer.select(Answer.score, Answer.written).where(Answer.admission == admission_id)
    if any(a["score"] is None for a in answers):
        return
    row = await Admission.select(Admission.objective_score, Admission.status, Admission.sitting).where(
        Admission.id == admission_id).first()
    if row["status"] not in ("submitted", "marked"):
        return
    written = round(sum(a["score"] for a in answers if a["written"]), 2)
    total = round((row["objective_score"] or 0) + written, 2)
    pass_mark = await _pass_mark(row["sitting"])
    await Admission.update({Admission.written_score: written, Admission.total: total,
                            Admission.passed: total >= pass_mark, Admission.status: "marked"}).where(
        Admission.id == admission_id)


async def _pass_mark(sitting_id: int) -> int:
    row = await Sitting.select(Sitting.paper.pass_mark).where(Sitting.id == sitting_id).first()
    return int(row["paper.pass_mark"]) if row else rules().exam_pass_mark


async def examiner_queue(principal: Principal) -> dict[str, Any]:
    """An examiner's own assignments: waiting and done, by script number only."""
    uid = principal.user_id
    rows = await Marking.select(
        Marking.id, Marking.round, Marking.mark, Marking.marked_at, Marking.assigned_at,
        Marking.answer.admission.script_no, Marking.answer.question_id, Marking.answer.max_marks,
        Marking.sitting_id,
    ).where(Marking.examiner_id == uid).where(Marking.round <= 3).order_by(Marking.id)
    qids = {r["answer.question_id"] for r in rows}
    found = await questions_by_id(qids)
    items = []
    for r in rows:
        q = found.get(r["answer.question_id"])
        items.append({"id": r["id"], "round": r["round"], "mark": r["mark"], "marked_at": r["marked_at"],
                      "script_no": r["answer.admission.script_no"], "max_marks": r["answer.max_marks"],
                      "topic": q["topic"] if q else "", "kind": q["kind"] if q else ""})
    rechecks = await Recheck.select(Recheck.id, Recheck.status, Recheck.admission.script_no).where(
        Recheck.examiner_id == uid).order_by(Recheck.id)
    waiting = [i for i in items if i["marked_at"] is None]
    return {"waiting": waiting, "done": [i for i in items if i["marked_at"] is not None],
            "total": len(items), "marked": len(items) - len(waiting), "rechecks": rechecks}


async def marking_view(principal: Principal, marking_id: int) -> dict[str, Any]:
    """What an examiner sees: script number, question, rubric and the answer. Nothing else
    (no name, ticket, admission id or the other examiners' marks)."""
    row = await Marking.select().where(Marking.id == marking_id).first()
    if row is None or row["examiner_id"] != principal.user_id:
        raise NotFound(_("No such script in your queue."))
    answer = await Answer.select(Answer.response, Answer.question_id, Answer.max_marks,
                                 Answer.admission.script_no).where(Answer.id == row["answer"]).first()
    q = await question(answer["question_id"])
    return {"marking_id": marking_id, "script_no": answer["admission.script_no"], "round": row["round"],
            "stem": q["stem"], "rubric": q["rubric"], "kind": q["kind"], "topic": q["topic"],
            "response": _j(answer["response"]) or "", "max_marks": answer["max_marks"], "mark": row["mark"],
            "comment": row["comment"], "marked_at": row["marked_at"]}


def parse_mark(raw: Any, max_marks: float, field_name: str = "mark") -> float:
    try:
        mark = float(str(raw).strip())
    except (TypeError, ValueError):
        raise DomainError(_("Enter a mark."), field_name) from None
    if mark < 0 or mark > max_marks or (mark * 2) != int(mark * 2):
        raise DomainError(_("A mark is between 0 and %(max)s, in steps of 0.5.", max=max_marks), field_name)
    return mark


async def record_mark(principal: Principal, marking_id: int, raw_mark: Any, comment: str = "",
                      at: datetime | None = None) -> None:
    """An examiner marks a script assigned to them, once."""
    at = at or clock.now()
    row = await Marking.select().where(Marking.id == marking_id).first()
    if row is None or row["examiner_id"] != principal.user_id or row["round"] > 3:
        raise NotFound(_("No such script in your queue."))
    if row["marked_at"] is not None:
        raise Conflict(_("You have already marked this script; a mark cannot be changed."))
    answer = await Answer.select(Answer.max_marks).where(Answer.id == row["answer"]).first()
    mark = parse_mark(raw_mark, answer["max_marks"])
    sitting_row = await _sitting(row["sitting_id"])
    async with write_transaction():
        updated = await Marking.update({Marking.mark: mark, Marking.marked_at: at,
                                        Marking.comment: (comment or "")[:2000]}).where(
            Marking.id == marking_id).where(Marking.marked_at.is_null()).returning(Marking.id)
        if not updated:
            raise Conflict(_("You have already marked this script; a mark cannot be changed."))
        await audit.record(principal, "mark", "exam_marking", marking_id, region_code=sitting_row["region_code"],
                           after={"mark": mark, "round": row["round"]})
        waiting: list[int] = []
        await _resolve(row["answer"], sitting_row, waiting)
    if waiting:
        await _tell_waiting_third(sitting_row, await waiting_for_third(sitting_row))


async def marking_progress(principal: Principal, sitting_id: int) -> dict[str, Any]:
    """The administrator's view: per examiner assigned / marked, and what waits."""
    from core.tables import User

    sitting_row = await sitting_for_admin(principal, sitting_id)
    rows = await Marking.select(Marking.examiner_id, Marking.marked_at, Marking.round).where(
        Marking.sitting_id == sitting_id).where(Marking.round <= 3)
    per: dict[int, dict[str, int]] = defaultdict(lambda: {"assigned": 0, "marked": 0, "third": 0})
    for r in rows:
        per[r["examiner_id"]]["assigned"] += 1
        per[r["examiner_id"]]["marked"] += 1 if r["marked_at"] else 0
        per[r["examiner_id"]]["third"] += 1 if r["round"] == 3 else 0
    ids = sorted(set(per) | set(sitting_row["examiner_ids"]))
    names = {u["id"]: f"{u['display_name']} ({u['username']})" for u in await User.select(
        User.id, User.display_name, User.username).where(User.id.is_in(ids or [0]))}
    written = await Answer.select(Answer.score).where(Answer.written == True).where(  # noqa: E712
        Answer.admission.sitting == sitting_id)
    admissions = await Admission.select(Admission.status).where(Admission.sitting == sitting_id)
    statuses: dict[str, int] = defaultdict(int)
    for a in admissions:
        statuses[a["status"]] += 1
    return {
        "sitting": sitting_row,
        "examiners": [{"id": e, "name": names.get(e, f"#{e}"), **per[e], "on_panel": e in sitting_row["examiner_ids"]}
                      for e in ids],
        "answers_total": len(written),
        "answers_settled": sum(1 for a in written if a["score"] is not None),
        "statuses": dict(statuses),
        "markings_total": len(rows),
        "markings_done": sum(1 for r in rows if r["marked_at"]),
        "waiting_third": await waiting_for_third(sitting_row),
        "panel_warning": panel_warning(sitting_row["examiner_ids"]),
    }


async def reassign(principal: Principal, sitting_id: int, from_examiner: int, to_examiner: int) -> tuple[int, int]:
    """Move an examiner's unmarked scripts to another panel examiner; scripts the new
    examiner already marks (or marked) stay. Returns (moved, kept)."""
    sitting_row = await _sitting(sitting_id)
    _require_admin(principal, sitting_row["region_code"])
    if to_examiner not in sitting_row["examiner_ids"]:
        raise DomainError(_("Choose an examiner of this sitting's panel."), "to_examiner")
    if to_examiner == from_examiner:
        raise DomainError(_("Choose a different examiner."), "to_examiner")
    moved = kept = 0
    async with write_transaction():
        rows = await Marking.select(Marking.id, Marking.answer).where(Marking.sitting_id == sitting_id).where(
            Marking.examiner_id == from_examiner).where(Marking.marked_at.is_null())
        taken = {m["answer"] for m in await Marking.select(Marking.answer).where(
            Marking.examiner_id == to_examiner).where(Marking.answer.is_in([r["answer"] for r in rows] or [0]))}
        for r in rows:
            if r["answer"] in taken:
                kept += 1
                continue
            await Marking.update({Marking.examiner_id: to_examiner, Marking.examiner_key: f"{r['answer']}:e{to_examiner}",
                                  Marking.assigned_at: clock.now()}).where(Marking.id == r["id"])
            moved += 1
        await audit.record(principal, "reassign", "exam_sitting", sitting_id, region_code=sitting_row["region_code"],
                           after={"from": from_examiner, "to": to_examiner, "moved": moved, "kept": kept})
    return moved, kept


# ----------------------------------------------------------------------- results

async def release_results(principal: Principal, sitting_id: int, at: datetime | None = None) -> int:
    at = at or clock.now()
    sitting_row = await _sitting(sitting_id)
    _require_admin(principal, sitting_row["region_code"])
    if sitting_row["status"] == "released":
        raise Conflict(_("The results are already released."))
    if at < sitting_row["closes_at"]:
        raise Conflict(_("The sitting is still open; results are released after it closes."))
    await finalise_expired(sitting_id, at)
    waiting = await Admission.count().where(Admission.sitting == sitting_id).where(
        Admission.status.is_in(["started", "submitted"]))
    if waiting:
        raise Conflict(_("%(n)s scripts are not fully marked yet.", n=waiting))
    async with write_transaction():
        await Admission.update({Admission.status: "absent", Admission.passed: False}).where(
            Admission.sitting == sitting_id).where(Admission.status == "admitted")
        await Sitting.update({Sitting.status: "released", Sitting.results_released_at: at}).where(
            Sitting.id == sitting_id)
        count = await Admission.count().where(Admission.sitting == sitting_id)
        await audit.record(principal, "release", "exam_sitting", sitting_id, region_code=sitting_row["region_code"],
                           after={"released_at": at, "candidates": count})
    return count


def recheck_last_day(released_at: datetime) -> date:
    """The last day a re-check may be asked for: `recheck_window_days` after the platform's
    date of the release, the release day not counted and the last day counted whole (as an
    exit notice's appeal window). A release at 00:30 Beijing time on 5 December is the 5th,
    so the last day is the 12th, whatever the server's clock says."""
    return clock.date_of(released_at) + timedelta(days=rules().recheck_window_days)


async def sections(admission_id: int, question_ids: list[int]) -> list[dict[str, Any]]:
    found = await questions_by_id(question_ids)
    scores = {a["question_id"]: a["score"] for a in await Answer.select(Answer.question_id, Answer.score).where(
        Answer.admission == admission_id)}
    out = []
    for kind in KINDS:
        ids = [q for q in question_ids if found[q]["kind"] == kind]
        if ids:
            out.append({"kind": kind, "label": kind_label(kind), "questions": len(ids),
                        "max": sum(found[q]["marks"] for q in ids),
                        "score": round(sum(scores.get(q) or 0 for q in ids), 2)})
    return out


async def result(principal: Principal, admission_id: int, at: datetime | None = None) -> dict[str, Any]:
    at = at or clock.now()
    row = await own_admission(principal, admission_id)
    sitting_row = await _sitting(row["sitting"])
    if sitting_row["status"] != "released":
        raise NotFound(_("The results of this sitting are not released yet."))
    paper_row = await paper(sitting_row["paper"])
    rechecks = await Recheck.select().where(Recheck.admission == admission_id).order_by(Recheck.id)
    last_day = recheck_last_day(sitting_row["results_released_at"])
    return {"admission": row, "sitting": sitting_row, "paper": paper_row,
            "sections": await sections(admission_id, row["question_ids"]),
            "rechecks": rechecks, "recheck_last_day": last_day,
            "can_recheck": row["status"] == "marked" and clock.date_of(at) <= last_day and not rechecks}


# ----------------------------------------------------------------------- re-checks

async def _script_examiners(admission_id: int) -> set[int]:
    rows = await Marking.select(Marking.examiner_id).where(Marking.answer.admission == admission_id)
    return {r["examiner_id"] for r in rows}


async def request_recheck(principal: Principal, admission_id: int, reason: str, at: datetime | None = None) -> int:
    """复核: within `recheck_window_days` of the release, once per result; handed to a panel
    examiner who marked none of this script (or left for the administrator to assign)."""
    at = at or clock.now()
    row = await own_admission(principal, admission_id)
    sitting_row = await _sitting(row["sitting"])
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say what should be checked."), "reason")
    if sitting_row["status"] != "released" or row["status"] != "marked":
        raise DomainError(_("There is no released result to re-check."), "admission")
    if clock.date_of(at) > recheck_last_day(sitting_row["results_released_at"]):
        raise DomainError(_("A re-check must be asked for within %(days)s days of the results.",
                            days=rules().recheck_window_days), "reason")
    asked = await _asked_before(admission_id, reason)
    if asked:
        return asked
    used = await _script_examiners(admission_id)
    load = await _open_load(sitting_row["id"])
    examiner = _pick(sitting_row["examiner_ids"], load, used, admission_id)
    async with write_transaction():
        await serialise_on(f"exam_recheck:{admission_id}")  # asked twice at once: once
        asked = await _asked_before(admission_id, reason)
        if asked:
            return asked
        rows = await Recheck.insert(Recheck(admission=admission_id, reason=reason[:2000], requested_at=at,
                                            examiner_id=examiner, status="assigned" if examiner else "pending",
                                            old_total=row["total"])).returning(Recheck.id)
        await audit.record(principal, "request_recheck", "exam_admission", admission_id,
                           region_code=sitting_row["region_code"], after={"recheck_id": rows[0]["id"]})
    return rows[0]["id"]


async def _asked_before(admission_id: int, reason: str) -> int | None:
    """The re-check already asked for this result: the same request again (sent twice) answers
    it; another request is refused, as a result is re-checked once."""
    earlier = await Recheck.select(Recheck.id, Recheck.reason).where(Recheck.admission == admission_id).first()
    if earlier is None:
        return None
    if earlier["reason"] != reason[:2000]:
        raise Conflict(_("A re-check of this result has already been asked for."))
    return earlier["id"]


async def assign_recheck(principal: Principal, recheck_id: int, examiner_id: int) -> None:
    item = await Recheck.select().where(Recheck.id == recheck_id).first()
    if item is None:
        raise NotFound(_("No such re-check."))
    row = await _admission(item["admission"])
    sitting_row = await _sitting(row["sitting"])
    _require_admin(principal, sitting_row["region_code"])
    if item["status"] == "done":
        raise Conflict(_("This re-check is finished."))
    allowed = {uid for uid, _label in await examiner_choices(sitting_row["region_code"])}
    if examiner_id not in allowed:
        raise DomainError(_("Choose an examiner of this region."), "examiner_id")
    if examiner_id in await _script_examiners(row["id"]):
        raise DomainError(_("A re-check is handled by an examiner who did not mark this script."), "examiner_id")
    async with write_transaction():
        await Recheck.update({Recheck.examiner_id: examiner_id, Recheck.status: "assigned"}).where(
            Recheck.id == recheck_id)
        await audit.record(principal, "assign_recheck", "exam_recheck", recheck_id,
                           region_code=sitting_row["region_code"], after={"examiner_id": examiner_id})


async def rechecks_for_admin(principal: Principal, sitting_id: int) -> list[dict[str, Any]]:
    await sitting_for_admin(principal, sitting_id)
    return await Recheck.select(Recheck.all_columns(), Recheck.admission.ticket_no,
                                Recheck.admission.script_no).where(Recheck.admission.sitting == sitting_id).order_by(
        Recheck.id)


async def recheck_view(principal: Principal, recheck_id: int) -> dict[str, Any]:
    """The re-check examiner's blind view: script number, written answers with the marks
    they received, the candidate's reason. No name or ticket."""
    item = await Recheck.select().where(Recheck.id == recheck_id).first()
    if item is None or item["examiner_id"] != principal.user_id:
        raise NotFound(_("No such re-check in your queue."))
    row = await _admission(item["admission"])
    found = await questions_by_id(row["question_ids"])
    answers = await Answer.select().where(Answer.admission == row["id"])
    written = []
    for a in sorted(answers, key=lambda a: row["question_ids"].index(a["question_id"])
                    if a["question_id"] in row["question_ids"] else 0):
        if a["written"]:
            q = found[a["question_id"]]
            written.append({"answer_id": a["id"], "stem": q["stem"], "rubric": q["rubric"],
                            "response": _j(a["response"]) or "", "score": a["score"], "max_marks": a["max_marks"]})
    return {"recheck": item, "script_no": row["script_no"], "objective_score": row["objective_score"],
            "written": written, "total": row["total"]}


async def handle_recheck(principal: Principal, recheck_id: int, marks: dict[int, Any], note: str = "",
                         at: datetime | None = None) -> str:
    """The re-check examiner's marks replace the written marks; objective answers are marked
    again by the machine. Outcome `changed` if the total moved, else `upheld`."""
    at = at or clock.now()
    view = await recheck_view(principal, recheck_id)
    item = view["recheck"]
    if item["status"] == "done":
        raise Conflict(_("This re-check is finished."))
    row = await _admission(item["admission"])
    sitting_row = await _sitting(row["sitting"])
    new_marks = {}
    for w in view["written"]:
        raw = marks.get(w["answer_id"], w["score"])
        new_marks[w["answer_id"]] = parse_mark(raw, w["max_marks"], f"mark_{w['answer_id']}")
    found = await questions_by_id(row["question_ids"])
    answers = await Answer.select().where(Answer.admission == row["id"])
    objective = sum(mark_objective(found[a["question_id"]], a["response"]) for a in answers
                    if found[a["question_id"]]["kind"] in OBJECTIVE)
    written = sum(new_marks.values())
    new_total = round(objective + written, 2)
    outcome = "changed" if abs(new_total - (row["total"] or 0)) > 1e-9 else "upheld"
    pass_mark = await _pass_mark(row["sitting"])
    async with write_transaction():
        claimed = await Recheck.update({Recheck.status: "done", Recheck.outcome: outcome, Recheck.new_total: new_total,
                                        Recheck.note: (note or "")[:2000], Recheck.decided_at: at}).where(
            Recheck.id == recheck_id).where(Recheck.status != "done").returning(Recheck.id)
        if not claimed:
            raise Conflict(_("This re-check is finished."))
        for answer_id, mark in new_marks.items():
            await Marking.insert(Marking(answer=answer_id, sitting_id=row["sitting"], examiner_id=principal.user_id,
                                         round=4, slot_key=f"{answer_id}:r4",
                                         examiner_key=f"{answer_id}:e{principal.user_id}", mark=mark, marked_at=at))
            await Answer.update({Answer.score: mark}).where(Answer.id == answer_id)
        await Admission.update({Admission.objective_score: round(objective, 2), Admission.written_score: round(written, 2),
                                Admission.total: new_total, Admission.passed: new_total >= pass_mark}).where(
            Admission.id == row["id"])
        await audit.record(principal, "handle_recheck", "exam_recheck", recheck_id,
                           region_code=sitting_row["region_code"],
                           before={"total": row["total"]}, after={"total": new_total, "outcome": outcome})
    return outcome


# -------------------------------------------------------------- item statistics

async def item_statistics(principal: Principal, paper_id: int) -> list[dict[str, Any]]:
    """Per question of a paper, over every marked candidate who had it: difficulty (mean
    score / max: higher is easier) and discrimination (mean score ratio of the top 27% of
    candidates by total minus that of the bottom 27%)."""
    await readable_paper(principal, paper_id)  # 404 for an unknown paper, 403 for another region's
    admissions = await Admission.select(Admission.id, Admission.total).where(
        Admission.sitting.paper == paper_id).where(Admission.status == "marked")
    if not admissions:
        return []
    totals = {a["id"]: a["total"] or 0 for a in admissions}
    answers = await Answer.select(Answer.admission, Answer.question_id, Answer.score, Answer.max_marks).where(
        Answer.admission.is_in(list(totals)))
    by_question: dict[int, list[tuple[float, float]]] = defaultdict(list)  # (candidate total, score ratio)
    for a in answers:
        if a["max_marks"]:
            by_question[a["question_id"]].append((totals[a["admission"]], (a["score"] or 0) / a["max_marks"]))
    found = await questions_by_id(by_question)
    out = []
    for qid, pairs in by_question.items():
        pairs.sort(key=lambda p: p[0])
        n = len(pairs)
        group = max(1, round(n * 0.27))
        lower = [r for _t, r in pairs[:group]]
        upper = [r for _t, r in pairs[-group:]]
        q = found.get(qid, {})
        out.append({"question_id": qid, "stem": q.get("stem", ""), "kind": q.get("kind", ""), "topic": q.get("topic", ""),
                    "n": n, "difficulty": round(statistics.fmean(r for _t, r in pairs), 3),
                    "discrimination": round(statistics.fmean(upper) - statistics.fmean(lower), 3)})
    out.sort(key=lambda r: r["question_id"])
    return out


def item_flags(item: dict[str, Any]) -> str:
    if item["discrimination"] < 0.2:
        return _("Low discrimination: review the question.")
    if item["difficulty"] < 0.2 or item["difficulty"] > 0.95:
        return _("Very hard or very easy.")
    return ""


# ------------------------------------------------------------ cross-domain contract

@dataclass(frozen=True)
class ExamPass:
    mediator_id: int
    sitting_id: int
    grade: str
    score: float
    passed: bool
    released_on: date | None


@dataclass(frozen=True)
class SittingSummary:
    id: int
    title: str
    grade: str
    region_code: str
    opens_at: datetime
    closes_at: datetime
    released_on: date | None
    candidates: int
    passed: int


def _released_on(value: datetime | None) -> date | None:
    return clock.date_of(value) if value else None


async def _passes(where) -> list[ExamPass]:
    query = Admission.select(Admission.mediator_id, Admission.sitting, Admission.grade, Admission.total,
                             Admission.passed, Admission.sitting.results_released_at).where(
        Admission.sitting.status == "released").where(Admission.passed == True)  # noqa: E712
    for condition in where:
        query = query.where(condition)
    rows = await query.order_by(Admission.sitting.results_released_at)
    return [ExamPass(r["mediator_id"], r["sitting"], r["grade"], float(r["total"] or 0), bool(r["passed"]),
                     _released_on(r["sitting.results_released_at"])) for r in rows]


async def exam_pass(mediator_id: int, grade: str) -> ExamPass | None:
    """The latest released passing result of the grade."""
    passes = await _passes([Admission.mediator_id == mediator_id, Admission.grade == str(grade)])
    return passes[-1] if passes else None


async def passed_candidates(sitting_id: int) -> list[ExamPass]:
    return await _passes([Admission.sitting == sitting_id])


async def sitting_summary(sitting_id: int) -> SittingSummary | None:
    row = await Sitting.select().where(Sitting.id == sitting_id).first()
    if row is None:
        return None
    return (await _summaries([row]))[0]


async def _summaries(rows: list[dict[str, Any]]) -> list[SittingSummary]:
    ids = [r["id"] for r in rows]
    admissions = await Admission.select(Admission.sitting, Admission.passed).where(
        Admission.sitting.is_in(ids or [0]))
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for a in admissions:
        counts[a["sitting"]][0] += 1
        counts[a["sitting"]][1] += 1 if a["passed"] else 0
    return [SittingSummary(r["id"], r["title"], r["grade"], r["region_code"], _aware(r["opens_at"]),
                           _aware(r["closes_at"]), _released_on(r["results_released_at"]) if r["status"] == "released"
                           else None, counts[r["id"]][0], counts[r["id"]][1]) for r in rows]


async def released_sittings(region_code: str) -> list[SittingSummary]:
    """Released sittings in the region and below, newest first (for batch issue)."""
    rows = await Sitting.select().where(Sitting.status == "released").where(
        Sitting.region_code.like(region_like(region_code))).order_by(Sitting.results_released_at, ascending=False)
    return await _summaries(rows)
