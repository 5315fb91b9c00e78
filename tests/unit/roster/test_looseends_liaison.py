"""The liaison arbitrator (联络仲裁员) is a record of the arbitration court of an area: phone
protected and masked, chosen for an organisation of that area (its region or one above it),
and the old free text migrated into records of the organisation's region."""

from __future__ import annotations

import importlib

import pytest

from core.auth.roles import Grant, Principal, Role
from core.errors import FieldErrors, Forbidden
from roster import liaison, organisations, personal
from roster import services as roster
from tests.unit.roster.test_roster_rules import ORG


def admin(region: str = "350000") -> Principal:
    return Principal(user_id=1, username=f"admin{region}", grants=(Grant(Role.ADMIN, region),))


QUANZHOU = {"name": "陈仲裁", "court": "泉州市劳动人事争议仲裁院", "region_code": "350500", "phone": "139 0595 0001"}
XIAMEN = {"name": "李仲裁", "court": "厦门市劳动人事争议仲裁院", "region_code": "350200"}


def test_a_liaison_arbitrators_phone_is_stored_protected_and_shown_masked(run):
    from core.tables import AuditRecord
    from roster.tables import LiaisonArbitrator

    arbitrator_id = run(liaison.add_arbitrator(admin(), QUANZHOU))
    row = run(LiaisonArbitrator.select().where(LiaisonArbitrator.id == arbitrator_id).first())
    assert "13905950001" not in row["phone_enc"] and personal.reveal(row["phone_enc"]) == "13905950001"
    assert row["phone_masked"] == "139****0001"
    record = run(AuditRecord.select().where(AuditRecord.entity == "liaison_arbitrator").first())
    assert "13905950001" not in str(record["changes"])
    with pytest.raises(FieldErrors) as invalid:
        run(liaison.add_arbitrator(admin(), {"name": "", "court": "", "region_code": "350500", "phone": "12"}))
    assert set(invalid.value.errors) == {"name", "court", "phone"}
    with pytest.raises(FieldErrors) as outside:
        run(liaison.add_arbitrator(admin("350500"), XIAMEN))
    assert list(outside.value.errors) == ["region_code"]


def test_an_organisation_chooses_a_liaison_arbitrator_serving_its_area(run):
    quanzhou = run(liaison.add_arbitrator(admin(), QUANZHOU))
    xiamen = run(liaison.add_arbitrator(admin(), XIAMEN))
    assert [a.id for a in run(liaison.choices_for("350504"))] == [quanzhou]  # Luojiang: Quanzhou's court
    org_id = run(organisations.create_organisation(admin(), {**ORG, "liaison": str(quanzhou)}))
    assert run(organisations.organisation(admin(), org_id)).liaison == quanzhou
    with pytest.raises(FieldErrors) as elsewhere:
        run(organisations.update_particulars(admin(), org_id, {"liaison": str(xiamen)}))
    assert list(elsewhere.value.errors) == ["liaison"] and "厦门" in elsewhere.value.errors["liaison"]
    with pytest.raises(FieldErrors):
        run(organisations.create_organisation(admin(), {**ORG, "name": "另一中心", "liaison": "abc"}))
    # an arbitrator no longer serving is not offered and cannot be chosen; organisations keep the link
    run(liaison.set_active(admin(), quanzhou, False))
    assert run(liaison.choices_for("350504")) == []
    with pytest.raises(FieldErrors):
        run(organisations.create_organisation(admin(), {**ORG, "name": "第三中心", "liaison": str(quanzhou)}))
    run(organisations.update_particulars(admin(), org_id, {"address": "洛江区万安街道1号"}))
    assert run(organisations.organisation(admin(), org_id)).liaison == quanzhou
    with pytest.raises(Forbidden):
        run(liaison.set_active(admin("350200"), quanzhou, True))


def test_the_old_free_text_becomes_arbitrator_records_of_the_organisations_region(run):
    from roster.tables import LiaisonArbitrator, Organisation

    def make(name: str, region: str, text: str) -> int:
        org_id = run(roster.create_organisation_record(name=name, region_code=region))
        run(Organisation.update({Organisation.liaison_arbitrator: text}).where(Organisation.id == org_id))
        return org_id

    a = make("洛江甲", "350504", "陈仲裁")
    b = make("洛江乙", "350504", " 陈仲裁 ")
    c = make("思明丙", "350203", "陈仲裁")
    d = make("无仲裁员", "350504", "")
    migration = importlib.import_module("roster.piccolo_migrations.roster_2026_12_05t16_20_01_500000")

    async def migrate() -> None:
        manager = await migration.forwards()
        for step in manager.raw:
            await step()

    run(migrate())
    records = run(LiaisonArbitrator.select().order_by(LiaisonArbitrator.region_code))
    assert [(r["name"], r["region_code"], r["court"], r["active"]) for r in records] == [
        ("陈仲裁", "350203", "", True), ("陈仲裁", "350504", "", True)]
    links = {r["id"]: r["liaison"] for r in run(Organisation.select(Organisation.id, Organisation.liaison))}
    by_region = {r["region_code"]: r["id"] for r in records}
    assert (links[a], links[b], links[c], links[d]) == (by_region["350504"], by_region["350504"],
                                                        by_region["350203"], None)
    run(migrate())  # a second run changes nothing
    assert run(LiaisonArbitrator.count()) == 2
