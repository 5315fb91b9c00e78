"""A selection's later steps against the database: strike and answer windows in working days,
lapses, declines (only the invited expert's own, or the court's for an expert without an
account) and the 15-day case clock from acceptance."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core import clock
from core.auth.roles import Grant, Principal, Role
from core.errors import Conflict, DomainError, Forbidden, NotFound
from expert_pool import court_selections, selection_steps
from tests.unit.expert_pool.world import ADMIN, COURT, MONDAY, case, expert_user, new_expert


def test_strikes_are_refused_after_2_working_days(run):
    for n in range(4):
        new_expert(run, f"专家{n}")
    created = run(court_selections.create_selection(COURT, case(), on=MONDAY))
    # Mon 16 November 2026: Tue 17 (1), Wed 18 (2)
    assert run(court_selections.selection_view(COURT, created.id)).strike_deadline == date(2026, 11, 18)
    with pytest.raises(DomainError):
        run(selection_steps.strike(COURT, created.id, "employer", created.shortlist[:3], [], on=MONDAY))
    run(selection_steps.strike(COURT, created.id, "employer", created.shortlist[:1], [], on=date(2026, 11, 18)))
    with pytest.raises(Conflict):
        run(selection_steps.strike(COURT, created.id, "worker", created.shortlist[1:2], [], on=date(2026, 11, 19)))

def test_the_strike_window_counts_the_spring_festivals_make_up_saturday(run):
    """2026's Spring Festival (国务院办公厅关于2026年部分节假日安排的通知): 15–23 February off,
    Saturday 14 February worked. A list made on Thursday 12 February: Fri 13 (1), Sat 14 (2)."""
    for n in range(2):
        new_expert(run, f"专家{n}", admitted_on=date(2026, 1, 5))
    created = run(court_selections.create_selection(COURT, case(count=2), on=date(2026, 2, 12)))
    assert run(court_selections.selection_view(COURT, created.id)).strike_deadline == date(2026, 2, 14)
    run(selection_steps.strike(COURT, created.id, "employer", created.shortlist[:1], [], on=date(2026, 2, 14)))
    with pytest.raises(Conflict):  # Sunday 15 February, a holiday: the window has closed
        run(selection_steps.strike(COURT, created.id, "worker", created.shortlist[1:2], [], on=date(2026, 2, 15)))

def test_an_unanswered_invitation_lapses_after_3_working_days_and_the_next_is_invited(run):
    """Invited on Wednesday 30 September 2026, before National Day (1–7 October off, Saturday 10
    October worked, 国务院办公厅关于2026年部分节假日安排的通知): Thu 8 (1), Fri 9 (2), Sat 10 (3)."""
    ids = [new_expert(run, f"专家{n}", admitted_on=date(2026, 1, 5)) for n in range(3)]
    created = run(court_selections.create_selection(COURT, case(), on=date(2026, 9, 30)))
    ranking = run(selection_steps.confirm(COURT, created.id, on=date(2026, 9, 30)))
    assert sorted(ranking) == sorted(ids)
    assert run(court_selections.selection_view(COURT, created.id)).answer_due == date(2026, 10, 10)
    assert run(selection_steps.lapse_unanswered_invitations(on=date(2026, 10, 10))) == 0
    assert run(selection_steps.lapse_unanswered_invitations(on=date(2026, 10, 11))) == 1
    assert run(selection_steps.lapse_unanswered_invitations(on=date(2026, 10, 11))) == 0
    view = run(court_selections.selection_view(COURT, created.id))
    assert view.invited_expert_id == ranking[1]
    assert [s.kind for s in view.steps][-2:] == ["lapse", "invite"]
    # the next expert, invited on Sunday 11 October: Mon 12 (1), Tue 13 (2), Wed 14 (3)
    assert view.answer_due == date(2026, 10, 14)

def test_a_decline_needs_a_reason_and_moves_to_the_next_until_the_list_is_exhausted(run):
    new_expert(run, "甲")
    new_expert(run, "乙")
    created = run(court_selections.create_selection(COURT, case()))
    ranking = run(selection_steps.confirm(COURT, created.id))
    with pytest.raises(DomainError) as no_reason:
        run(selection_steps.answer(expert_user(run, ranking[0]), created.id, False, ""))
    assert no_reason.value.field == "reason"
    run(selection_steps.answer(expert_user(run, ranking[0]), created.id, False, "身体原因"))
    assert run(court_selections.selection_view(COURT, created.id)).invited_expert_id == ranking[1]
    run(selection_steps.answer(expert_user(run, ranking[1]), created.id, False, "不方便"))
    assert run(court_selections.selection_view(COURT, created.id)).status == "exhausted"

def test_only_the_invited_expert_declines_their_invitation_and_the_court_records_acceptance(run):
    """DOMAIN.md: a court user records acceptance, strikes and outcomes; the invited expert
    accepts or declines with a reason. A decline counts toward removal, so nobody else makes it."""
    first, second = new_expert(run, "甲"), new_expert(run, "乙")
    expert_user(run, first)  # the first has an account: they decline on their own page
    created = run(court_selections.create_selection(COURT, case()))
    run(selection_steps.confirm(COURT, created.id, designate=first))
    with pytest.raises(Forbidden):
        run(selection_steps.answer(COURT, created.id, False, "专家说没空"))
    with pytest.raises(Forbidden):  # another expert of the list
        run(selection_steps.answer(expert_user(run, second), created.id, False, "没空"))
    with pytest.raises(Forbidden):  # the administrator of the region neither
        run(selection_steps.answer(ADMIN, created.id, False, "没空"))
    view = run(court_selections.selection_view(COURT, created.id))
    assert view.invited_expert_id == first and view.answers == []
    # the expert's own "good reason" is not taken: the court judges it
    run(selection_steps.answer(expert_user(run, first), created.id, False, "出差", good_reason=True))
    view = run(court_selections.selection_view(COURT, created.id))
    assert [(a.expert_id, a.answer, a.good_reason) for a in view.answers] == [(first, "decline", False)]
    run(selection_steps.answer(COURT, created.id, True))  # the court records the next expert's acceptance
    assert run(court_selections.selection_view(COURT, created.id)).accepted_expert_id == second

def test_the_court_records_the_decline_of_an_expert_with_no_account_and_only_its_own_court(run):
    """An expert with no account on the platform (a lawyer of the pool, say) tells the court; the
    court that asked records the decline with the reason. Another court cannot."""
    first, second = new_expert(run, "甲"), new_expert(run, "乙")
    created = run(court_selections.create_selection(COURT, case()))
    run(selection_steps.confirm(COURT, created.id, designate=first))
    other_court = Principal(user_id=8, username="court2", grants=(Grant(Role.COURT, "350203", court_id=99),))
    with pytest.raises((Forbidden, NotFound)):
        run(selection_steps.answer(other_court, created.id, False, "电话告知出差"))
    with pytest.raises(Forbidden):  # nor the administrator of the region
        run(selection_steps.answer(ADMIN, created.id, False, "电话告知出差"))
    run(selection_steps.answer(COURT, created.id, False, "电话告知出差"))
    view = run(court_selections.selection_view(COURT, created.id))
    assert [(a.expert_id, a.answer, a.good_reason) for a in view.answers] == [(first, "decline", False)]
    assert view.invited_expert_id == second

def test_the_15_day_case_clock_runs_from_acceptance(run):
    new_expert(run, admitted_on=date(2026, 1, 5))
    with clock.frozen(datetime.fromisoformat("2026-11-16T10:00:00+08:00")):  # accepted Monday 16 November
        created = run(court_selections.create_selection(COURT, case()))
        run(selection_steps.confirm(COURT, created.id))
        run(selection_steps.answer(COURT, created.id, True))
        view = run(court_selections.selection_view(COURT, created.id))
        assert view.mediation_deadline == date(2026, 12, 1)  # 16 November + 15 calendar days
    with pytest.raises(DomainError):
        run(selection_steps.record_outcome(COURT, created.id, "won"))
    run(selection_steps.record_outcome(COURT, created.id, "no_agreement"))
    assert run(court_selections.selection_view(COURT, created.id)).outcome == "no_agreement"
