"""Joining an organisation takes the mediator's consent (issue 13 "Trust I", finding 1): a
proposed membership grants nothing; case records need a membership on the case's dates; the
appraisal counts only those."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core import clock
from core.auth.roles import Grant, Principal, Role
from core.errors import Conflict, FieldErrors, Forbidden
from roster import mediators, memberships
from roster import services as roster
from roster.review import appraisal, records
from roster.review.tables import Appraisal, MediationCase
from roster.tables import Membership, MembershipProposal, OrganisationFiling

YEAR = clock.today().year - 1


def admin(region: str, user_id: int | None = None) -> Principal:
    return Principal(user_id=user_id, username=f"admin{region}", grants=(Grant(Role.ADMIN, region),))


def manager(organisation_id: int, user_id: int | None = None) -> Principal:
    return Principal(user_id=user_id, username="org", grants=(
        Grant(Role.ORG_MANAGER, "350504", organisation_id=organisation_id),))


def person(mediator_id: int, region: str, user_id: int | None = None) -> Principal:
    return Principal(user_id=user_id, username="me", grants=(Grant(Role.MEDIATOR, region, mediator_id=mediator_id),))


def _setting(run):
    """A Luojiang centre with a member, and a Xiamen mediator of a Xiamen organisation."""
    luojiang = run(roster.create_organisation_record(name="洛江区调解中心", region_code="350504"))
    xiamen_org = run(roster.create_organisation_record(name="思明区调解中心", region_code="350203"))
    own = run(roster.create_mediator_record(name="本组织", region_code="350504", organisation_id=luojiang,
                                            appointed_on=date(2024, 1, 1)))
    xiamen = run(roster.create_mediator_record(name="厦门甲", region_code="350203", organisation_id=xiamen_org,
                                               appointed_on=date(2024, 1, 1)))
    return luojiang, xiamen_org, own, xiamen


CASE = {"dispute_type": "wage_arrears", "received_on": clock.today().isoformat(), "outcome": "no_agreement",
        "closed_on": clock.today().isoformat(), "satisfaction": "1"}


def test_a_proposed_membership_gives_the_organisation_no_access_until_the_mediator_agrees(run):
    luojiang, _xiamen_org, _own, xiamen = _setting(run)
    org1 = manager(luojiang)
    proposal = run(memberships.propose_membership(org1, xiamen, luojiang))
    assert proposal.state == "proposed"
    assert run(Membership.count().where(Membership.organisation == luojiang)) == 1  # only its own member
    with pytest.raises(Forbidden):
        run(mediators.mediator_record(org1, xiamen))
    with pytest.raises(FieldErrors) as refused:
        run(records.record_case(org1, xiamen, CASE))
    assert set(refused.value.errors) == {"mediator_id"}
    rows, _total = run(mediators.mediators_in_scope(org1))
    assert xiamen not in {r.id for r in rows}
    assert run(roster.mediator_summary(xiamen)).organisation_name == "思明区调解中心"
    with pytest.raises(Forbidden):  # the proposer cannot accept their own proposal
        run(memberships.accept_membership(org1, proposal.id))

    run(memberships.accept_membership(person(xiamen, "350203"), proposal.id))
    assert run(mediators.mediator_record(org1, xiamen)).name == "厦门甲"
    case_id = run(records.record_case(org1, xiamen, CASE))
    assert run(MediationCase.select().where(MediationCase.id == case_id).first())["organisation_id"] == luojiang


def test_an_administrator_of_the_organisations_region_only_cannot_accept_for_a_mediator_elsewhere(run):
    xiamen_org = run(roster.create_organisation_record(name="思明区调解中心", region_code="350203"))
    quanzhou = run(roster.create_mediator_record(name="泉州乙", region_code="350504", appointed_on=date(2024, 1, 1)))
    proposal = run(memberships.propose_membership(admin("350200"), quanzhou, xiamen_org))
    assert proposal.state == "proposed"
    with pytest.raises(Forbidden):
        run(memberships.accept_membership(admin("350200"), proposal.id))
    assert run(roster.mediator_summary(quanzhou)).organisation_id is None
    run(memberships.accept_membership(admin("350500"), proposal.id))  # Quanzhou covers the mediator
    assert run(roster.mediator_summary(quanzhou)).organisation_id == xiamen_org
    with pytest.raises(Conflict):
        run(memberships.accept_membership(person(quanzhou, "350504"), proposal.id))  # answered once only
    filing = run(OrganisationFiling.select().where(OrganisationFiling.organisation == xiamen_org).first())
    assert filing["kind"] == "change" and filing["status"] == "pending" and filing["changed_on"] == clock.today()


def test_an_administrator_of_both_regions_adds_a_member_at_once_as_a_change_to_file(run):
    luojiang, _xiamen_org, _own, _xiamen = _setting(run)
    newcomer = run(roster.create_mediator_record(name="丙", region_code="350504"))
    proposal = run(memberships.propose_membership(admin("350500"), newcomer, luojiang))
    assert proposal.state == "accepted"
    assert run(roster.mediator_summary(newcomer)).organisation_id == luojiang
    assert run(OrganisationFiling.count().where(OrganisationFiling.organisation == luojiang)) == 1


def test_declined_and_withdrawn_proposals_grant_nothing_and_are_audited(run):
    from core.tables import AuditRecord

    luojiang, _xiamen_org, _own, xiamen = _setting(run)
    org1 = manager(luojiang)
    first = run(memberships.propose_membership(org1, xiamen, luojiang))
    with pytest.raises(Conflict):  # one open proposal per mediator and organisation
        run(memberships.propose_membership(org1, xiamen, luojiang))
    run(memberships.decline_membership(person(xiamen, "350203"), first.id))
    second = run(memberships.propose_membership(org1, xiamen, luojiang))
    with pytest.raises(Forbidden):
        run(memberships.withdraw_membership(manager(luojiang + 99), second.id))
    run(memberships.withdraw_membership(org1, second.id))
    with pytest.raises(Conflict):
        run(memberships.accept_membership(person(xiamen, "350203"), second.id))
    states = [r["state"] for r in run(MembershipProposal.select().order_by(MembershipProposal.id))]
    assert states == ["declined", "withdrawn"]
    with pytest.raises(Forbidden):
        run(mediators.mediator_record(org1, xiamen))
    actions = [r["action"] for r in run(AuditRecord.select(AuditRecord.action).where(
        AuditRecord.action.like("%_membership")).order_by(AuditRecord.id))]
    assert actions == ["propose_membership", "decline_membership", "propose_membership", "withdraw_membership"]


def test_a_proposal_tells_the_mediator_and_the_administrators_who_may_accept_it(run):
    from core.tables import Notification
    from tests.helpers import make_user

    luojiang = run(roster.create_organisation_record(name="洛江区调解中心", region_code="350504"))
    mediator_user = run(make_user("xmmed", Role.MEDIATOR, "350203"))
    xiamen = run(roster.create_mediator_record(name="厦门甲", region_code="350203", user_id=mediator_user))
    xiamen_admin = run(make_user("xm", Role.ADMIN, "350200"))
    province = run(make_user("prov", Role.ADMIN, "350000"))
    run(make_user("qz", Role.ADMIN, "350500"))  # covers the organisation, not the mediator: not told
    run(memberships.propose_membership(manager(luojiang), xiamen, luojiang))
    told = {r["user_id"] for r in run(Notification.select(Notification.user_id).where(
        Notification.kind == "membership"))}
    assert told == {mediator_user, xiamen_admin, province}


def test_a_case_is_refused_naming_the_date_on_which_the_mediator_was_not_a_member(run):
    luojiang, _xiamen_org, own, _xiamen = _setting(run)
    run(memberships.end_membership(manager(luojiang), own, luojiang))  # left today: still a member today
    before = {**CASE, "received_on": "2023-12-31", "closed_on": "2024-01-05"}
    with pytest.raises(FieldErrors) as early:
        run(records.record_case(manager(luojiang), own, before))
    assert set(early.value.errors) == {"received_on"}
    assert run(records.record_case(manager(luojiang), own, CASE))  # on the day it ended
    tomorrow_close = {**CASE, "received_on": (clock.today() - timedelta(days=3)).isoformat()}
    assert run(records.record_case(admin("350504"), own, tomorrow_close))


def test_an_administrator_records_a_case_for_an_organisation_the_mediator_belonged_to(run):
    luojiang, xiamen_org, own, _xiamen = _setting(run)
    with pytest.raises(FieldErrors) as wrong:
        run(records.record_case(admin("350504"), own, {**CASE, "organisation_id": str(xiamen_org)}))
    assert set(wrong.value.errors) == {"mediator_id"}
    case_id = run(records.record_case(admin("350504"), own, CASE))
    assert run(MediationCase.select().where(MediationCase.id == case_id).first())["organisation_id"] == luojiang
    loner = run(roster.create_mediator_record(name="无组织", region_code="350504"))
    with pytest.raises(FieldErrors) as none:
        run(records.record_case(admin("350504"), loner, CASE))
    assert set(none.value.errors) == {"mediator_id"}


def test_import_refuses_by_row_number_the_cases_of_a_mediator_who_was_not_a_member_on_their_dates(run):
    luojiang, _xiamen_org, own, xiamen = _setting(run)
    run(memberships.propose_membership(manager(luojiang), xiamen, luojiang))  # proposed, not in effect
    own_no, xiamen_no = run(roster.mediator_summary(own)).roster_no, run(roster.mediator_summary(xiamen)).roster_no
    content = "\n".join([
        ",".join(records.CASE_COLUMNS),
        f"{own_no},A1,wage_arrears,2025-01-02,2025-01-10,agreement,5",
        f"{xiamen_no},A2,wage_arrears,2025-01-02,2025-01-10,no_agreement,1",
        f"{own_no},A3,wage_arrears,2023-06-01,2023-06-10,agreement,5",
    ]).encode()
    report = run(records.import_cases(manager(luojiang), "cases.csv", content, good_rows_only=True))
    assert [(r, c) for r, c, _m in report.errors] == [(3, "roster_no"), (4, "received_on")]
    stored = run(MediationCase.select(MediationCase.case_ref, MediationCase.organisation_id))
    assert stored == [{"case_ref": "A1", "organisation_id": luojiang}]


def _grade(run, mediator_id: int) -> tuple[str, dict]:
    run(appraisal.run_appraisal(YEAR, "350504", admin("350000"), recompute=True))
    row = run(Appraisal.select().where(Appraisal.mediator_id == mediator_id).output(load_json=True).first())
    return row["grade"], row["figures"]


def test_a_fake_case_from_an_organisation_never_joined_does_not_change_the_appraisal(run):
    from certification.services import issue_certificate_unchecked
    from training.tables import HoursCredit

    luojiang = run(roster.create_organisation_record(name="洛江区调解中心", region_code="350504"))
    other = run(roster.create_organisation_record(name="他人组织", region_code="350504"))
    mediator = run(roster.create_mediator_record(name="甲", region_code="350504", organisation_id=luojiang,
                                                 appointed_on=date(YEAR - 1, 1, 1), joined_on=date(YEAR, 4, 1)))
    run(HoursCredit.insert(HoursCredit(mediator_id=mediator, year=YEAR, course_id=1, pair_key=f"{mediator}:1",
                                       hours=30, credited_on=date(YEAR, 6, 1))))
    run(issue_certificate_unchecked(mediator, "junior", issued_on=date(YEAR - 1, 3, 1)))
    real = [MediationCase(mediator_id=mediator, organisation_id=luojiang, region_code="350504",
                          dispute_type="wage_arrears", received_on=date(YEAR, 5, 1), closed_on=date(YEAR, 5, 9),
                          outcome="agreement", satisfaction=5) for _ in range(6)]
    run(MediationCase.insert(*real))
    before = _grade(run, mediator)
    assert before[0] == "competent" and before[1]["cases"] == 6 and before[1]["satisfaction"] == 5.0
    # twelve records as they could be made before the fix, each of which would count towards a
    # 1/3 agreement rate (基本称职): by an organisation never joined, with no organisation, and by
    # the real one before the mediator joined it
    fakes = [MediationCase(mediator_id=mediator, organisation_id=organisation_id, region_code="350504",
                           dispute_type="wage_arrears", received_on=received, closed_on=received,
                           outcome="no_agreement", satisfaction=1)
             for organisation_id, received in ((other, date(YEAR, 5, 1)), (None, date(YEAR, 5, 2)),
                                               (luojiang, date(YEAR, 3, 31))) for _ in range(4)]
    run(MediationCase.insert(*fakes))
    assert _grade(run, mediator) == before


def test_an_application_elsewhere_does_not_hand_an_exited_mediators_record_to_another_region(run):
    """A cousin: the application (and the organisation it names) is made by whoever applies and
    names its own region; re-entering an existing record needs authority over that record."""
    from roster import applications, recruitment
    from tests.unit.roster.test_roster_rules import mediator_form

    xm_org = run(roster.create_organisation_record(name="思明区调解中心", region_code="350203"))
    form = mediator_form(40)
    exited = run(roster.create_mediator_record(name=form["name"], region_code="350504", status="exited",
                                               id_number=form["id_number"]))
    call_id = run(recruitment.open_call(admin("350200"), {
        "title": "厦门选聘", "region_code": "350200", "opens_on": clock.today().isoformat(),
        "closes_on": (clock.today() + timedelta(days=30)).isoformat(), "quota": "1"}))
    app_id = run(applications.apply_to_call(Principal(username="window"), call_id,
                                           {**form, "region_code": "350203", "organisation_id": str(xm_org)}))
    run(applications.review_application(admin("350200"), app_id, accept=True))
    ends = run(applications.applications(call_id))[0].notice_ends_on
    with pytest.raises(Forbidden):
        run(applications.appoint_candidate(admin("350200"), app_id, on=ends + timedelta(days=1)))
    assert run(roster.mediator_summary(exited)).status == "exited"
    assert run(Membership.count().where(Membership.mediator == exited)) == 0
