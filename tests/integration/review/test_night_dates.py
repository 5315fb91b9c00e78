"""Beijing time in the dynamic review (issue 14): a case closed today, a finding made today and an
exit notice issued at night all carry the platform's date (5 December 2026 in Beijing while UTC
is still on the 4th), and the appraisal's "last year" turns over at midnight in Beijing, not at
08:00. Expected dates are stated by hand."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from core import clock
from core.auth.roles import Role
from roster import services as roster
from roster.review import appraisal, records
from roster.review.tables import Appeal, DisciplinaryFinding, ExitNotice, MediationCase
from tests.helpers import api_token, csrf_token, login, make_user, post_form

DAY = date(2026, 12, 5)


def _member(run) -> tuple[int, int, str]:
    org = run(roster.create_organisation_record(name="洛江区调解中心", region_code="350504"))
    mediator = run(roster.create_mediator_record(name="林晓梅", region_code="350504", organisation_id=org,
                                                 appointed_on=date(2024, 1, 1)))
    return org, mediator, run(roster.mediator_summary(mediator)).roster_no


def test_a_case_received_and_closed_today_is_recorded_at_night(client, run, night):
    org, mediator, roster_no = _member(run)
    run(make_user("mgr", Role.ORG_MANAGER, "350504", organisation_id=org))
    today = {"dispute_type": "wage_arrears", "received_on": "2026-12-05", "closed_on": "2026-12-05",
             "outcome": "agreement", "satisfaction": 5}
    api = client.post("/api/v1/review/cases", headers=api_token(client, "mgr"),
                      json={"mediator_id": mediator, "case_ref": "API-1", **today})
    assert api.status_code == 201, api.text  # not "the date cannot be in the future"
    login(client, "mgr")
    form = post_form(client, "/review/records/cases", {"mediator_id": str(mediator), "case_ref": "FORM-1",
                                                       **{k: str(v) for k, v in today.items()}},
                     form_page="/review/records/")
    assert form.status_code == 303
    content = (",".join(records.CASE_COLUMNS) + f"\n{roster_no},CSV-1,wage_arrears,2026-12-05,2026-12-05,agreement,5\n").encode()
    imported = client.post("/review/records/import", data={"_csrf_token": csrf_token(client, "/review/records/")},
                           files={"file": ("cases.csv", content, "text/csv")})
    assert imported.status_code == 200, imported.text
    cases = run(MediationCase.select(MediationCase.case_ref, MediationCase.closed_on).order_by(MediationCase.id))
    assert cases == [{"case_ref": ref, "closed_on": DAY} for ref in ("API-1", "FORM-1", "CSV-1")]


def test_an_exit_notice_issued_at_night_is_dated_today_with_15_days_to_appeal(client, run, night):
    user = run(make_user("med", Role.MEDIATOR, "350504"))
    mediator = run(roster.create_mediator_record(name="申诉人", region_code="350504", user_id=user,
                                                 appointed_on=date(2024, 1, 1)))
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    found = post_form(client, "/review/records/findings", {"mediator_id": str(mediator), "found_on": "2026-12-05",
                                                           "ground": "bribery", "sanction": "removal"},
                      form_page="/review/records/")
    assert found.status_code == 303
    assert run(DisciplinaryFinding.select(DisciplinaryFinding.found_on).first()) == {"found_on": DAY}
    assert post_form(client, "/admin/review/exits/evaluate", {}, form_page="/admin/review/exits").status_code == 303
    notice = run(ExitNotice.select().where(ExitNotice.mediator_id == mediator).first())
    assert (notice["issued_on"], notice["appeal_deadline"]) == (DAY, date(2026, 12, 20))

    client.cookies.clear()
    login(client, "med")
    assert "2026-12-05发出，申诉截止2026-12-20" in client.get("/my/review/").text
    appealed = post_form(client, f"/my/review/notices/{notice['id']}/appeal",
                         {"reasons": "本人从未收受任何礼品，请求复核"}, form_page="/my/review/")
    assert appealed.status_code == 303
    assert run(Appeal.select(Appeal.lodged_on).first()) == {"lodged_on": DAY}


# New Year's night: 1 January 2027 in Beijing, still 31 December 2026 in UTC.
NEW_YEAR_NIGHT = ["2026-12-31T23:30:00+00:00", "2027-01-01T00:30:00+08:00"]


@pytest.mark.parametrize("moment", NEW_YEAR_NIGHT)
def test_the_appraisal_year_turns_over_at_midnight_in_beijing(client, run, moment):
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    with clock.frozen(datetime.fromisoformat(moment)):
        assert run(appraisal.annual_appraisal_job())["year"] == 2026
        runs_page = client.get("/admin/review/").text
        assert re.search(r'name="year" type="number" value="2026"', runs_page)
        assert "泉州市 · 2026</h1>" in client.get("/admin/reports/", params={"region": "350500"}).text

