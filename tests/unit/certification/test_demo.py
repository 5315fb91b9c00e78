"""The certification demo."""

from __future__ import annotations

from certification import rules, services
from certification.tables import Certificate
from core import clock
from core.auth.roles import Grant, Role
from tests.unit.certification.conftest import new_mediator


def test_demo_has_certificates_in_every_state_and_a_second_load_changes_nothing(run):
    from core.auth.services import create_user
    from core.demo import DemoContext

    user = run(create_user("mediator1", "long-enough-password", "林晓梅", [Grant(Role.MEDIATOR, "350504")]))
    run(new_mediator("林晓梅", user_id=user))
    for index in range(7):
        run(new_mediator(f"调解员{index}"))
    context = DemoContext(password="x", users={"mediator1": user})
    run(__import__("certification.demo", fromlist=["load_demo"]).load_demo(context))
    rows = run(Certificate.select())
    statuses = {rules.effective_status(r["status"], r["expires_on"]) for r in rows}
    assert {"valid", "expired", "suspended", "revoked", "renewed"} <= statuses
    mine = run(services.certificate_standing([rows[0]["mediator_id"]]))
    assert mine[rows[0]["mediator_id"]].status == "valid"
    assert any(0 <= (r["expires_on"] - clock.today()).days <= 60 and r["status"] == "valid" for r in rows)
    count = len(rows)
    run(__import__("certification.demo", fromlist=["load_demo"]).load_demo(context))
    assert run(Certificate.count()) == count
