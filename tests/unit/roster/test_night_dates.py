"""Beijing time in the roster's rules (issue 14): every `_on` date the roster decides is the
platform's calendar date, also between 00:00 and 08:00 Beijing time when the server's UTC date is
the day before. The `night` fixture freezes the clock at 23:30 UTC and at 00:30 Beijing time (both
5 December 2026 in Beijing, 4 December in UTC); the expected dates are stated by hand."""

from __future__ import annotations

from datetime import date, timedelta

from core.auth.roles import Grant, Principal, Role
from core.settings import get_settings
from core.tables import Notification
from roster import applications, filings, mediators, memberships, organisations, publication, recruitment
from roster import services as roster
from roster.tables import Membership, OrganisationFiling
from tests.helpers import make_user
from tests.unit.roster.test_roster_rules import id_number

DAY = date(2026, 12, 5)
ADMIN = Principal(user_id=None, username="admin", grants=(Grant(Role.ADMIN, "350000"),))


def test_an_organisation_founded_today_files_and_is_numbered_on_the_platforms_date(run, night):
    org = run(organisations.create_organisation(ADMIN, {"name": "洛江区调解中心", "type": "township",
                                                 "region_code": "350504", "founded_on": "2026-12-05"}))
    filing_id = run(filings.submit_initial_filing(ADMIN, org))
    run(filings.decide_filing(ADMIN, filing_id, accept=True))
    filing = run(OrganisationFiling.select().where(OrganisationFiling.id == filing_id).first())
    assert (filing["changed_on"], filing["submitted_on"], filing["decided_on"]) == (DAY, DAY, DAY)
    assert filing["filing_no"] == "350504-2026-0001"


def test_a_membership_joined_and_ended_at_night_is_dated_the_platforms_day(run, night):
    org = run(roster.create_organisation_record(name="洛江区调解中心", region_code="350504"))
    other = run(roster.create_organisation_record(name="洛江区第二调解中心", region_code="350504"))
    mediator = run(roster.create_mediator_record(name="林晓梅", region_code="350504", organisation_id=org,
                                                 id_number=id_number(1)))
    first = run(Membership.select().where(Membership.mediator == mediator).first())
    assert first["joined_on"] == DAY
    proposal = run(memberships.propose_membership(ADMIN, mediator, other))  # the accepting authority: at once
    assert proposal.state == "accepted"
    run(memberships.end_membership(ADMIN, mediator, org))
    rows = {r["organisation"]: r for r in run(Membership.select().where(Membership.mediator == mediator))}
    assert rows[other]["joined_on"] == DAY and rows[org]["left_on"] == DAY
    filed = run(OrganisationFiling.select(OrganisationFiling.changed_on).where(OrganisationFiling.kind == "change"))
    assert {f["changed_on"] for f in filed} == {DAY}


def test_an_appointment_made_at_night_is_dated_today_and_renewed_from_its_term(run, night):
    mediator = run(roster.create_mediator_record(name="林晓梅", region_code="350504", id_number=id_number(2)))
    summary = run(roster.mediator_summary(mediator))
    assert (summary.appointed_on, summary.term_ends_on) == (DAY, date(2029, 12, 5))
    assert summary.roster_no.startswith("3505042026")
    assert run(mediators.renew_appointment(ADMIN, mediator)) == date(2032, 12, 5)


def test_an_application_submitted_at_night_shows_todays_date_to_its_applicant(run, night):
    user = run(make_user("citizen", None))
    citizen = Principal(user_id=user, username="citizen", grants=())
    call = run(recruitment.open_call(ADMIN, {"title": "选聘", "region_code": "350500",
                                             "opens_on": "2026-12-05", "closes_on": "2026-12-05"}))
    run(applications.apply_to_call(citizen, call, {"name": "申请人", "id_number": id_number(3), "phone": "13900000000",
                                                  "source_category": "lawyer", "region_code": "350504"}))
    mine = run(applications.my_applications(user))
    assert [a.submitted_on for a in mine] == [DAY]


def test_the_publication_reminder_names_the_day_the_roster_was_published_in_beijing(run, night):
    run(roster.create_organisation_record(name="洛江区调解中心", region_code="350504"))
    run(make_user("qz", Role.ADMIN, "350500"))
    run(publication.publish(ADMIN, "350500"))
    run(roster.create_mediator_record(name="新聘调解员", region_code="350504", id_number=id_number(4)))
    days = get_settings().rules.publication_reminder_days
    assert run(publication.remind_unpublished(at=night + timedelta(days=days + 1))) == 1
    note = run(Notification.select().where(Notification.kind == "roster_publication").first())
    assert "自2026-12-05最近一次公布以来" in note["body"]
    assert run(publication.preview_publication("350500")).last_published_on == DAY
