"""Review through HTTP: appraisal pages, exit notices and appeal, records import, reports,
the cases API, and the role × route matrix."""

from __future__ import annotations

from datetime import date

import pytest

from core import clock
from core.auth.roles import Grant, Principal, Role
from roster import services as roster
from roster.review import exits, records
from roster.review.tables import ExitNotice
from tests.helpers import api_token, login, make_user, post_form

ADMIN = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))


def test_administrator_runs_and_confirms_an_appraisal_and_sees_the_rule(client, run):
    for n in range(3):
        run(roster.create_mediator_record(name=f"调解员{n}", region_code="350504"))
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    year = clock.today().year - 1
    answer = post_form(client, "/admin/review/", {"year": str(year), "region_code": "350500"}, form_page="/admin/review/")
    assert answer.status_code == 303
    page = client.get(answer.headers["location"])
    assert "草稿" in page.text and "培训学时未达到年度要求" in page.text  # the rule beside the grade
    confirmed = post_form(client, answer.headers["location"] + "/confirm", {}, form_page=answer.headers["location"])
    assert confirmed.status_code == 303 and "已确认" in client.get(answer.headers["location"]).text


def test_appraisal_form_reports_a_bad_year_next_to_the_field(client, run):
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    answer = post_form(client, "/admin/review/", {"year": "abc", "region_code": "350500"}, form_page="/admin/review/")
    assert answer.status_code == 400 and 'id="e-year"' in answer.text


def test_mediator_appeals_an_exit_notice_from_their_page(client, run):
    user = run(make_user("med", Role.MEDIATOR, "350504"))
    mediator_id = run(roster.create_mediator_record(name="申诉人", region_code="350504", user_id=user,
                                                    appointed_on=clock.today()))
    run(records.record_finding(ADMIN, mediator_id, {"found_on": clock.today().isoformat(), "ground": "bribery"}))
    run(exits.evaluate_exit_grounds("350504"))
    notice = run(ExitNotice.select().where(ExitNotice.mediator_id == mediator_id).first())
    login(client, "med")
    assert "收受" in client.get("/my/review/").text or "违纪" in client.get("/my/review/").text
    short = post_form(client, f"/my/review/notices/{notice['id']}/appeal", {"reasons": "不同意"}, form_page="/my/review/")
    assert short.status_code == 400 and 'id="e-reasons"' in short.text
    ok = post_form(client, f"/my/review/notices/{notice['id']}/appeal", {"reasons": "本人从未收受任何礼品，请求复核"},
                   form_page="/my/review/")
    assert ok.status_code == 303
    assert run(ExitNotice.select().where(ExitNotice.id == notice["id"]).first())["status"] == "appealed"


def test_org_manager_imports_cases_and_sees_bad_rows_by_number(client, run):
    org = run(roster.create_organisation_record(name="组织", region_code="350504"))
    mediator_id = run(roster.create_mediator_record(name="甲", region_code="350504", organisation_id=org,
                                                    appointed_on=date(2024, 1, 1)))
    roster_no = run(roster.mediator_summary(mediator_id)).roster_no
    run(make_user("mgr", Role.ORG_MANAGER, "350504", organisation_id=org))
    login(client, "mgr")
    content = (",".join(records.CASE_COLUMNS) + f"\n{roster_no},A1,wage_arrears,2025-01-02,2025-01-09,agreement,5\n"
               f"{roster_no},A2,wage_arrears,2025-01-02,,,9\n").encode()
    from tests.helpers import csrf_token

    token = csrf_token(client, "/review/records/")
    answer = client.post("/review/records/import", data={"_csrf_token": token},
                         files={"file": ("cases.csv", content, "text/csv")})
    assert answer.status_code == 400 and "<td>3</td><td>satisfaction</td>" in answer.text


def test_cases_api_records_a_case_for_an_administrator(client, run):
    org = run(roster.create_organisation_record(name="组织", region_code="350504"))
    mediator_id = run(roster.create_mediator_record(name="甲", region_code="350504", organisation_id=org,
                                                    appointed_on=date(2024, 1, 1)))
    run(make_user("qz", Role.ADMIN, "350500"))
    headers = api_token(client, "qz")
    answer = client.post("/api/v1/review/cases", headers=headers, json={
        "mediator_id": mediator_id, "dispute_type": "severance", "received_on": "2025-02-01"})
    assert answer.status_code == 201
    bad = client.post("/api/v1/review/cases", headers=headers, json={
        "mediator_id": mediator_id, "dispute_type": "severance", "received_on": "2025-02-01", "satisfaction": 6})
    assert bad.status_code == 400 and bad.json()["field"] == "satisfaction"


def test_reports_show_tables_charts_and_download_csv(client, run):
    run(roster.create_mediator_record(name="甲", region_code="350504", source_category="arbitrator"))
    run(make_user("prov", Role.ADMIN, "350000"))
    login(client, "prov")
    page = client.get("/admin/reports/", params={"region": "350000"})
    assert page.status_code == 200 and "<svg" in page.text and "泉州市" in page.text
    csv_file = client.get("/admin/reports/mediators_by_source/csv", params={"region": "350500"})
    assert "仲裁员,1" in csv_file.content.decode("utf-8-sig")
    run(make_user("xm", Role.ADMIN, "350200"))
    login(client, "xm")
    assert client.get("/admin/reports/", params={"region": "350500"}).status_code == 403


ROUTES = {
    "/admin/review/": {Role.ADMIN, Role.AUDITOR},
    "/admin/review/exits": {Role.ADMIN, Role.AUDITOR},
    "/review/records/": {Role.ADMIN, Role.ORG_MANAGER},
    "/admin/reports/": {Role.ADMIN, Role.AUDITOR},
    "/my/review/": set(Role),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("path", list(ROUTES))
def test_review_role_route_matrix(client, run, role, path):
    run(make_user("someone", role, "350500"))
    login(client, "someone")
    assert client.get(path, follow_redirects=False).status_code == (200 if role in ROUTES[path] else 403)
