"""Standing marks are withdrawn with a reason and a date: the mark as awarded is kept as history,
the withdrawal is audited, and the public roster stops showing it at once (its current entry
is corrected, as an exit corrects a mediator's) and in every later publication. The clock is frozen at 10:00 in Beijing on 5 December 2026."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core import clock
from core.auth.roles import Grant, Principal, Role
from core.errors import FieldErrors, Forbidden
from roster import organisations, public, publication, standing
from roster import services as roster

AT = datetime.fromisoformat("2026-12-05T10:00:00+08:00")


def admin(region: str = "350000") -> Principal:
    return Principal(user_id=1, username=f"admin{region}", grants=(Grant(Role.ADMIN, region),))


def _decorated(run) -> int:
    org_id = run(roster.create_organisation_record(name="洛江区调解中心", region_code="350504"))
    run(standing.set_standing(admin(), org_id, {"star_rating": "5", "star_rated_on": "2025-12-20", "star_body": "省人社厅",
                                              "gold_medal": "on", "gold_medal_on": "2025-12-20",
                                              "gold_medal_body": "省人社厅"}))
    return org_id


def _public_marks(run) -> tuple:
    [entry] = run(public.public_organisations())[0]
    return entry.star_rating, entry.gold_medal


def test_a_gold_medal_withdrawn_is_kept_as_history_audited_and_leaves_the_public_roster(run):
    from core.tables import AuditRecord
    from roster.tables import PublishedOrganisation

    with clock.frozen(AT):
        org_id = _decorated(run)
        run(publication.publish(admin(), "350000"))
        assert _public_marks(run) == (5, True)
        run(standing.withdraw_mark(admin(), org_id, {"mark": "gold_medal", "withdrawn_on": "2026-12-01",
                                                     "reason": "调解中违反回避规定"}))
        assert _public_marks(run) == (5, False)  # the star rating stays
        org = run(organisations.organisation(admin(), org_id))
        assert (org.gold_medal, org.gold_medal_on, org.gold_medal_body) == (False, None, "")
        [kept] = run(standing.withdrawals(org_id))
        assert (kept.mark, kept.awarded_on, kept.awarded_by, kept.withdrawn_on, kept.reason) == (
            "gold_medal", date(2025, 12, 20), "省人社厅", date(2026, 12, 1), "调解中违反回避规定")
        record = run(AuditRecord.select().where(AuditRecord.action == "withdraw_standing").first())
        assert record["entity_id"] == str(org_id)
        # the next publication no longer carries it either
        run(publication.publish(admin(), "350000"))
        assert _public_marks(run) == (5, False)
        assert run(PublishedOrganisation.count().where(PublishedOrganisation.gold_medal == True)) == 0  # noqa: E712


def test_a_star_rating_withdrawn_keeps_its_stars_in_history(run):
    with clock.frozen(AT):
        org_id = _decorated(run)
        run(publication.publish(admin(), "350000"))
        run(standing.withdraw_mark(admin(), org_id, {"mark": "star_rating", "withdrawn_on": "2026-12-05",
                                                     "reason": "年度复核未达标"}))
        assert _public_marks(run) == (None, True)
        [kept] = run(standing.withdrawals(org_id))
        assert (kept.mark, kept.stars, kept.withdrawn_on) == ("star_rating", 5, date(2026, 12, 5))


def test_a_withdrawal_needs_a_reason_a_day_not_in_the_future_and_a_mark_held(run):
    with clock.frozen(AT):
        org_id = _decorated(run)
        with pytest.raises(FieldErrors) as invalid:
            run(standing.withdraw_mark(admin(), org_id, {"mark": "gold_medal", "withdrawn_on": "2026-12-06",
                                                         "reason": ""}))
        assert set(invalid.value.errors) == {"withdrawn_on", "reason"}
        assert "2026-12-06" in invalid.value.errors["withdrawn_on"]
        with pytest.raises(FieldErrors) as before_award:
            run(standing.withdraw_mark(admin(), org_id, {"mark": "gold_medal", "withdrawn_on": "2025-12-19",
                                                         "reason": "x"}))
        assert "2025-12-20" in before_award.value.errors["withdrawn_on"]
        run(standing.withdraw_mark(admin(), org_id, {"mark": "gold_medal", "withdrawn_on": "2026-12-05",
                                                     "reason": "撤销"}))
        with pytest.raises(FieldErrors) as not_held:
            run(standing.withdraw_mark(admin(), org_id, {"mark": "gold_medal", "withdrawn_on": "2026-12-05",
                                                         "reason": "再次撤销"}))
        assert list(not_held.value.errors) == ["mark"]
        with pytest.raises(Forbidden):
            run(standing.withdraw_mark(admin("350200"), org_id, {"mark": "star_rating", "withdrawn_on": "2026-12-05",
                                                                 "reason": "厦门无权"}))
        assert len(run(standing.withdrawals(org_id))) == 1
