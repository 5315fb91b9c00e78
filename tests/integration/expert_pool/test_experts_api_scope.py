"""`GET /api/v1/experts` shows each caller the experts they can draw on, and only their
standing conflicts: a court its city's pool (local experts, those serving the city, shared
ones), an administrator their region and below plus those serving it and shared ones;
filtered and paged in SQL."""

from datetime import timedelta

from core import clock
from core.auth.roles import Grant, Principal, Role
from expert_pool import experts, invited_list
from tests.helpers import api_token, make_user

ADMIN = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))


def _expert(run, name: str, region: str, specialties=("wage_arrears",), served=(), shared=False,
            conflict: str = "") -> int:
    expert_id = run(experts.nominate(ADMIN, {"name": name, "background": "lawyer", "region_code": region,
                                              "specialties": list(specialties), "regions_served": list(served)}))
    run(experts.admit(ADMIN, expert_id, on=clock.today() - timedelta(days=10)))
    if shared:
        run(experts.set_shared(ADMIN, expert_id, True))
    if conflict:
        run(experts.add_conflict(ADMIN, expert_id, {"kind": "former_employer", "party_name": conflict}))
    return expert_id


def _pool(run) -> None:
    _expert(run, "洛江专家", "350504", conflict="泉州某鞋业有限公司")
    _expert(run, "丰泽专家", "350503", specialties=("work_injury",))
    _expert(run, "思明专家", "350203", conflict="厦门某科技有限公司")
    _expert(run, "服务泉州的厦门专家", "350206", served=("350500",))
    _expert(run, "福州共享专家", "350102", shared=True)
    _expert(run, "福州本地专家", "350102")
    quanzhou = run(invited_list.create_court("泉州市中级人民法院", "350500"))
    xiamen = run(invited_list.create_court("厦门市思明区人民法院", "350203"))
    run(make_user("court_qz", Role.COURT, "350500", court_id=quanzhou))
    run(make_user("court_xm", Role.COURT, "350203", court_id=xiamen))
    run(make_user("admin_lj", Role.ADMIN, "350504"))
    run(make_user("admin_xm", Role.ADMIN, "350200"))


def _names(client, user: str, **params) -> dict[str, list[str]]:
    answer = client.get("/api/v1/experts", params={"page_size": 50, **params}, headers=api_token(client, user))
    assert answer.status_code == 200
    return {i["name"]: [c["party_name"] for c in i["standing_conflicts"]] for i in answer.json()["items"]}


def test_a_court_sees_its_citys_pool_and_only_those_experts_conflicts(client, run):
    _pool(run)
    assert _names(client, "court_qz") == {"洛江专家": ["泉州某鞋业有限公司"], "丰泽专家": [],
                                          "服务泉州的厦门专家": [], "福州共享专家": []}
    # A district court draws on its whole city, as its selections do.
    assert _names(client, "court_xm") == {"思明专家": ["厦门某科技有限公司"], "服务泉州的厦门专家": [],
                                          "福州共享专家": []}


def test_an_administrator_sees_their_region_and_below_plus_shared_experts(client, run):
    _pool(run)
    assert set(_names(client, "admin_lj")) == {"洛江专家", "福州共享专家"}
    assert set(_names(client, "admin_xm")) == {"思明专家", "服务泉州的厦门专家", "福州共享专家"}


def test_filters_and_pages_are_counted_in_the_database(client, run):
    _pool(run)
    headers = api_token(client, "court_qz")
    first = client.get("/api/v1/experts", params={"page_size": 3}, headers=headers).json()
    second = client.get("/api/v1/experts", params={"page_size": 3, "page": 2}, headers=headers).json()
    assert first["total"] == second["total"] == 4 and len(first["items"]) == 3 and len(second["items"]) == 1
    assert _names(client, "court_qz", specialty="work_injury") == {"丰泽专家": []}
    assert _names(client, "court_qz", specialty="not_a_dispute_type") == {}
    assert set(_names(client, "court_qz", region="350504")) == {"洛江专家", "福州共享专家"}
