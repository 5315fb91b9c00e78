"""One confirmed grade per mediator per year (issue 14 item 4): a province run and a city or
district run of the same year cannot both grade the same mediators unless the administrator
supersedes the earlier grades with a reason; superseded grades are kept and no longer count."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from core import clock
from core.errors import Conflict, DomainError
from core.tables import AuditRecord
from roster.review import appraisal, exits
from roster.review.tables import Appraisal, AppraisalRun, Complaint, ExitNotice
from tests.unit.review.review_helpers import ADMIN, excellent_year, mediators

# 15 January 2026, 10:00 in Beijing: the appraisal of 2025.
JANUARY = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)


@pytest.fixture
def january(db):
    with clock.frozen(JANUARY):
        yield db


def _confirmed_rows(run, mediator_ids: list[int]) -> list[dict]:
    return run(Appraisal.select(Appraisal.mediator_id, Appraisal.grade, Appraisal.appraisal_run).where(
        Appraisal.mediator_id.is_in(mediator_ids) & (Appraisal.year == 2025) & (Appraisal.confirmed == True)))  # noqa: E712


def test_one_grade_rule_refuses_a_district_run_over_mediators_a_confirmed_province_run_graded(january):
    run = january
    ids = mediators(run, 3)
    province = run(appraisal.run_appraisal(2025, "350000", ADMIN))
    run(appraisal.confirm_appraisal(ADMIN, province.run_id))
    district = run(appraisal.run_appraisal(2025, "350504", ADMIN))
    assert run(appraisal.run_detail(district.run_id)).already_graded == {province.run_id: sorted(ids)}
    with pytest.raises(Conflict) as refused:
        run(appraisal.confirm_appraisal(ADMIN, district.run_id))
    assert refused.value.field == "supersede"
    assert "3" in refused.value.message and "2025" in refused.value.message
    assert run(AppraisalRun.select(AppraisalRun.status).where(AppraisalRun.id == district.run_id).first()) == {
        "status": "draft"}
    rows = _confirmed_rows(run, ids)
    assert len(rows) == 3 and {r["appraisal_run"] for r in rows} == {province.run_id}


def test_one_grade_rule_refuses_a_province_run_over_a_confirmed_district_run_too(january):
    run = january
    ids = mediators(run, 2)
    district = run(appraisal.run_appraisal(2025, "350504", ADMIN))
    run(appraisal.confirm_appraisal(ADMIN, district.run_id))
    province = run(appraisal.run_appraisal(2025, "350000", ADMIN))
    with pytest.raises(Conflict):
        run(appraisal.confirm_appraisal(ADMIN, province.run_id))
    assert len(_confirmed_rows(run, ids)) == 2


def test_one_grade_rule_other_years_and_other_regions_do_not_overlap(january):
    run = january
    luojiang = mediators(run, 2)
    fuzhou = mediators(run, 2, region="350102", name="福州")
    run(appraisal.confirm_appraisal(ADMIN, run(appraisal.run_appraisal(2024, "350504", ADMIN)).run_id))
    run(appraisal.confirm_appraisal(ADMIN, run(appraisal.run_appraisal(2025, "350102", ADMIN)).run_id))
    run(appraisal.confirm_appraisal(ADMIN, run(appraisal.run_appraisal(2025, "350504", ADMIN)).run_id))
    assert len(_confirmed_rows(run, luojiang + fuzhou)) == 4


def test_superseding_needs_a_reason_then_keeps_earlier_grades_marked_superseded_and_audits_both(january):
    run = january
    ids = mediators(run, 2)
    province = run(appraisal.run_appraisal(2025, "350000", ADMIN)).run_id
    run(appraisal.confirm_appraisal(ADMIN, province))
    district = run(appraisal.run_appraisal(2025, "350504", ADMIN)).run_id
    with pytest.raises(DomainError) as no_reason:
        run(appraisal.confirm_appraisal(ADMIN, district, supersede=True, reason="  "))
    assert no_reason.value.field == "reason"
    reason = "洛江区复核后重新考评，以区考评为准"
    run(appraisal.confirm_appraisal(ADMIN, district, supersede=True, reason=reason))

    earlier = run(Appraisal.select().where(Appraisal.appraisal_run == province))
    assert len(earlier) == 2  # kept, not deleted
    assert all(r["superseded"] and not r["confirmed"] and r["superseded_by_run"] == district for r in earlier)
    current = _confirmed_rows(run, ids)
    assert len(current) == 2 and {r["appraisal_run"] for r in current} == {district}
    assert run(appraisal.confirmed_grades(ids, 2025)) == {ids[0]: "basic", ids[1]: "basic"}
    assert run(AppraisalRun.select(AppraisalRun.supersede_reason).where(AppraisalRun.id == district).first()) == {
        "supersede_reason": reason}

    audits = run(AuditRecord.select(AuditRecord.action, AuditRecord.entity_id, AuditRecord.reason).where(
        AuditRecord.action.is_in(["supersede_appraisal", "confirm_appraisal"])).order_by(AuditRecord.id))
    assert [(a["action"], a["entity_id"]) for a in audits] == [
        ("confirm_appraisal", str(province)), ("supersede_appraisal", str(province)),
        ("confirm_appraisal", str(district))]
    assert audits[1]["reason"] == reason and audits[2]["reason"] == reason


def test_exit_rules_count_only_the_current_grade_not_a_superseded_one(january):
    run = january
    (mediator_id,) = mediators(run, 1)
    for received_on in ("2025-04-01", "2025-09-01"):  # two substantiated complaints: 不称职
        run(Complaint.insert(Complaint(mediator_id=mediator_id, region_code="350504",
                                       received_on=datetime.fromisoformat(received_on).date(), substantiated=True,
                                       finding="属实")))
    province = run(appraisal.run_appraisal(2025, "350000", ADMIN)).run_id
    run(appraisal.confirm_appraisal(ADMIN, province))
    assert ("incompetent", {"year": 2025, "grade": "incompetent"}) in [
        (g, f) for m, _r, g, f in run(exits.find_grounds("350504")) if m == mediator_id]
    # On review one complaint was not substantiated: the district's run grades 基本称职 and supersedes.
    run(Complaint.update({Complaint.substantiated: False}).where(Complaint.received_on == datetime(2025, 9, 1).date()))
    district = run(appraisal.run_appraisal(2025, "350504", ADMIN)).run_id
    run(appraisal.confirm_appraisal(ADMIN, district, supersede=True, reason="投诉复核：一件不属实"))
    grounds = [g for m, _r, g, _f in run(exits.find_grounds("350504")) if m == mediator_id]
    assert "incompetent" not in grounds
    assert run(appraisal.confirmed_grades([mediator_id], 2025)) == {mediator_id: "basic"}
    # the notice issued on the superseded 不称职 is withdrawn, with the reason, and audited
    notice = run(ExitNotice.select().where((ExitNotice.mediator_id == mediator_id)
                                           & (ExitNotice.ground == "incompetent")).first())
    assert notice["status"] == "withdrawn" and str(district) in notice["decision_reason"]
    assert notice["decided_on"] == datetime(2026, 1, 15).date()
    assert run(AuditRecord.count().where((AuditRecord.action == "withdraw_exit")
                                         & (AuditRecord.entity_id == str(mediator_id)))) == 1


def test_excellent_cap_counts_only_current_grades(january):
    """Five mediators who all earn 优秀: 20% of five is one place, in the province's run and in the
    district's. Before the rule the same district had two confirmed 优秀 grades for 2025."""
    run = january
    ids = mediators(run, 5)
    for mediator_id in ids:
        excellent_year(run, mediator_id, 2025)
    province = run(appraisal.run_appraisal(2025, "350000", ADMIN)).run_id
    run(appraisal.confirm_appraisal(ADMIN, province))
    district = run(appraisal.run_appraisal(2025, "350504", ADMIN)).run_id
    run(appraisal.confirm_appraisal(ADMIN, district, supersede=True, reason="以区考评为准"))
    current = _confirmed_rows(run, ids)
    assert len(current) == 5
    assert sorted(r["grade"] for r in current) == ["competent", "competent", "competent", "competent", "excellent"]
    excellent = run(Appraisal.count().where((Appraisal.region_code == "350504") & (Appraisal.year == 2025)
                                            & (Appraisal.confirmed == True) & (Appraisal.grade == "excellent")))  # noqa: E712
    assert excellent == 1


def test_the_database_holds_one_confirmed_grade_per_mediator_and_year(january):
    """Whatever a service checks first, a second confirmed grade of the same year is refused by
    the unique partial index."""
    from core.db import is_unique_violation

    run = january
    ids = mediators(run, 1)
    run(appraisal.confirm_appraisal(ADMIN, run(appraisal.run_appraisal(2025, "350000", ADMIN)).run_id))
    district = run(appraisal.run_appraisal(2025, "350504", ADMIN)).run_id
    with pytest.raises(Exception) as refused:
        run(Appraisal.update({Appraisal.confirmed: True}).where(Appraisal.appraisal_run == district))
    assert is_unique_violation(refused.value, appraisal.ONE_GRADE_INDEX) or is_unique_violation(
        refused.value, "appraisal.mediator_id")
    assert len(_confirmed_rows(run, ids)) == 1


def test_two_confirmations_at_the_same_moment_cannot_both_win(client, run):
    """Province and district drafts confirmed at once (on PostgreSQL on two pooled connections, in
    parallel): one is confirmed, the other refused, and each mediator has one 2025 grade."""
    with clock.frozen(JANUARY):
        ids = mediators(run, 3)
        province = run(appraisal.run_appraisal(2025, "350000", ADMIN)).run_id
        district = run(appraisal.run_appraisal(2025, "350504", ADMIN)).run_id

        async def both():
            return await asyncio.gather(appraisal.confirm_appraisal(ADMIN, province),
                                        appraisal.confirm_appraisal(ADMIN, district), return_exceptions=True)

        results = run(both())
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "int"]
    rows = _confirmed_rows(run, ids)
    assert len(rows) == 3 and len({r["appraisal_run"] for r in rows}) == 1
    statuses = {r["status"] for r in run(AppraisalRun.select(AppraisalRun.status))}
    assert statuses == {"confirmed", "draft"}


def test_a_confirmation_whose_check_missed_the_other_run_is_refused_by_the_index(january, monkeypatch):
    """The race as the losing transaction sees it: its check found no earlier grade (the winner
    had not committed yet), and the index still refuses it, as a Conflict, with nothing changed."""
    run = january
    ids = mediators(run, 2)
    run(appraisal.confirm_appraisal(ADMIN, run(appraisal.run_appraisal(2025, "350000", ADMIN)).run_id))
    district = run(appraisal.run_appraisal(2025, "350504", ADMIN)).run_id

    async def saw_nothing(run_id: int, year: int) -> dict:
        return {}

    monkeypatch.setattr(appraisal, "already_graded", saw_nothing)
    with pytest.raises(Conflict, match="2025"):
        run(appraisal.confirm_appraisal(ADMIN, district))
    assert run(AppraisalRun.select(AppraisalRun.status).where(AppraisalRun.id == district).first()) == {
        "status": "draft"}
    assert len(_confirmed_rows(run, ids)) == 2


def test_migration_keeps_the_grade_confirmed_last_where_two_were_confirmed_before_the_rule(january):
    """The double 2025 grades confirmed before this rule: the run confirmed last stays current,
    the earlier grade is kept and marked superseded by it, and then the index holds."""
    import importlib

    from piccolo.querystring import QueryString

    from core.db import engine

    migration = importlib.import_module(
        "roster.review.piccolo_migrations.roster_review_2026_12_05t16_10_01_000000")
    run = january
    (mediator_id,) = mediators(run, 1)
    first = run(appraisal.run_appraisal(2025, "350000", ADMIN)).run_id
    second = run(appraisal.run_appraisal(2025, "350504", ADMIN)).run_id
    run(engine().run_querystring(QueryString(f"DROP INDEX {migration.NAME}")))
    try:
        run(AppraisalRun.update({AppraisalRun.status: "confirmed", AppraisalRun.confirmed_at: JANUARY}).where(
            AppraisalRun.id == first))
        run(AppraisalRun.update({AppraisalRun.status: "confirmed",
                                 AppraisalRun.confirmed_at: datetime(2026, 1, 16, 2, 0, tzinfo=UTC)}).where(
            AppraisalRun.id == second))
        run(Appraisal.update({Appraisal.confirmed: True}).where(Appraisal.mediator_id == mediator_id))
        assert run(migration.supersede_duplicates()) == 1
        assert run(migration.supersede_duplicates()) == 0
    finally:
        run(engine().run_querystring(QueryString(
            f"CREATE UNIQUE INDEX {migration.NAME} ON appraisal (mediator_id, year) WHERE confirmed")))
    rows = {r["appraisal_run"]: r for r in run(Appraisal.select().where(Appraisal.mediator_id == mediator_id))}
    assert rows[second]["confirmed"] and not rows[second]["superseded"]
    assert not rows[first]["confirmed"] and rows[first]["superseded"] and rows[first]["superseded_by_run"] == second


def test_a_notice_the_current_grade_still_grounds_stays_open_after_supersession(january):
    run = january
    (mediator_id,) = mediators(run, 1)
    for received_on in ("2025-04-01", "2025-09-01"):  # two substantiated complaints: 不称职 in both runs
        run(Complaint.insert(Complaint(mediator_id=mediator_id, region_code="350504",
                                       received_on=datetime.fromisoformat(received_on).date(), substantiated=True,
                                       finding="属实")))
    run(appraisal.confirm_appraisal(ADMIN, run(appraisal.run_appraisal(2025, "350000", ADMIN)).run_id))
    district = run(appraisal.run_appraisal(2025, "350504", ADMIN)).run_id
    run(appraisal.confirm_appraisal(ADMIN, district, supersede=True, reason="以区考评为准"))
    notices = run(ExitNotice.select(ExitNotice.status).where((ExitNotice.mediator_id == mediator_id)
                                                             & (ExitNotice.ground == "incompetent")))
    assert notices == [{"status": "open"}]
