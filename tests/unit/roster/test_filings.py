"""Filing of organisations (roster.filings): the initial filing decided, changes filed late or
on time, edits of a filed organisation, the overdue flag."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock
from core.errors import DomainError
from roster import filings, organisations
from roster.tables import Organisation
from tests.unit.roster.test_roster_rules import ORG, admin, filed_organisation, manager


def test_organisation_filing_is_accepted_with_a_number_or_returned_with_reasons(run):
    org_id = run(organisations.create_organisation(admin(), ORG))
    run(filings.submit_initial_filing(manager(org_id), org_id))
    filing = run(filings.filings(org_id))[0]
    with pytest.raises(DomainError):
        run(filings.decide_filing(admin(), filing.id, accept=False, reasons=""))
    run(filings.decide_filing(admin(), filing.id, accept=False, reasons="缺少章程"))
    assert run(Organisation.select().where(Organisation.id == org_id).first())["filing_status"] == "returned"
    run(filings.submit_initial_filing(manager(org_id), org_id))
    run(filings.decide_filing(admin(), run(filings.filings(org_id))[0].id, accept=True))
    org = run(Organisation.select().where(Organisation.id == org_id).first())
    assert org["filing_status"] == "accepted" and org["filing_no"].startswith("350504-")


def test_change_filed_more_than_30_days_after_it_happened_is_marked_late(run):
    org_id = filed_organisation(run)
    on_time = run(filings.record_change(manager(org_id), org_id, "负责人变更", clock.today() - timedelta(days=30)))
    late = run(filings.record_change(manager(org_id), org_id, "成员变更", clock.today() - timedelta(days=31)))
    assert run(filings.submit_change_filing(manager(org_id), on_time)) is False
    assert run(filings.submit_change_filing(manager(org_id), late)) is True


def test_editing_particulars_of_a_filed_organisation_creates_a_change_filing(run):
    org_id = filed_organisation(run)
    filing_id = run(organisations.update_particulars(manager(org_id), org_id, {"address": "洛江区万安街道"},
                                              changed_on=clock.today() - timedelta(days=3)))
    filing = [f for f in run(filings.filings(org_id)) if f.id == filing_id][0]
    assert filing.kind == "change" and filing.status == "pending" and "address" in filing.changes


def test_organisation_with_unfiled_change_older_than_30_days_is_flagged_overdue(run):
    org_id = filed_organisation(run)
    filing_id = run(filings.record_change(admin(), org_id, "成员变更", clock.today() - timedelta(days=40)))
    assert run(filings.flag_overdue_filings()) == 1
    assert run(filings.flag_overdue_filings()) == 0  # idempotent
    assert run(Organisation.select().where(Organisation.id == org_id).first())["filing_overdue"] is True
    run(filings.submit_change_filing(admin(), filing_id))
    assert run(Organisation.select().where(Organisation.id == org_id).first())["filing_overdue"] is False
