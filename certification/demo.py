"""Demo certificates: mediator1's valid certificate and others in every state (valid,
expiring soon, expired, suspended, revoked, renewed). Idempotent: a mediator who already
holds a certificate is skipped."""

from __future__ import annotations

from datetime import timedelta

from certification import issuing, lifecycle
from certification.files import rendered_files
from certification.rules import add_years
from certification.tables import Certificate
from certification.tokens import verify_url
from core import clock
from core.settings import get_settings

GRADES = ("junior", "intermediate", "senior", "induction")


async def load_demo(context) -> None:
    from roster import services as roster_services

    if await Certificate.count() > 0:
        context.log.append("certificates: already present")
        return
    today = clock.today()  # the platform's date: the demo dates certificates as the platform does
    holders = []
    mine = await roster_services.mediator_for_user(context.users.get("mediator1"))
    if mine is not None:
        holders.append(mine)
    for summary in await roster_services.mediators_in_region("350000"):
        if all(summary.id != h.id for h in holders):
            holders.append(summary)
    if not holders:
        context.log.append("certificates: no mediators to certify")
        return
    validity = get_settings().rules.certificate_validity_years
    # (state, issued_on): the first goes to mediator1.
    plan = [
        ("valid", today - timedelta(days=200)),
        ("expiring", add_years(today, -validity) + timedelta(days=45)),
        ("expired", add_years(today, -validity) - timedelta(days=40)),
        ("suspended", today - timedelta(days=400)),
        ("revoked", today - timedelta(days=500)),
        ("renewed", add_years(today, -validity) + timedelta(days=20)),
        ("valid", today - timedelta(days=30)),
        ("valid", today - timedelta(days=90)),
    ]
    issued = []
    for index, summary in enumerate(holders[: len(plan)]):
        state, issued_on = plan[index]
        grade = GRADES[index % len(GRADES)] if index else "junior"
        certificate = await issuing.issue_certificate_unchecked(summary.id, grade, issued_on=issued_on)
        number = certificate.certificate_no
        if state == "expired":
            await lifecycle.expire_due()
        elif state == "suspended":
            await lifecycle.suspend(None, number, "investigation")
        elif state == "revoked":
            await lifecycle.revoke(None, number, "disciplinary")
        elif state == "renewed":
            certificate = await lifecycle.renew(None, number)
        issued.append((state, certificate))
        await rendered_files(certificate)
    for state, certificate in issued:
        context.log.append(f"certificate {certificate.certificate_no} ({state}): "
                           f"{verify_url(certificate.id, certificate.version)}")
