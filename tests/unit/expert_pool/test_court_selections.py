"""Court selections drawn from the pool against the database: shared experts only when the
court allows them, availability (away, at the case maximum, no valid certificate, outside the
term), recusal grounds declared by the court or from earlier mediations, and waivers by both sides."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from expert_pool import court_selections, experts, selection_steps
from expert_pool.tables import Expert, SelectionEvent
from tests.unit.expert_pool.world import ADMIN, COURT, case, new_expert


def test_a_shared_expert_of_another_region_is_drawn_only_when_the_court_allows_shared_experts(run):
    local = new_expert(run, "本地专家")
    xiamen = new_expert(run, "厦门专家", region="350203")
    assert run(court_selections.create_selection(COURT, case(allow_shared=True))).shortlist == [local]
    run(experts.set_shared(ADMIN, xiamen, True))
    assert run(court_selections.create_selection(COURT, case(allow_shared=True))).shortlist == [local, xiamen]
    result = run(court_selections.create_selection(COURT, case()))
    assert result.shortlist == [local]
    assert xiamen not in {c["expert_id"] for c in result.considered}  # outside the snapshot: other city

def test_an_expert_away_today_or_at_the_case_maximum_is_unavailable(run):
    away = new_expert(run, "外出专家")
    busy = new_expert(run, "满负荷专家", max_concurrent_cases=1)
    free = new_expert(run, "空闲专家")
    run(experts.add_absence(ADMIN, away, clock.today() - timedelta(days=1), clock.today() + timedelta(days=5)))
    first = run(court_selections.create_selection(COURT, case(employers=[{"name": "别的公司"}], workers=[{"name": "李四"}])))
    run(selection_steps.confirm(COURT, first.id, designate=busy))
    run(selection_steps.answer(COURT, first.id, True))
    result = run(court_selections.create_selection(COURT, case()))
    assert result.shortlist == [free]
    reasons = {c["expert_id"]: c["reasons"] for c in result.considered}
    assert reasons[away] == ["unavailable:away"] and reasons[busy] == ["unavailable:at_case_maximum"]

def test_a_roster_expert_without_a_valid_certificate_is_unavailable(run):
    expert_id = new_expert(run)
    run(Expert.update({"mediator_id": 9999}).where(Expert.id == expert_id))
    result = run(court_selections.create_selection(COURT, case()))
    assert result.shortlist == [] and result.considered[0]["reasons"] == ["unavailable:no_valid_certificate"]

def test_an_expert_outside_the_term_is_unavailable(run):
    expert_id = new_expert(run, admitted_on=clock.today() - timedelta(days=365 * 4))
    result = run(court_selections.create_selection(COURT, case()))
    assert result.considered == [{"expert_id": expert_id, "included": False, "reasons": ["unavailable:outside_term"]}]

def test_interest_and_near_relative_declared_by_the_court_are_recusal_grounds(run):
    a, b, c = new_expert(run, "甲"), new_expert(run, "乙"), new_expert(run, "丙")
    result = run(court_selections.create_selection(COURT, case(declared_relations=[
        {"expert_id": a, "relation": "interest"}, {"expert_id": b, "relation": "近亲属"}])))
    reasons = {x["expert_id"]: x["reasons"] for x in result.considered}
    assert result.shortlist == [c]
    assert reasons[a] == ["recusal:interest:"] and reasons[b] == ["recusal:relative:"]

def test_an_expert_who_mediated_for_the_same_party_within_2_years_must_recuse(run):
    expert_id = new_expert(run)
    other = new_expert(run, "另一位")
    first = run(court_selections.create_selection(COURT, case(count=2)))
    run(selection_steps.confirm(COURT, first.id, designate=expert_id))
    run(selection_steps.answer(COURT, first.id, True))
    run(selection_steps.record_outcome(COURT, first.id, "agreement"))
    again = run(court_selections.create_selection(COURT, case(case_no="（2026）闽05民调10号")))
    assert again.shortlist == [other]
    assert next(c for c in again.considered if c["expert_id"] == expert_id)["reasons"][0].startswith(
        "recusal:mediated_same_parties")

def test_a_waiver_by_both_sides_is_recorded_and_the_expert_stays_eligible(run):
    expert_id = new_expert(run)
    run(experts.add_conflict(ADMIN, expert_id, {"kind": "represented", "party_name": "张三"}))
    one_side = run(court_selections.create_selection(COURT, case(waivers=[
        {"expert_id": expert_id, "ground": "represented", "employer_side": True, "worker_side": False}])))
    assert one_side.shortlist == []
    both = run(court_selections.create_selection(COURT, case(waivers=[
        {"expert_id": expert_id, "ground": "represented", "employer_side": True, "worker_side": True}])))
    assert both.shortlist == [expert_id]
    assert "waived:represented" in both.considered[0]["reasons"]
    events = run(SelectionEvent.select(SelectionEvent.kind, SelectionEvent.side, SelectionEvent.reason).where(
        SelectionEvent.selection == both.id))
    assert events == [{"kind": "waiver", "side": "both", "reason": "represented"}]
    assert run(court_selections.replay(COURT, both.id)).matches is True
