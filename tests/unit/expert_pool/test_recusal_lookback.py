"""Recusal look-back (DOMAIN.md "Court selection", 特邀调解规定 Art. 15): only working for a
party and mediating for the same parties have a look-back (`Rules.conflict_lookback_years`,
2 years); a representation of a party, a relative's employment by a party, kinship and any
interest are grounds whenever they exist, however long ago they ended. The clock is frozen at
Monday 16 November 2026, 10:00 Beijing; every date is stated by hand."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core import clock
from expert_pool import court_selections, experts, selection, selection_steps
from expert_pool.tables import Expert
from tests.unit.expert_pool.world import ADMIN, COURT, case, new_expert

NOW = "2026-11-16T10:00:00+08:00"
EMPLOYER = "泉州某鞋业有限公司"


@pytest.fixture
def monday():
    with clock.frozen(datetime.fromisoformat(NOW)) as at:
        yield at


def _reasons(created: dict, expert_id: int) -> list[str]:
    return next(c["reasons"] for c in created.considered if c["expert_id"] == expert_id)


def _conflict(run, expert_id: int, kind: str, until: str | None) -> None:
    run(experts.add_conflict(ADMIN, expert_id, {"kind": kind, "party_name": EMPLOYER, "until": until}))


def test_a_representation_that_ended_3_years_ago_still_recuses(run, monday):
    represented, free = new_expert(run, "代理过", admitted_on=date(2026, 1, 5)), new_expert(run, "无关",
                                                                                          admitted_on=date(2026, 1, 5))
    _conflict(run, represented, "represented", "2023-10-31")  # ended 3 years and a fortnight ago
    created = run(court_selections.create_selection(COURT, case()))
    assert created.shortlist == [free]
    assert f"recusal:represented:{EMPLOYER}" in _reasons(created, represented)
    assert run(court_selections.replay(COURT, created.id)).matches is True


def test_a_relatives_employment_that_ended_3_years_ago_still_recuses(run, monday):
    relative = new_expert(run, "亲属曾任职", admitted_on=date(2026, 1, 5))
    _conflict(run, relative, "relative_employer", "2023-10-31")
    created = run(court_selections.create_selection(COURT, case()))
    assert created.shortlist == []
    assert f"recusal:relative:{EMPLOYER}" in _reasons(created, relative)


def test_an_interest_that_ended_10_years_ago_still_recuses():
    expert = {"id": 1, "conflicts": [{"kind": "other", "party_name": EMPLOYER, "credit_code": "", "until": "2016-01-01"}],
              "past_parties": []}
    inputs = {"employers": [{"name": EMPLOYER}], "workers": [], "agents": [],
              "recusal_rules": selection.RECUSAL_RULES}
    assert [r["ground"] for r in selection.recusal_reasons(expert, inputs, date(2026, 11, 16), 2)] == ["interest"]


def test_former_employment_that_ended_3_years_ago_is_no_ground_and_1_year_ago_is(run, monday):
    long_ago, recent = new_expert(run, "三年前离职", admitted_on=date(2026, 1, 5)), new_expert(
        run, "一年前离职", admitted_on=date(2026, 1, 5))
    _conflict(run, long_ago, "former_employer", "2023-10-31")  # more than 2 years before 16 November 2026
    _conflict(run, recent, "former_employer", "2025-11-03")  # 1 year before
    created = run(court_selections.create_selection(COURT, case()))
    assert created.shortlist == [long_ago]
    assert f"recusal:employment:{EMPLOYER}" in _reasons(created, recent)
    assert not any(r.startswith("recusal:") for r in _reasons(created, long_ago))


def test_current_employment_by_a_party_recuses(run, monday):
    employed = new_expert(run, "在职", admitted_on=date(2026, 1, 5))
    _conflict(run, employed, "former_employer", None)  # no end: still employed
    assert f"recusal:employment:{EMPLOYER}" in _reasons(run(court_selections.create_selection(COURT, case())), employed)


def _mediated_for_the_employer(run, expert_id: int, on: date) -> None:
    """A past case for the same employer (another worker) that the expert accepted on `on`."""
    past = run(court_selections.create_selection(COURT, case(count=5, workers=[{"name": "李四"}]), on=on))
    run(selection_steps.confirm(COURT, past.id, designate=expert_id, on=on))
    run(selection_steps.answer(COURT, past.id, True, on=on))
    run(selection_steps.record_outcome(COURT, past.id, "agreement", on=on))


def test_earlier_mediation_for_the_same_party_1_year_ago_recuses_and_3_years_ago_does_not(run, monday):
    one_year, three_years = new_expert(run, "一年前调解"), new_expert(run, "三年前调解")
    run(Expert.update({"term_starts_on": date(2023, 1, 2), "term_ends_on": date(2027, 12, 31)}).where(
        Expert.id.is_in([one_year, three_years])))
    _mediated_for_the_employer(run, three_years, date(2023, 11, 13))
    _mediated_for_the_employer(run, one_year, date(2025, 11, 17))
    created = run(court_selections.create_selection(COURT, case()))
    assert created.shortlist == [three_years]
    assert f"recusal:mediated_same_parties:{EMPLOYER}" in _reasons(created, one_year)
    assert not any(r.startswith("recusal:") for r in _reasons(created, three_years))


def test_a_selection_stored_before_the_rule_replays_as_it_was_made():
    """Its inputs carry no `recusal_rules`: the look-back then applied to every standing
    conflict, and a replay must give the list that was given."""
    expert = {"id": 1, "conflicts": [{"kind": "represented", "party_name": EMPLOYER, "credit_code": "",
                                      "until": "2023-10-31"}], "past_parties": []}
    old = {"employers": [{"name": EMPLOYER}], "workers": [], "agents": []}
    assert selection.recusal_reasons(expert, old, date(2026, 11, 16), 2) == []
    assert [r["ground"] for r in selection.recusal_reasons(
        expert, {**old, "recusal_rules": 2}, date(2026, 11, 16), 2)] == ["represented"]
