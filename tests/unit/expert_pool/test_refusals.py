"""Refusing assigned cases (在线调解规则 Art. 29; DOMAIN.md "Exit": default 3 in 12 months,
`Rules.refusals_before_exit`, `Rules.refusal_window_months`): declines without good reason in
the window start the exit (an exit notice with the ground `refused_cases`, open to appeal);
declines spread over longer, or judged by the court to have a good reason, do not. Each
decline is made by the expert with the clock frozen at a date stated by hand."""

from __future__ import annotations

from datetime import date, datetime

from core import clock
from expert_pool import court_selections, selection_steps, services
from expert_pool.tables import Expert
from roster import services as roster
from roster.review import exits
from roster.review.tables import ExitNotice
from tests.unit.expert_pool.world import COURT, case, expert_user, new_expert

EVALUATED_ON = date(2026, 11, 20)  # the 12-month window then starts on 20 November 2025


def _expert_on_the_roster(run) -> tuple[int, int]:
    """(expert id, mediator id): an appointed roster mediator in the pool since 1 September 2025.
    The expert is bound to the mediator after the declines (the draw would otherwise ask for a
    certificate, which is not what these tests are about)."""
    mediator_id = run(roster.create_mediator_record(name="常拒绝", region_code="350504", appointed_on=date(2025, 6, 2)))
    return new_expert(run, "常拒绝", admitted_on=date(2025, 9, 1)), mediator_id


def _declines(run, expert_id: int, moment: str, good_reason: bool | None = None) -> None:
    """The expert is invited and declines at `moment` (Beijing); the court may then judge the reason."""
    with clock.frozen(datetime.fromisoformat(moment)):
        created = run(court_selections.create_selection(COURT, case(count=1)))
        run(selection_steps.confirm(COURT, created.id, designate=expert_id))
        run(selection_steps.answer(expert_user(run, expert_id), created.id, False, "不想接"))
        if good_reason is not None:
            decline = next(s for s in run(court_selections.selection_view(COURT, created.id)).steps
                           if s.kind == "decline")
            run(selection_steps.judge_decline(COURT, created.id, decline.id, good_reason))


def _exit_grounds(run, mediator_id: int, expert_id: int) -> list[tuple[str, int]]:
    run(Expert.update({"mediator_id": mediator_id}).where(Expert.id == expert_id))
    with clock.frozen(datetime.fromisoformat("2026-11-20T10:00:00+08:00")):
        run(exits.evaluate_exit_grounds("350504"))
    return [(n["ground"], n["figures"]["refusals"]) for n in run(ExitNotice.select().where(
        (ExitNotice.mediator_id == mediator_id) & (ExitNotice.ground == "refused_cases")).output(load_json=True))]


def test_3_declines_without_good_reason_in_12_months_start_the_exit(run):
    expert_id, mediator_id = _expert_on_the_roster(run)
    for moment in ("2026-01-12T10:00:00+08:00", "2026-05-11T10:00:00+08:00", "2026-11-16T10:00:00+08:00"):
        _declines(run, expert_id, moment)
    assert _exit_grounds(run, mediator_id, expert_id) == [("refused_cases", 3)]
    notice = run(ExitNotice.select().where(ExitNotice.mediator_id == mediator_id).first())
    assert (notice["status"], notice["issued_on"], notice["appeal_deadline"]) == (
        "open", date(2026, 11, 20), date(2026, 12, 5))  # open to appeal for 15 days


def test_3_declines_spread_over_13_months_do_not_start_the_exit(run):
    expert_id, mediator_id = _expert_on_the_roster(run)
    # the first, on 20 October 2025, is before the window (20 November 2025 – 20 November 2026)
    for moment in ("2025-10-20T10:00:00+08:00", "2026-03-16T10:00:00+08:00", "2026-11-16T10:00:00+08:00"):
        _declines(run, expert_id, moment)
    assert _exit_grounds(run, mediator_id, expert_id) == []
    assert run(services.refusals_without_good_reason([mediator_id], date(2025, 11, 20))) == {mediator_id: 2}


def test_declines_the_court_judges_to_have_a_good_reason_do_not_count_toward_the_exit(run):
    expert_id, mediator_id = _expert_on_the_roster(run)
    _declines(run, expert_id, "2026-01-12T10:00:00+08:00")
    _declines(run, expert_id, "2026-05-11T10:00:00+08:00", good_reason=True)  # e.g. a hospital stay
    _declines(run, expert_id, "2026-11-16T10:00:00+08:00")
    assert _exit_grounds(run, mediator_id, expert_id) == []
    assert run(services.refusals_without_good_reason([mediator_id], date(2025, 11, 20))) == {mediator_id: 2}


def test_a_decline_the_court_judges_to_be_without_good_reason_counts_toward_the_exit(run):
    expert_id, mediator_id = _expert_on_the_roster(run)
    _declines(run, expert_id, "2026-01-12T10:00:00+08:00")
    _declines(run, expert_id, "2026-05-11T10:00:00+08:00", good_reason=False)
    _declines(run, expert_id, "2026-11-16T10:00:00+08:00")
    assert _exit_grounds(run, mediator_id, expert_id) == [("refused_cases", 3)]
