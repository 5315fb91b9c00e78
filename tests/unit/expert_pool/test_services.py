"""What other domains ask of the expert pool, against the database: refusals without good
reason (as the court judges them), an exited mediator removed from the pool and the invited
list, and mediations closed by a mediator in a year."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock
from core.auth.roles import Grant, Principal, Role
from core.errors import NotFound
from expert_pool import court_selections, invited_list, selection_steps, services
from expert_pool.tables import Expert
from tests.unit.expert_pool.world import ADMIN, COURT, case, expert_user, new_expert


def test_contract_refusals_removal_and_closed_mediations_by_mediator(run):
    expert_id = new_expert(run)
    created = run(court_selections.create_selection(COURT, case()))
    run(Expert.update({"mediator_id": 55}).where(Expert.id == expert_id))
    run(selection_steps.confirm(COURT, created.id))
    run(selection_steps.answer(expert_user(run, expert_id), created.id, False, "不想去"))
    since = clock.today() - timedelta(days=1)
    assert run(services.refusals_without_good_reason([55, 56], since)) == {55: 1}
    assert run(services.refusals_without_good_reason([55], clock.today() + timedelta(days=1))) == {}
    assert run(services.mediations_closed([55], clock.today().year)) == {}
    run(invited_list.list_invited(ADMIN, expert_id, [1]))
    assert run(services.remove_mediator_from_pool(55, "解聘", None)) == 1
    assert run(services.remove_mediator_from_pool(55, "解聘", None)) == 0
    assert run(invited_list.public_invited())[1] == 0

def test_mediations_closed_counts_outcomes_in_the_year(run):
    expert_id = new_expert(run)
    run(Expert.update({"mediator_id": 55}).where(Expert.id == expert_id))
    run(Expert.update({"mediator_id": None}).where(Expert.id == expert_id))
    created = run(court_selections.create_selection(COURT, case()))
    run(selection_steps.confirm(COURT, created.id))
    run(selection_steps.answer(COURT, created.id, True))
    run(selection_steps.record_outcome(COURT, created.id, "agreement"))
    run(Expert.update({"mediator_id": 55}).where(Expert.id == expert_id))
    assert run(services.mediations_closed([55], clock.today().year)) == {55: 1}
    assert run(services.mediations_closed([55], clock.today().year - 1)) == {}

def test_a_decline_the_court_judges_as_a_good_reason_is_not_counted_as_a_refusal(run):
    expert_id = new_expert(run)
    created = run(court_selections.create_selection(COURT, case()))
    run(Expert.update({"mediator_id": 56}).where(Expert.id == expert_id))
    run(selection_steps.confirm(COURT, created.id))
    run(selection_steps.answer(expert_user(run, expert_id), created.id, False, "出差"))
    since = clock.today() - timedelta(days=1)
    assert run(services.refusals_without_good_reason([56], since)) == {56: 1}
    decline = next(s for s in run(court_selections.selection_view(COURT, created.id)).steps if s.kind == "decline")
    other_court = Principal(user_id=None, username="c2", grants=(Grant(Role.COURT, "350500", court_id=2),))
    with pytest.raises(NotFound):  # another court does not even see the selection
        run(selection_steps.judge_decline(other_court, created.id, decline.id, True))
    run(selection_steps.judge_decline(COURT, created.id, decline.id, True))
    assert run(services.refusals_without_good_reason([56], since)) == {}
