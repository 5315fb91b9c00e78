"""The public call page of a call closed early says it was closed on that day and why, and
offers no application form; the administrator's page edits a call before its first application
and answers a refusal naming the field. The clock is frozen at 10:00 in Beijing on 5 December 2026."""

from __future__ import annotations

from datetime import datetime

import pytest

from core import clock
from core.auth.roles import Role
from tests.helpers import login, make_user, post_form

AT = datetime.fromisoformat("2026-12-05T10:00:00+08:00")
CALL = {"title": "2027年调解员选聘", "region_code": "350500", "opens_on": "2026-12-01", "closes_on": "2026-12-31",
        "quota": "3"}


@pytest.fixture
def frozen():
    with clock.frozen(AT) as at:
        yield at


def test_the_public_page_of_a_call_closed_early_shows_the_day_and_the_reason(client, run, frozen):
    from roster import recruitment

    run(make_user("qzadmin", Role.ADMIN, "350500"))
    login(client, "qzadmin")
    page = "/admin/recruitment/"
    opened = post_form(client, page, CALL, form_page=page)
    assert opened.status_code in (302, 303)
    call_id = int(opened.headers["location"].rstrip("/").rsplit("/", 1)[1])
    detail = f"/admin/recruitment/{call_id}"
    assert f'action="/admin/recruitment/{call_id}/edit"' in client.get(detail).text
    refused = post_form(client, f"{detail}/edit", {**CALL, "closes_on": "2026-11-01"}, form_page=detail)
    assert refused.status_code == 400 and 'id="e-closes_on"' in refused.text
    saved = post_form(client, f"{detail}/edit", {**CALL, "title": "2027年选聘（更正）"}, form_page=detail)
    assert saved.status_code in (302, 303)
    assert run(recruitment.call(call_id)).title == "2027年选聘（更正）"
    no_reason = post_form(client, f"{detail}/close", {"closed_reason": ""}, form_page=detail)
    assert no_reason.status_code == 400 and 'id="e-closed_reason"' in no_reason.text
    closed = post_form(client, f"{detail}/close", {"closed_reason": "名额已满，提前结束"}, form_page=detail)
    assert closed.status_code in (302, 303)

    public = client.get(f"/roster/calls/{call_id}").text
    assert "名额已满，提前结束" in public and "2026-12-05" in public
    assert f'action="/roster/calls/{call_id}/apply"' not in public
    assert f"/roster/calls/{call_id}\"" not in client.get("/roster/calls/").text
