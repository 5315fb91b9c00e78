"""Certificates API (public contract), administrators' pages, the holder's page, downloads,
ZIP, exports, the daily sweep through the jobs API, and the role × route matrix."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image

from certification import issuing, lifecycle, registry, rules, tokens
from core import clock
from core.auth.roles import Role
from tests.helpers import api_token, login, make_user, post_form
from tests.unit.certification.conftest import new_mediator


def _issue(run, name="林晓梅", region="350504", grade="junior", **kwargs):
    mediator = run(new_mediator(name, region))
    return run(issuing.issue_certificate_unchecked(mediator, grade, **kwargs))


def test_certificates_api_lists_with_contract_fields_and_filters(client, run):
    first = _issue(run)
    second = _issue(run, "王五", grade="senior")
    _issue(run, "厦门人", region="350203")
    run(lifecycle.suspend(None, second.certificate_no, "investigation"))
    run(make_user("qz", Role.ADMIN, "350500"))
    headers = api_token(client, "qz")
    body = client.get("/api/v1/certificates", headers=headers).json()
    assert body["total"] == 2 and body["page"] == 1 and body["page_size"] == 20
    for key in ("certificate_no", "holder_name", "grade", "status", "issued_on", "expires_on", "verify_url"):
        assert key in body["items"][0]
    valid = client.get("/api/v1/certificates?status=valid", headers=headers).json()
    assert [i["certificate_no"] for i in valid["items"]] == [first.certificate_no]
    senior = client.get("/api/v1/certificates?grade=senior", headers=headers).json()
    assert [i["status"] for i in senior["items"]] == ["suspended"]
    assert client.get("/api/v1/certificates?status=bogus", headers=headers).json()["field"] == "status"
    assert client.get("/api/v1/certificates").status_code == 401


def test_holder_sees_only_own_certificates_in_the_api(client, run):
    user = run(make_user("holder", Role.MEDIATOR, "350504"))
    mine = run(new_mediator("持证人", user_id=user))
    own = run(issuing.issue_certificate_unchecked(mine, "junior"))
    other = _issue(run, "别人")
    headers = api_token(client, "holder")
    body = client.get("/api/v1/certificates", headers=headers).json()
    assert [i["certificate_no"] for i in body["items"]] == [own.certificate_no]
    assert client.get(f"/api/v1/certificates/{own.certificate_no}/image.png", headers=headers).status_code == 200
    assert client.get(f"/api/v1/certificates/{other.certificate_no}/image.png", headers=headers).status_code == 403


def test_api_lifecycle_revoke_suspend_reinstate_answer_the_updated_certificate(client, run):
    row = _issue(run)
    run(make_user("qz", Role.ADMIN, "350500"))
    headers = api_token(client, "qz")
    number = row.certificate_no
    suspended = client.post(f"/api/v1/certificates/{number}/suspend", json={"reason": "investigation"}, headers=headers)
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    reinstated = client.post(f"/api/v1/certificates/{number}/reinstate", headers=headers)
    assert reinstated.status_code == 200 and reinstated.json()["status"] == "valid"
    no_reason = client.post(f"/api/v1/certificates/{number}/revoke", json={"reason": ""}, headers=headers)
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    revoked = client.post(f"/api/v1/certificates/{number}/revoke", json={"reason": "disciplinary"}, headers=headers)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    again = client.post(f"/api/v1/certificates/{number}/revoke", json={"reason": "disciplinary"}, headers=headers)
    assert again.status_code == 409
    assert client.post("/api/v1/certificates/NOPE/revoke", json={"reason": "x"}, headers=headers).status_code == 404


def test_administrator_of_another_region_cannot_change_or_download(client, run):
    row = _issue(run)
    run(make_user("xm", Role.ADMIN, "350200"))
    headers = api_token(client, "xm")
    number = row.certificate_no
    assert client.post(f"/api/v1/certificates/{number}/revoke", json={"reason": "x"}, headers=headers).status_code == 403
    assert client.get(f"/api/v1/certificates/{number}/document.pdf", headers=headers).status_code == 403


def test_downloads_are_the_stored_files_and_their_qr_decodes(client, run):
    row = _issue(run)
    run(make_user("qz", Role.ADMIN, "350500"))
    headers = api_token(client, "qz")
    png = client.get(f"/api/v1/certificates/{row.certificate_no}/image.png", headers=headers)
    pdf = client.get(f"/api/v1/certificates/{row.certificate_no}/document.pdf", headers=headers)
    assert png.headers["content-type"] == "image/png" and pdf.content.startswith(b"%PDF-")
    again = client.get(f"/api/v1/certificates/{row.certificate_no}/image.png", headers=headers)
    assert again.content == png.content
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))]
    assert decoded == [tokens.verify_url(row.id, 1)]
    stored = run(registry.by_number(row.certificate_no))
    import hashlib

    assert stored.pdf_sha256 == hashlib.sha256(pdf.content).hexdigest()


def test_admin_pages_list_detail_and_lifecycle_forms(client, run):
    row = _issue(run)
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    listing = client.get("/admin/certificates?status=valid")
    assert listing.status_code == 200 and row.certificate_no in listing.text
    detail_path = f"/admin/certificates/{row.certificate_no}"
    assert "林晓梅" in client.get(detail_path).text
    answer = post_form(client, f"{detail_path}/suspend", {"reason": "other", "note": "内部调查"}, form_page=detail_path)
    assert answer.status_code == 303
    assert run(registry.by_number(row.certificate_no)).status == "suspended"
    assert post_form(client, f"{detail_path}/reinstate", {}, form_page=detail_path).status_code == 303
    renewed = post_form(client, f"{detail_path}/renew", {}, form_page=detail_path)
    assert renewed.status_code == 303 and renewed.headers["location"] != detail_path
    refused = post_form(client, f"{detail_path}/suspend", {"reason": "investigation"}, form_page=detail_path)
    assert refused.status_code == 400
    assert "内部调查" not in client.get(f"/verify/{tokens.make_token(row.id, 1)}").text


def test_export_csv_and_xlsx(client, run):
    row = _issue(run)
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    csv_answer = client.get("/admin/certificates/export/csv")
    assert csv_answer.status_code == 200 and row.certificate_no in csv_answer.content.decode("utf-8-sig")
    xlsx = client.get("/admin/certificates/export/xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_single_issue_page_refuses_the_ineligible_with_the_reason(client, run, records):
    eligible, ineligible = run(new_mediator("甲")), run(new_mediator("乙"))
    records.qualify(eligible)
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    ok = post_form(client, "/admin/certificates/issue", {"mediator_id": str(eligible), "grade": "junior"},
                   form_page="/admin/certificates/issue")
    assert ok.status_code == 303
    refused = post_form(client, "/admin/certificates/issue", {"mediator_id": str(ineligible), "grade": "junior"},
                        form_page="/admin/certificates/issue")
    assert refused.status_code == 400 and "考试" in refused.text


def test_batch_preview_confirm_and_zip_download_for_a_sitting(client, run, records):
    a, b, c = run(new_mediator("甲")), run(new_mediator("乙")), run(new_mediator("丙"))
    records.qualify(a)
    records.qualify(b)
    records.sittings[5] = ("junior", [a, b, c])
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    preview = client.get("/admin/certificates/batch?sitting_id=5")
    assert preview.status_code == 200 and "丙" in preview.text
    answer = post_form(client, "/admin/certificates/batch", {"sitting_id": "5"}, form_page="/admin/certificates/issue")
    assert answer.status_code == 303
    zipped = client.get("/admin/certificates/sitting/5/zip")
    assert zipped.status_code == 200 and zipped.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
    assert len(names) == 4 and all(n.endswith((".png", ".pdf")) for n in names)


def test_holder_page_lists_own_certificates_with_downloads(client, run):
    user = run(make_user("holder", Role.MEDIATOR, "350504"))
    mine = run(new_mediator("持证人", user_id=user))
    own = run(issuing.issue_certificate_unchecked(mine, "junior"))
    login(client, "holder")
    page = client.get("/my/certificates")
    assert page.status_code == 200 and own.certificate_no in page.text and "document.pdf" in page.text
    assert client.get(f"/my/certificates/{own.certificate_no}/document.pdf").status_code == 200


def test_daily_sweep_expires_and_reminds_and_a_second_run_changes_nothing(client, run):
    from core.jobs import run_job

    user = run(make_user("holder", Role.MEDIATOR, "350504"))
    soon = run(new_mediator("将到期", user_id=user))
    run(issuing.issue_certificate_unchecked(soon, "junior",
                                        issued_on=rules.add_years(clock.today(), -3) + timedelta(days=20)))
    _issue(run, "已过期", issued_on=rules.add_years(clock.today(), -3) - timedelta(days=5))
    first = run(run_job("daily_sweep", "test"))
    details = first.details
    assert details["certification.1_expire"]["changes"] == 1
    assert details["certification.2_reminders"]["changes"] == 1
    second = run(run_job("daily_sweep", "test"))
    assert second.details["certification.1_expire"]["changes"] == 0
    assert second.details["certification.2_reminders"]["changes"] == 0


ROUTES = {
    "/admin/certificates": {Role.ADMIN, Role.AUDITOR},
    "/admin/certificates/issue": {Role.ADMIN},
    "/admin/certificates/export/csv": {Role.ADMIN, Role.AUDITOR},
    "/my/certificates": {Role.MEDIATOR},
    "/api/v1/certificates": {Role.ADMIN, Role.AUDITOR, Role.COURT, Role.MEDIATOR},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("path", list(ROUTES))
def test_role_route_matrix(client, run, role, path):
    run(make_user("someone", role, "350500"))
    if path.startswith("/api/"):
        answer = client.get(path, headers=api_token(client, "someone"))
    else:
        login(client, "someone")
        answer = client.get(path, follow_redirects=False)
    assert answer.status_code == (200 if role in ROUTES[path] else 403), (role, path)


@pytest.mark.parametrize("role", list(Role))
def test_lifecycle_api_is_for_administrators_only(client, run, role):
    row = _issue(run)
    run(make_user("someone", role, "350500"))
    headers = api_token(client, "someone")
    answer = client.post(f"/api/v1/certificates/{row.certificate_no}/suspend", json={"reason": "investigation"},
                         headers=headers)
    assert answer.status_code == (200 if role == Role.ADMIN else 403)


@pytest.mark.parametrize("path", ["/verify", "/api/v1/verify/AAAAAAAAAAAAAAAAAAAAAA"])
def test_verification_is_public(client, path):
    assert client.get(path).status_code in (200, 404)


def test_certificate_routes_are_in_the_openapi_schema(client):
    paths = client.get("/schema/openapi.json").json()["paths"]
    for path in ("/api/v1/certificates", "/api/v1/certificates/{certificate_no}/revoke",
                 "/api/v1/certificates/{certificate_no}/suspend", "/api/v1/certificates/{certificate_no}/reinstate",
                 "/api/v1/certificates/{certificate_no}/image.png", "/api/v1/certificates/{certificate_no}/document.pdf",
                 "/api/v1/verify/{token}"):
        assert path in paths


def test_province_administrator_saves_a_new_layout_version_and_bad_layouts_are_refused(client, run):
    run(make_user("prov", Role.ADMIN, "350000"))
    login(client, "prov")
    assert client.get("/admin/certificates/layouts").status_code == 200
    bad = post_form(client, "/admin/certificates/layouts", {"spec": '{"nonsense": 1}'},
                    form_page="/admin/certificates/layouts")
    assert bad.status_code == 400
    broken = post_form(client, "/admin/certificates/layouts", {"spec": "not json"},
                       form_page="/admin/certificates/layouts")
    assert broken.status_code == 400
    good = post_form(client, "/admin/certificates/layouts",
                     {"spec": '{"title": {"y": 300, "size": 64, "text": "调解员证"}}', "note": "shorter"},
                     form_page="/admin/certificates/layouts")
    assert good.status_code == 303
    preview = client.get("/admin/certificates/layouts/2/preview.png")
    assert preview.status_code == 200 and preview.content.startswith(b"\x89PNG")


def test_city_administrator_cannot_change_the_layout(client, run):
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    answer = post_form(client, "/admin/certificates/layouts", {"spec": '{"title": {"y": 1, "size": 9, "text": "x"}}'},
                       form_page="/admin/certificates/layouts")
    assert answer.status_code == 403
