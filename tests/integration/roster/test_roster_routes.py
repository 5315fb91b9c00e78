"""Roster through HTTP: public pages and API without personal data, exports, staff pages
with region checks, forms with field errors, the role × route matrix."""

from __future__ import annotations

import csv
import io

import pytest

from core import clock
from core.auth.roles import Grant, Principal, Role
from roster import filings
from roster import services as roster
from tests.helpers import login, make_user, post_form
from tests.unit.roster.test_roster_rules import id_number

ADMIN = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))


def seed(run) -> dict[str, int]:
    org = run(roster.create_organisation_record(name="洛江区调解中心", region_code="350504"))
    xm_org = run(roster.create_organisation_record(name="厦门调解中心", region_code="350203"))
    appointed = run(roster.create_mediator_record(name="林晓梅", region_code="350504", organisation_id=org,
                                                  id_number=id_number(1)))
    run(roster.create_mediator_record(name="王建国", region_code="350203", organisation_id=xm_org, id_number=id_number(2)))
    exited = run(roster.create_mediator_record(name="退出者", region_code="350504", status="exited",
                                               id_number=id_number(3)))
    return {"org": org, "xm_org": xm_org, "appointed": appointed, "exited": exited}


def publish(run, region: str = "350000") -> int:
    """The public roster shows what an administrator published (名册公布)."""
    from roster.publication import publish as publish_roster

    return run(publish_roster(ADMIN, region))


def test_public_roster_api_lists_appointed_mediators_without_personal_data(client, run):
    seed(run)
    publish(run)
    body = client.get("/api/v1/roster/mediators", params={"region": "350500"}).json()
    assert body["total"] == 1 and body["page"] == 1 and body["page_size"] == 20
    item = body["items"][0]
    assert {"roster_no", "name", "organisation", "region", "source_category", "grade", "status"} <= set(item)
    assert item["name"] == "林晓梅" and item["organisation"] == "洛江区调解中心" and item["region"] == "350504"
    assert id_number(1) not in str(body) and id_number(1)[:6] + "*" not in str(body)
    everyone = client.get("/api/v1/roster/mediators").json()
    assert everyone["total"] == 2 and "退出者" not in str(everyone)  # exited mediators leave the roster
    assert client.get("/api/v1/roster/mediators", params={"q": "王"}).json()["total"] == 1
    assert client.get("/api/v1/roster/mediators", params={"status": "exited"}).json()["total"] == 0


def test_public_roster_api_paginates(client, run):
    org = run(roster.create_organisation_record(name="组织", region_code="350504"))
    for n in range(5):
        run(roster.create_mediator_record(name=f"调解员{n}", region_code="350504", organisation_id=org))
    publish(run)
    page2 = client.get("/api/v1/roster/mediators", params={"page": 2, "page_size": 2}).json()
    assert page2["total"] == 5 and len(page2["items"]) == 2 and page2["page"] == 2


def test_public_organisations_api_lists_filed_organisations(client, run):
    seed(run)
    run(roster.create_organisation_record(name="未备案组织", region_code="350504", filing_status="draft"))
    publish(run)
    body = client.get("/api/v1/roster/organisations", params={"region": "350504"}).json()
    assert [o["name"] for o in body["items"]] == ["洛江区调解中心"] and body["items"][0]["mediators"] == 1


def test_public_roster_page_and_exports_in_csv_and_xlsx(client, run):
    seed(run)
    publish(run)
    page = client.get("/roster/")
    assert page.status_code == 200 and "林晓梅" in page.text and id_number(1) not in page.text
    exported = client.get("/roster/export/mediators/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "名册编号" and {r[1] for r in rows[1:]} == {"林晓梅", "王建国"}
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get("/roster/export/organisations/xlsx").content))
    assert [c.value for c in book.active[2]][1] in ("洛江区调解中心", "厦门调解中心")
    assert client.get("/roster/export/people/csv").status_code == 404


def test_staff_see_personal_data_masked_and_reveal_it_with_a_reason(client, run):
    ids = seed(run)
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    page = client.get(f"/admin/mediators/{ids['appointed']}").text
    assert id_number(1) not in page and id_number(1)[:6] in page
    refused = post_form(client, f"/admin/mediators/{ids['appointed']}/reveal", {"reason": ""},
                        form_page=f"/admin/mediators/{ids['appointed']}")
    assert refused.status_code == 400 and id_number(1) not in refused.text
    shown = post_form(client, f"/admin/mediators/{ids['appointed']}/reveal", {"reason": "核对身份"},
                      form_page=f"/admin/mediators/{ids['appointed']}")
    assert shown.status_code == 200 and id_number(1) in shown.text and shown.headers["cache-control"] == "no-store"


def test_administrator_cannot_open_another_regions_mediator(client, run):
    ids = seed(run)
    run(make_user("xm", Role.ADMIN, "350200"))
    login(client, "xm")
    assert client.get(f"/admin/mediators/{ids['appointed']}").status_code == 403
    listing = client.get("/admin/mediators/").text
    assert "王建国" in listing and "林晓梅" not in listing


def test_mediator_form_shows_errors_next_to_fields(client, run):
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    answer = post_form(client, "/admin/mediators/", {"name": "", "id_number": "350504198001010000",
                                                     "source_category": "lawyer", "region_code": "350504"},
                       form_page="/admin/mediators/")
    assert answer.status_code == 400
    assert 'id="e-name"' in answer.text and 'id="e-id_number"' in answer.text
    assert "350504198001010000" not in answer.text  # the ID number is not echoed back


def test_status_change_through_the_page_records_the_ground(client, run):
    ids = seed(run)
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    answer = post_form(client, f"/admin/mediators/{ids['appointed']}/status", {"status": "suspended", "ground": "投诉调查"},
                       form_page=f"/admin/mediators/{ids['appointed']}")
    assert answer.status_code == 303
    assert run(roster.mediator_summary(ids["appointed"])).status == "suspended"
    assert "投诉调查" in client.get(f"/admin/mediators/{ids['appointed']}").text


def test_org_manager_files_a_change_and_sees_it_marked_late(client, run):
    ids = seed(run)
    run(make_user("mgr", Role.ORG_MANAGER, "350504", organisation_id=ids["org"]))
    login(client, "mgr")
    page = f"/admin/organisations/{ids['org']}"
    assert post_form(client, f"{page}/changes", {"description": "成员变更", "changed_on": "2020-01-01"},
                     form_page=page).status_code == 303
    filing = [f for f in run(filings.filings(ids["org"])) if f.kind == "change"][0]
    post_form(client, f"{page}/filings/{filing.id}/submit", {}, form_page=page)
    assert "逾期" in client.get(page).text or "Late" in client.get(page).text
    assert client.get(f"/admin/organisations/{ids['xm_org']}").status_code == 403


def test_objection_can_be_lodged_publicly_during_notice(client, run):
    from roster import applications, public_notice, recruitment

    call_id = run(recruitment.open_call(ADMIN, {"title": "选聘", "region_code": "350500",
                                                "opens_on": clock.today().isoformat(),
                                                "closes_on": clock.today().isoformat()}))
    app_id = run(applications.apply_to_call(ADMIN, call_id, {
        "name": "候选人", "id_number": id_number(9), "phone": "13900000000", "source_category": "lawyer",
        "region_code": "350504"}))
    run(applications.review_application(ADMIN, app_id, accept=True))
    notice = client.get("/roster/notice")
    assert "候选人" in notice.text and id_number(9) not in notice.text and "13900000000" not in notice.text
    bad = post_form(client, f"/roster/notice/{app_id}/objection", {"lodged_by": "", "text": "短"}, form_page="/roster/notice")
    assert bad.status_code == 400 and 'id="e-text"' in bad.text
    ok = post_form(client, f"/roster/notice/{app_id}/objection", {"lodged_by": "某公司", "text": "候选人与我司存在利害关系"},
                   form_page="/roster/notice")
    assert ok.status_code == 303 and len(run(public_notice.objections(app_id))) == 1


ROUTES = {
    "/admin/organisations/": {Role.ADMIN, Role.ORG_MANAGER, Role.AUDITOR},
    "/admin/mediators/": {Role.ADMIN, Role.ORG_MANAGER, Role.AUDITOR},
    "/admin/recruitment/": {Role.ADMIN},
    "/admin/roster/publish/": {Role.ADMIN},
    "/my/roster/": set(Role),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("path", list(ROUTES))
def test_roster_role_route_matrix(client, run, role, path):
    run(make_user("someone", role, "350500"))
    login(client, "someone")
    assert client.get(path, follow_redirects=False).status_code == (200 if role in ROUTES[path] else 403)


@pytest.mark.parametrize("path", ["/roster/", "/roster/organisations", "/roster/notice", "/roster/calls/",
                                  "/roster/publications", "/api/v1/roster/mediators", "/api/v1/roster/organisations",
                                  "/api/v1/roster/publications"])
def test_public_roster_routes_need_no_sign_in(client, path):
    assert client.get(path).status_code == 200


def test_administrators_work_list_shows_what_waits_in_their_region_only(client, run):
    from roster.tables import OrganisationFiling

    org = run(roster.create_organisation_record(name="待备案组织", region_code="350504", filing_status="draft"))
    run(filings.submit_initial_filing(ADMIN, org))
    assert run(OrganisationFiling.count()) == 1
    run(make_user("qz", Role.ADMIN, "350500"))
    run(make_user("xm", Role.ADMIN, "350200"))
    login(client, "qz")
    assert "待备案组织" in client.get("/admin/worklist/").text
    login(client, "xm")
    assert "待备案组织" not in client.get("/admin/worklist/").text
