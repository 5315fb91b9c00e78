"""The expert pool's dates are the platform's calendar dates (Beijing), not the server's UTC
date: terms, listings, acceptance and the 15-day case clock, outcomes "today", strike and
answer windows that close at Beijing's midnight, refusals counted from Beijing's day, a year's
selections, the 12-month rotation and the 2-year look-back. `night` freezes the clock where
Beijing's date (Saturday 5 December 2026) is a day ahead of UTC's; other moments are frozen
here by hand. December 2026 has no public holiday or make-up working day in China."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core import clock
from core.errors import Conflict, DomainError
from expert_pool import court_experts, court_selections, experts, invited_list, selection_steps, services
from expert_pool.tables import Expert, InvitedListing
from tests.unit.expert_pool.world import ADMIN, COURT, case, expert_user, new_expert


def at(moment: str):
    return clock.frozen(datetime.fromisoformat(moment))


def _accepted(run, expert_id: int, accepted_on: date) -> None:
    """A past case the expert accepted on `accepted_on` and closed with an agreement."""
    other_parties = {"employers": [{"name": "厦门某电子有限公司"}], "workers": [{"name": "李四"}]}
    created = run(court_selections.create_selection(COURT, case(count=5, **other_parties), on=accepted_on))
    run(selection_steps.confirm(COURT, created.id, designate=expert_id, on=accepted_on))
    run(selection_steps.answer(COURT, created.id, True, on=accepted_on))
    run(selection_steps.record_outcome(COURT, created.id, "agreement", on=accepted_on))


def _reasons(considered: list[dict], expert_id: int) -> list[str]:
    return next(c["reasons"] for c in considered if c["expert_id"] == expert_id)


def test_admitted_and_listed_at_night_the_term_and_listing_start_on_beijings_day(run, night):
    expert_id = run(experts.nominate(ADMIN, {"name": "陈律师", "background": "lawyer", "region_code": "350504",
                                              "specialties": ["termination"]}))
    run(experts.admit(ADMIN, expert_id))
    row = run(Expert.select().where(Expert.id == expert_id).first())
    assert (row["term_starts_on"], row["term_ends_on"]) == (date(2026, 12, 5), date(2029, 12, 5))
    run(invited_list.list_invited(ADMIN, expert_id, [1]))
    assert run(InvitedListing.select(InvitedListing.approved_on).first())["approved_on"] == date(2026, 12, 5)


def test_accepted_at_night_the_case_clock_runs_from_beijings_day_and_todays_outcome_is_accepted(run, night):
    new_expert(run, admitted_on=date(2026, 1, 5))
    created = run(court_selections.create_selection(COURT, case()))
    run(selection_steps.confirm(COURT, created.id))
    run(selection_steps.answer(COURT, created.id, True))
    view = run(court_selections.selection_view(COURT, created.id))
    assert view.accepted_on == date(2026, 12, 5) and view.mediation_deadline == date(2026, 12, 20)
    with pytest.raises(DomainError) as future:  # tomorrow in Beijing is not "today"
        run(selection_steps.record_outcome(COURT, created.id, "agreement", on=date(2026, 12, 6)))
    assert future.value.field == "on"
    run(selection_steps.record_outcome(COURT, created.id, "agreement", on=date(2026, 12, 5)))
    assert run(court_selections.selection_view(COURT, created.id)).outcome_on == date(2026, 12, 5)


def test_the_strike_window_closes_at_beijings_midnight(run):
    new_expert(run, admitted_on=date(2026, 1, 5))
    with at("2026-12-07T10:00:00+08:00"):  # Monday: 2 working days → Wednesday 9 December
        created = run(court_selections.create_selection(COURT, case()))
    assert run(court_selections.selection_view(COURT, created.id)).strike_deadline == date(2026, 12, 9)
    with at("2026-12-09T23:30:00+08:00"):  # the last day
        run(selection_steps.strike(COURT, created.id, "worker", created.shortlist[:1], []))
    with at("2026-12-10T00:30:00+08:00"), pytest.raises(Conflict) as closed:  # still the 9th in UTC
        run(selection_steps.strike(COURT, created.id, "employer", created.shortlist[:1], []))
    assert "2026-12-09" in closed.value.message


def test_an_unanswered_invitation_lapses_at_beijings_midnight_after_3_working_days(run):
    first, second = new_expert(run, "甲", admitted_on=date(2026, 1, 5)), new_expert(run, "乙", admitted_on=date(2026, 1, 5))
    with at("2026-12-07T10:00:00+08:00"):  # Monday: 3 working days → Thursday 10 December
        created = run(court_selections.create_selection(COURT, case()))
        run(selection_steps.confirm(COURT, created.id, designate=first))
    assert run(court_selections.selection_view(COURT, created.id)).answer_due == date(2026, 12, 10)
    with at("2026-12-10T23:30:00+08:00"):
        assert run(selection_steps.lapse_unanswered_invitations()) == 0
    with at("2026-12-11T00:30:00+08:00"):  # 10 December 16:30 UTC
        assert run(selection_steps.lapse_unanswered_invitations()) == 1
    assert run(court_selections.selection_view(COURT, created.id)).invited_expert_id == second


def test_a_refusal_at_night_counts_from_beijings_day(run, night):
    expert_id = new_expert(run, admitted_on=date(2026, 1, 5))
    created = run(court_selections.create_selection(COURT, case()))
    run(Expert.update({"mediator_id": 55}).where(Expert.id == expert_id))  # after the draw: no certificate asked
    run(selection_steps.confirm(COURT, created.id))
    run(selection_steps.answer(expert_user(run, expert_id), created.id, False, "不想去"))
    assert run(services.refusals_without_good_reason([55], date(2026, 12, 5))) == {55: 1}
    assert run(services.refusals_without_good_reason([55], date(2026, 12, 6))) == {}


def test_the_12_month_rotation_and_the_2_year_look_back_end_at_beijings_date(run, night):
    rested, busy = new_expert(run, "甲", admitted_on=date(2025, 1, 6)), new_expert(run, "乙", admitted_on=date(2025, 1, 6))
    _accepted(run, rested, date(2025, 12, 4))  # 12 months and a day before 5 December 2026
    _accepted(run, busy, date(2025, 12, 5))  # 12 months before: still within
    cleared = new_expert(run, "丙", admitted_on=date(2025, 1, 6))
    recused = new_expert(run, "丁", admitted_on=date(2025, 1, 6))
    for expert_id, until in ((cleared, "2024-12-04"), (recused, "2024-12-05")):  # the look-back starts 2024-12-05
        run(experts.add_conflict(ADMIN, expert_id, {"kind": "former_employer", "party_name": "泉州某鞋业有限公司",
                                                     "until": until}))
    considered = run(court_selections.create_selection(COURT, case(count=5))).considered
    assert "assignments_12m:0" in _reasons(considered, rested)
    assert "assignments_12m:1" in _reasons(considered, busy)
    assert not any(r.startswith("recusal:") for r in _reasons(considered, cleared))
    assert _reasons(considered, recused)[0].startswith("recusal:employment")


def test_terms_and_absences_that_ended_yesterday_in_beijing_no_longer_count_at_night(run, night):
    ended = new_expert(run, "甲", admitted_on=date(2023, 12, 4))  # term 2023-12-04 → 2026-12-04
    last_day = new_expert(run, "乙", admitted_on=date(2023, 12, 5))  # term ends today, 2026-12-05
    back = new_expert(run, "丙", admitted_on=date(2026, 1, 5))
    run(experts.add_absence(ADMIN, back, date(2026, 11, 20), date(2026, 12, 4)))
    considered = run(court_selections.create_selection(COURT, case(count=5))).considered
    assert "unavailable:outside_term" in _reasons(considered, ended)
    assert not any(r.startswith("unavailable:") for r in _reasons(considered, last_day) + _reasons(considered, back))
    listed, _total = run(court_experts.experts_for_court(COURT, specialty="wage_arrears"))
    assert {e.id: e.available for e in listed} == {ended: False, last_day: True, back: True}
