"""The published roster through HTTP: the publish page (administrators of the region, CSRF,
preview), the public list of publications, earlier snapshots by id with the same filters,
pagination and exports, the API's date last published, and the daily sweep's reminder."""

from __future__ import annotations

import csv
import io
import re

from core import clock
from core.auth.roles import Role
from roster import public
from roster import services as roster
from roster.tables import RosterPublication
from tests.helpers import csrf_token, login, make_user, post_form
from tests.integration.roster.test_roster_routes import ADMIN, publish, seed
from tests.unit.roster.test_roster_rules import id_number


def test_administrator_previews_and_publishes_their_region(client, run):
    seed(run)
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    page = client.get("/admin/roster/publish/")
    assert page.status_code == 200 and "泉州市" in page.text
    rows = re.findall(r"<tr><th scope=\"row\">[^<]+</th><td>(\d+)</td><td>(\d+)</td>", page.text)
    assert rows == [("1", "1"), ("1", "1")]  # one mediator and one organisation in Quanzhou, both new
    answer = post_form(client, "/admin/roster/publish/", {"region": "350500", "note": "第四季度"},
                       form_page="/admin/roster/publish/")
    assert answer.status_code == 303
    publication_id = int(answer.headers["location"].rsplit("/", 1)[1])
    assert run(RosterPublication.select().where(RosterPublication.id == publication_id).first())["note"] == "第四季度"
    body = client.get("/api/v1/roster/mediators").json()
    assert [m["name"] for m in body["items"]] == ["林晓梅"] and body["published_on"]  # Xiamen not published


def test_publishing_needs_the_csrf_token(client, run):
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    client.get("/admin/roster/publish/")
    refused = client.post("/admin/roster/publish/", data={"region": "350500"}, follow_redirects=False)
    assert refused.status_code == 403 and run(RosterPublication.count()) == 0


def test_a_city_administrator_cannot_publish_or_preview_another_city(client, run):
    seed(run)
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    assert client.get("/admin/roster/publish/", params={"region": "350200"}).status_code == 403
    token = csrf_token(client, "/admin/roster/publish/")
    refused = client.post("/admin/roster/publish/", data={"region": "350200", "_csrf_token": token},
                          follow_redirects=False)
    assert refused.status_code == 403 and run(RosterPublication.count()) == 0


def test_publications_are_listed_and_an_earlier_snapshot_stays_viewable(client, run):
    ids = seed(run)
    first = publish(run)
    run(roster.change_mediator_status(ids["appointed"], "exited", ground="本人申请", actor=ADMIN))
    run(roster.create_mediator_record(name="新聘者", region_code="350504", organisation_id=ids["org"]))
    second = publish(run)
    listing = client.get("/roster/publications")
    assert listing.status_code == 200
    assert f"/roster/publications/{first}" in listing.text and f"/roster/publications/{second}" in listing.text
    current = client.get("/roster/mediators").text
    assert "新聘者" in current and "林晓梅" not in current
    earlier = client.get(f"/roster/publications/{first}")
    assert earlier.status_code == 200 and "林晓梅" in earlier.text and "新聘者" not in earlier.text
    assert "撤下" in earlier.text or "Withdrawn" in earlier.text  # the exit is marked on the old snapshot
    filtered = client.get(f"/roster/publications/{first}", params={"region": "350200"}).text
    assert "王建国" in filtered and "林晓梅" not in filtered
    assert client.get(f"/roster/publications/{first}/organisations").status_code == 200
    assert client.get("/roster/publications/9999").status_code == 404
    api = client.get("/api/v1/roster/mediators", params={"publication": first}).json()
    assert api["total"] == 2 and {m["name"] for m in api["items"]} == {"林晓梅", "王建国"}
    assert client.get("/api/v1/roster/mediators", params={"publication": 9999}).status_code == 404
    history = client.get("/api/v1/roster/publications").json()
    assert [p["id"] for p in history["items"]] == [second, first] and history["total"] == 2


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_exports_match_the_filtered_snapshot(client, run):
    ids = seed(run)
    for n in range(4):
        run(roster.create_mediator_record(name=f"陈调解员{n}", region_code="350504", organisation_id=ids["org"]))
    first = publish(run)
    run(roster.create_mediator_record(name="陈后来", region_code="350504", organisation_id=ids["org"]))
    publish(run)
    query = {"region": "350500", "q": "陈"}
    snapshot = client.get(f"/roster/publications/{first}/export/mediators/csv", params=query)
    rows = _csv(snapshot)
    listed, total = run(public.public_mediators(publication_id=first, region="350500", q="陈", limit=100))
    assert [r[1] for r in rows[1:]] == [m.name for m in listed] and total == 4
    assert rows[0][-1] in ("撤下日期", "Withdrawn on")
    current = _csv(client.get("/roster/export/mediators/csv", params=query))
    assert [r[1] for r in current[1:]] == ["陈调解员0", "陈调解员1", "陈调解员2", "陈调解员3", "陈后来"]
    page = client.get("/roster/mediators", params=query).text
    assert all(name in page for name in ("陈调解员0", "陈后来")) and "林晓梅" not in page
    text = snapshot.content.decode("utf-8-sig") + str(current)
    assert id_number(1) not in text and "138" not in text
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get(f"/roster/publications/{first}/export/organisations/xlsx",
                                               params={"region": "350504"}).content))
    assert [c.value for c in book.active[2]][1] == "洛江区调解中心" and book.active.max_row == 2


def test_public_pages_show_the_date_last_published_for_the_filtered_region(client, run):
    seed(run)
    assert "尚未公布" in client.get("/roster/mediators").text or "Not published" in client.get("/roster/mediators").text
    publish(run, "350500")

    today = clock.today().isoformat()
    assert today in client.get("/roster/mediators", params={"region": "350504"}).text
    xiamen = client.get("/roster/mediators", params={"region": "350200"}).text
    assert today not in xiamen  # Xiamen has not been published
    assert client.get("/api/v1/roster/organisations", params={"region": "350200"}).json()["published_on"] is None


def test_the_daily_sweep_reminds_administrators_of_an_unpublished_region_once(client, run):
    from core.jobs import run_job
    from core.tables import Notification

    seed(run)
    run(make_user("qz", Role.ADMIN, "350500"))
    first = run(run_job("daily_sweep", "test"))
    assert first.details["roster.publication_reminders"]["changes"] == 1
    second = run(run_job("daily_sweep", "test"))
    assert second.details["roster.publication_reminders"]["changes"] == 0 and second.changes == 0
    login(client, "qz")
    note = run(Notification.select().where(Notification.kind == "roster_publication").first())
    assert "泉州市" in note["subject"]
    assert "泉州市" in client.get("/notifications/").text
