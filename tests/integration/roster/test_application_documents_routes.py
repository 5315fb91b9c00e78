"""Recruitment through HTTP: applying with documents on the public call page (a bad file is
refused beside the file field and nothing is kept), the reviewers' download (attachment, right
content type, audited) that nobody else can fetch, and the applicant's "My applications" page
with the outcome, the reasons and the notice dates (DOMAIN.md "Recruitment")."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image

from core import clock
from core.audit import AuditRecord
from core.auth.roles import Grant, Principal, Role
from core.settings import get_settings
from roster import applications, public_notice, recruitment
from roster import services as roster
from roster.tables import Application, ApplicationDocument
from tests.helpers import csrf_token, login, make_user
from tests.unit.roster.test_application_documents import PDF, jpeg_with_exif, pdf_of, png, stored_files
from tests.unit.roster.test_roster_rules import id_number

SEED = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))
MB = 1024 * 1024


def _call(run) -> int:
    return run(recruitment.open_call(SEED, {"title": "2026年泉州市劳动争议调解员选聘", "region_code": "350500",
                                            "opens_on": clock.today().isoformat(),
                                            "closes_on": (clock.today() + timedelta(days=20)).isoformat()}))


def _particulars(seed: int) -> dict[str, str]:
    return {"name": f"申请人{seed}", "gender": "female", "id_number": id_number(seed), "phone": "13905950000",
            "source_category": "lawyer", "education": "bachelor", "years_experience": "6", "region_code": "350504"}


def _apply(client, call_id: int, seed: int, files: list[tuple[str, bytes, str]]):
    token = csrf_token(client, f"/roster/calls/{call_id}")
    return client.post(f"/roster/calls/{call_id}/apply", data={**_particulars(seed), "_csrf_token": token},
                       files=[("documents", f) for f in files], follow_redirects=False)


def _document(run, application_id: int, position: int = 0) -> dict:
    return run(ApplicationDocument.select().where((ApplicationDocument.application == application_id)
                                                  & (ApplicationDocument.position == position)).first())


def test_applying_with_documents_then_the_reviewer_downloads_them_as_attachments(client, run):
    call_id = _call(run)
    run(make_user("citizen", None))
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "citizen")
    page = client.get(f"/roster/calls/{call_id}")
    assert 'enctype="multipart/form-data"' in page.text and 'name="documents"' in page.text
    answer = _apply(client, call_id, 1, [("身份证复印件.jpg", jpeg_with_exif(), "image/jpeg"),
                                         ("律师执业证.pdf", PDF, "application/pdf")])
    assert answer.status_code == 303 and answer.headers["location"] == "/my/applications"
    application = run(Application.select().where(Application.name == "申请人1").first())
    client.cookies.clear()
    login(client, "qz")
    review = client.get(f"/admin/recruitment/{call_id}")
    photo, pdf = _document(run, application["id"], 0), _document(run, application["id"], 1)
    base = f"/admin/recruitment/{call_id}/applications/{application['id']}/documents"
    assert f"{base}/{photo['id']}" in review.text and "律师执业证.pdf" in review.text
    got = client.get(f"{base}/{pdf['id']}")
    assert got.status_code == 200 and got.content == PDF and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    image = client.get(f"{base}/{photo['id']}")
    assert image.headers["content-type"] == "image/jpeg" and not Image.open(io.BytesIO(image.content)).getexif()
    assert run(AuditRecord.count().where(AuditRecord.action == "open_application_document")) == 2


HOSTILE = {
    "garbage_named_pdf": ("资格证书.pdf", lambda: bytes((n * 131 + 7) % 256 for n in range(20_000)), "application/pdf"),
    "png_named_pdf": ("资格证书.pdf", png, "application/pdf"),
    "html_named_jpg": ("照片.jpg", lambda: b"<!DOCTYPE html><script>alert(document.cookie)</script>", "image/jpeg"),
    "oversized_pdf": ("简历.pdf", lambda: pdf_of(5 * MB + 100_000), "application/pdf"),
}


@pytest.mark.parametrize("hostile", list(HOSTILE))
def test_a_hostile_document_is_refused_beside_the_file_field_and_nothing_is_kept(client, run, hostile):
    call_id = _call(run)
    run(make_user("citizen", None))
    login(client, "citizen")
    name, make, media = HOSTILE[hostile]
    before = stored_files()
    answer = _apply(client, call_id, 2, [("简历.pdf", b"%PDF-1.7\n% route test\n%%EOF\n", "application/pdf"),
                                         (name, make(), media)])
    assert answer.status_code == 400
    error = re.search(r'class="field has-error">.*?<p class="error" id="e-documents">([^<]+)</p>', answer.text, re.S)
    assert error and 'name="documents"' in error.group(0) and name.split(".")[0] in error.group(1)
    assert 'value="申请人2"' in answer.text  # the other fields are kept for the retry
    assert run(Application.count()) == 0 and run(ApplicationDocument.count()) == 0 and stored_files() == before


def test_documents_together_over_the_servers_default_body_limit_are_accepted(client, run):
    # Litestar refuses bodies over 10 MB by default; the application form allows every document
    # at its largest (5 × 5 MB), so three 4 MB scans go through.
    call_id = _call(run)
    run(make_user("citizen", None))
    login(client, "citizen")
    answer = _apply(client, call_id, 3, [(f"扫描件{n}.pdf", pdf_of(4 * MB + n), "application/pdf") for n in range(3)])
    assert answer.status_code == 303
    assert run(ApplicationDocument.count()) == 3


def test_nobody_but_the_calls_reviewers_and_the_applicant_can_fetch_a_document(client, run):
    call_id = _call(run)
    run(make_user("citizen", None))
    login(client, "citizen")
    assert _apply(client, call_id, 4, [("简历.pdf", PDF, "application/pdf")]).status_code == 303
    application = run(Application.select().first())
    document = _document(run, application["id"])
    admin_url = f"/admin/recruitment/{call_id}/applications/{application['id']}/documents/{document['id']}"
    own_url = f"/my/applications/{application['id']}/documents/{document['id']}"
    assert client.get(own_url).content == PDF  # the applicant, their own document
    client.cookies.clear()
    for anonymous_url in (admin_url, own_url):  # the public
        answer = client.get(anonymous_url, follow_redirects=False)
        assert answer.status_code in (302, 303, 401) and answer.content != PDF
    mediator = run(make_user("med", Role.MEDIATOR, "350504"))
    run(roster.create_mediator_record(name="调解员", region_code="350504", user_id=mediator))
    run(make_user("xm", Role.ADMIN, "350200"))
    run(make_user("lj", Role.ADMIN, "350504"))
    run(make_user("other", None))
    for username, url in [("xm", admin_url), ("xm", own_url), ("lj", admin_url), ("med", admin_url),
                          ("med", own_url), ("other", own_url)]:
        client.cookies.clear()
        login(client, username)
        answer = client.get(url, follow_redirects=False)
        assert answer.status_code == 403 and answer.content != PDF, (username, url)
    client.cookies.clear()
    login(client, "xm")
    assert client.get(f"/admin/recruitment/{call_id}").status_code == 403  # nor the review page with its list


def test_my_applications_shows_the_rejection_reasons_the_notice_end_date_and_the_roster_number(client, run):
    call_id = _call(run)
    user = run(make_user("citizen", None))
    me = Principal(user_id=user, username="citizen")
    rejected = run(applications.apply_to_call(me, call_id, _particulars(5)))
    on_notice = run(applications.apply_to_call(me, call_id, _particulars(6), [("简历.pdf", PDF)]))
    objected = run(applications.apply_to_call(me, call_id, _particulars(7)))
    run(applications.review_application(SEED, rejected, accept=False, reasons="从事劳动关系相关工作不满两年"))
    run(applications.review_application(SEED, on_notice, accept=True))
    run(applications.review_application(SEED, objected, accept=True))
    objection = run(public_notice.lodge_objection(objected, "某公司", "候选人曾代理本公司劳动争议案件，存在利害关系"))
    run(public_notice.decide_objection(SEED, objection, uphold=True, finding="经核查，候选人与异议人存在利害关系"))
    login(client, "citizen")
    page = client.get("/my/applications")
    assert page.status_code == 200
    sections = {int(m.group(1)): m.group(2) for m in re.finditer(
        r'<section class="card application" id="application-(\d+)">(.*?)</section>', page.text, re.S)}
    assert "从事劳动关系相关工作不满两年" in sections[rejected]
    ends = run(Application.select(Application.notice_ends_on).where(Application.id == on_notice).first())
    assert ends["notice_ends_on"].isoformat() in sections[on_notice] and "简历.pdf" in sections[on_notice]
    assert "经核查，候选人与异议人存在利害关系" in sections[objected] and "某公司" not in sections[objected]
    assert id_number(5) not in page.text and "13905950000" not in page.text
    # after the notice: appointed, with the roster number
    mediator_id = run(applications.appoint_candidate(SEED, on_notice, on=ends["notice_ends_on"] + timedelta(days=1)))
    roster_no = run(roster.mediator_summary(mediator_id)).roster_no
    assert roster_no and roster_no in client.get("/my/applications").text
    client.cookies.clear()
    run(make_user("other", None))
    login(client, "other")
    assert "申请人5" not in client.get("/my/applications").text  # only one's own applications


def test_my_applications_needs_sign_in(client):
    assert client.get("/my/applications", follow_redirects=False).status_code in (302, 303, 401)


def test_after_applying_the_applicant_lands_on_my_applications_with_the_application_under_review(client, run):
    call_id = _call(run)
    run(make_user("citizen", None))
    login(client, "citizen")
    answer = _apply(client, call_id, 8, [])
    assert answer.status_code == 303
    page = client.get(answer.headers["location"])
    assert "2026年泉州市劳动争议调解员选聘" in page.text and "申请人8" in page.text
    assert get_settings().rules.max_application_documents == 5


@pytest.mark.parametrize("role", [None, *Role])
def test_every_signed_in_person_has_a_my_applications_page(client, run, role):
    # the role × route matrix for the applicant's page: anyone signed in may apply, so anyone has one
    run(make_user("someone", role, "350500"))
    login(client, "someone")
    assert client.get("/my/applications", follow_redirects=False).status_code == 200
