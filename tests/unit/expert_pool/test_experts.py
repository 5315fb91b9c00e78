"""Experts of the pool against the database: admission with a term from settings, nomination
checked field by field, suspension and removal with grounds (removal leaves the invited list),
and an administrator acting only on the experts of their region."""

from __future__ import annotations

from datetime import date

import pytest

from core.audit import AuditRecord
from core.errors import Conflict, DomainError, FieldErrors, Forbidden
from core.settings import get_settings
from expert_pool import experts, invited_list
from expert_pool.tables import Expert, InvitedListing
from tests.unit.expert_pool.world import ADMIN, XIAMEN_ADMIN, new_expert


def test_admission_gives_a_term_of_3_years_from_settings(run):
    expert_id = run(experts.nominate(ADMIN, {"name": "陈律师", "background": "lawyer", "region_code": "350504",
                                              "specialties": ["termination"]}))
    run(experts.admit(ADMIN, expert_id, on=date(2026, 3, 1)))
    row = run(Expert.select().where(Expert.id == expert_id).first())
    years = get_settings().rules.expert_term_years
    assert row["status"] == "admitted" and row["term_starts_on"] == date(2026, 3, 1)
    assert row["term_ends_on"] == date(2026 + years, 3, 1)

def test_nomination_is_validated_field_by_field(run):
    with pytest.raises(FieldErrors) as invalid:
        run(experts.nominate(ADMIN, {"name": "", "background": "astrologer", "region_code": "999999",
                                      "specialties": ["divorce"]}))
    assert set(invalid.value.errors) == {"name", "background", "region_code", "specialties"}

def test_suspension_and_removal_need_grounds_and_removal_leaves_the_invited_list(run):
    expert_id = new_expert(run)
    run(invited_list.list_invited(ADMIN, expert_id, [1]))
    with pytest.raises(DomainError):
        run(experts.suspend(ADMIN, expert_id, "  "))
    run(experts.suspend(ADMIN, expert_id, "投诉调查中"))
    run(experts.reinstate(ADMIN, expert_id))
    run(experts.remove(ADMIN, expert_id, "多次无正当理由拒绝受邀"))
    assert run(Expert.select(Expert.status, Expert.grounds).where(Expert.id == expert_id).first()) == {
        "status": "removed", "grounds": "多次无正当理由拒绝受邀"}
    assert run(InvitedListing.select(InvitedListing.status).where(InvitedListing.expert_id == expert_id).first())[
        "status"] == "removed"
    with pytest.raises(Conflict):
        run(experts.admit(ADMIN, expert_id))
    actions = [r["action"] for r in run(AuditRecord.select(AuditRecord.action).where(AuditRecord.entity == "expert"))]
    assert {"expert_suspended", "expert_removed", "expert_admitted"} <= set(actions)

def test_an_administrator_acts_only_on_experts_of_their_region(run):
    expert_id = new_expert(run)
    with pytest.raises(Forbidden):
        run(experts.suspend(XIAMEN_ADMIN, expert_id, "理由"))
    with pytest.raises(Forbidden):
        run(experts.set_shared(XIAMEN_ADMIN, expert_id, True))
