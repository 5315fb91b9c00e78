"""The lifecycle against the database: suspend, reinstate, revoke, renew, and the daily
sweep's expiry and reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest

from certification import issuing, lifecycle, registry, rules, tokens, verification
from core import clock
from core.auth.roles import Grant, Principal, Role
from core.errors import Conflict, DomainError, Forbidden
from tests.unit.certification.conftest import new_mediator

ADMIN = Principal(user_id=1, username="admin", grants=(Grant(Role.ADMIN, "350000"),))
XIAMEN_ADMIN = Principal(user_id=2, username="xm", grants=(Grant(Role.ADMIN, "350200"),))


def test_suspension_with_reason_and_reinstatement_are_audited(run):
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior"))
    suspended = run(lifecycle.suspend(ADMIN, row.certificate_no, "investigation"))
    assert suspended.status == "suspended" and suspended.status_reason == "investigation"
    view = run(verification.verify_token(tokens.make_token(row.id, 1)))
    assert view.status == "suspended" and view.status_reason == "investigation"
    assert run(lifecycle.reinstate(ADMIN, row.certificate_no)).status == "valid"
    assert [h.action for h in run(registry.history(row.id))] == ["issue", "suspend", "reinstate"]


def test_revocation_is_final_and_revoking_a_revoked_certificate_is_refused(run):
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior"))
    run(lifecycle.revoke(ADMIN, row.certificate_no, "disciplinary"))
    with pytest.raises(Conflict):
        run(lifecycle.revoke(ADMIN, row.certificate_no, "disciplinary"))
    with pytest.raises(Conflict):
        run(lifecycle.reinstate(ADMIN, row.certificate_no))
    with pytest.raises(Conflict):
        run(lifecycle.renew(ADMIN, row.certificate_no))


def test_lifecycle_change_needs_a_reason_and_an_administrator_of_the_region(run):
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior"))
    with pytest.raises(DomainError):
        run(lifecycle.suspend(ADMIN, row.certificate_no, " "))
    with pytest.raises(Forbidden):
        run(lifecycle.revoke(XIAMEN_ADMIN, row.certificate_no, "disciplinary"))


def test_renewal_issues_a_successor_pointing_back_and_marks_the_old_one_renewed(run):
    mediator = run(new_mediator())
    old = run(issuing.issue_certificate_unchecked(mediator, "junior", issued_on=clock.today() - timedelta(days=1000)))
    new = run(lifecycle.renew(ADMIN, old.certificate_no))
    assert new.renewed_from_id == old.id and new.certificate_no != old.certificate_no
    assert new.issued_on == clock.today()
    old_view = run(verification.verify_token(tokens.make_token(old.id, 1)))
    assert old_view.lifecycle_status == "renewed"
    assert old_view.superseded_by.certificate_no == new.certificate_no
    assert run(verification.verify_token(tokens.make_token(new.id, 1))).status == "valid"


def test_daily_sweep_expires_past_due_certificates_once(run):
    mediator = run(new_mediator())
    row = run(issuing.issue_certificate_unchecked(mediator, "junior", issued_on=clock.today() - timedelta(days=3 * 366)))
    assert run(lifecycle.expire_due()) == 1
    assert run(lifecycle.expire_due()) == 0
    assert run(registry.by_number(row.certificate_no)).status == "expired"


def test_reminders_go_60_and_30_days_before_expiry_once_each(run):
    from core.auth.services import create_user
    from core.tables import Notification

    user = run(create_user("holder", "long-enough-password", "持证人", [Grant(Role.MEDIATOR, "350504")]))
    mediator = run(new_mediator(user_id=user))
    issued = rules.add_years(clock.today(), -3) + timedelta(days=50)  # expires in ~49 days
    row = run(issuing.issue_certificate_unchecked(mediator, "junior", issued_on=issued))
    left = (row.expires_on - clock.today()).days
    assert 30 < left <= 60
    assert run(lifecycle.send_expiry_reminders()) == 1
    assert run(lifecycle.send_expiry_reminders()) == 0
    assert run(lifecycle.send_expiry_reminders(on=row.expires_on - timedelta(days=30))) == 1
    assert run(lifecycle.send_expiry_reminders(on=row.expires_on - timedelta(days=20))) == 0
    notes = run(Notification.select().where(Notification.user_id == user))
    assert len(notes) == 2 and all(n["kind"] == "certificate_expiry" for n in notes)
