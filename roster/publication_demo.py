"""Demo publications (名册公布), run after every domain's demo data so that the exits the
review's demo upheld are not on them: an earlier publication of Quanzhou, dated six weeks
ago, and today's province-wide publication, so the publications page has a history.
Idempotent: it does nothing once a publication exists."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from core.auth.roles import Grant, Principal, Role
from roster.publication import publish
from roster.tables import RosterPublication


async def publish_demo_roster(context) -> None:
    if await RosterPublication.exists():
        return
    province = Principal(user_id=context.users.get("admin"), username="admin", grants=(Grant(Role.ADMIN, "350000"),))
    quanzhou = Principal(user_id=context.users.get("admin_quanzhou"), username="admin_quanzhou",
                         grants=(Grant(Role.ADMIN, "350500"),))
    await publish(quanzhou, "350500", "泉州市劳动人事争议调解员名册（第三季度）",
                  at=clock.now() - timedelta(days=42))
    await publish(province, "350000", "福建省劳动人事争议调解组织和调解员名册（第四季度）")
    context.log.append("roster: published the roster (Quanzhou six weeks ago, the province today)")
