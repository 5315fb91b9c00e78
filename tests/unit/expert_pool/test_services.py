"""Expert pool services against the database: admission with a term, suspension and
removal with grounds, sharing, waivers recorded, strike and answer windows in working days,
lapses, the case clock, and the functions other domains call."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest

from core import clock
from core.audit import AuditRecord
from core.auth.roles import Grant, Principal, Role
from core.errors import Conflict, DomainError, FieldErrors, Forbidden, NotFound
from core.settings import get_settings
from expert_pool import services
from expert_pool.tables import Expert, InvitedListing, SelectionEvent

ADMIN = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))
XIAMEN_ADMIN = Principal(user_id=None, username="xm", grants=(Grant(Role.ADMIN, "350200"),))
COURT = Principal(user_id=None, username="court", grants=(Grant(Role.COURT, "350500", court_id=1),))
MONDAY = date(2026, 11, 16)


def new_expert(run, name: str = "专家", region: str = "350504", admitted_on: date | None = None, **extra) -> int:
    expert_id = run(services.nominate(ADMIN, {"name": name, "background": "lawyer", "region_code": region,
                                              "specialties": ["wage_arrears"], **extra}))
    run(services.admit(ADMIN, expert_id, on=admitted_on or clock.today() - timedelta(days=30)))
    return expert_id


def expert_user(run, expert_id: int) -> Principal:
    """The expert signed in: their account bound to the pool entry (only they decline)."""
    user_id = 90_000 + expert_id
    run(Expert.update({"user_id": user_id}).where(Expert.id == expert_id))
    return Principal(user_id=user_id, username=f"expert{expert_id}", grants=())


_CASE_NUMBERS = itertools.count(100)


def case(**extra) -> dict:
    """A court case; each call is a case of its own (a court case has one live selection)."""
    return {"case_no": f"（2026）闽05民调{next(_CASE_NUMBERS)}号", "dispute_type": "wage_arrears", "region": "350504",
            "employers": [{"name": "泉州某鞋业有限公司"}], "workers": [{"name": "张三"}], "count": 3, **extra}


def test_admission_gives_a_term_of_3_years_from_settings(run):
    expert_id = run(services.nominate(ADMIN, {"name": "陈律师", "background": "lawyer", "region_code": "350504",
                                              "specialties": ["termination"]}))
    run(services.admit(ADMIN, expert_id, on=date(2026, 3, 1)))
    row = run(Expert.select().where(Expert.id == expert_id).first())
    years = get_settings().rules.expert_term_years
    assert row["status"] == "admitted" and row["term_starts_on"] == date(2026, 3, 1)
    assert row["term_ends_on"] == date(2026 + years, 3, 1)


def test_nomination_is_validated_field_by_field(run):
    with pytest.raises(FieldErrors) as invalid:
        run(services.nominate(ADMIN, {"name": "", "background": "astrologer", "region_code": "999999",
                                      "specialties": ["divorce"]}))
    assert set(invalid.value.errors) == {"name", "background", "region_code", "specialties"}


def test_suspension_and_removal_need_grounds_and_removal_leaves_the_invited_list(run):
    expert_id = new_expert(run)
    run(services.list_invited(ADMIN, expert_id, [1]))
    with pytest.raises(DomainError):
        run(services.suspend(ADMIN, expert_id, "  "))
    run(services.suspend(ADMIN, expert_id, "投诉调查中"))
    run(services.reinstate(ADMIN, expert_id))
    run(services.remove(ADMIN, expert_id, "多次无正当理由拒绝受邀"))
    assert run(Expert.select(Expert.status, Expert.grounds).where(Expert.id == expert_id).first()) == {
        "status": "removed", "grounds": "多次无正当理由拒绝受邀"}
    assert run(InvitedListing.select(InvitedListing.status).where(InvitedListing.expert_id == expert_id).first())[
        "status"] == "removed"
    with pytest.raises(Conflict):
        run(services.admit(ADMIN, expert_id))
    actions = [r["action"] for r in run(AuditRecord.select(AuditRecord.action).where(AuditRecord.entity == "expert"))]
    assert {"expert_suspended", "expert_removed", "expert_admitted"} <= set(actions)


def test_an_administrator_acts_only_on_experts_of_their_region(run):
    expert_id = new_expert(run)
    with pytest.raises(Forbidden):
        run(services.suspend(XIAMEN_ADMIN, expert_id, "理由"))
    with pytest.raises(Forbidden):
        run(services.set_shared(XIAMEN_ADMIN, expert_id, True))


def test_a_shared_expert_of_another_region_is_drawn_only_when_the_court_allows_shared_experts(run):
    local = new_expert(run, "本地专家")
    xiamen = new_expert(run, "厦门专家", region="350203")
    assert run(services.create_selection(COURT, case(allow_shared=True)))["shortlist"] == [local]
    run(services.set_shared(ADMIN, xiamen, True))
    assert run(services.create_selection(COURT, case(allow_shared=True)))["shortlist"] == [local, xiamen]
    result = run(services.create_selection(COURT, case()))
    assert result["shortlist"] == [local]
    assert xiamen not in {c["expert_id"] for c in result["considered"]}  # outside the snapshot: other city


def test_an_expert_away_today_or_at_the_case_maximum_is_unavailable(run):
    away = new_expert(run, "外出专家")
    busy = new_expert(run, "满负荷专家", max_concurrent_cases=1)
    free = new_expert(run, "空闲专家")
    run(services.add_absence(ADMIN, away, clock.today() - timedelta(days=1), clock.today() + timedelta(days=5)))
    first = run(services.create_selection(COURT, case(employers=[{"name": "别的公司"}], workers=[{"name": "李四"}])))
    run(services.confirm(COURT, first["id"], designate=busy))
    run(services.answer(COURT, first["id"], True))
    result = run(services.create_selection(COURT, case()))
    assert result["shortlist"] == [free]
    reasons = {c["expert_id"]: c["reasons"] for c in result["considered"]}
    assert reasons[away] == ["unavailable:away"] and reasons[busy] == ["unavailable:at_case_maximum"]


def test_a_roster_expert_without_a_valid_certificate_is_unavailable(run):
    expert_id = new_expert(run)
    run(Expert.update({"mediator_id": 9999}).where(Expert.id == expert_id))
    result = run(services.create_selection(COURT, case()))
    assert result["shortlist"] == [] and result["considered"][0]["reasons"] == ["unavailable:no_valid_certificate"]


def test_an_expert_outside_the_term_is_unavailable(run):
    expert_id = new_expert(run, admitted_on=clock.today() - timedelta(days=365 * 4))
    result = run(services.create_selection(COURT, case()))
    assert result["considered"] == [{"expert_id": expert_id, "included": False, "reasons": ["unavailable:outside_term"]}]


def test_interest_and_near_relative_declared_by_the_court_are_recusal_grounds(run):
    a, b, c = new_expert(run, "甲"), new_expert(run, "乙"), new_expert(run, "丙")
    result = run(services.create_selection(COURT, case(declared_relations=[
        {"expert_id": a, "relation": "interest"}, {"expert_id": b, "relation": "近亲属"}])))
    reasons = {x["expert_id"]: x["reasons"] for x in result["considered"]}
    assert result["shortlist"] == [c]
    assert reasons[a] == ["recusal:interest:"] and reasons[b] == ["recusal:relative:"]


def test_an_expert_who_mediated_for_the_same_party_within_2_years_must_recuse(run):
    expert_id = new_expert(run)
    other = new_expert(run, "另一位")
    first = run(services.create_selection(COURT, case(count=2)))
    run(services.confirm(COURT, first["id"], designate=expert_id))
    run(services.answer(COURT, first["id"], True))
    run(services.record_outcome(COURT, first["id"], "agreement"))
    again = run(services.create_selection(COURT, case(case_no="（2026）闽05民调10号")))
    assert again["shortlist"] == [other]
    assert next(c for c in again["considered"] if c["expert_id"] == expert_id)["reasons"][0].startswith(
        "recusal:mediated_same_parties")


def test_a_waiver_by_both_sides_is_recorded_and_the_expert_stays_eligible(run):
    expert_id = new_expert(run)
    run(services.add_conflict(ADMIN, expert_id, {"kind": "represented", "party_name": "张三"}))
    one_side = run(services.create_selection(COURT, case(waivers=[
        {"expert_id": expert_id, "ground": "represented", "employer_side": True, "worker_side": False}])))
    assert one_side["shortlist"] == []
    both = run(services.create_selection(COURT, case(waivers=[
        {"expert_id": expert_id, "ground": "represented", "employer_side": True, "worker_side": True}])))
    assert both["shortlist"] == [expert_id]
    assert "waived:represented" in both["considered"][0]["reasons"]
    events = run(SelectionEvent.select(SelectionEvent.kind, SelectionEvent.side, SelectionEvent.reason).where(
        SelectionEvent.selection == both["id"]))
    assert events == [{"kind": "waiver", "side": "both", "reason": "represented"}]
    assert run(services.replay(COURT, both["id"]))["matches"] is True


def test_strikes_are_refused_after_2_working_days(run):
    for n in range(4):
        new_expert(run, f"专家{n}")
    created = run(services.create_selection(COURT, case(), on=MONDAY))
    # Mon 16 November 2026: Tue 17 (1), Wed 18 (2)
    assert run(services.selection_view(COURT, created["id"]))["strike_deadline"] == date(2026, 11, 18)
    with pytest.raises(DomainError):
        run(services.strike(COURT, created["id"], "employer", created["shortlist"][:3], [], on=MONDAY))
    run(services.strike(COURT, created["id"], "employer", created["shortlist"][:1], [], on=date(2026, 11, 18)))
    with pytest.raises(Conflict):
        run(services.strike(COURT, created["id"], "worker", created["shortlist"][1:2], [], on=date(2026, 11, 19)))


def test_the_strike_window_counts_the_spring_festivals_make_up_saturday(run):
    """2026's Spring Festival (国务院办公厅关于2026年部分节假日安排的通知): 15–23 February off,
    Saturday 14 February worked. A list made on Thursday 12 February: Fri 13 (1), Sat 14 (2)."""
    for n in range(2):
        new_expert(run, f"专家{n}", admitted_on=date(2026, 1, 5))
    created = run(services.create_selection(COURT, case(count=2), on=date(2026, 2, 12)))
    assert run(services.selection_view(COURT, created["id"]))["strike_deadline"] == date(2026, 2, 14)
    run(services.strike(COURT, created["id"], "employer", created["shortlist"][:1], [], on=date(2026, 2, 14)))
    with pytest.raises(Conflict):  # Sunday 15 February, a holiday: the window has closed
        run(services.strike(COURT, created["id"], "worker", created["shortlist"][1:2], [], on=date(2026, 2, 15)))


def test_an_unanswered_invitation_lapses_after_3_working_days_and_the_next_is_invited(run):
    """Invited on Wednesday 30 September 2026, before National Day (1–7 October off, Saturday 10
    October worked, 国务院办公厅关于2026年部分节假日安排的通知): Thu 8 (1), Fri 9 (2), Sat 10 (3)."""
    ids = [new_expert(run, f"专家{n}", admitted_on=date(2026, 1, 5)) for n in range(3)]
    created = run(services.create_selection(COURT, case(), on=date(2026, 9, 30)))
    ranking = run(services.confirm(COURT, created["id"], on=date(2026, 9, 30)))
    assert sorted(ranking) == sorted(ids)
    assert run(services.selection_view(COURT, created["id"]))["answer_due"] == date(2026, 10, 10)
    assert run(services.lapse_unanswered_invitations(on=date(2026, 10, 10))) == 0
    assert run(services.lapse_unanswered_invitations(on=date(2026, 10, 11))) == 1
    assert run(services.lapse_unanswered_invitations(on=date(2026, 10, 11))) == 0
    view = run(services.selection_view(COURT, created["id"]))
    assert view["invited_expert_id"] == ranking[1]
    assert [s["kind"] for s in view["steps"]][-2:] == ["lapse", "invite"]
    # the next expert, invited on Sunday 11 October: Mon 12 (1), Tue 13 (2), Wed 14 (3)
    assert view["answer_due"] == date(2026, 10, 14)


def test_a_decline_needs_a_reason_and_moves_to_the_next_until_the_list_is_exhausted(run):
    new_expert(run, "甲")
    new_expert(run, "乙")
    created = run(services.create_selection(COURT, case()))
    ranking = run(services.confirm(COURT, created["id"]))
    with pytest.raises(DomainError) as no_reason:
        run(services.answer(expert_user(run, ranking[0]), created["id"], False, ""))
    assert no_reason.value.field == "reason"
    run(services.answer(expert_user(run, ranking[0]), created["id"], False, "身体原因"))
    assert run(services.selection_view(COURT, created["id"]))["invited_expert_id"] == ranking[1]
    run(services.answer(expert_user(run, ranking[1]), created["id"], False, "不方便"))
    assert run(services.selection_view(COURT, created["id"]))["status"] == "exhausted"


def test_only_the_invited_expert_declines_their_invitation_and_the_court_records_acceptance(run):
    """DOMAIN.md: a court user records acceptance, strikes and outcomes; the invited expert
    accepts or declines with a reason. A decline counts toward removal, so nobody else makes it."""
    first, second = new_expert(run, "甲"), new_expert(run, "乙")
    expert_user(run, first)  # the first has an account: they decline on their own page
    created = run(services.create_selection(COURT, case()))
    run(services.confirm(COURT, created["id"], designate=first))
    with pytest.raises(Forbidden):
        run(services.answer(COURT, created["id"], False, "专家说没空"))
    with pytest.raises(Forbidden):  # another expert of the list
        run(services.answer(expert_user(run, second), created["id"], False, "没空"))
    with pytest.raises(Forbidden):  # the administrator of the region neither
        run(services.answer(ADMIN, created["id"], False, "没空"))
    view = run(services.selection_view(COURT, created["id"]))
    assert view["invited_expert_id"] == first and view["answers"] == []
    # the expert's own "good reason" is not taken: the court judges it
    run(services.answer(expert_user(run, first), created["id"], False, "出差", good_reason=True))
    view = run(services.selection_view(COURT, created["id"]))
    assert [(a["expert_id"], a["answer"], a["good_reason"]) for a in view["answers"]] == [(first, "decline", False)]
    run(services.answer(COURT, created["id"], True))  # the court records the next expert's acceptance
    assert run(services.selection_view(COURT, created["id"]))["accepted_expert_id"] == second


def test_the_court_records_the_decline_of_an_expert_with_no_account_and_only_its_own_court(run):
    """An expert with no account on the platform (a lawyer of the pool, say) tells the court; the
    court that asked records the decline with the reason. Another court cannot."""
    first, second = new_expert(run, "甲"), new_expert(run, "乙")
    created = run(services.create_selection(COURT, case()))
    run(services.confirm(COURT, created["id"], designate=first))
    other_court = Principal(user_id=8, username="court2", grants=(Grant(Role.COURT, "350203", court_id=99),))
    with pytest.raises((Forbidden, NotFound)):
        run(services.answer(other_court, created["id"], False, "电话告知出差"))
    with pytest.raises(Forbidden):  # nor the administrator of the region
        run(services.answer(ADMIN, created["id"], False, "电话告知出差"))
    run(services.answer(COURT, created["id"], False, "电话告知出差"))
    view = run(services.selection_view(COURT, created["id"]))
    assert [(a["expert_id"], a["answer"], a["good_reason"]) for a in view["answers"]] == [(first, "decline", False)]
    assert view["invited_expert_id"] == second


def test_the_15_day_case_clock_runs_from_acceptance(run):
    new_expert(run, admitted_on=date(2026, 1, 5))
    with clock.frozen(datetime.fromisoformat("2026-11-16T10:00:00+08:00")):  # accepted Monday 16 November
        created = run(services.create_selection(COURT, case()))
        run(services.confirm(COURT, created["id"]))
        run(services.answer(COURT, created["id"], True))
        view = run(services.selection_view(COURT, created["id"]))
        assert view["mediation_deadline"] == date(2026, 12, 1)  # 16 November + 15 calendar days
    with pytest.raises(DomainError):
        run(services.record_outcome(COURT, created["id"], "won"))
    run(services.record_outcome(COURT, created["id"], "no_agreement"))
    assert run(services.selection_view(COURT, created["id"]))["outcome"] == "no_agreement"


def test_contract_refusals_removal_and_closed_mediations_by_mediator(run):
    expert_id = new_expert(run)
    created = run(services.create_selection(COURT, case()))
    run(Expert.update({"mediator_id": 55}).where(Expert.id == expert_id))
    run(services.confirm(COURT, created["id"]))
    run(services.answer(expert_user(run, expert_id), created["id"], False, "不想去"))
    since = clock.today() - timedelta(days=1)
    assert run(services.refusals_without_good_reason([55, 56], since)) == {55: 1}
    assert run(services.refusals_without_good_reason([55], clock.today() + timedelta(days=1))) == {}
    assert run(services.mediations_closed([55], clock.today().year)) == {}
    run(services.list_invited(ADMIN, expert_id, [1]))
    assert run(services.remove_mediator_from_pool(55, "解聘", None)) == 1
    assert run(services.remove_mediator_from_pool(55, "解聘", None)) == 0
    assert run(services.public_invited())[1] == 0


def test_mediations_closed_counts_outcomes_in_the_year(run):
    expert_id = new_expert(run)
    run(Expert.update({"mediator_id": 55}).where(Expert.id == expert_id))
    run(Expert.update({"mediator_id": None}).where(Expert.id == expert_id))
    created = run(services.create_selection(COURT, case()))
    run(services.confirm(COURT, created["id"]))
    run(services.answer(COURT, created["id"], True))
    run(services.record_outcome(COURT, created["id"], "agreement"))
    run(Expert.update({"mediator_id": 55}).where(Expert.id == expert_id))
    assert run(services.mediations_closed([55], clock.today().year)) == {55: 1}
    assert run(services.mediations_closed([55], clock.today().year - 1)) == {}


def test_a_decline_the_court_judges_as_a_good_reason_is_not_counted_as_a_refusal(run):
    expert_id = new_expert(run)
    created = run(services.create_selection(COURT, case()))
    run(Expert.update({"mediator_id": 56}).where(Expert.id == expert_id))
    run(services.confirm(COURT, created["id"]))
    run(services.answer(expert_user(run, expert_id), created["id"], False, "出差"))
    since = clock.today() - timedelta(days=1)
    assert run(services.refusals_without_good_reason([56], since)) == {56: 1}
    decline = next(s for s in run(services.selection_view(COURT, created["id"]))["steps"] if s["kind"] == "decline")
    other_court = Principal(user_id=None, username="c2", grants=(Grant(Role.COURT, "350500", court_id=2),))
    with pytest.raises(NotFound):  # another court does not even see the selection
        run(services.judge_decline(other_court, created["id"], decline["id"], True))
    run(services.judge_decline(COURT, created["id"], decline["id"], True))
    assert run(services.refusals_without_good_reason([56], since)) == {}


def test_the_pool_snapshot_takes_the_same_few_queries_for_any_pool_size(run, monkeypatch):
    engine_class = type(Expert._meta.db)
    calls: list[str] = []
    original = engine_class.run_querystring

    async def counting(self, querystring, *args, **kwargs):
        calls.append(str(querystring))
        return await original(self, querystring, *args, **kwargs)

    def queries_for_snapshot() -> int:
        calls.clear()
        monkeypatch.setattr(engine_class, "run_querystring", counting)
        run(services.pool_snapshot({**case(), "allow_shared": True}, clock.today()))
        monkeypatch.setattr(engine_class, "run_querystring", original)
        return len(calls)

    for n in range(3):
        new_expert(run, f"甲{n}")
    few = queries_for_snapshot()
    for n in range(25):
        expert_id = new_expert(run, f"乙{n}")
        run(services.add_conflict(ADMIN, expert_id, {"kind": "other", "party_name": f"某公司{n}"}))
    assert 0 < few <= 10 and queries_for_snapshot() == few
