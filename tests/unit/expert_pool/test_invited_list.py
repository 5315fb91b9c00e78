"""The invited-mediation list (特邀调解名册) against the database: only an admitted expert is
listed, with the courts served; a listing is withdrawn once, with grounds, by an administrator
of its region; the public list shows active listings with their courts' names."""

from __future__ import annotations

import pytest

from core.errors import Conflict, DomainError, Forbidden
from expert_pool import experts, invited_list
from tests.unit.expert_pool.world import ADMIN, XIAMEN_ADMIN, new_expert


def test_only_an_admitted_expert_is_listed_and_only_for_named_courts(run):
    nominated = run(experts.nominate(ADMIN, {"name": "未入库", "background": "lawyer", "region_code": "350504",
                                             "specialties": ["wage_arrears"]}))
    with pytest.raises(Conflict):
        run(invited_list.list_invited(ADMIN, nominated, [1]))
    admitted = new_expert(run)
    with pytest.raises(DomainError) as refused:
        run(invited_list.list_invited(ADMIN, admitted, []))
    assert refused.value.field == "courts"
    with pytest.raises(Forbidden):
        run(invited_list.list_invited(XIAMEN_ADMIN, admitted, [1]))


def test_a_listing_is_withdrawn_once_with_grounds_and_leaves_the_public_list(run):
    court = run(invited_list.create_court("泉州市中级人民法院", "350500"))
    listing_id = run(invited_list.list_invited(ADMIN, new_expert(run, "名册专家"), [court]))
    shown, total = run(invited_list.public_invited())
    assert total == 1 and shown[0].name == "名册专家" and shown[0].kind == "expert"
    assert shown[0].court_names == ["泉州市中级人民法院"]
    assert [listing.court_names for listing in run(invited_list.listings_for(ADMIN))] == [["泉州市中级人民法院"]]
    with pytest.raises(DomainError):
        run(invited_list.withdraw_listing(ADMIN, listing_id, " "))
    with pytest.raises(Forbidden):
        run(invited_list.withdraw_listing(XIAMEN_ADMIN, listing_id, "任期届满"))
    run(invited_list.withdraw_listing(ADMIN, listing_id, "任期届满"))
    with pytest.raises(Conflict):
        run(invited_list.withdraw_listing(ADMIN, listing_id, "任期届满"))
    assert run(invited_list.public_invited()) == ([], 0)
    assert [listing.status for listing in run(invited_list.listings_for(ADMIN))] == ["removed"]
