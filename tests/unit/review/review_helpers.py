"""Records that earn a grade or an exit ground, written by hand (figures stated literally), for
the dynamic review tests."""

from __future__ import annotations

from datetime import date

from core.auth.roles import Grant, Principal, Role
from roster import services as roster

ADMIN = Principal(user_id=None, username="admin", grants=(Grant(Role.ADMIN, "350000"),))


def mediators(run, n: int, region: str = "350504", appointed_on: date = date(2023, 6, 1), name: str = "调解员",
              user_id: int | None = None) -> list[int]:
    """Appointed mediators of one organisation, members since their appointment (cases count
    only inside a membership)."""
    org = run(roster.create_organisation_record(name=f"{name}调解中心", region_code=region))
    return [run(roster.create_mediator_record(name=f"{name}{i}", region_code=region, appointed_on=appointed_on,
                                              organisation_id=org, user_id=user_id if i == 0 else None))
            for i in range(n)]


def cases(run, mediator_id: int, year: int, count: int, agreements: int, satisfaction: int = 5,
          region: str = "350504") -> None:
    from roster.review.tables import MediationCase

    organisation_id = run(roster.mediator_summary(mediator_id)).organisation_id
    rows = [MediationCase(mediator_id=mediator_id, region_code=region, dispute_type="wage_arrears",
                          organisation_id=organisation_id, received_on=date(year, 3, 1), closed_on=date(year, 3, 10),
                          outcome="agreement" if i < agreements else "no_agreement", satisfaction=satisfaction)
            for i in range(count)]
    run(MediationCase.insert(*rows))


def hours(run, mediator_id: int, year: int, credited: float) -> None:
    from training.tables import HoursCredit

    run(HoursCredit.insert(HoursCredit(mediator_id=mediator_id, year=year, course_id=900 + mediator_id,
                                       pair_key=f"{mediator_id}:{900 + mediator_id}:{year}", hours=credited,
                                       credited_on=date(year, 6, 30))))


def certificate(run, mediator_id: int, issued_on: date, expires_on: date, status: str = "valid",
                number: str = "") -> str:
    from certification.tables import Certificate

    number = number or f"3505042023J{mediator_id:06d}"
    run(Certificate.insert(Certificate(certificate_no=number, mediator_id=mediator_id, holder_name="持证人",
                                       grade="junior", region_code="350504", issuer="泉州市洛江区人力资源和社会保障局",
                                       issued_on=issued_on, expires_on=expires_on, status=status)))
    return number


def excellent_year(run, mediator_id: int, year: int, cases_handled: int = 12, agreements: int = 11) -> None:
    """What earns 优秀 for `year`: 12 cases, 11 agreements (92%), satisfaction 5, 30 hours of
    24 required, a certificate valid on 31 December of the year and today."""
    cases(run, mediator_id, year, cases_handled, agreements)
    hours(run, mediator_id, year, 30)
    certificate(run, mediator_id, date(2024, 6, 1), date(2027, 5, 31))
