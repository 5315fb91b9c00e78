"""Dynamic review rules (DOMAIN.md "Dynamic roster review")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core import clock
from core.auth.roles import Grant, Principal, Role
from core.errors import Conflict, DomainError, FieldErrors, Forbidden
from core.settings import get_settings
from roster import public
from roster import services as roster
from roster.review import appeals, appraisal, exits, records
from roster.review.appraisal import Figures
from roster.review.tables import Appraisal, ExitNotice

RULES = get_settings().rules
ADMIN = Principal(user_id=None, username="admin", grants=(Grant(Role.ADMIN, "350000"),))
GOOD = Figures(cases=12, closed=12, agreements=10, satisfaction=4.8, training_hours=30, required_hours=24,
               certificate_valid=True)


def test_two_substantiated_complaints_grade_incompetent():
    assert appraisal.grade(Figures(substantiated_complaints=2, training_hours=30, certificate_valid=True), RULES) == (
        "incompetent", "incompetent_complaints")


def test_training_hours_below_24_grade_basically_competent():
    figures = Figures(cases=12, closed=12, agreements=12, satisfaction=5, training_hours=23.5, certificate_valid=True)
    assert appraisal.grade(figures, RULES) == ("basic", "basic_hours")


def test_no_valid_certificate_grades_basically_competent():
    assert appraisal.grade(Figures(training_hours=30, certificate_valid=False), RULES)[1] == "basic_certificate"


def test_low_agreement_rate_over_enough_cases_grades_basically_competent():
    figures = Figures(cases=6, closed=6, agreements=2, training_hours=30, certificate_valid=True)
    assert appraisal.grade(figures, RULES) == ("basic", "basic_agreement")
    few = Figures(cases=4, closed=4, agreements=0, training_hours=30, certificate_valid=True)
    assert appraisal.grade(few, RULES) == ("competent", "competent")


def test_excellent_needs_cases_agreement_satisfaction_hours_and_certificate():
    assert appraisal.grade(GOOD, RULES) == ("excellent", "excellent")
    assert appraisal.grade(Figures(**{**GOOD.__dict__, "cases": 9, "closed": 9, "agreements": 9}), RULES)[0] == "competent"


def test_excellent_is_capped_at_20_percent_of_a_region_by_rank():
    candidates = {"350500": [(1, 900.0), (2, 950.0), (3, 800.0)]}
    assert appraisal.apply_cap(candidates, 0.2, {"350500": 10}) == {2, 1}
    assert appraisal.apply_cap(candidates, 0.2, {"350500": 5}) == {2}
    assert appraisal.apply_cap(candidates, 0.2, {"350500": 4}) == set()


# Each grade's case: figures by hand, the grade and rule they earn, and the rule's words as shown
# beside the grade (Chinese, the default, and English).
RULE_CASES = [
    (Figures(substantiated_complaints=2, training_hours=30, certificate_valid=True),
     "incompetent", "incompetent_complaints", "年度内经查实的投诉达2件及以上：不称职",
     "2 or more substantiated complaints in the year: 不称职"),
    (Figures(**{**GOOD.__dict__, "substantiated_complaints": 1}),
     "basic", "basic_complaint", "年度内有经查实的投诉：基本称职", "A substantiated complaint in the year: 基本称职"),
    (Figures(**{**GOOD.__dict__, "training_hours": 23.5}),
     "basic", "basic_hours", "培训学时未达到年度要求：基本称职", "Training hours below the yearly requirement: 基本称职"),
    (Figures(**{**GOOD.__dict__, "certificate_valid": False}),
     "basic", "basic_certificate", "未持有有效证书：基本称职", "No valid certificate: 基本称职"),
    (Figures(cases=6, closed=6, agreements=2, satisfaction=4.0, training_hours=30, certificate_valid=True),
     "basic", "basic_agreement", "结案不少于5件且调解成功率低于40%：基本称职",
     "Agreement rate below 40% over at least 5 closed cases: 基本称职"),
    (Figures(cases=6, closed=6, agreements=5, satisfaction=2.5, training_hours=30, certificate_valid=True),
     "basic", "basic_satisfaction", "回访满意度平均低于3.0：基本称职", "Mean follow-up satisfaction below 3.0: 基本称职"),
    (GOOD, "excellent", "excellent",
     "调解案件不少于10件、成功率不低于70%、满意度不低于4.5、无查实投诉、学时达标且持有有效证书：优秀",
     "At least 10 cases, agreement rate 70% or more, satisfaction 4.5 or more, no substantiated complaint, hours met "
     "and a valid certificate: 优秀"),
    (Figures(cases=8, closed=8, agreements=8, satisfaction=5, training_hours=30, certificate_valid=True),
     "competent", "competent", "不属于以上任何情形：称职", "None of the rules above applied: 称职"),
]


@pytest.mark.parametrize(("figures", "expected_grade", "rule", "chinese", "english"), RULE_CASES,
                         ids=[case[2] for case in RULE_CASES])
def test_every_grade_shows_the_rule_that_decided_it(figures, expected_grade, rule, chinese, english):
    from core.i18n import current_language

    assert appraisal.grade(figures, RULES) == (expected_grade, rule)
    assert appraisal.rule_text(rule, RULES) == chinese
    token = current_language.set("en")
    try:
        assert appraisal.rule_text(rule, RULES) == english
    finally:
        current_language.reset(token)


def test_every_grade_shows_the_rule_that_decided_it_including_the_cap():
    """A second 优秀 of a 5-mediator region is ranked outside the 20% cap: 称职 by the cap rule."""
    assert appraisal.apply_cap({"350504": [(1, 950.0), (2, 900.0)]}, 0.2, {"350504": 5}) == {1}
    assert appraisal.rule_text("excellent_capped", RULES) == "符合优秀条件，但排名在本地区20%比例之外：称职"
    assert {case[2] for case in RULE_CASES} | {"excellent_capped"} == set(appraisal.RULE_TEXT)


def _mediators(run, n: int, region: str = "350504", appointed_on: date = date(2024, 1, 1)) -> list[int]:
    """Mediators of one organisation, members since their appointment (cases count only inside a membership)."""
    org = run(roster.create_organisation_record(name="调解中心", region_code=region))
    return [run(roster.create_mediator_record(name=f"调解员{i}", region_code=region, appointed_on=appointed_on,
                                              organisation_id=org)) for i in range(n)]


def _cases(run, mediator_id: int, year: int, count: int, agreements: int, satisfaction: int = 5) -> None:
    from roster.review.tables import MediationCase

    organisation_id = run(roster.mediator_summary(mediator_id)).organisation_id
    rows = [MediationCase(mediator_id=mediator_id, region_code="350504", dispute_type="wage_arrears",
                          organisation_id=organisation_id, received_on=date(year, 3, 1), closed_on=date(year, 3, 10),
                          outcome="agreement" if i < agreements else "no_agreement", satisfaction=satisfaction)
            for i in range(count)]
    run(MediationCase.insert(*rows))


def test_appraisal_is_a_draft_until_confirmed_and_rerunning_changes_nothing(run):
    ids = _mediators(run, 3)
    year = clock.today().year - 1
    _cases(run, ids[0], year, 12, 11)
    first = run(appraisal.run_appraisal(year, "350504", ADMIN))
    assert first.status == "draft" and first.changes == 3
    assert run(appraisal.run_appraisal(year, "350504", ADMIN)).changes == 0
    assert run(appraisal.confirmed_grades(ids, year)) == {}
    rows = run(Appraisal.select().where(Appraisal.mediator_id == ids[0]).output(load_json=True))
    assert rows[0]["figures"]["cases"] == 12 and rows[0]["figures"]["agreements"] == 11
    run(appraisal.confirm_appraisal(ADMIN, first.run_id))
    assert set(run(appraisal.confirmed_grades(ids, year))) == set(ids)
    assert run(appraisal.run_appraisal(year, "350504", ADMIN, recompute=True)).changes == 0
    with pytest.raises(Conflict):
        run(appraisal.confirm_appraisal(ADMIN, first.run_id))


def test_graded_incompetent_once_gives_an_exit_notice_open_to_appeal_for_15_days(run):
    ids = _mediators(run, 1)
    year = clock.today().year - 1
    from roster.review.tables import Complaint

    for _ in range(2):
        run(Complaint.insert(Complaint(mediator_id=ids[0], region_code="350504", received_on=date(year, 5, 1),
                                       substantiated=True, finding="属实")))
    result = run(appraisal.run_appraisal(year, "350504", ADMIN))
    run(appraisal.confirm_appraisal(ADMIN, result.run_id))
    notices = run(ExitNotice.select().where(ExitNotice.mediator_id == ids[0]))
    assert [n["ground"] for n in notices if n["ground"] == "incompetent"] == ["incompetent"]
    notice = [n for n in notices if n["ground"] == "incompetent"][0]
    assert notice["appeal_deadline"] == notice["issued_on"] + timedelta(days=RULES.appeal_window_days)
    assert run(exits.evaluate_exit_grounds("350504")) == 0  # no duplicate notices


def test_appeal_within_15_days_then_upheld_exit_leaves_the_roster(run):
    from core.auth.services import link_grant
    from tests.helpers import make_user

    user = run(make_user("med", Role.MEDIATOR, "350504"))
    mediator_id = run(roster.create_mediator_record(name="申诉人", region_code="350504", user_id=user))
    run(link_grant(user, Role.MEDIATOR, mediator_id=mediator_id))
    from roster.publication import publish

    run(publish(ADMIN, "350000"))  # on the published roster until the exit is upheld
    assert [m.name for m in run(public.public_mediators(q="申诉人"))[0]] == ["申诉人"]
    run(records.record_finding(ADMIN, mediator_id, {"found_on": clock.today().isoformat(), "ground": "bribery",
                                                    "sanction": "removal", "description": "收受当事人财物"}))
    assert run(exits.evaluate_exit_grounds("350504")) == 1
    notice = run(ExitNotice.select().where(ExitNotice.mediator_id == mediator_id).first())
    me = Principal(user_id=user, username="med", grants=(Grant(Role.MEDIATOR, "350504", mediator_id=mediator_id),))
    other = Principal(user_id=user + 1, username="x", grants=(Grant(Role.MEDIATOR, "350504", mediator_id=mediator_id + 99),))
    with pytest.raises(Forbidden):
        run(appeals.appeal(other, notice["id"], "我不同意这个决定的理由如下"))
    with pytest.raises(Conflict):
        run(appeals.appeal(me, notice["id"], "我不同意这个决定的理由如下", today=notice["appeal_deadline"] + timedelta(days=1)))
    run(appeals.appeal(me, notice["id"], "我不同意这个决定的理由如下"))
    with pytest.raises(DomainError):
        run(exits.decide(ADMIN, notice["id"], True, ""))
    run(exits.decide(ADMIN, notice["id"], True, "经复核，申诉理由不成立"))
    assert run(roster.mediator_summary(mediator_id)).status == "exited"
    items, _total = run(public.public_mediators(q="申诉人"))
    assert items == []


def test_withdrawn_notice_keeps_the_mediator(run):
    ids = _mediators(run, 1, appointed_on=clock.today())
    run(records.record_finding(ADMIN, ids[0], {"found_on": clock.today().isoformat(), "ground": "partiality"}))
    run(exits.evaluate_exit_grounds("350504"))
    notice = run(ExitNotice.select().where(ExitNotice.mediator_id == ids[0]).first())
    with pytest.raises(Conflict):  # still inside the appeal window
        run(exits.decide(ADMIN, notice["id"], True, "维持"))
    run(exits.decide(ADMIN, notice["id"], False, "经核查，记录有误"))
    assert run(roster.mediator_summary(ids[0])).status == "appointed"


def test_open_notices_past_the_appeal_window_are_flagged_lapsed_not_carried_out(run):
    ids = _mediators(run, 1, appointed_on=clock.today())
    run(records.record_finding(ADMIN, ids[0], {"found_on": clock.today().isoformat(), "ground": "bribery"}))
    run(exits.evaluate_exit_grounds("350504"))
    later = clock.today() + timedelta(days=RULES.appeal_window_days + 1)
    assert run(exits.mark_lapsed_appeal_windows(later)) == 1
    assert run(exits.mark_lapsed_appeal_windows(later)) == 0
    assert run(roster.mediator_summary(ids[0])).status == "appointed"


def test_term_ended_without_reappointment_is_an_exit_ground(run):
    mediator_id = run(roster.create_mediator_record(name="届满", region_code="350504", appointed_on=date(2020, 1, 1)))
    grounds = {g for m, _r, g, _f in run(exits.find_grounds("350504")) if m == mediator_id}
    assert "term_ended" in grounds


def test_no_case_and_no_training_hours_in_2_consecutive_years_is_an_exit_ground(run):
    idle, busy = _mediators(run, 2, appointed_on=date(2023, 6, 1))
    _cases(run, busy, clock.today().year - 1, 1, 1)
    found = {(m, g) for m, _r, g, _f in run(exits.find_grounds("350504"))}
    assert (idle, "inactive") in found and (busy, "inactive") not in found


def test_case_import_reports_every_bad_row_by_number_and_stores_nothing(run):
    ids = _mediators(run, 1)
    roster_no = run(roster.mediator_summary(ids[0])).roster_no
    future = (clock.today() + timedelta(days=5)).isoformat()
    content = "\n".join([
        ",".join(records.CASE_COLUMNS),
        f"{roster_no},A1,wage_arrears,2025-01-02,2025-01-10,agreement,5",
        f"{roster_no},A2,unknown_type,2025-01-02,,,",
        "NOPE,A3,wage_arrears,2025-01-02,,,",
        f"{roster_no},A4,severance,{future},,,",
        f"{roster_no},A5,severance,2025-01-02,2025-01-05,agreement,7",
    ]).encode()
    report = run(records.import_cases(ADMIN, "cases.csv", content))
    assert report.imported == 0 and {(r, c) for r, c, _m in report.errors} == {
        (3, "dispute_type"), (4, "roster_no"), (5, "received_on"), (6, "satisfaction")}
    from roster.review.tables import MediationCase

    assert run(MediationCase.count()) == 0
    partial = run(records.import_cases(ADMIN, "cases.csv", content, good_rows_only=True))
    assert partial.imported == 1 and run(MediationCase.count()) == 1


def test_case_with_satisfaction_outside_1_to_5_is_refused():
    with pytest.raises(FieldErrors) as bad:
        records.validate_case({"dispute_type": "wage_arrears", "received_on": "2025-01-01", "satisfaction": "0"})
    assert "satisfaction" in bad.value.errors
