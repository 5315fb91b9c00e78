"""Roster rules from DOMAIN.md "Roster", run against the real database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core import clock
from core.auth.roles import Grant, Principal, Role
from core.errors import Conflict, DomainError, FieldErrors
from roster import (
    applications,
    filings,
    mediators,
    memberships,
    organisations,
    personal,
    public,
    public_notice,
    recruitment,
    standing,
)
from roster import services as roster
from roster.tables import Organisation

VALID_ID = "11010519491231002X"  # the GB 11643 standard's own example


def admin(region: str = "350000", user_id: int = 1) -> Principal:
    return Principal(user_id=user_id, username=f"admin{region}", grants=(Grant(Role.ADMIN, region),))


def manager(organisation_id: int) -> Principal:
    return Principal(user_id=2, username="org", grants=(Grant(Role.ORG_MANAGER, "350504", organisation_id=organisation_id),))


def id_number(seed: int) -> str:
    first17 = f"35050419{80 + seed % 20:02d}0101{seed % 1000:03d}"
    return first17 + personal.id_check_digit(first17)


ORG = {"name": "洛江区劳动争议调解中心", "type": "township", "region_code": "350504", "founded_on": "2020-01-01"}


def mediator_form(seed: int, **extra) -> dict:
    return {"name": f"调解员{seed}", "gender": "female", "source_category": "lawyer", "employment": "part_time",
            "region_code": "350504", "id_number": id_number(seed), "phone": "13800000000", **extra}


def test_id_number_is_validated_with_the_gb_11643_check_digit():
    assert personal.normalise_id_number(VALID_ID.lower()) == VALID_ID
    with pytest.raises(DomainError) as bad:
        personal.normalise_id_number(VALID_ID[:-1] + "1")
    assert bad.value.field == "id_number" and VALID_ID not in bad.value.message
    with pytest.raises(DomainError):
        personal.normalise_id_number("12345")


def test_phone_is_validated_and_masked():
    assert personal.normalise_phone("138 0013 8000") == "13800138000"
    assert personal.normalise_phone("0595-22345678") == "0595-22345678"
    with pytest.raises(DomainError):
        personal.normalise_phone("12345")
    assert personal.mask_phone("13800138000") == "138****8000"


def test_id_number_is_shown_masked_first_6_and_last_4():
    assert personal.mask_id_number(VALID_ID) == "110105********002X"


def filed_organisation(run) -> int:
    org_id = run(organisations.create_organisation(admin(), ORG))
    run(filings.submit_initial_filing(admin(), org_id))
    run(filings.decide_filing(admin(), run(filings.filings(org_id))[0].id, accept=True))
    return org_id


def test_star_rating_is_1_to_5_with_date_and_deciding_body(run):
    org_id = filed_organisation(run)
    with pytest.raises(FieldErrors) as bad:
        run(standing.set_standing(admin(), org_id, {"star_rating": "6", "star_rated_on": "2026-01-01"}))
    assert {"star_rating", "star_body"} <= set(bad.value.errors)
    run(standing.set_standing(admin(), org_id, {"star_rating": "5", "star_rated_on": "2026-01-01", "star_body": "省人社厅",
                                              "gold_medal": "on", "gold_medal_on": "2026-02-01",
                                              "gold_medal_body": "省人社厅"}))
    org = run(Organisation.select().where(Organisation.id == org_id).first())
    assert org["star_rating"] == 5 and org["gold_medal"] is True


def test_mediator_may_belong_to_several_organisations_with_one_primary(run):
    first, second = filed_organisation(run), run(organisations.create_organisation(admin(), {**ORG, "name": "第二组织"}))
    mediator_id = run(mediators.register_mediator(admin(), mediator_form(6), organisation_id=first))
    run(memberships.propose_membership(admin(), mediator_id, second, primary=True))
    summary = run(roster.mediator_summary(mediator_id))
    assert summary.organisation_id == second
    run(memberships.end_membership(admin(), mediator_id, second))
    assert run(roster.mediator_summary(mediator_id)).organisation_id in (first, None)


def test_public_roster_shows_appointed_mediators_and_never_personal_data(run):
    org_id = filed_organisation(run)
    shown = run(mediators.register_mediator(admin(), mediator_form(8), organisation_id=org_id))
    hidden = run(mediators.register_mediator(admin(), mediator_form(9), organisation_id=org_id))
    run(mediators.set_status(admin(), shown, "appointed", "选聘"))
    assert run(public.public_mediators(region="350500"))[1] == 0  # not until the roster is published
    from roster.publication import publish

    run(publish(admin(), "350500"))
    items, total = run(public.public_mediators(region="350500"))
    assert total == 1 and items[0].name == "调解员8" and items[0].organisation == ORG["name"]
    assert id_number(8) not in str(items) and "138" not in str(items)
    run(mediators.set_status(admin(), hidden, "exited", "未通过审查"))
    assert run(public.public_mediators(q="调解员9"))[1] == 0


def test_recruitment_notice_lasts_5_working_days_then_candidate_is_appointed(run):
    """Accepted on Thursday 12 February 2026, just before the Spring Festival (15–23 February off;
    Saturdays 14 and 28 February worked, 国务院办公厅关于2026年部分节假日安排的通知): Fri 13 (1),
    Sat 14 (2), Tue 24 (3), Wed 25 (4), Thu 26 (5)."""
    with clock.frozen(datetime.fromisoformat("2026-02-12T10:00:00+08:00")):
        call_id = run(recruitment.open_call(admin(), {"title": "2026年调解员选聘", "region_code": "350500",
                                                      "opens_on": "2026-02-01", "closes_on": "2026-03-31",
                                                      "source_categories": "lawyer", "quota": "1"}))
        from tests.helpers import make_user

        applicant = Principal(user_id=run(make_user("applicant", None)), username="applicant", grants=())
        app_id = run(applications.apply_to_call(applicant, call_id, mediator_form(20)))
        with pytest.raises(DomainError):
            run(applications.review_application(admin(), app_id, accept=False, reasons=""))
        run(applications.review_application(admin(), app_id, accept=True))
        application = run(applications.applications(call_id))[0]
        assert (application.notice_starts_on, application.notice_ends_on) == (date(2026, 2, 12),
                                                                                    date(2026, 2, 26))
        with pytest.raises(Conflict):  # still on notice
            run(applications.appoint_candidate(admin(), app_id))
        objection = run(public_notice.lodge_objection(app_id, "群众", "该候选人曾有违规调解行为"))
        with pytest.raises(Conflict):  # undecided objection
            run(applications.appoint_candidate(admin(), app_id, on=date(2026, 2, 27)))
        run(public_notice.decide_objection(admin(), objection, uphold=False, finding="经核查不属实"))
        with pytest.raises(Conflict):  # the notice's last day
            run(applications.appoint_candidate(admin(), app_id, on=date(2026, 2, 26)))
        mediator_id = run(applications.appoint_candidate(admin(), app_id, on=date(2026, 2, 27)))
    assert run(roster.mediator_summary(mediator_id)).status == "appointed"
    assert run(roster.mediator_for_user(applicant.user_id)).id == mediator_id  # the account now acts as mediator


def test_upheld_objection_stops_the_appointment(run):
    call_id = run(recruitment.open_call(admin(), {"title": "选聘", "region_code": "350500",
                                                  "opens_on": clock.today().isoformat(),
                                                  "closes_on": clock.today().isoformat()}))
    app_id = run(applications.apply_to_call(admin(), call_id, mediator_form(21)))
    run(applications.review_application(admin(), app_id, accept=True))
    objection = run(public_notice.lodge_objection(app_id, "某公司", "候选人与本公司存在利害关系"))
    run(public_notice.decide_objection(admin(), objection, uphold=True, finding="属实"))
    with pytest.raises(Conflict):
        run(applications.appoint_candidate(admin(), app_id, on=clock.today() + timedelta(days=10)))


def test_application_outside_the_calls_requirements_lists_what_is_unmet():
    unmet = recruitment.unmet_requirements({"source_categories": ["lawyer"], "min_education": "bachelor",
                                            "min_years": 5},
                                           {"source_category": "other", "education": "associate",
                                            "years_experience": 2})
    assert len(unmet) == 3
