"""Beijing time on the roster's pages and API (issue 14): at night, when the server's UTC date is
still 4 December, everything done is dated 5 December, the platform's date. The `night` fixture
freezes the clock at 23:30 UTC and at 00:30 Beijing time; every expected date is stated by hand."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from core.auth.roles import Role
from roster import recruitment
from roster import services as roster
from roster.tables import Application, Mediator, OrganisationFiling
from tests.helpers import csrf_token, login, make_user, post_form
from tests.integration.roster.test_roster_routes import ADMIN, seed
from tests.unit.roster.test_application_documents import PDF
from tests.unit.roster.test_roster_rules import id_number

DAY = date(2026, 12, 5)  # the platform's date at both moments (UTC's is 4 December)
# The publication's wall-clock time in Beijing at each frozen moment.
BEIJING_TIME = {datetime(2026, 12, 4, 23, 30, tzinfo=UTC): "2026-12-05 07:30",
                datetime(2026, 12, 4, 16, 30, tzinfo=UTC): "2026-12-05 00:30"}


def _last_published(text: str) -> list[str]:
    return re.findall(r"最近公布日期：(\d{4}-\d\d-\d\d)", text)


def test_the_roster_and_the_publications_page_date_a_night_publication_alike(client, run, night):
    seed(run)
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    answer = post_form(client, "/admin/roster/publish/", {"region": "350500", "note": "第四季度"},
                       form_page="/admin/roster/publish/")
    assert answer.status_code == 303
    publication_id = int(answer.headers["location"].rsplit("/", 1)[1])

    assert _last_published(client.get("/roster/mediators", params={"region": "350500"}).text) == ["2026-12-05"]
    assert _last_published(client.get("/roster/organisations", params={"region": "350500"}).text) == ["2026-12-05"]
    assert _last_published(client.get("/admin/roster/publish/", params={"region": "350500"}).text) == ["2026-12-05"]
    listing = client.get("/roster/publications").text
    assert f'<a href="/roster/publications/{publication_id}">{BEIJING_TIME[night]}</a>' in listing
    snapshot = client.get(f"/roster/publications/{publication_id}").text
    assert "于2026-12-05公布的名册" in snapshot and "2026-12-04" not in snapshot

    api = client.get("/api/v1/roster/mediators", params={"region": "350500"}).json()
    assert api["published_on"] == "2026-12-05"
    history = client.get("/api/v1/roster/publications").json()["items"]
    assert history[0]["published_at"] == BEIJING_TIME[night].replace(" ", "T") + ":00+08:00"
    exported = client.get("/roster/export/mediators/csv", params={"region": "350500"})
    assert "2026-12-05" in exported.headers["content-disposition"]


def test_a_change_dated_today_is_filed_at_night(client, run, night):
    ids = seed(run)
    run(make_user("mgr", Role.ORG_MANAGER, "350504", organisation_id=ids["org"]))
    login(client, "mgr")
    page = f"/admin/organisations/{ids['org']}"
    dated = post_form(client, f"{page}/changes", {"description": "负责人变更", "changed_on": "2026-12-05"},
                      form_page=page)
    assert dated.status_code == 303  # not "the change cannot be in the future"
    undated = post_form(client, f"{page}/changes", {"description": "成员变更"}, form_page=page)
    assert undated.status_code == 303
    changes = run(OrganisationFiling.select().where(OrganisationFiling.description.is_in(["负责人变更", "成员变更"])))
    assert [c["changed_on"] for c in changes] == [DAY, DAY]


def test_an_appointment_at_night_runs_from_the_platforms_date(client, run, night):
    applicant = run(roster.create_mediator_record(name="候任者", region_code="350504", status="applicant",
                                                  id_number=id_number(4)))
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    answer = post_form(client, f"/admin/mediators/{applicant}/status", {"status": "appointed", "ground": "选聘"},
                       form_page=f"/admin/mediators/{applicant}")
    assert answer.status_code == 303
    row = run(Mediator.select(Mediator.appointed_on, Mediator.term_ends_on).where(Mediator.id == applicant).first())
    assert row == {"appointed_on": DAY, "term_ends_on": date(2029, 12, 5)}  # a 3-year term


def test_a_call_opening_today_takes_applications_at_night_and_its_notice_starts_today(client, run, night):
    call_id = run(recruitment.open_call(ADMIN, {"title": "泉州市调解员选聘", "region_code": "350500",
                                                "opens_on": "2026-12-05", "closes_on": "2026-12-05"}))
    run(make_user("citizen", None))
    login(client, "citizen")
    assert "2026-12-05" in client.get("/roster/calls/").text  # listed as open today
    token = csrf_token(client, f"/roster/calls/{call_id}")
    applied = client.post(f"/roster/calls/{call_id}/apply", data={
        "name": "申请人", "gender": "female", "id_number": id_number(5), "phone": "13905950000",
        "source_category": "lawyer", "education": "bachelor", "years_experience": "6", "region_code": "350504",
        "_csrf_token": token}, files=[("documents", ("执业证.pdf", PDF, "application/pdf"))], follow_redirects=False)
    assert applied.status_code == 303 and applied.headers["location"] == "/my/applications"
    assert "2026-12-05 提交" in client.get("/my/applications/").text
    application = run(Application.select().where(Application.name == "申请人").first())

    client.cookies.clear()
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    reviewed = post_form(client, f"/admin/recruitment/{call_id}/applications/{application['id']}/review",
                         {"decision": "accept"}, form_page=f"/admin/recruitment/{call_id}")
    assert reviewed.status_code == 303
    on_notice = run(Application.select().where(Application.id == application["id"]).first())
    # Saturday 5 December; five working days: Monday 7 to Friday 11 December
    assert (on_notice["notice_starts_on"], on_notice["notice_ends_on"]) == (DAY, date(2026, 12, 11))
