"""Demo data: regions, one administrator per level, examiners, an organisation manager,
a mediator account, a court user, an auditor and the province's mail/SMS gateway. Domains add
their own demo data through `load_demo(context)`. Running it twice changes nothing the second time."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

from core.auth.roles import Grant, Role
from core.auth.services import create_user, user_id_by_username
from core.regions import load_regions
from core.settings import get_settings


@dataclass
class DemoContext:
    password: str
    users: dict[str, int] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)


# username, display name, role, region code
CORE_ACCOUNTS = [
    ("admin", "省人社厅管理员", Role.ADMIN, "350000"),
    ("admin_quanzhou", "泉州市人社局管理员", Role.ADMIN, "350500"),
    ("admin_luojiang", "洛江区人社局管理员", Role.ADMIN, "350504"),
    ("admin_xiamen", "厦门市人社局管理员", Role.ADMIN, "350200"),
    ("examiner1", "阅卷人一", Role.EXAMINER, "350000"),
    ("examiner2", "阅卷人二", Role.EXAMINER, "350000"),
    ("examiner3", "阅卷人三", Role.EXAMINER, "350000"),
    ("auditor1", "省厅审计员", Role.AUDITOR, "350000"),
    ("org1", "洛江区劳动争议调解中心负责人", Role.ORG_MANAGER, "350504"),
    ("mediator1", "林晓梅", Role.MEDIATOR, "350504"),
    ("court1", "泉州市中级人民法院立案庭", Role.COURT, "350500"),
    ("gateway", "全省短信邮件网关", Role.GATEWAY, "350000"),  # delivers the outbox with a system token from /account
]


def demo_password() -> str:
    explicit = os.environ.get("MEDIATION_DEMO_PASSWORD")
    if explicit:
        return explicit
    stored = get_settings().var_dir / "demo_password"
    if stored.exists():
        return stored.read_text().strip()
    password = secrets.token_urlsafe(9)
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_text(password)
    stored.chmod(0o600)
    return password


async def load_core_demo(context: DemoContext) -> None:
    added = await load_regions()
    context.log.append(f"regions added: {added}")
    for username, name, role, region in CORE_ACCOUNTS:
        existed = await user_id_by_username(username)
        context.users[username] = await create_user(username, context.password, name, [Grant(role, region)])
        if not existed:
            context.log.append(f"account created: {username}")
