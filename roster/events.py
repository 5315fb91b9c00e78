"""What the roster asks of the domains above it (core.events). It stands on the ground floor and
imports none of them: the published roster shows each mediator's certificate, which
certification owns, so the roster asks for it and certification answers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from core import events


@dataclass(frozen=True)
class CertificateStanding:
    """A mediator's current, best certificate, with its status as of today."""

    certificate_no: str
    grade: str
    status: str
    issued_on: date
    expires_on: date


@dataclass(frozen=True)
class CertificateStandingWanted(events.Event):
    """Each of these mediators' current certificate; answered {mediator id: CertificateStanding}
    (a mediator who never held one is left out)."""

    mediator_ids: tuple[int, ...]


async def certificate_standing(mediator_ids: Iterable[int]) -> dict[int, CertificateStanding]:
    return events.merged(await events.publish(CertificateStandingWanted(tuple(sorted(set(mediator_ids))))))
