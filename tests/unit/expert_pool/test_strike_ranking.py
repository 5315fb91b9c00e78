"""Strike and rank (在线调解规则 Art. 10, DOMAIN.md "After the list"): each side strikes up to
`Rules.strikes_per_side` names and ranks the rest within 2 working days; the invitation order is
the sum of the two sides' positions, a tie going to the lower worst position, then to the draw
order; a side that does not rank in time ranks in draw order. Every strike and ranking is
audited. Clocks frozen and dates stated by hand: 2026's National Day holiday is 1–7 October
(Sunday 20 September and Saturday 10 October worked; 国务院办公厅关于2026年部分节假日安排的通知)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core import clock
from core.audit import AuditRecord
from core.errors import Conflict, DomainError
from expert_pool import court_selections, selection, selection_steps
from tests.unit.expert_pool.world import COURT, case, expert_user, new_expert


def at(moment: str):
    return clock.frozen(datetime.fromisoformat(moment))


def _four_on_the_list(run) -> tuple[int, list[int]]:
    for name in ("甲", "乙", "丙", "丁"):
        new_expert(run, name, admitted_on=date(2026, 1, 5))
    with at("2026-11-16T10:00:00+08:00"):  # Monday: 2 working days → Wednesday 18 November
        created = run(court_selections.create_selection(COURT, case(count=4), seed="ranking"))
    assert len(created.shortlist) == 4
    return created.id, created.shortlist


def test_the_combined_ranking_of_both_sides_decides_the_invitation_order(run):
    selection_id, (a, b, c, d) = _four_on_the_list(run)  # the draw's order
    with at("2026-11-17T09:00:00+08:00"):
        # employer: strikes d, ranks c, a, b; worker: strikes nothing, ranks b, c, a, d
        run(selection_steps.strike(COURT, selection_id, "employer", [d], [c, a, b]))
        run(selection_steps.strike(COURT, selection_id, "worker", [], [b, c, a, d]))
    with at("2026-11-19T09:00:00+08:00"):  # the window has closed: the court confirms
        ranking = run(selection_steps.confirm(COURT, selection_id))
    # d is struck; positions (employer + worker): a 2+3 = 5, b 3+1 = 4, c 1+2 = 3
    assert ranking == [c, b, a]
    view = run(court_selections.selection_view(COURT, selection_id))
    assert view.ranking == [c, b, a] and view.invited_expert_id == c
    assert [(s.side, s.struck, s.ranking) for s in view.strikes] == [
        ("employer", [d], [c, a, b]), ("worker", [], [b, c, a, d])]
    with at("2026-11-19T11:00:00+08:00"):  # c declines: the next in the combined order is asked
        run(selection_steps.answer(expert_user(run, c), selection_id, False, "出差"))
    assert run(court_selections.selection_view(COURT, selection_id)).invited_expert_id == b


def test_every_strike_and_ranking_is_audited_with_its_side(run):
    selection_id, (a, b, c, d) = _four_on_the_list(run)
    with at("2026-11-18T23:30:00+08:00"):  # the last evening of the window
        run(selection_steps.strike(COURT, selection_id, "worker", [a], [d, c]))
        run(selection_steps.strike(COURT, selection_id, "employer", [], [b, d, c, a]))
    audits = run(AuditRecord.select(AuditRecord.entity, AuditRecord.entity_id, AuditRecord.changes).where(
        AuditRecord.action == "strike").order_by(AuditRecord.id).output(load_json=True))
    recorded = [(r["entity"], r["entity_id"], {k: v["after"] for k, v in r["changes"].items()}) for r in audits]
    assert recorded == [
        ("selection", str(selection_id), {"side": "worker", "struck": [a], "ranking": [d, c]}),
        ("selection", str(selection_id), {"side": "employer", "struck": [], "ranking": [b, d, c, a]})]


def test_a_tie_in_the_sum_goes_to_the_lower_worst_rank_then_to_the_draw_order():
    # employer 1, 2, 3, 4; worker 4, 2, 3, 1 (nothing struck):
    # 1 → 1+4 = 5 (worst 4), 2 → 2+2 = 4 (worst 2), 3 → 3+3 = 6, 4 → 4+1 = 5 (worst 4)
    assert selection.combine_rankings([1, 2, 3, 4], {}, {"employer": [1, 2, 3, 4], "worker": [4, 2, 3, 1]}) == [
        2, 1, 4, 3]
    # employer 3, 1, 2; worker 1, 2, 3: 1 → 2+1 = 3 (worst 2), 2 → 3+2 = 5, 3 → 1+3 = 4
    assert selection.combine_rankings([1, 2, 3], {}, {"employer": [3, 1, 2], "worker": [1, 2, 3]}) == [1, 3, 2]


def test_a_side_that_does_not_rank_in_time_ranks_in_draw_order(run):
    selection_id, (a, b, c, d) = _four_on_the_list(run)
    with at("2026-11-18T10:00:00+08:00"):
        run(selection_steps.strike(COURT, selection_id, "worker", [], [d, c, b, a]))
    with at("2026-11-19T09:00:00+08:00"):  # Thursday: the employer side's window closed on the 18th
        with pytest.raises(Conflict) as late:
            run(selection_steps.strike(COURT, selection_id, "employer", [d], [a, b, c]))
        assert "2026-11-18" in late.value.message
        ranking = run(selection_steps.confirm(COURT, selection_id))
    # employer (draw order) a, b, c, d; worker d, c, b, a: every sum is 5, every worst 4 except
    # b and c (worst 3): b, c by the draw, then a, d by the draw
    assert ranking == [b, c, a, d]


def test_a_side_that_ranks_only_some_names_has_the_rest_follow_in_draw_order(run):
    selection_id, (a, b, c, d) = _four_on_the_list(run)
    with at("2026-11-17T09:00:00+08:00"):
        run(selection_steps.strike(COURT, selection_id, "employer", [], [d]))  # d, then a, b, c
        ranking = run(selection_steps.confirm(COURT, selection_id))  # the worker never answered: a, b, c, d
    # a 2+1 = 3, b 3+2 = 5, c 4+3 = 7, d 1+4 = 5 (b and d: worst 3 and 4)
    assert ranking == [a, b, d, c]


def test_ranking_a_struck_or_unknown_expert_is_refused_naming_the_ranking_field(run):
    selection_id, (a, b, c, d) = _four_on_the_list(run)
    with at("2026-11-17T09:00:00+08:00"):
        for struck, ranking in (([a], [a, b]), ([], [b, 999_999]), ([], [b, b])):
            with pytest.raises(DomainError) as refused:
                run(selection_steps.strike(COURT, selection_id, "employer", struck, ranking))
            assert refused.value.status_code == 400 and refused.value.field == "ranking"
        with pytest.raises(DomainError) as unknown_strike:
            run(selection_steps.strike(COURT, selection_id, "employer", [999_999], []))
        assert unknown_strike.value.field == "struck"
        with pytest.raises(DomainError) as too_many:
            run(selection_steps.strike(COURT, selection_id, "employer", [a, b, c], []))
        assert too_many.value.field == "struck"
    assert run(court_selections.selection_view(COURT, selection_id)).strikes == []  # nothing was recorded


def test_the_strike_window_of_2_working_days_runs_across_national_day(run):
    """A list made on Tuesday 29 September 2026: Wed 30 (1), 1–7 October off, Thu 8 (2)."""
    first, second = new_expert(run, "甲", admitted_on=date(2026, 1, 5)), new_expert(run, "乙", admitted_on=date(2026, 1, 5))
    with at("2026-09-29T10:00:00+08:00"):
        created = run(court_selections.create_selection(COURT, case(count=2)))
    assert run(court_selections.selection_view(COURT, created.id)).strike_deadline == date(2026, 10, 8)
    with at("2026-10-08T18:00:00+08:00"):
        run(selection_steps.strike(COURT, created.id, "employer", [], [second, first]))
    with at("2026-10-09T09:00:00+08:00"), pytest.raises(Conflict):
        run(selection_steps.strike(COURT, created.id, "worker", [], [first, second]))


def test_an_invitation_confirmed_before_national_day_lapses_after_3_working_days(run):
    """Confirmed on Tuesday 29 September 2026: Wed 30 (1), 1–7 October off, Thu 8 (2), Fri 9 (3).
    The next expert, invited when the first lapses on Saturday 10 October (a make-up working
    day): Mon 12 (1), Tue 13 (2), Wed 14 (3)."""
    first, second = new_expert(run, "甲", admitted_on=date(2026, 1, 5)), new_expert(run, "乙", admitted_on=date(2026, 1, 5))
    with at("2026-09-29T10:00:00+08:00"):
        created = run(court_selections.create_selection(COURT, case(count=2)))
        run(selection_steps.confirm(COURT, created.id, designate=first))
    assert run(court_selections.selection_view(COURT, created.id)).answer_due == date(2026, 10, 9)
    with at("2026-10-09T23:30:00+08:00"):
        assert run(selection_steps.lapse_unanswered_invitations()) == 0
    with at("2026-10-10T08:00:00+08:00"):
        assert run(selection_steps.lapse_unanswered_invitations()) == 1
    view = run(court_selections.selection_view(COURT, created.id))
    assert view.invited_expert_id == second and view.answer_due == date(2026, 10, 14)
