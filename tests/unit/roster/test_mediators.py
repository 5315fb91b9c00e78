"""Mediators' records (roster.mediators): personal data stored protected and opened on purpose,
the status lifecycle, roster numbers and terms, region authority, photos."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import Conflict, DomainError, FieldErrors, Forbidden
from roster import mediators, personal
from roster.tables import Mediator, StatusChange
from tests.unit.roster.test_roster_rules import admin, id_number, mediator_form


def test_personal_data_is_stored_encrypted_and_unique(run):
    mediator_id = run(mediators.register_mediator(admin(), mediator_form(1)))
    row = run(Mediator.select().where(Mediator.id == mediator_id).first())
    assert id_number(1) not in str(row) and "13800000000" not in str(row)
    assert personal.reveal(row["id_number_enc"]) == id_number(1)
    with pytest.raises(FieldErrors) as duplicate:
        run(mediators.register_mediator(admin(), mediator_form(1, name="另一人")))
    assert "id_number" in duplicate.value.errors


def test_opening_the_full_id_number_is_audited(run):
    from core.tables import AuditRecord

    mediator_id = run(mediators.register_mediator(admin(), mediator_form(2)))
    record = run(mediators.mediator_record(admin(), mediator_id))
    assert not hasattr(record, "id_number_enc") and record.id_number_masked.startswith("350504")
    with pytest.raises(DomainError):
        run(mediators.reveal_personal_data(admin(), mediator_id, ""))
    opened = run(mediators.reveal_personal_data(admin(), mediator_id, "核对身份"))
    assert opened.id_number == id_number(2)
    audits = run(AuditRecord.select().where(AuditRecord.action == "reveal_personal_data"))
    assert len(audits) == 1 and id_number(2) not in str(audits[0])


def test_status_lifecycle_applicant_appointed_suspended_exited_never_deletes(run):
    mediator_id = run(mediators.register_mediator(admin(), mediator_form(3)))
    run(mediators.set_status(admin(), mediator_id, "appointed", "选聘", on=date(2026, 3, 1)))
    row = run(Mediator.select().where(Mediator.id == mediator_id).first())
    assert row["roster_no"].startswith("3505042026") and row["term_ends_on"] == date(2029, 3, 1)
    run(mediators.set_status(admin(), mediator_id, "suspended", "调查期间"))
    run(mediators.set_status(admin(), mediator_id, "appointed", "调查结束"))
    run(mediators.set_status(admin(), mediator_id, "exited", "本人申请"))
    with pytest.raises(Conflict):
        run(mediators.set_status(admin(), mediator_id, "appointed", "再聘"))
    history = run(StatusChange.select().where(StatusChange.mediator == mediator_id).order_by(StatusChange.id))
    assert [h["to_status"] for h in history] == ["appointed", "suspended", "appointed", "exited"]
    assert all(h["ground"] and h["actor_id"] == 1 for h in history)
    assert run(Mediator.count().where(Mediator.id == mediator_id)) == 1


def test_a_status_change_needs_a_ground(run):
    mediator_id = run(mediators.register_mediator(admin(), mediator_form(4)))
    with pytest.raises(DomainError) as missing:
        run(mediators.set_status(admin(), mediator_id, "appointed", " "))
    assert missing.value.field == "ground"


def test_appointment_term_is_3_years_and_roster_numbers_are_gap_free(run):
    ids = [run(mediators.register_mediator(admin(), mediator_form(10 + i))) for i in range(3)]
    for mediator_id in ids:
        run(mediators.set_status(admin(), mediator_id, "appointed", "选聘", on=date(2026, 5, 4)))
    numbers = sorted(r["roster_no"] for r in run(Mediator.select(Mediator.roster_no).where(Mediator.id.is_in(ids))))
    assert numbers == [f"3505042026{n:05d}" for n in (1, 2, 3)]


def test_administrator_acts_only_in_own_region(run):
    with pytest.raises(Forbidden):
        run(mediators.register_mediator(admin("350200"), mediator_form(5)))
    mediator_id = run(mediators.register_mediator(admin("350500"), mediator_form(5)))
    with pytest.raises(Forbidden):
        run(mediators.set_status(admin("350200"), mediator_id, "appointed", "选聘"))


def test_photo_must_be_jpeg_or_png_and_is_reencoded_without_exif(run):
    import io

    from PIL import Image

    from core.uploads import open_stored

    mediator_id = run(mediators.register_mediator(admin(), mediator_form(7)))
    with pytest.raises(DomainError):
        run(mediators.set_photo(admin(), mediator_id, b"GIF89a not a photo"))
    image = Image.new("RGB", (60, 80), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    path = run(mediators.set_photo(admin(), mediator_id, buffer.getvalue()))
    stored = open_stored(path).read_bytes()
    assert b"SecretCamera" not in stored
    assert Image.open(io.BytesIO(stored)).size == (60, 80)
