"""A cousin of taking over a mediator through a membership: an expert record is a relation the
nominator creates (and names the region of), so it must not give authority over a mediator of
another region (courts draw on the expert, refusals count towards an exit)."""

from __future__ import annotations

import pytest

from core.auth.roles import Grant, Principal, Role
from core.errors import Forbidden
from expert_pool import experts
from roster import services as roster


def admin(region: str) -> Principal:
    return Principal(user_id=None, username=f"admin{region}", grants=(Grant(Role.ADMIN, region),))


def test_an_administrator_nominates_only_mediators_of_their_own_region_whatever_region_the_expert_names(run):
    quanzhou = run(roster.create_mediator_record(name="黄晓梅", region_code="350504"))
    form = {"name": "黄晓梅", "background": "mediator", "region_code": "350200", "specialties": "wage_arrears",
            "mediator_id": str(quanzhou)}
    with pytest.raises(Forbidden):
        run(experts.nominate(admin("350200"), form))
    assert run(experts.nominate(admin("350500"), {**form, "region_code": "350500"}))
