"""The pool snapshot a selection is drawn from reads a constant number of queries whatever the
pool size."""

from __future__ import annotations

from core import clock
from expert_pool import experts, pool_snapshot
from expert_pool.tables import Expert
from tests.unit.expert_pool.world import ADMIN, case, new_expert


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
        run(pool_snapshot.pool_snapshot({**case(), "allow_shared": True}, clock.today()))
        monkeypatch.setattr(engine_class, "run_querystring", original)
        return len(calls)

    for n in range(3):
        new_expert(run, f"甲{n}")
    few = queries_for_snapshot()
    for n in range(25):
        expert_id = new_expert(run, f"乙{n}")
        run(experts.add_conflict(ADMIN, expert_id, {"kind": "other", "party_name": f"某公司{n}"}))
    assert 0 < few <= 10 and queries_for_snapshot() == few
