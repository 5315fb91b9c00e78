"""Selection rules (DOMAIN.md "Expert pool and invited list"): recusal grounds unless both
sides waive, availability, ranking, reproducibility and fairness."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from expert_pool import selection
from expert_pool.credit_codes import credit_code_check

ON = date(2026, 11, 23)
CODE = "91350500MA2XYN123" + credit_code_check("91350500MA2XYN123")


def expert(expert_id: int, **extra) -> dict:
    base = {"id": expert_id, "name": f"E{expert_id}", "region_code": "350504", "status": "admitted", "shared": False,
            "specialties": ["wage_arrears"], "regions_served": [], "term_starts_on": "2025-01-01",
            "term_ends_on": "2028-01-01", "needs_certificate": False, "certificate_valid": None, "away": False,
            "active_cases": 0, "max_cases": 3, "assignments_12m": 0, "conflicts": [], "past_parties": []}
    return {**base, **extra}


def case(**extra) -> dict:
    base = {"case_no": "(2026)闽0504民调1号", "dispute_type": "wage_arrears", "region": "350504",
            "employers": [{"name": "泉州某鞋业有限公司", "credit_code": CODE}], "workers": [{"name": "张三"}],
            "agents": [], "declared_relations": [], "waivers": [], "count": 3, "allow_shared": False,
            "on": ON.isoformat(), "lookback_years": 2}
    return {**base, **extra}


def reasons_of(considered: list[dict], expert_id: int) -> list[str]:
    return next(c["reasons"] for c in considered if c["expert_id"] == expert_id)


def test_former_employer_within_2_years_is_excluded_with_the_reason():
    pool = [expert(1, conflicts=[{"kind": "former_employer", "party_name": "泉州某鞋业有限公司", "credit_code": CODE,
                                  "until": (ON - timedelta(days=300)).isoformat()}]), expert(2)]
    shortlist, considered = selection.select(case(), pool, "seed")
    assert shortlist == [2] and "recusal:employment:泉州某鞋业有限公司" in reasons_of(considered, 1)


def test_former_employer_more_than_2_years_ago_is_not_a_ground():
    pool = [expert(1, conflicts=[{"kind": "former_employer", "party_name": "泉州某鞋业有限公司", "credit_code": "",
                                  "until": "2020-01-01"}])]
    assert selection.select(case(), pool, "seed")[0] == [1]


def test_relative_of_a_party_and_represented_party_and_declared_relation_are_recusal_grounds():
    pool = [expert(1, conflicts=[{"kind": "relative_employer", "party_name": "泉州某鞋业（有限）公司", "credit_code": "",
                                  "until": None}]),
            expert(2, conflicts=[{"kind": "represented", "party_name": "张三", "credit_code": "", "until": None}]),
            expert(3), expert(4)]
    shortlist, considered = selection.select(case(declared_relations=[{"expert_id": 3, "relation": "同学"}]), pool, "s")
    assert shortlist == [4]
    assert reasons_of(considered, 1)[0].startswith("recusal:relative")
    assert reasons_of(considered, 2)[0].startswith("recusal:represented")
    assert reasons_of(considered, 3)[0].startswith("recusal:declared")


def test_mediated_for_the_same_parties_within_2_years_is_a_recusal_ground():
    pool = [expert(1, past_parties=[{"party_name": "泉州某鞋业有限公司", "credit_code": CODE,
                                     "on": (ON - timedelta(days=100)).isoformat()}])]
    assert "recusal:mediated_same_parties:泉州某鞋业有限公司" in reasons_of(selection.select(case(), pool, "s")[1], 1)


def test_a_ground_is_waived_only_when_both_sides_waive_it():
    conflicts = [{"kind": "represented", "party_name": "张三", "credit_code": "", "until": None}]
    one_side = case(waivers=[{"expert_id": 1, "ground": "represented", "employer_side": True, "worker_side": False}])
    both = case(waivers=[{"expert_id": 1, "ground": "represented", "employer_side": True, "worker_side": True}])
    assert selection.select(one_side, [expert(1, conflicts=conflicts)], "s")[0] == []
    shortlist, considered = selection.select(both, [expert(1, conflicts=conflicts)], "s")
    assert shortlist == [1] and "waived:represented" in reasons_of(considered, 1)


def test_unavailable_experts_are_excluded_outside_term_suspended_away_at_maximum_or_uncertified():
    pool = [expert(1, term_ends_on="2026-01-01"), expert(2, status="suspended"), expert(3, away=True),
            expert(4, active_cases=3), expert(5, needs_certificate=True, certificate_valid=False), expert(6)]
    shortlist, considered = selection.select(case(count=6), pool, "s")
    assert shortlist == [6]
    assert reasons_of(considered, 1) == ["unavailable:outside_term"]
    assert reasons_of(considered, 2) == ["unavailable:suspended"]
    assert reasons_of(considered, 3) == ["unavailable:away"]
    assert reasons_of(considered, 4) == ["unavailable:at_case_maximum"]
    assert reasons_of(considered, 5) == ["unavailable:no_valid_certificate"]


def test_ranking_puts_local_before_shared_then_specialty_then_fewest_assignments():
    pool = [expert(1, region_code="350203", shared=True), expert(2, specialties=["severance"]),
            expert(3, assignments_12m=2), expert(4, assignments_12m=0)]
    shortlist, _ = selection.select(case(count=4, allow_shared=True), pool, "s")
    assert shortlist == [4, 3, 2, 1]
    not_shared = selection.select(case(count=4), pool, "s")[1]
    assert reasons_of(not_shared, 1) == ["shared_not_allowed"]


def test_asking_for_more_experts_than_are_eligible_returns_those_that_exist():
    assert selection.select(case(count=5), [expert(1), expert(2)], "s")[0] in ([1, 2], [2, 1])


def test_the_same_seed_inputs_and_snapshot_give_the_same_list():
    pool = [expert(i) for i in range(1, 30)]
    assert selection.select(case(count=5), pool, "abc") == selection.select(case(count=5), pool, "abc")
    assert selection.select(case(count=5), pool, "abc")[0] != selection.select(case(count=5), pool, "xyz")[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "away": st.booleans(), "suspended": st.booleans(), "conflict": st.booleans(), "active": st.integers(0, 4)}),
    min_size=1, max_size=15), st.text(min_size=1, max_size=8), st.integers(1, 6))
def test_no_excluded_expert_is_ever_selected(flags, seed, count):
    pool = [expert(i + 1, away=f["away"], status="suspended" if f["suspended"] else "admitted", active_cases=f["active"],
                   conflicts=[{"kind": "former_employer", "party_name": "泉州某鞋业有限公司", "credit_code": "",
                               "until": None}] if f["conflict"] else [])
            for i, f in enumerate(flags)]
    shortlist, considered = selection.select(case(count=count), pool, seed)
    excluded = {c["expert_id"] for c in considered if not c["included"]}
    assert not set(shortlist) & excluded
    for expert_id in shortlist:
        f = flags[expert_id - 1]
        assert not (f["away"] or f["suspended"] or f["conflict"] or f["active"] >= 3)


def test_fair_rotation_keeps_assignment_counts_in_a_tight_band_over_10000_selections():
    pool = [expert(i) for i in range(1, 21)]
    counts: Counter[int] = Counter()
    for n in range(10_000):
        for e in pool:
            e["assignments_12m"] = counts[e["id"]]
        shortlist, _ = selection.select(case(count=1), pool, f"seed-{n}")
        counts[shortlist[0]] += 1
    spread = max(counts.values()) - min(counts.values())
    assert sum(counts.values()) == 10_000 and spread <= 1, counts


def test_strikes_remove_names_and_rankings_are_combined():
    # The employer strikes 2 and does not rank (draw order 1, 3, 4); the worker ranks 4, 3, 1.
    # Sums: 1 → 1+3 = 4, 3 → 2+2 = 4, 4 → 3+1 = 4; the lower worst rank first: 3 (2), then 1
    # and 4 (both 3), by the draw: 1 before 4.
    assert selection.combine_rankings([1, 2, 3, 4], {"employer": [2]}, {"worker": [4, 3, 1]}) == [3, 1, 4]
    assert selection.combine_rankings([1, 2, 3], {}, {}) == [1, 2, 3]
    assert 2 not in selection.combine_rankings([1, 2, 3], {"worker": [2]}, {})


# Party names as courts and administrators write them: the same company in other widths,
# brackets and spacing, other companies, a worker, an agent's firm; codes in either case.
PARTY_NAMES = ["泉州某鞋业有限公司", "泉州某鞋业（有限）公司", " 泉州 某鞋业(有限)公司", "ＡＢＣ公司", "abc公司",
               "张三", "李四", "某律师事务所", "别的公司", ""]
CODES = ["", CODE, CODE.lower(), "91350500MA2XYN1240"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "conflicts": st.lists(st.fixed_dictionaries({
        "kind": st.sampled_from(["former_employer", "represented", "relative_employer", "other"]),
        "party_name": st.sampled_from(PARTY_NAMES), "credit_code": st.sampled_from(CODES),
        "until": st.sampled_from([None, "2020-01-01", "2026-01-01"])}), max_size=3),
    "past_parties": st.lists(st.fixed_dictionaries({
        "party_name": st.sampled_from(PARTY_NAMES), "credit_code": st.sampled_from(CODES),
        "on": st.sampled_from(["2023-06-01", "2026-06-01"])}), max_size=3)}), min_size=1, max_size=8),
    st.sampled_from(PARTY_NAMES[:5]), st.sampled_from(CODES), st.text(max_size=6))
def test_conflicts_and_past_parties_naming_none_of_the_case_parties_never_change_the_list(facts, employer, code, seed):
    """What the stored snapshot leaves out (selected by the keys of `match_keys`, with codes
    stored in capitals as `add_conflict` and the migration write them) cannot change a list."""
    inputs = case(count=3, employers=[{"name": employer, "credit_code": code.upper()}],
                  agents=[{"name": "王律师", "firm": "某律师事务所"}])
    pool = [expert(n + 1, **f) for n, f in enumerate(facts)]
    parties, agents = selection.case_parties(inputs)

    def naming(items, keys):
        names, codes = keys
        return [i for i in items if selection.normalise_name(i["party_name"]) in names
                or (i["credit_code"] or "").upper() in codes]

    kept = [{**e, "conflicts": naming(e["conflicts"], selection.match_keys(parties + agents)),
             "past_parties": naming(e["past_parties"], selection.match_keys(parties))} for e in pool]
    assert selection.select(inputs, kept, seed) == selection.select(inputs, pool, seed)


def test_the_stored_rows_and_the_first_stored_form_give_the_same_snapshot():
    pool = [expert(1, conflicts=[{"kind": "other", "party_name": "张三", "credit_code": "", "until": None}]),
            expert(2, shared=True, region_code="350203")]
    stored = selection.pack_snapshot(pool)
    assert stored["format"] == selection.SNAPSHOT_FORMAT and len(stored["rows"]) == 2
    unpacked = selection.unpack_snapshot(stored)
    assert unpacked == [{k: e[k] for k in selection.SNAPSHOT_FIELDS} for e in pool]
    assert selection.unpack_snapshot(pool) is pool  # the first form: objects, read as they are
    assert selection.select(case(allow_shared=True), unpacked, "s") == selection.select(case(allow_shared=True), pool, "s")
