"""A recruitment call can be edited until its first application arrives, and closed early with
a reason (audited; applications refused from then on). The clock is frozen at 10:00 in Beijing
on Saturday 5 December 2026."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core import clock
from core.auth.roles import Grant, Principal, Role
from core.errors import Conflict, FieldErrors, Forbidden
from roster import applications, recruitment
from tests.unit.roster.test_roster_rules import mediator_form

AT = datetime.fromisoformat("2026-12-05T10:00:00+08:00")
CALL = {"title": "2027年调解员选聘", "region_code": "350500", "opens_on": "2026-12-01", "closes_on": "2026-12-31",
        "source_categories": "lawyer", "quota": "3"}


def admin(region: str = "350000") -> Principal:
    return Principal(user_id=1, username=f"admin{region}", grants=(Grant(Role.ADMIN, region),))


def test_a_call_can_be_edited_until_its_first_application_arrives(run):
    from core.tables import AuditRecord

    with clock.frozen(AT):
        call_id = run(recruitment.open_call(admin(), CALL))
        run(recruitment.edit_call(admin(), call_id, {**CALL, "title": "2027年调解员选聘（更正）",
                                                      "closes_on": "2027-01-15", "quota": "5"}))
        edited = run(recruitment.call(call_id))
        assert edited.title == "2027年调解员选聘（更正）" and edited.closes_on == date(2027, 1, 15)
        assert edited.quotas == {"350500": 5}
        assert run(AuditRecord.exists().where(AuditRecord.action == "edit_call"))
        with pytest.raises(FieldErrors) as invalid:
            run(recruitment.edit_call(admin(), call_id, {**CALL, "closes_on": "2026-11-01"}))
        assert list(invalid.value.errors) == ["closes_on"]

        run(applications.apply_to_call(admin(), call_id, mediator_form(31)))
        with pytest.raises(Conflict) as refused:
            run(recruitment.edit_call(admin(), call_id, {**CALL, "title": "再改"}))
        assert "Applications have already arrived" in refused.value.message or "已收到报名" in refused.value.message
        assert run(recruitment.call(call_id)).title == "2027年调解员选聘（更正）"


def test_a_call_of_another_region_cannot_be_edited_or_closed(run):
    with clock.frozen(AT):
        call_id = run(recruitment.open_call(admin(), CALL))
        xiamen = admin("350200")
        with pytest.raises(Forbidden):
            run(recruitment.edit_call(xiamen, call_id, CALL))
        with pytest.raises(Forbidden):
            run(recruitment.close_call(xiamen, call_id, "名额已满"))


def test_a_call_closed_early_keeps_the_day_and_reason_and_refuses_applications(run):
    from core.tables import AuditRecord

    with clock.frozen(AT):
        call_id = run(recruitment.open_call(admin(), CALL))
        with pytest.raises(FieldErrors) as invalid:
            run(recruitment.close_call(admin(), call_id, "  "))
        assert list(invalid.value.errors) == ["closed_reason"]
        run(recruitment.close_call(admin(), call_id, "上级通知暂停选聘"))
        closed = run(recruitment.call(call_id))
        assert (closed.status, closed.closed_on, closed.closed_reason) == ("closed", date(2026, 12, 5),
                                                                                    "上级通知暂停选聘")
        audit = run(AuditRecord.select().where(AuditRecord.action == "close_call").first())
        assert audit["entity_id"] == str(call_id)
        with pytest.raises(Conflict) as refused:
            run(applications.apply_to_call(admin(), call_id, mediator_form(32)))
        assert "2026-12-05" in refused.value.message and "上级通知暂停选聘" in refused.value.message
        assert call_id not in [c.id for c in run(recruitment.calls(open_only=True))]
        with pytest.raises(Conflict):
            run(recruitment.close_call(admin(), call_id, "再次关闭"))
        with pytest.raises(Conflict):
            run(recruitment.edit_call(admin(), call_id, CALL))
