"""The question bank: questions by kind, topic, grade and difficulty; an administrator reads
the bank of their region and below and the banks above it (`bank_scope`); CSV/XLSX import,
every bad row reported by its number, and export in the same format. Also the vocabulary the
other modules of the examinations share (question kinds and their labels, platform rules,
stored values read back)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core import audit, clock, exports
from core.auth.roles import Principal, Role
from core.db import write_transaction
from core.errors import DomainError, FieldErrors, Forbidden, NotFound
from core.exports import Table
from core.i18n import N_, _
from core.regions import ancestors, within_regions
from core.settings import Rules, get_settings
from core.text import check_fields, text_problem
from core.vocab import Grade
from training.exams.tables import Question

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
MAX_IMPORT_ROWS = 5_000  # TODO settings: largest question import


# what a person submitted (form fields, a CSV row, a JSON body): read, never kept
Submitted = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ExamQuestion:
    """A question of the bank. `answer` holds option indexes (choice), [True|False]
    (true or false), or nothing (written: examiners mark by the rubric)."""

    id: int
    kind: str
    topic: str
    grade: str
    difficulty: int
    marks: int
    stem: str
    options: list[str]
    answer: list[Any]
    rubric: str
    region_code: str
    active: bool
    created_at: datetime | None = None

    @property
    def written(self) -> bool:
        return self.kind in WRITTEN


def rules() -> Rules:
    return get_settings().rules


def from_json(value: Any) -> Any:
    """JSONB values come back as text on some engines/queries."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def aware(value: datetime | None) -> datetime | None:
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


def validate_question(data: Submitted) -> dict[str, Any]:
    """A clean question from form/CSV values (the columns stored and audited), or
    FieldErrors naming each bad field."""
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
        picked: list[int] = []
        readable = True  # every token an option letter
        for token in raw_answer.replace("，", ",").replace(" ", ",").split(","):
            token = token.strip().upper()
            if not token:
                continue
            if len(token) == 1 and "A" <= token <= "H":
                picked.append(ord(token) - ord("A"))
            else:
                readable = False
                break
        if not readable or not picked or (options and max(picked) >= len(options)):
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
    option_problem = next((problem for problem in map(text_problem, options) if problem), None)
    if option_problem and "options" not in errors:
        errors["options"] = option_problem
    if errors:
        raise FieldErrors(errors)
    return {"kind": kind, "topic": topic, "grade": grade, "difficulty": difficulty, "marks": marks,
            "stem": stem, "options": options, "answer": answer, "rubric": rubric}


def require_admin(principal: Principal, region_code: str | None = None) -> None:
    if not principal.has_role(Role.ADMIN):
        raise Forbidden(_("Only administrators may do this."))
    if region_code is not None and not principal.can_act_in(region_code, Role.ADMIN):
        raise Forbidden(_("This record belongs to a region outside your authority."))


def admin_region(principal: Principal) -> str:
    regions = principal.regions_for(Role.ADMIN)
    return min(regions, key=len) if regions else ""


async def create_question(principal: Principal, data: Submitted, region_code: str | None = None) -> int:
    clean = validate_question(data)
    region = region_code or admin_region(principal)
    require_admin(principal, region)
    async with write_transaction():
        rows = await Question.insert(Question(**clean, region_code=region)).returning(Question.id)
        qid = rows[0]["id"]
        await audit.record(principal, "create", "exam_question", qid, region_code=region, after=clean)
    return qid


async def update_question(principal: Principal, question_id: int, data: Submitted) -> None:
    current = await question(question_id)
    require_admin(principal, current.region_code)
    clean = validate_question(data)
    async with write_transaction():
        await Question.update(**clean).where(Question.id == question_id)
        await audit.record(principal, "update", "exam_question", question_id, region_code=current.region_code,
                           before={k: getattr(current, k) for k in clean}, after=clean)


async def set_question_active(principal: Principal, question_id: int, active: bool) -> None:
    current = await question(question_id)
    require_admin(principal, current.region_code)
    async with write_transaction():
        await Question.update({Question.active: active}).where(Question.id == question_id)
        await audit.record(principal, "activate" if active else "deactivate", "exam_question", question_id,
                           region_code=current.region_code, before={"active": current.active},
                           after={"active": active})


def _question(row: Mapping[str, Any]) -> ExamQuestion:
    return ExamQuestion(id=row["id"], kind=row["kind"], topic=row["topic"], grade=row["grade"],
                        difficulty=row["difficulty"], marks=row["marks"], stem=row["stem"],
                        options=from_json(row.get("options")) or [], answer=from_json(row.get("answer")) or [],
                        rubric=row["rubric"], region_code=row["region_code"], active=row["active"],
                        created_at=row.get("created_at"))


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


def reads_bank(principal: Principal, region_code: str) -> bool:
    return principal.can_act_in(region_code, Role.ADMIN) or any(
        region_code in ancestors(code) for code in principal.regions_for(Role.ADMIN))


def require_bank(principal: Principal, region_code: str) -> None:
    if not reads_bank(principal, region_code):
        raise Forbidden(_("This record belongs to a region outside your authority."))


async def readable_question(principal: Principal, question_id: int) -> ExamQuestion:
    found = await question(question_id)
    require_bank(principal, found.region_code)
    return found


async def question(question_id: int) -> ExamQuestion:
    row = await Question.select().where(Question.id == question_id).first()
    if row is None:
        raise NotFound(_("No such question."))
    return _question(row)


async def questions_by_id(ids: Iterable[int]) -> dict[int, ExamQuestion]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await Question.select().where(Question.id.is_in(wanted))
    return {r["id"]: _question(r) for r in rows}


async def list_questions(*, kind: str = "", topic: str = "", grade: str = "", difficulty: int | None = None,
                         active: bool | None = None, page: int = 1, page_size: int = 50,
                         principal: Principal | None = None) -> tuple[list[ExamQuestion], int]:
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
    return [_question(r) for r in rows], await count


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
    require_admin(principal, region)
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


def answer_text(q: ExamQuestion) -> str:
    """The correct answer as an administrator writes it (option letters, true or false)."""
    if q.kind in ("single", "multiple"):
        return letters(q.answer)
    if q.kind == "true_false":
        return "true" if q.answer and q.answer[0] else "false"
    return ""


def _export_rows(questions: list[ExamQuestion]) -> list[list[Any]]:
    return [[q.kind, q.topic, q.grade, q.difficulty, q.marks, q.stem, f" {OPTION_SEPARATOR} ".join(q.options),
             answer_text(q), q.rubric] for q in questions]


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
