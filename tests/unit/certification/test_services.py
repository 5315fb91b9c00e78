"""The functions other domains call: certificate standing, valid certificate, suspending a
mediator's certificates."""

from __future__ import annotations

from certification import issuing, lifecycle, services
from core.auth.roles import Grant, Principal, Role
from tests.unit.certification.conftest import new_mediator

ADMIN = Principal(user_id=1, username="admin", grants=(Grant(Role.ADMIN, "350000"),))


def test_certificate_standing_prefers_valid_then_higher_grade(run):
    a, b = run(new_mediator("甲")), run(new_mediator("乙"))
    run(issuing.issue_certificate_unchecked(a, "junior"))
    senior = run(issuing.issue_certificate_unchecked(a, "senior"))
    b_row = run(issuing.issue_certificate_unchecked(b, "junior"))
    run(lifecycle.revoke(ADMIN, b_row.certificate_no, "disciplinary"))
    standing = run(services.certificate_standing([a, b, 999]))
    assert standing[a].certificate_no == senior.certificate_no and standing[a].status == "valid"
    assert standing[b].status == "revoked" and 999 not in standing


def test_has_valid_certificate_and_suspend_certificates_of_mediator(run):
    mediator = run(new_mediator())
    assert run(services.has_valid_certificate(mediator)) is False
    run(issuing.issue_certificate_unchecked(mediator, "junior"))
    assert run(services.has_valid_certificate(mediator)) is True
    assert run(services.suspend_certificates_of_mediator(mediator, "exit_proposed", None)) == 1
    assert run(services.suspend_certificates_of_mediator(mediator, "exit_proposed", None)) == 0
    assert run(services.has_valid_certificate(mediator)) is False


def test_issue_without_the_check_answers_other_domains_the_stored_row(run):
    from certification.tables import Certificate

    mediator = run(new_mediator())
    row = run(services.issue_certificate_unchecked(mediator, "junior"))
    stored = run(Certificate.select().where(Certificate.id == row["id"]).first())
    assert row == stored
