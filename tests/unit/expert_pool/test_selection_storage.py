"""Court selection at pool scale against the database: a constant number of queries whatever
the pool, conflicts and past mediations found by their stored party keys (and never missed
when a key is absent), experts serving the case's city, and both stored forms of a selection
(compressed rows now; JSON objects before) replaying to the same list."""

from __future__ import annotations

import gc
import importlib
from dataclasses import asdict
from datetime import timedelta

import pytest

from core import clock
from expert_pool import court_selections, credit_codes, experts, pool_snapshot, selection_steps
from expert_pool import selection as rules
from expert_pool.tables import Selection, SelectionParty, StandingConflict
from tests.unit.expert_pool.world import ADMIN, COURT, case, new_expert

CODE = "91350500MA2XYN123" + credit_codes.credit_code_check("91350500MA2XYN123")
BACKFILL = "expert_pool.piccolo_migrations.expert_pool_2026_11_23t10_25_01_000000"


def count_queries(run, monkeypatch, awaitable) -> tuple[int, object]:
    engine_class = type(Selection._meta.db)
    original = engine_class.run_querystring
    calls: list[str] = []

    async def counting(self, querystring, *args, **kwargs):
        calls.append(str(querystring))
        return await original(self, querystring, *args, **kwargs)

    monkeypatch.setattr(engine_class, "run_querystring", counting)
    try:
        result = run(awaitable)
    finally:
        monkeypatch.setattr(engine_class, "run_querystring", original)
    return len(calls), result


def accept(run, expert_id: int, data: dict) -> None:
    created = run(court_selections.create_selection(COURT, data))
    assert expert_id in created.shortlist
    run(selection_steps.confirm(COURT, created.id, designate=expert_id))
    run(selection_steps.answer(COURT, created.id, True))


def test_a_selection_takes_the_same_number_of_queries_for_a_small_and_a_larger_pool(run, monkeypatch):
    first = new_expert(run, "甲")
    run(experts.set_shared(ADMIN, new_expert(run, "厦门甲", region="350203"), True))
    small, result = count_queries(run, monkeypatch, court_selections.create_selection(COURT, case(allow_shared=True)))
    assert len(result.considered) == 2
    accept(run, first, case(case_no="（2026）闽05民调11号", employers=[{"name": "别的公司"}]))
    # A larger pool with everything the selection reads: conflicts (matching and not), past
    # mediations, an absence, shared experts, an expert of another city serving this one.
    for n in range(30):
        expert_id = new_expert(run, f"乙{n}")
        run(experts.add_conflict(ADMIN, expert_id, {"kind": "former_employer",
                                                     "party_name": "泉州某鞋业有限公司" if n % 10 == 0 else f"某公司{n}"}))
    for n in range(5):
        run(experts.set_shared(ADMIN, new_expert(run, f"厦门乙{n}", region="350203"), True))
    new_expert(run, "福州丙", region="350102", regions_served=["350500"])
    run(experts.add_absence(ADMIN, first, clock.today(), clock.today() + timedelta(days=3)))
    larger, result = count_queries(run, monkeypatch, court_selections.create_selection(COURT, case(allow_shared=True)))
    assert len(result.considered) == 2 + 30 + 5 + 1
    assert larger == small <= 10


def test_a_conflict_with_the_party_written_another_way_is_found_by_its_party_key(run):
    conflicted, other = new_expert(run, "甲"), new_expert(run, "乙")
    run(experts.add_conflict(ADMIN, conflicted, {"kind": "former_employer", "party_name": "泉州某鞋业（有限）公司"}))
    run(experts.add_conflict(ADMIN, other, {"kind": "represented", "party_name": "厦门某物流有限公司"}))
    assert run(StandingConflict.select(StandingConflict.party_key).where(StandingConflict.expert == conflicted)) == [
        {"party_key": "泉州某鞋业有限公司"}]
    result = run(court_selections.create_selection(COURT, case(employers=[{"name": "泉州 某鞋业(有限)公司"}])))
    assert result.shortlist == [other]
    assert next(c for c in result.considered if c["expert_id"] == conflicted)["reasons"][0].startswith(
        "recusal:employment:")
    # The snapshot keeps only the conflicts naming this case's parties: the others cannot matter.
    snapshot = {e["id"]: e for e in run(pool_snapshot.pool_snapshot(court_selections.validate_request(
        case(employers=[{"name": "泉州 某鞋业(有限)公司"}])), clock.today()))}
    assert [c["party_name"] for c in snapshot[conflicted]["conflicts"]] == ["泉州某鞋业（有限）公司"]
    assert snapshot[other]["conflicts"] == []


def test_a_conflict_stored_without_its_party_key_is_still_checked(run):
    """A row written around `add_conflict` (an import, a hand fix) is read every time, so a
    missing key can slow a selection but never hide a recusal ground."""
    expert_id, other = new_expert(run, "甲"), new_expert(run, "乙")
    run(StandingConflict.insert(StandingConflict(expert=expert_id, kind="former_employer",
                                                 party_name="泉州某鞋业有限公司", party_key="")))
    result = run(court_selections.create_selection(COURT, case()))
    assert result.shortlist == [other]


def test_a_past_mediation_for_the_same_employer_is_found_by_credit_code_or_by_the_name_written_another_way(run):
    expert_id, other = new_expert(run, "甲"), new_expert(run, "乙")
    accept(run, expert_id, case(employers=[{"name": "泉州某鞋业（有限）公司", "credit_code": CODE}]))
    for employer in ({"name": "泉州新名字有限公司", "credit_code": CODE}, {"name": "泉州 某鞋业(有限)公司"}):
        again = run(court_selections.create_selection(COURT, case(employers=[employer], workers=[{"name": "李四"}])))
        assert again.shortlist == [other]
        assert next(c for c in again.considered if c["expert_id"] == expert_id)["reasons"][0] == (
            f"recusal:mediated_same_parties:{employer['name']}")


def test_an_expert_of_another_city_serving_the_case_city_is_local_and_one_serving_elsewhere_is_not(run):
    serving = new_expert(run, "福州甲", region="350102", regions_served=["350500"])
    elsewhere = new_expert(run, "福州乙", region="350102", regions_served=["350200", "350305"])
    result = run(court_selections.create_selection(COURT, case()))
    assert result.shortlist == [serving] and "local" in result.considered[0]["reasons"]
    assert elsewhere not in {c["expert_id"] for c in result.considered}


def test_a_selection_is_stored_compressed_and_replays_with_its_reasons(run):
    for n in range(3):
        new_expert(run, f"专家{n}")
    created = run(court_selections.create_selection(COURT, case(count=2)))
    row = run(Selection.select().where(Selection.id == created.id).first())
    assert row["pool_snapshot_zlib"] and row["considered_zlib"] and row["pool_snapshot"] in ([], "[]")
    assert run(court_selections.selection_view(COURT, created.id)).considered == created.considered
    assert asdict(run(court_selections.replay(COURT, created.id))) == {"matches": True, "shortlist": created.shortlist}


def test_a_selection_stored_before_compression_still_replays_and_shows_its_reasons(run):
    """The first stored form: a JSON object per candidate with every conflict and past party,
    in the JSONB columns."""
    for n in range(3):
        new_expert(run, f"专家{n}")
    created = run(court_selections.create_selection(COURT, case(count=2)))
    snapshot = run(pool_snapshot.pool_snapshot(court_selections.validate_request(case()), clock.today()))
    first_form = [{**e, "name": f"专家{n}", "conflicts": [{"kind": "other", "party_name": "无关公司", "credit_code": "",
                                                            "until": None}]} for n, e in enumerate(snapshot)]
    run(Selection.update({Selection.pool_snapshot: first_form, Selection.considered: created.considered,
                          Selection.pool_snapshot_zlib: None, Selection.considered_zlib: None}).where(
        Selection.id == created.id))
    assert asdict(run(court_selections.replay(COURT, created.id))) == {"matches": True, "shortlist": created.shortlist}
    assert run(court_selections.selection_view(COURT, created.id)).considered == created.considered
    # A stored snapshot altered afterwards no longer gives the stored list: the replay says so.
    first_form[0]["status"] = "suspended"
    run(Selection.update({Selection.pool_snapshot: first_form}).where(Selection.id == created.id))
    assert run(court_selections.replay(COURT, created.id)).matches is False


def test_garbage_collection_is_back_on_after_a_selection_even_a_failed_one(run, monkeypatch):
    """The selection pauses the cyclic collector around its allocation-heavy steps; a pause
    left on would leak every reference cycle of the whole process."""
    new_expert(run)
    run(court_selections.create_selection(COURT, case()))
    assert gc.isenabled()

    def failing(*_args):
        raise RuntimeError("rules failed")

    monkeypatch.setattr(rules, "select", failing)
    with pytest.raises(RuntimeError):
        run(court_selections.create_selection(COURT, case()))
    assert gc.isenabled()


def test_the_migration_gives_earlier_conflicts_and_selections_their_party_keys(run):
    backfill = importlib.import_module(BACKFILL)
    expert_id = new_expert(run)
    run(StandingConflict.insert(StandingConflict(expert=expert_id, kind="former_employer",
                                                 party_name="泉州某鞋业（有限）公司", credit_code=CODE.lower())))
    created = run(court_selections.create_selection(COURT, case()))
    run(SelectionParty.delete().where(SelectionParty.selection == created.id))  # as stored before the table
    assert run(backfill.fill_party_keys()) == 1 + 2
    conflict = run(StandingConflict.select(StandingConflict.party_key, StandingConflict.credit_code).first())
    assert conflict == {"party_key": rules.normalise_name("泉州某鞋业（有限）公司"), "credit_code": CODE}
    parties = run(SelectionParty.select(SelectionParty.position, SelectionParty.role, SelectionParty.party_key).where(
        SelectionParty.selection == created.id).order_by(SelectionParty.position))
    assert parties == [{"position": 0, "role": "employer", "party_key": rules.normalise_name("泉州某鞋业有限公司")},
                       {"position": 1, "role": "worker", "party_key": "张三"}]
    assert run(backfill.fill_party_keys()) == 0  # a second run changes nothing
    assert backfill.normalise_name("（泉州）某 公司") == rules.normalise_name("（泉州）某 公司")
