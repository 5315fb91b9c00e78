"""The published roster (名册公布), DOMAIN.md "Public roster": an administrator publishes a dated
snapshot of their region; the public sees the latest publication, earlier ones stay viewable;
an exit leaves the published roster at once; a region's administrators are reminded once when
changes wait unpublished. Run against the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock
from core.auth.roles import Grant, Principal, Role
from core.errors import DomainError, Forbidden
from core.settings import get_settings
from core.tables import AuditRecord, Notification, OutboxMessage
from roster import mediators, memberships, personal, public, publication
from roster import services as roster
from roster.tables import PublishedMediator, PublishedOrganisation, RosterPublication
from tests.unit.roster.test_roster_rules import id_number


def admin(region: str = "350000", user_id: int | None = None) -> Principal:
    return Principal(user_id=user_id, username=f"admin{region}", grants=(Grant(Role.ADMIN, region),))


def seed(run) -> dict[str, int]:
    """Luojiang (Quanzhou) and Siming (Xiamen): an organisation and an appointed mediator each."""
    lj = run(roster.create_organisation_record(name="洛江区调解中心", region_code="350504"))
    xm = run(roster.create_organisation_record(name="思明区调解中心", region_code="350203"))
    return {
        "lj_org": lj, "xm_org": xm,
        "lj": run(roster.create_mediator_record(name="林晓梅", region_code="350504", organisation_id=lj,
                                                id_number=id_number(1))),
        "xm": run(roster.create_mediator_record(name="王建国", region_code="350203", organisation_id=xm,
                                                id_number=id_number(2))),
    }


def names(run, **filters) -> list[str]:
    return [m.name for m in run(public.public_mediators(**filters))[0]]


def test_the_public_roster_is_empty_until_an_administrator_publishes(run):
    seed(run)
    assert run(public.public_mediators()) == ([], 0)
    assert run(public.last_published_on()) is None
    run(publication.publish(admin(), "350000", "2026年第四季度名册"))
    assert names(run) == ["王建国", "林晓梅"]  # roster-number order: 350203… before 350504…
    assert run(public.last_published_on("350504")) == clock.today()


def test_publishing_snapshots_the_public_rows_with_organisation_and_certificate_grade(run):
    ids = seed(run)
    run(roster.create_mediator_record(name="申请人", region_code="350504", status="applicant"))
    run(roster.create_mediator_record(name="已退出", region_code="350504", status="exited"))
    run(roster.create_organisation_record(name="未备案组织", region_code="350504", filing_status="draft"))
    publication_id = run(publication.publish(admin(), "350000"))
    entries = run(PublishedMediator.select().where(PublishedMediator.publication == publication_id))
    assert sorted(e["name"] for e in entries) == ["林晓梅", "王建国"]  # no applicant, no exited mediator
    lin = next(e for e in entries if e["name"] == "林晓梅")
    assert lin["organisation"] == "洛江区调解中心" and lin["organisation_id"] == ids["lj_org"]
    assert lin["roster_no"].startswith("350504") and lin["is_current"] is True
    orgs = run(PublishedOrganisation.select().where(PublishedOrganisation.publication == publication_id))
    assert sorted((o["name"], o["mediators"]) for o in orgs) == [("思明区调解中心", 1), ("洛江区调解中心", 1)]
    row = run(RosterPublication.select().where(RosterPublication.id == publication_id).first())
    assert (row["mediators"], row["organisations"], row["mediators_added"], row["mediators_removed"]) == (2, 2, 2, 0)
    audit = run(AuditRecord.select().where(AuditRecord.action == "publish").first())
    assert audit["entity_id"] == str(publication_id) and audit["region_code"] == "350000"


def test_entries_hold_no_personal_data():
    columns = {c._meta.name for c in PublishedMediator._meta.columns} | {
        c._meta.name for c in PublishedOrganisation._meta.columns}
    personal_columns = {"id_number_enc", "id_number_hash", "id_number_masked", "phone_enc", "phone_masked",
                        "contact_name", "contact_phone_enc", "gender", "photo_path", "user_id", "education"}
    assert not columns & personal_columns


def test_published_rows_contain_no_id_number_or_phone(run):
    seed(run)
    mediator_id = run(mediators.register_mediator(admin(), {
        "name": "陈律师", "gender": "male", "source_category": "lawyer", "region_code": "350504",
        "id_number": id_number(7), "phone": "13800001234"}))
    run(mediators.set_status(admin(), mediator_id, "appointed", "选聘"))
    run(publication.publish(admin(), "350000"))
    everything = str(run(PublishedMediator.select())) + str(run(PublishedOrganisation.select()))
    assert id_number(7) not in everything and personal.mask_id_number(id_number(7)) not in everything
    assert "13800001234" not in everything and "138****1234" not in everything


def test_a_new_appointment_appears_only_after_the_next_publication(run):
    ids = seed(run)
    run(publication.publish(admin(), "350000"))
    newcomer = run(roster.create_mediator_record(name="新聘调解员", region_code="350504", organisation_id=ids["lj_org"]))
    assert "新聘调解员" not in names(run)
    preview = run(publication.preview_publication("350500"))
    assert (preview.mediators_added, preview.mediators_changed, preview.mediators_removed) == (1, 0, 0)
    assert preview.organisations_changed == 1  # the centre's member count went from 1 to 2
    run(publication.publish(admin(), "350500"))
    assert "新聘调解员" in names(run)
    assert run(PublishedMediator.count().where((PublishedMediator.mediator_id == newcomer)
                                               & (PublishedMediator.is_current == True))) == 1  # noqa: E712


def test_the_public_sees_only_the_latest_publication_and_earlier_snapshots_stay_viewable(run):
    ids = seed(run)
    first = run(publication.publish(admin(), "350000"))
    run(mediators.set_status(admin(), ids["lj"], "exited", "本人申请"))
    run(roster.create_mediator_record(name="后来者", region_code="350504"))
    second = run(publication.publish(admin(), "350000"))
    assert sorted(names(run)) == ["后来者", "王建国"]
    assert run(PublishedMediator.count().where(PublishedMediator.is_current == True)) == 2  # noqa: E712
    earlier, total = run(public.public_mediators(publication_id=first))
    assert total == 2 and {m.name for m in earlier} == {"林晓梅", "王建国"}
    assert next(m for m in earlier if m.name == "林晓梅").withdrawn_on == clock.today()
    assert {m.name for m in run(public.public_mediators(publication_id=second))[0]} == {"王建国", "后来者"}
    assert run(publication.publications())[1] == 2


def test_an_exit_withdraws_the_published_entry_at_once(run):
    ids = seed(run)
    run(publication.publish(admin(), "350000"))
    run(roster.change_mediator_status(ids["lj"], "exited", ground="考评不称职", actor=admin()))
    assert "林晓梅" not in names(run)
    assert run(public.public_mediators(region="350504"))[1] == 0
    entry = run(PublishedMediator.select().where(PublishedMediator.mediator_id == ids["lj"]).first())
    assert entry["is_current"] is False and entry["withdrawn_on"] == clock.today()
    assert run(AuditRecord.count().where(AuditRecord.action == "withdraw_published_entry")) == 1


def test_a_suspension_shows_on_the_published_entry_at_once_and_reinstatement_restores_it(run):
    ids = seed(run)
    run(publication.publish(admin(), "350000"))
    run(mediators.set_status(admin(), ids["lj"], "suspended", "投诉调查期间"))
    assert run(public.public_mediators(q="林晓梅"))[0][0].status == "suspended"
    assert run(public.public_mediators(status="appointed"))[1] == 1
    run(mediators.set_status(admin(), ids["lj"], "appointed", "调查结束"))
    assert run(public.public_mediators(q="林晓梅"))[0][0].status == "appointed"


def test_a_city_administrator_cannot_publish_another_city(run):
    seed(run)
    with pytest.raises(Forbidden):
        run(publication.publish(admin("350500"), "350200"))
    with pytest.raises(Forbidden):
        run(publication.publish(admin("350500"), "350000"))  # nor the province above it
    with pytest.raises(DomainError) as bad:
        run(publication.publish(admin(), "999999"))
    assert bad.value.field == "region"
    assert run(RosterPublication.count()) == 0


def test_a_city_publication_does_not_drop_other_cities_entries(run):
    ids = seed(run)
    run(publication.publish(admin(), "350000"))
    run(roster.create_mediator_record(name="泉州新人", region_code="350503"))
    run(roster.create_mediator_record(name="厦门新人", region_code="350206"))
    quanzhou = run(publication.publish(admin("350500"), "350500"))
    assert sorted(names(run)) == sorted(["林晓梅", "王建国", "泉州新人"])  # Xiamen's newcomer waits for Xiamen
    assert sorted(names(run, region="350200")) == ["王建国"]
    row = run(RosterPublication.select().where(RosterPublication.id == quanzhou).first())
    assert (row["mediators"], row["mediators_added"], row["mediators_removed"]) == (2, 1, 0)
    assert run(public.last_published_on("350504")) == clock.today()
    assert ids


def test_a_mediator_who_moved_city_is_listed_once_after_the_new_city_publishes(run):
    from roster.tables import Mediator

    ids = seed(run)
    run(publication.publish(admin(), "350000"))
    run(Mediator.update({Mediator.region_code: "350206"}).where(Mediator.id == ids["lj"]))
    run(publication.publish(admin(), "350200"))
    assert sorted(names(run)) == ["林晓梅", "王建国"]
    assert names(run, region="350200", q="林") == ["林晓梅"]


def test_the_preview_counts_what_publishing_would_add_change_and_remove(run):
    ids = seed(run)
    preview = run(publication.preview_publication("350000"))
    assert (preview.mediators, preview.mediators_added, preview.organisations_added) == (2, 2, 2)
    assert preview.last_publication is None and preview.pending == 4
    run(publication.publish(admin(), "350000"))
    assert run(publication.preview_publication("350000")).pending == 0
    run(memberships.end_membership(admin(), ids["xm"], ids["xm_org"]))
    changed = run(publication.preview_publication("350200"))
    assert (changed.mediators_changed, changed.organisations_changed, changed.mediators_added) == (1, 1, 0)


def test_filters_region_with_subregions_source_grade_status_and_name(run):
    seed(run)
    run(roster.create_mediator_record(name="工会干部甲", region_code="350504001000", source_category="union_official"))
    run(publication.publish(admin(), "350000"))
    assert sorted(names(run, region="350500")) == ["工会干部甲", "林晓梅"]  # the township lies within the city
    assert names(run, region="350504001000") == ["工会干部甲"]
    assert names(run, source="union_official") == ["工会干部甲"]
    assert names(run, q="建国") == ["王建国"]
    assert names(run, status="exited") == []
    assert names(run, grade="senior") == []
    assert names(run, region="not-a-code") == []


def test_pages_are_in_a_stable_roster_number_order(run):
    org = run(roster.create_organisation_record(name="组织", region_code="350504"))
    for n in range(7):
        run(roster.create_mediator_record(name=f"调解员{n}", region_code="350504", organisation_id=org))
    run(publication.publish(admin(), "350000"))
    pages = [run(public.public_mediators(page=p, page_size=3))[0] for p in (1, 2, 3)]
    numbers = [m.roster_no for chunk in pages for m in chunk]
    assert numbers == sorted(numbers) and len(set(numbers)) == 7
    searched = [run(public.public_mediators(q="调解员", page=p, page_size=3)) for p in (1, 2, 3)]
    assert [m.roster_no for rows, _total in searched for m in rows] == numbers
    assert {total for _rows, total in searched} == {7}  # the total comes with every page of a search
    assert run(public.public_mediators(q="调解员", page=4, page_size=3)) == ([], 7)  # past the end
    assert run(public.public_mediators(page=4, page_size=3)) == ([], 7)
    assert run(public.public_mediators(q="无此人")) == ([], 0)
    assert [m.roster_no for m in run(public.public_mediators(q=numbers[0][:9]))[0]] == numbers


def _reminder_admins(run) -> dict[str, int]:
    from tests.helpers import make_user

    return {"qz": run(make_user("qz", Role.ADMIN, "350500")), "xm": run(make_user("xm", Role.ADMIN, "350200"))}


def test_a_region_never_published_reminds_its_administrators_once(run):
    seed(run)
    users = _reminder_admins(run)
    assert run(publication.remind_unpublished()) == 2  # Quanzhou and Xiamen each have rows to publish
    assert run(publication.remind_unpublished()) == 0  # a second sweep the same day changes nothing
    notes = run(Notification.select().where(Notification.kind == "roster_publication"))
    assert sorted(n["user_id"] for n in notes) == sorted(users.values())
    assert run(OutboxMessage.count()) == 2
    assert id_number(1) not in str(notes)


def test_unpublished_changes_remind_only_after_the_configured_days(run):
    seed(run)
    users = _reminder_admins(run)
    days = get_settings().rules.publication_reminder_days
    long_ago = clock.now() - timedelta(days=days + 5)
    run(publication.publish(admin(), "350000", at=long_ago))
    assert run(publication.remind_unpublished()) == 0  # published, nothing changed since
    run(roster.create_mediator_record(name="新聘调解员", region_code="350504"))
    assert run(publication.remind_unpublished()) == 0  # the change is new, not 30 days old
    later = clock.now() + timedelta(days=days + 1)
    assert run(publication.remind_unpublished(at=later)) == 1  # only Quanzhou has a change
    assert run(publication.remind_unpublished(at=later)) == 0
    note = run(Notification.select().where(Notification.kind == "roster_publication").first())
    assert note["user_id"] == users["qz"]
    run(publication.publish(admin(), "350500"))
    assert run(publication.remind_unpublished(at=later + timedelta(days=days + 1))) == 0  # nothing waits now
