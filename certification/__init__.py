"""Certification (证书): issue, signed QR tokens, rendering, public verification, lifecycle.
Registers its router, menu, daily-sweep steps and demo data with the app."""

from __future__ import annotations

from litestar import Router

from core.auth.roles import Role
from core.i18n import N_
from core.jobs import JobResult, SweepStep
from core.nav import NavItem


def _router() -> Router:
    from certification.controllers import (
        CertificateAdminController,
        CertificatesApiController,
        MyCertificatesController,
    )
    from certification.verification_controllers import PublicVerifyController, VerifyApiController

    return Router(path="/", route_handlers=[
        PublicVerifyController, VerifyApiController, CertificatesApiController, CertificateAdminController,
        MyCertificatesController,
    ])


router = _router()

NAV = [
    NavItem("/admin/certificates", N_("Certificates"), (Role.ADMIN, Role.AUDITOR), 30),
    NavItem("/my/certificates", N_("My certificates"), (Role.MEDIATOR,), 30),
]


async def _expire() -> JobResult:
    from certification.lifecycle import expire_due

    return JobResult(changes=await expire_due())


async def _remind() -> JobResult:
    from certification.lifecycle import send_expiry_reminders

    return JobResult(changes=await send_expiry_reminders())


# Sorted by name when the sweep runs: expiry first, then reminders.
SWEEP_STEPS = [SweepStep("certification.1_expire", _expire), SweepStep("certification.2_reminders", _remind)]


async def _answer_standing(event) -> dict:
    from certification.services import certificate_standing

    return await certificate_standing(event.mediator_ids)


def _subscriptions() -> list:
    from roster.events import CertificateStandingWanted

    return [(CertificateStandingWanted, _answer_standing)]


SUBSCRIPTIONS = _subscriptions()


async def load_demo(context) -> None:
    from certification.demo import load_demo as load

    await load(context)


async def on_shutdown() -> None:
    """Write the verification-log rows still buffered in this worker."""
    from certification.verification import flush_verification_log

    await flush_verification_log()
