"""Every upload route refuses hostile files with a clear answer and keeps nothing (rule:
"uploads are checked by content, not by name"): garbage bytes under the expected name,
another kind of file dressed up with the expected extension and content type, a file of the
right kind over the route's size limit, and a body over the server's request limit. Each
answers a 4xx — the form again with the error beside the file field, or the 413 page — never
a 500, and stores no row and no file. A genuine file through the same form is accepted, so
the refusals are about the file, not a broken route.

Routes: the mediator photo, the certificate file check on the verify page, training
materials, the performance-records import, the question-bank import and exit-appeal
documents. (Recruitment application documents belong to the recruitment work.)"""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from PIL import Image

from core import clock
from core.auth.roles import Grant, Principal, Role
from core.settings import get_settings
from tests.helpers import csrf_token, login
from tests.unit.exams.factory import make_user

SEED = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))
MB = 1024 * 1024
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 4000
SIZE_MESSAGE = re.compile(r"过大|超过")  # 文件过大。 / 文件超过 2.0 MB。
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, format=kind)
    return out.getvalue()


def _garbage() -> bytes:
    # no known magic number, neither UTF-8 nor GB18030 text: plain noise
    return bytes((n * 131 + 7) % 256 for n in range(20_000)).replace(b"%PDF", b"%PDX") + b"\xff\xff\x00"


def _pdf(size: int = 0) -> bytes:
    head, tail = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n", b"trailer<</Root 1 0 R>>\n%%EOF\n"
    return head + b"%" + b" " * max(0, size - len(head) - len(tail) - 1) + b"\n" + tail


def _jpeg(size: int) -> bytes:
    data = _image("JPEG")  # a JPEG by its start marker, padded past the size limit
    return data[:2] + b"\xff\xfe\xff\xff" + b" " * (size - len(data)) + data[2:]


def _csv(header: list[str] | tuple[str, ...], size: int) -> bytes:
    line = ",".join(["x"] * len(header)) + "\n"
    return (",".join(header) + "\n" + line * (size // len(line) + 1)).encode()


def _uploads(area: str) -> list[str]:
    folder = get_settings().var_dir / "uploads" / area
    return sorted(p.name for p in folder.glob("*")) if folder.exists() else []


@dataclass
class Target:
    path: str  # where the form posts
    form_page: str  # the page that carries the form (and its CSRF token)
    username: str | None
    stored: Callable[[], Awaitable[Any]]  # what a successful upload would change
    facts: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- the routes
async def _photo() -> Target:
    from roster import services as roster
    from roster.tables import Mediator

    await make_user("qz", Role.ADMIN, "350500")
    mediator_id = await roster.create_mediator_record(name="林晓梅", region_code="350504")

    async def stored():
        row = await Mediator.select(Mediator.photo_path).where(Mediator.id == mediator_id).first()
        return row["photo_path"], _uploads("photos")

    return Target(f"/admin/mediators/{mediator_id}/photo", f"/admin/mediators/{mediator_id}", "qz", stored)


async def _verify_file() -> Target:
    from certification import verification
    from certification.tables import Verification

    verification.reset_for_tests()

    async def stored():  # a refused upload is no verification: nothing logged
        return await Verification.count(), len(verification._pending_logs)

    return Target("/verify/file", "/verify", None, stored)


async def _material() -> Target:
    from training import courses
    from training.tables import Material

    await make_user("qz", Role.ADMIN, "350500")
    today = clock.today()
    course_id = await courses.create_course(SEED, {
        "title": "初级调解员培训", "grade": "junior", "region_code": "350500", "class_hours": 4, "capacity": 10,
        "enrol_opens_on": today, "enrol_closes_on": today + timedelta(days=5), "starts_on": today + timedelta(days=9)})

    async def stored():
        return await Material.count(), _uploads("training")

    page = f"/admin/training/courses/{course_id}"
    return Target(f"{page}/materials", page, "qz", stored)


async def _records_import() -> Target:
    from roster import services as roster
    from roster.review.tables import MediationCase

    await make_user("qz", Role.ADMIN, "350500")
    org = await roster.create_organisation_record(name="洛江区调解中心", region_code="350504")
    # a member since before the imported case: cases are accepted only inside a membership
    mediator_id = await roster.create_mediator_record(name="甲", region_code="350504", organisation_id=org,
                                                      joined_on=date(2024, 1, 1))
    roster_no = (await roster.mediator_summary(mediator_id)).roster_no

    async def stored():
        return await MediationCase.count()

    return Target("/review/records/import", "/review/records/", "qz", stored, {"roster_no": roster_no})


async def _questions_import() -> Target:
    from training.exams.tables import Question

    await make_user("exadmin", Role.ADMIN, "350000")

    async def stored():
        return await Question.count()

    return Target("/admin/exams/questions/import", "/admin/exams/questions/", "exadmin", stored)


async def _appeal_documents() -> Target:
    from roster import services as roster
    from roster.review import exits, records
    from roster.review.tables import Appeal, ExitNotice

    user = await make_user("med", Role.MEDIATOR, "350504")
    mediator_id = await roster.create_mediator_record(name="申诉人", region_code="350504", user_id=user,
                                                      appointed_on=clock.today())
    await records.record_finding(SEED, mediator_id, {"found_on": clock.today().isoformat(), "ground": "bribery"})
    await exits.evaluate_exit_grounds("350504")
    notice = await ExitNotice.select(ExitNotice.id).where(ExitNotice.mediator_id == mediator_id).first()

    async def stored():
        status = await ExitNotice.select(ExitNotice.status).where(ExitNotice.id == notice["id"]).first()
        return await Appeal.count(), status["status"], _uploads("appeals")

    return Target(f"/my/review/notices/{notice['id']}/appeal", "/my/review/", "med", stored)


def _case_columns():
    from roster.review.records import CASE_COLUMNS

    return CASE_COLUMNS


def _question_columns():
    from training.exams.bank import CSV_COLUMNS

    return CSV_COLUMNS


File = tuple[str, Callable[[Target], bytes], str]  # filename, content, content type


@dataclass
class Route:
    setup: Callable[[], Awaitable[Target]]
    field: str
    form: dict[str, str]
    genuine: File
    accepted_with: int  # the status of a genuine upload
    garbage: File
    fake_extension: File
    oversized: File


ROUTES = {
    "mediator_photo": Route(
        _photo, "photo", {},
        ("photo.jpg", lambda t: _image("JPEG"), "image/jpeg"), 303,
        ("photo.jpg", lambda t: _garbage(), "image/jpeg"),
        ("photo.png", lambda t: HTML, "image/png"),
        ("photo.jpg", lambda t: _jpeg(2 * MB + 100_000), "image/jpeg")),
    "certificate_file_check": Route(
        _verify_file, "file", {},
        ("certificate.png", lambda t: _image("PNG"), "image/png"), 200,  # checked (not a genuine card)
        ("certificate.pdf", lambda t: _garbage(), "application/pdf"),
        ("certificate.png", lambda t: HTML, "image/png"),
        ("certificate.pdf", lambda t: _pdf(5 * MB + 100_000), "application/pdf")),
    "training_material": Route(
        _material, "file", {"title": "讲义"},
        ("handout.pdf", lambda t: _pdf(), "application/pdf"), 303,
        ("handout.pdf", lambda t: _garbage(), "application/pdf"),
        ("handout.pdf", lambda t: EXECUTABLE, "application/pdf"),
        ("handout.pdf", lambda t: _pdf(5 * MB + 100_000), "application/pdf")),
    "records_import": Route(
        _records_import, "file", {},
        ("cases.csv", lambda t: (",".join(_case_columns()) + f"\n{t.facts['roster_no']},A1,wage_arrears,2025-01-02,"
                                 "2025-01-09,agreement,5\n").encode(), "text/csv"), 200,
        ("cases.csv", lambda t: _garbage(), "text/csv"),
        ("cases.xlsx", lambda t: _image("PNG"), XLSX),
        ("cases.csv", lambda t: _csv(_case_columns(), 5 * MB + 100_000), "text/csv")),
    "question_import": Route(
        _questions_import, "file", {},
        ("questions.csv", lambda t: (",".join(_question_columns()) + "\nsingle,wages,junior,3,5,"
                                     "拖欠工资可以申请仲裁吗,是|否,A,\n").encode(), "text/csv"), 303,
        ("questions.csv", lambda t: _garbage(), "text/csv"),
        ("questions.xlsx", lambda t: _image("PNG"), XLSX),
        ("questions.csv", lambda t: _csv(_question_columns(), 5 * MB + 100_000), "text/csv")),
    "appeal_documents": Route(
        _appeal_documents, "documents", {"reasons": "本人从未收受任何礼品，附上银行流水请求复核"},
        ("流水.pdf", lambda t: _pdf(), "application/pdf"), 303,
        ("流水.pdf", lambda t: _garbage(), "application/pdf"),
        ("照片.jpg", lambda t: HTML, "image/jpeg"),
        ("流水.pdf", lambda t: _pdf(5 * MB + 100_000), "application/pdf")),
}
HOSTILE = ("garbage", "fake_extension", "oversized", "over_request_limit")


def _post(client, run, route: Route, target: Target, upload: File):
    if target.username:
        assert login(client, target.username).status_code == 303
    token = csrf_token(client, target.form_page)
    filename, make, media = upload
    return client.post(target.path, data={**route.form, "_csrf_token": token},
                       files={route.field: (filename, make(target), media)}, follow_redirects=False)


@pytest.mark.parametrize(("name", "hostile"), [(name, hostile) for name in ROUTES for hostile in HOSTILE])
def test_hostile_upload_is_refused_clearly_and_nothing_is_stored(client, run, name, hostile):
    route = ROUTES[name]
    target = run(route.setup())
    if hostile == "over_request_limit":  # past the server's own body limit (Litestar's 10 MB)
        upload = (route.oversized[0], lambda t: _pdf(10 * MB + 1024), "application/pdf")
    else:
        upload = getattr(route, hostile)
    before = run(target.stored())
    answer = _post(client, run, route, target, upload)
    assert answer.status_code != 500
    if hostile == "over_request_limit":
        assert answer.status_code == 413 and "请求被拒绝" in answer.text  # the site's own error page
    else:
        assert answer.status_code == 400, (answer.status_code, answer.text[:3000])
        shown = re.search(r'<div class="field has-error">(.*?)</div>', answer.text, re.S)
        assert shown and f'name="{route.field}"' in shown.group(1), answer.text[:3000]  # beside the file field
        message = re.search(r'<p class="error"[^>]*>([^<]+)</p>', shown.group(1)).group(1).strip()
        assert bool(SIZE_MESSAGE.search(message)) == (hostile == "oversized"), message  # says what is wrong
    assert run(target.stored()) == before


@pytest.mark.parametrize("name", list(ROUTES))
def test_a_genuine_file_through_the_same_form_is_accepted(client, run, name):
    route = ROUTES[name]
    target = run(route.setup())
    before = run(target.stored())
    answer = _post(client, run, route, target, route.genuine)
    assert answer.status_code == route.accepted_with, answer.text[:3000]
    assert run(target.stored()) != before
