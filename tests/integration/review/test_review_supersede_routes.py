"""The run's page says which mediators another confirmed run already graded for the year and
offers to supersede those grades with a reason; confirming without it is refused on the page."""

from __future__ import annotations

import html
from datetime import date, datetime

from core import clock
from core.auth.roles import Role
from roster.review import appraisal
from roster.review.tables import Appraisal, AppraisalRun
from tests.helpers import login, make_user, post_form
from tests.unit.review.review_helpers import ADMIN, mediators


def test_run_page_refuses_a_plain_confirmation_over_graded_mediators_and_supersedes_with_a_reason(client, run):
    with clock.frozen(datetime.fromisoformat("2026-01-15T02:00:00+00:00")):
        ids = mediators(run, 2, appointed_on=date(2023, 6, 1))
        province = run(appraisal.run_appraisal(2025, "350000", ADMIN)).run_id
        run(appraisal.confirm_appraisal(ADMIN, province))
        district = run(appraisal.run_appraisal(2025, "350504", ADMIN)).run_id
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    client.cookies.set("lang", "zh_CN")
    page = f"/admin/review/runs/{district}"
    text = html.unescape(client.get(page).text)
    assert f"本次考评中有2名调解员已有编号{province}的考评确认的2025年度等次。" in text
    assert 'name="supersede" value="1"' in text and 'name="reason"' in text

    plain = post_form(client, f"{page}/confirm", {}, form_page=page)
    assert plain.status_code in (302, 303)
    assert "每名调解员每年只有一个考评等次" in html.unescape(client.get(page).text)
    assert run(AppraisalRun.select(AppraisalRun.status).where(AppraisalRun.id == district).first())["status"] == "draft"

    no_reason = post_form(client, f"{page}/confirm", {"supersede": "1", "reason": " "}, form_page=page)
    assert no_reason.status_code in (302, 303)
    assert "请填写取代此前考评等次的理由。" in html.unescape(client.get(page).text)

    done = post_form(client, f"{page}/confirm", {"supersede": "1", "reason": "以区考评为准"}, form_page=page)
    assert done.status_code in (302, 303)
    assert run(AppraisalRun.select(AppraisalRun.status).where(AppraisalRun.id == district).first())["status"] == (
        "confirmed")
    current = run(Appraisal.select(Appraisal.appraisal_run).where(
        Appraisal.mediator_id.is_in(ids) & (Appraisal.confirmed == True)))  # noqa: E712
    assert [r["appraisal_run"] for r in current] == [district, district]
    client.cookies.clear()
    run(make_user("fj", Role.ADMIN, "350000"))  # the province's run is shown to the province's administrators
    login(client, "fj")
    client.cookies.set("lang", "zh_CN")
    earlier = html.unescape(client.get(f"/admin/review/runs/{province}").text)
    assert f"已被编号{district}的考评取代" in earlier
