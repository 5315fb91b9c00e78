"""The expert pool's unit-test world: principals, an admitted expert, an expert signed in,
and a court case of its own per call."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from core import clock
from core.auth.roles import Grant, Principal, Role
from expert_pool import experts
from expert_pool.tables import Expert

ADMIN = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))
XIAMEN_ADMIN = Principal(user_id=None, username="xm", grants=(Grant(Role.ADMIN, "350200"),))
COURT = Principal(user_id=None, username="court", grants=(Grant(Role.COURT, "350500", court_id=1),))
MONDAY = date(2026, 11, 16)


def new_expert(run, name: str = "专家", region: str = "350504", admitted_on: date | None = None, **extra) -> int:
    expert_id = run(experts.nominate(ADMIN, {"name": name, "background": "lawyer", "region_code": region,
                                              "specialties": ["wage_arrears"], **extra}))
    run(experts.admit(ADMIN, expert_id, on=admitted_on or clock.today() - timedelta(days=30)))
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
