"""Recruitment application documents and the applicant's outcome, as services (DOMAIN.md
"Recruitment": "Applications carry documents. Review accepts or rejects with reasons"):
PDF/JPEG/PNG checked by content, images re-encoded without EXIF, a PDF from `%PDF-` to
`%%EOF`, size- and count-limited; one bad file refuses the whole application and nothing is
kept; only the call's reviewers and the applicant open a document, audited; the applicant's
stage tells an upheld objection from a rejection and a running notice from an ended one."""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta

import pytest
from PIL import Image

from core import clock
from core.audit import AuditRecord
from core.auth.roles import Grant, Principal, Role
from core.errors import DomainError, FieldErrors, Forbidden, NotFound
from core.settings import get_settings
from roster import application_documents as documents
from roster import applications, public_notice, recruitment
from roster.tables import Application, ApplicationDocument
from tests.helpers import make_user
from tests.unit.roster.test_roster_rules import admin, id_number, mediator_form

MB = 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), "navy")
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    exif[0x8825] = {1: "N", 2: (24.0, 52.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


def pdf_of(size: int) -> bytes:
    head, tail = PDF[:-7], b"%%EOF\n"
    return head + b"%" + b" " * (size - len(head) - len(tail) - 1) + tail


def stored_files() -> list[str]:
    folder = get_settings().var_dir / "uploads" / documents.AREA
    return sorted(p.name for p in folder.glob("*")) if folder.exists() else []


def open_call(run, region: str = "350500") -> int:
    return run(recruitment.open_call(admin(), {"title": "2026年泉州市调解员选聘", "region_code": region,
                                               "opens_on": clock.today().isoformat(),
                                               "closes_on": (clock.today() + timedelta(days=10)).isoformat()}))


@pytest.fixture
def applicant(run) -> Principal:
    """A citizen's account with no role: anyone signed in may apply."""
    return Principal(user_id=run(make_user("applicant", None)), username="applicant", grants=())


def test_good_documents_are_stored_by_sha256_and_images_re_encoded_without_exif(run, applicant):
    call_id = open_call(run)
    photo = jpeg_with_exif()
    assert Image.open(io.BytesIO(photo)).getexif()
    app_id = run(applications.apply_to_call(applicant, call_id, mediator_form(1),
                                           [("身份证复印件.jpg", photo), ("简历.pdf", PDF)]))
    rows = run(ApplicationDocument.select().where(ApplicationDocument.application == app_id)
               .order_by(ApplicationDocument.position))
    assert [(r["name"], r["kind"]) for r in rows] == [("身份证复印件.jpg", "jpeg"), ("简历.pdf", "pdf")]
    kept_photo = (get_settings().var_dir / "uploads" / rows[0]["path"]).read_bytes()
    assert kept_photo != photo and not Image.open(io.BytesIO(kept_photo)).getexif()  # EXIF and GPS gone
    assert hashlib.sha256(kept_photo).hexdigest() == rows[0]["sha256"] and rows[0]["size"] == len(kept_photo)
    assert (get_settings().var_dir / "uploads" / rows[1]["path"]).read_bytes() == PDF  # a PDF is kept as sent
    assert rows[1]["path"] == f"applications/{hashlib.sha256(PDF).hexdigest()}.pdf"


# (file name, bytes, what the message says in English or in Chinese)
REFUSED = [
    ("证书.pdf", png(), ("is a PNG file", "PNG 格式")),  # a PNG dressed up as a PDF
    ("证书.pdf", b"\x00\x01garbage that is no document at all" * 40, ("PDF, JPEG or PNG", "PDF、JPEG 或 PNG")),
    ("简历.png", PDF, ("is a PDF file", "PDF 格式")),  # a PDF called .png
    ("照片.jpg", b"<!DOCTYPE html><script>alert(1)</script>", ("PDF, JPEG or PNG", "PDF、JPEG 或 PNG")),
    ("简历.docx", PDF, (".pdf, .jpg, .png", ".pdf、.jpg、.png")),  # a kind we do not take, whatever is inside
    ("scan", PDF, (".pdf, .jpg, .png", ".pdf、.jpg、.png")),
    ("坏的.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n", ("damaged", "已损坏")),  # no %%EOF
    ("尾部.pdf", PDF + b"<script>payload</script>", ("damaged", "已损坏")),  # %%EOF not at the end
    ("坏图.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, ("could not be read", "无法读取")),
]


@pytest.mark.parametrize(("name", "data", "says"), REFUSED, ids=[f"{n}-{s[0]}" for n, _d, s in REFUSED])
def test_a_file_whose_content_is_not_what_its_name_says_refuses_the_application(run, name, data, says, applicant):
    call_id = open_call(run)
    before = stored_files()
    good = b"%PDF-1.7\n% a file no other test uploads\n%%EOF\n"
    with pytest.raises(FieldErrors) as refused:
        run(applications.apply_to_call(applicant, call_id, mediator_form(2), [("简历.pdf", good), (name, data)]))
    message = refused.value.errors["documents"]
    assert any(s in message for s in says) and message.startswith(name.split(".")[0]), message
    assert run(Application.count()) == 0 and run(ApplicationDocument.count()) == 0
    assert stored_files() == before  # not even the good file before it


def test_a_document_over_the_size_limit_is_refused_and_nothing_is_kept(run, applicant):
    call_id = open_call(run)
    limit = get_settings().rules.max_upload_bytes
    assert limit == 5 * MB  # the default setting
    before = stored_files()
    with pytest.raises(FieldErrors) as refused:
        run(applications.apply_to_call(applicant, call_id, mediator_form(3), [("大文件.pdf", pdf_of(limit + 1))]))
    assert "5.0 MB" in refused.value.errors["documents"] and refused.value.errors["documents"].startswith("大文件.pdf")
    assert run(Application.count()) == 0 and stored_files() == before
    run(applications.apply_to_call(applicant, call_id, mediator_form(3), [("刚好.pdf", pdf_of(limit))]))
    assert run(ApplicationDocument.count()) == 1


def test_the_number_of_documents_is_limited_by_the_setting(run, applicant):
    call_id = open_call(run)
    many = get_settings().rules.max_application_documents
    with pytest.raises(FieldErrors) as refused:
        run(applications.apply_to_call(applicant, call_id, mediator_form(4),
                                      [(f"{n}.pdf", PDF) for n in range(many + 1)]))
    assert str(many) in refused.value.errors["documents"]
    assert run(Application.count()) == 0
    run(applications.apply_to_call(applicant, call_id, mediator_form(4), [(f"{n}.pdf", PDF) for n in range(many)]))


def test_a_bad_file_and_a_bad_field_are_reported_together_and_nothing_is_kept(run, applicant):
    call_id = open_call(run)
    before = stored_files()
    with pytest.raises(FieldErrors) as refused:
        run(applications.apply_to_call(applicant, call_id, mediator_form(5, name=""), [("x.pdf", png())]))
    assert set(refused.value.errors) >= {"name", "documents"}
    # a good file with a bad field: the file is not kept either
    good = b"%PDF-1.7\n% only this test uploads this one\n%%EOF\n"
    with pytest.raises(FieldErrors):
        run(applications.apply_to_call(applicant, call_id, mediator_form(5, id_number="123"), [("好.pdf", good)]))
    assert run(Application.count()) == 0 and stored_files() == before


def test_file_names_lose_folders_and_control_characters_and_mask_id_and_phone_numbers():
    assert documents.clean_name("C:\\Users\\张三\\身份证" + id_number(7) + ".jpg") == (
        "身份证" + id_number(7)[:6] + "********" + id_number(7)[-4:] + ".jpg")
    assert documents.clean_name("../../etc/passwd\x00.png") == "passwd.png"
    assert documents.clean_name("简历13905950000.pdf") == "简历139****0000.pdf"
    assert len(documents.clean_name("长" * 300 + ".pdf")) <= 120 and documents.clean_name("长" * 300 + ".pdf").endswith(".pdf")


def _application_with_document(run, applicant, pdf: bytes = PDF) -> tuple[int, int, int]:
    call_id = open_call(run)
    app_id = run(applications.apply_to_call(applicant, call_id, mediator_form(6), [("资格证书.pdf", pdf)]))
    doc = run(ApplicationDocument.select(ApplicationDocument.id).where(ApplicationDocument.application == app_id).first())
    return call_id, app_id, doc["id"]


def test_only_the_calls_reviewers_and_the_applicant_open_a_document_and_each_opening_is_audited(run, applicant):
    call_id, app_id, doc_id = _application_with_document(run, applicant)
    row, data = run(documents.open_document(admin("350500", user_id=52), app_id, doc_id, call_id))  # the call's region
    assert data == PDF and row.kind == "pdf"
    assert run(documents.open_document(applicant, app_id, doc_id))[1] == PDF  # the applicant, their own
    refused = [
        admin("350200", user_id=50),  # Xiamen: another region
        admin("350504", user_id=51),  # Luojiang: the applicant's county, but not the call's region
        Principal(user_id=9, username="m", grants=(Grant(Role.MEDIATOR, "350504", mediator_id=1),)),
        Principal(user_id=10, username="auditor", grants=(Grant(Role.AUDITOR, "350000"),)),
        Principal(),  # the public
    ]
    for principal in refused:
        with pytest.raises(Forbidden):
            run(documents.open_document(principal, app_id, doc_id))
    with pytest.raises(NotFound):
        run(documents.open_document(admin("350500"), app_id + 1, doc_id))  # not this application's document
    opened = run(AuditRecord.count().where(AuditRecord.action == "open_application_document"))
    assert opened == 2


def test_a_document_altered_on_disk_is_not_handed_out(run, applicant):
    own = b"%PDF-1.4\n% only this test stores this file\n%%EOF\n"  # files are shared by content
    call_id, app_id, doc_id = _application_with_document(run, applicant, own)
    row = run(ApplicationDocument.select().where(ApplicationDocument.id == doc_id).first())
    (get_settings().var_dir / "uploads" / row["path"]).write_bytes(own.replace(b"only", b"ONLY"))
    with pytest.raises(NotFound):
        run(documents.open_document(admin("350500"), app_id, doc_id, call_id))


def _stage(status: str, objections: list[str] = (), ends: date | None = None) -> str:
    return applications.outcome_stage(status, ends, list(objections), date(2026, 5, 10))


def test_the_applicant_is_told_an_upheld_objection_apart_from_a_rejection_and_a_running_notice_from_an_ended_one():
    assert _stage("submitted") == "under_review"
    assert _stage("rejected") == "rejected"
    assert _stage("rejected", ["dismissed", "upheld"]) == "objection_upheld"
    assert _stage("on_notice", ["lodged"], date(2026, 5, 10)) == "on_notice"  # the last day still runs
    assert _stage("on_notice", [], date(2026, 5, 9)) == "notice_ended"
    assert _stage("appointed", ["dismissed"]) == "appointed"


def test_my_applications_carry_reasons_notice_dates_roster_number_and_documents(run, applicant):
    call_id = open_call(run)
    first = run(applications.apply_to_call(applicant, call_id, mediator_form(11), [("简历.pdf", PDF)]))
    second = run(applications.apply_to_call(applicant, call_id, mediator_form(12)))
    run(applications.review_application(admin(), first, accept=False, reasons="执业年限不足两年"))
    run(applications.review_application(admin(), second, accept=True))
    mine = {a.id: a for a in run(applications.my_applications(applicant.user_id))}
    assert mine[first].stage == "rejected" and mine[first].reasons == "执业年限不足两年"
    assert [d.name for d in mine[first].documents] == ["简历.pdf"]
    assert mine[second].stage == "on_notice" and mine[second].notice_ends_on > clock.today()
    ends = mine[second].notice_ends_on
    mediator_id = run(applications.appoint_candidate(admin(), second, on=ends + timedelta(days=1)))
    appointed = {a.id: a for a in run(applications.my_applications(applicant.user_id))}[second]
    from roster.tables import Mediator

    roster_no = run(Mediator.select(Mediator.roster_no).where(Mediator.id == mediator_id).first())["roster_no"]
    assert appointed.stage == "appointed" and appointed.roster_no == roster_no
    assert run(applications.my_applications(78)) == []  # someone else's account sees none of them


def test_the_applicant_is_notified_of_each_decision(run, applicant):
    from core.notifications import Notification

    call_id = open_call(run)
    app_id = run(applications.apply_to_call(applicant, call_id, mediator_form(13)))
    run(applications.review_application(admin(), app_id, accept=True))
    objection = run(public_notice.lodge_objection(app_id, "某公司", "候选人与本公司存在利害关系，请核查"))
    run(public_notice.decide_objection(admin(), objection, uphold=True, finding="经核查属实"))
    told = run(Notification.select(Notification.kind, Notification.body).where(Notification.user_id == applicant.user_id)
               .order_by(Notification.id))
    assert [n["kind"] for n in told] == ["recruitment", "recruitment"]
    assert "经核查属实" in told[1]["body"] and "13800000000" not in "".join(n["body"] for n in told)
    with pytest.raises(DomainError):
        run(applications.review_application(admin(), app_id, accept=True))  # already decided
