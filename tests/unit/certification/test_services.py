"""Certification services against the database: issue, numbering, verification, lifecycle,
sweep, contract functions."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from certification import services as svc
from certification.tables import Certificate, Verification
from core import clock
from core.auth.roles import Grant, Principal, Role
from core.errors import Conflict, DomainError, Forbidden, NotFound
from tests.unit.certification.conftest import new_mediator

ADMIN = Principal(user_id=1, username="admin", grants=(Grant(Role.ADMIN, "350000"),))
XIAMEN_ADMIN = Principal(user_id=2, username="xm", grants=(Grant(Role.ADMIN, "350200"),))


def test_issuing_to_an_eligible_mediator_numbers_dates_and_audits(run, records):
    mediator = run(new_mediator())
    records.qualify(mediator, "junior")
    row = run(svc.issue_certificate(ADMIN, mediator, "junior"))
    year = clock.today().year
    assert row["certificate_no"] == f"350504{year}J000001"
    assert row["expires_on"] == svc.add_years(row["issued_on"], 3) - timedelta(days=1)
    assert row["holder_name"] == "林晓梅" and row["issuer"].endswith("局")
    stored = run(Certificate.select().where(Certificate.id == row["id"]).first())
    assert len(stored["png_sha256"]) == 64 and len(stored["pdf_sha256"]) == 64
    history = run(svc.history(row["id"]))
    assert [h["action"] for h in history] == ["issue"]


def test_issuing_to_an_ineligible_person_is_refused_with_the_reason(run, records):
    mediator = run(new_mediator())
    records.passed.add((mediator, "junior"))
    with pytest.raises(DomainError) as refused:
        run(svc.issue_certificate(ADMIN, mediator, "junior"))
    assert "course" in refused.value.message.lower() or "课程" in refused.value.message
    assert run(Certificate.count()) == 0


def test_issuing_outside_the_administrators_region_is_forbidden(run, records):
    mediator = run(new_mediator())
    records.qualify(mediator)
    with pytest.raises(Forbidden):
        run(svc.issue_certificate(XIAMEN_ADMIN, mediator, "junior"))


def test_second_current_certificate_of_the_same_grade_is_refused(run, records):
    mediator = run(new_mediator())
    records.qualify(mediator)
    run(svc.issue_certificate(ADMIN, mediator, "junior"))
    with pytest.raises(DomainError):
        run(svc.issue_certificate(ADMIN, mediator, "junior"))


def test_numbers_are_gap_free_per_region_year_and_grade(run):
    a, b, c = run(new_mediator("甲")), run(new_mediator("乙")), run(new_mediator("丙", region="350203"))
    numbers = [run(svc.issue_certificate_unchecked(m, g))["certificate_no"]
               for m, g in ((a, "junior"), (b, "junior"), (c, "junior"), (a, "senior"), (b, "junior"))]
    year = clock.today().year
    assert numbers == [f"350504{year}J000001", f"350504{year}J000002", f"350203{year}J000001",
                       f"350504{year}G000001", f"350504{year}J000003"]


def test_numbers_are_gap_free_under_concurrent_issue(run):
    import asyncio

    mediators = [run(new_mediator(f"人{i}")) for i in range(8)]

    async def issue_all():
        return await asyncio.gather(*(svc.issue_certificate_unchecked(m, "junior") for m in mediators))

    rows = run(issue_all())
    serials = sorted(int(r["certificate_no"][-6:]) for r in rows)
    assert serials == list(range(1, 9))


def test_failed_issue_returns_its_number(run):
    from core.db import write_transaction

    mediator = run(new_mediator())

    async def failing():
        async with write_transaction():
            await svc.next_serial("350504", 2026, "junior")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run(failing())

    async def fresh():
        async with write_transaction():
            return await svc.next_serial("350504", 2026, "junior")

    assert run(fresh()) == 1
    assert mediator


def test_verify_token_shows_public_facts_only_and_logs_without_personal_data(run):
    mediator = run(new_mediator())
    row = run(svc.issue_certificate_unchecked(mediator, "junior"))
    token = svc.make_token(row["id"], row["version"])
    view = run(svc.verify_token(token))
    assert view["status"] == "valid" and view["certificate_no"] == row["certificate_no"]
    assert view["holder_name"] == "林晓梅" and view["roster_status"] == "appointed"
    for key in ("id_number", "phone", "photo_path", "mediator_id", "status_note"):
        assert key not in view
    run(svc.flush_verification_log())
    logged = run(Verification.select())
    assert len(logged) == 1 and logged[0]["result"] == "valid" and logged[0]["certificate_id"] == row["id"]
    assert logged[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()


def test_altered_or_unknown_token_is_not_found_and_logged(run):
    mediator = run(new_mediator())
    row = run(svc.issue_certificate_unchecked(mediator, "junior"))
    token = svc.make_token(row["id"], row["version"])
    altered = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    with pytest.raises(NotFound):
        run(svc.verify_token(altered))
    with pytest.raises(NotFound):
        run(svc.verify_token(svc.make_token(row["id"] + 99, 1)))
    with pytest.raises(NotFound):  # a genuine signature of another version
        run(svc.verify_token(svc.make_token(row["id"], 2)))
    run(svc.flush_verification_log())
    assert {r["result"] for r in run(Verification.select())} == {"not_found"}


def test_lookup_by_number_needs_the_matching_holder_name(run):
    mediator = run(new_mediator())
    row = run(svc.issue_certificate_unchecked(mediator, "junior"))
    assert run(svc.verify_by_number(row["certificate_no"], "林晓梅"))["status"] == "valid"
    assert run(svc.verify_by_number(row["certificate_no"].lower(), " 林 晓梅 "))["status"] == "valid"
    with pytest.raises(NotFound) as wrong_name:
        run(svc.verify_by_number(row["certificate_no"], "林小梅"))
    with pytest.raises(NotFound) as unknown:
        run(svc.verify_by_number("3505042026J999999", "林晓梅"))
    assert wrong_name.value.message == unknown.value.message and wrong_name.value.field == unknown.value.field


def test_suspension_with_reason_and_reinstatement_are_audited(run):
    mediator = run(new_mediator())
    row = run(svc.issue_certificate_unchecked(mediator, "junior"))
    suspended = run(svc.suspend(ADMIN, row["certificate_no"], "investigation"))
    assert suspended["status"] == "suspended" and suspended["status_reason"] == "investigation"
    view = run(svc.verify_token(svc.make_token(row["id"], 1)))
    assert view["status"] == "suspended" and view["status_reason"] == "investigation"
    assert run(svc.reinstate(ADMIN, row["certificate_no"]))["status"] == "valid"
    assert [h["action"] for h in run(svc.history(row["id"]))] == ["issue", "suspend", "reinstate"]


def test_free_text_reason_is_kept_private_and_shown_as_other(run):
    mediator = run(new_mediator())
    row = run(svc.issue_certificate_unchecked(mediator, "junior"))
    run(svc.revoke(ADMIN, row["certificate_no"], "张三投诉，电话13800000000"))
    view = run(svc.verify_token(svc.make_token(row["id"], 1)))
    assert view["status"] == "revoked" and view["status_reason"] == "other"
    assert "13800000000" not in repr(view)


def test_revocation_is_final_and_revoking_a_revoked_certificate_is_refused(run):
    mediator = run(new_mediator())
    row = run(svc.issue_certificate_unchecked(mediator, "junior"))
    run(svc.revoke(ADMIN, row["certificate_no"], "disciplinary"))
    with pytest.raises(Conflict):
        run(svc.revoke(ADMIN, row["certificate_no"], "disciplinary"))
    with pytest.raises(Conflict):
        run(svc.reinstate(ADMIN, row["certificate_no"]))
    with pytest.raises(Conflict):
        run(svc.renew(ADMIN, row["certificate_no"]))


def test_lifecycle_change_needs_a_reason_and_an_administrator_of_the_region(run):
    mediator = run(new_mediator())
    row = run(svc.issue_certificate_unchecked(mediator, "junior"))
    with pytest.raises(DomainError):
        run(svc.suspend(ADMIN, row["certificate_no"], " "))
    with pytest.raises(Forbidden):
        run(svc.revoke(XIAMEN_ADMIN, row["certificate_no"], "disciplinary"))


def test_renewal_issues_a_successor_pointing_back_and_marks_the_old_one_renewed(run):
    mediator = run(new_mediator())
    old = run(svc.issue_certificate_unchecked(mediator, "junior", issued_on=clock.today() - timedelta(days=1000)))
    new = run(svc.renew(ADMIN, old["certificate_no"]))
    assert new["renewed_from_id"] == old["id"] and new["certificate_no"] != old["certificate_no"]
    assert new["issued_on"] == clock.today()
    old_view = run(svc.verify_token(svc.make_token(old["id"], 1)))
    assert old_view["lifecycle_status"] == "renewed"
    assert old_view["superseded_by"]["certificate_no"] == new["certificate_no"]
    assert run(svc.verify_token(svc.make_token(new["id"], 1)))["status"] == "valid"


def test_daily_sweep_expires_past_due_certificates_once(run):
    mediator = run(new_mediator())
    row = run(svc.issue_certificate_unchecked(mediator, "junior", issued_on=clock.today() - timedelta(days=3 * 366)))
    assert run(svc.expire_due()) == 1
    assert run(svc.expire_due()) == 0
    assert run(svc.by_number(row["certificate_no"]))["status"] == "expired"


def test_reminders_go_60_and_30_days_before_expiry_once_each(run):
    from core.auth.services import create_user
    from core.tables import Notification

    user = run(create_user("holder", "long-enough-password", "持证人", [Grant(Role.MEDIATOR, "350504")]))
    mediator = run(new_mediator(user_id=user))
    issued = svc.add_years(clock.today(), -3) + timedelta(days=50)  # expires in ~49 days
    row = run(svc.issue_certificate_unchecked(mediator, "junior", issued_on=issued))
    left = (row["expires_on"] - clock.today()).days
    assert 30 < left <= 60
    assert run(svc.send_expiry_reminders()) == 1
    assert run(svc.send_expiry_reminders()) == 0
    assert run(svc.send_expiry_reminders(on=row["expires_on"] - timedelta(days=30))) == 1
    assert run(svc.send_expiry_reminders(on=row["expires_on"] - timedelta(days=20))) == 0
    notes = run(Notification.select().where(Notification.user_id == user))
    assert len(notes) == 2 and all(n["kind"] == "certificate_expiry" for n in notes)


def test_certificate_standing_prefers_valid_then_higher_grade(run):
    a, b = run(new_mediator("甲")), run(new_mediator("乙"))
    run(svc.issue_certificate_unchecked(a, "junior"))
    senior = run(svc.issue_certificate_unchecked(a, "senior"))
    b_row = run(svc.issue_certificate_unchecked(b, "junior"))
    run(svc.revoke(ADMIN, b_row["certificate_no"], "disciplinary"))
    standing = run(svc.certificate_standing([a, b, 999]))
    assert standing[a].certificate_no == senior["certificate_no"] and standing[a].status == "valid"
    assert standing[b].status == "revoked" and 999 not in standing


def test_has_valid_certificate_and_suspend_certificates_of_mediator(run):
    mediator = run(new_mediator())
    assert run(svc.has_valid_certificate(mediator)) is False
    run(svc.issue_certificate_unchecked(mediator, "junior"))
    assert run(svc.has_valid_certificate(mediator)) is True
    assert run(svc.suspend_certificates_of_mediator(mediator, "exit_proposed", None)) == 1
    assert run(svc.suspend_certificates_of_mediator(mediator, "exit_proposed", None)) == 0
    assert run(svc.has_valid_certificate(mediator)) is False


def test_batch_preview_lists_who_gets_one_and_why_not(run, records):
    ok, no_course, other_region = run(new_mediator("甲")), run(new_mediator("乙")), run(new_mediator("丙", "350203"))
    records.qualify(ok)
    records.qualify(other_region)
    records.passed.add((no_course, "junior"))
    records.sittings[7] = ("junior", [ok, no_course, other_region])
    qz_admin = Principal(user_id=3, username="qz", grants=(Grant(Role.ADMIN, "350500"),))
    preview = run(svc.batch_preview(qz_admin, sitting_id=7))
    assert [c.mediator_id for c in preview.eligible] == [ok]
    assert [c.mediator_id for c in preview.refused] == [no_course] and preview.refused[0].reasons
    issued = run(svc.batch_issue(qz_admin, sitting_id=7, render=False))
    assert [r["mediator_id"] for r in issued] == [ok] and issued[0]["sitting_id"] == 7
    assert run(svc.batch_issue(qz_admin, sitting_id=7, render=False)) == []  # already holds one


def test_file_check_accepts_the_genuine_file_and_refuses_an_edited_one(run):
    mediator = run(new_mediator())
    row = run(svc.issue_certificate_unchecked(mediator, "junior", render=True))
    png, pdf = run(svc.rendered_files(row))
    assert run(svc.verify_file(pdf))["certificate_no"] == row["certificate_no"]
    assert run(svc.verify_file(png))["status"] == "valid"
    middle = len(pdf) // 2
    edited = pdf[:middle] + bytes([pdf[middle] ^ 1]) + pdf[middle + 1:]
    assert run(svc.verify_file(edited)) is None
    assert run(svc.verify_file(png + b"\x00")) is None


def test_without_exam_and_training_records_nobody_is_eligible(run):
    mediator = run(new_mediator())
    candidate = run(svc.check_eligibility(mediator, "junior"))
    assert candidate.eligible is False and candidate.reasons


def test_demo_has_certificates_in_every_state_and_a_second_load_changes_nothing(run):
    from core.auth.services import create_user
    from core.demo import DemoContext

    user = run(create_user("mediator1", "long-enough-password", "林晓梅", [Grant(Role.MEDIATOR, "350504")]))
    run(new_mediator("林晓梅", user_id=user))
    for index in range(7):
        run(new_mediator(f"调解员{index}"))
    context = DemoContext(password="x", users={"mediator1": user})
    run(__import__("certification.demo", fromlist=["load_demo"]).load_demo(context))
    rows = run(Certificate.select())
    statuses = {svc.effective_status(r) for r in rows}
    assert {"valid", "expired", "suspended", "revoked", "renewed"} <= statuses
    mine = run(svc.certificate_standing([rows[0]["mediator_id"]]))
    assert mine[rows[0]["mediator_id"]].status == "valid"
    assert any(0 <= (r["expires_on"] - clock.today()).days <= 60 and r["status"] == "valid" for r in rows)
    count = len(rows)
    run(__import__("certification.demo", fromlist=["load_demo"]).load_demo(context))
    assert run(Certificate.count()) == count


def test_a_change_made_by_another_worker_shows_on_the_next_verification(run):
    """Workers share the generation stamp on disk: a change anywhere invalidates every cache."""
    mediator = run(new_mediator())
    row = run(svc.issue_certificate_unchecked(mediator, "junior"))
    token = svc.make_token(row["id"], 1)
    assert run(svc.verify_token(token))["status"] == "valid"
    # Another worker revokes: its database write and its stamp, not this process's cache.
    run(Certificate.update({Certificate.status: "revoked", Certificate.status_reason: "fraud"}).where(
        Certificate.id == row["id"]))
    assert run(svc.verify_token(token))["status"] == "valid"  # the cache answered...
    svc._row_cache.clear()
    svc._row_cache[row["id"]] = (svc.generation(), __import__("time").monotonic(), {**row}, None)
    import os
    import time

    path = svc._generation_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    stamp = time.time_ns() + 1_000_000
    os.utime(path, ns=(stamp, stamp))  # ...until the other worker's stamp arrives
    assert run(svc.verify_token(token))["status"] == "revoked"


def test_a_name_the_certificate_font_cannot_print_is_refused_before_issue_naming_code_points_only(run, records):
    mediator = run(new_mediator("吉𠮷"))  # U+20BB7 (a real surname variant) is not in Noto Sans SC
    records.qualify(mediator)
    candidate = run(svc.check_eligibility(mediator, "junior"))
    assert not candidate.eligible and any("U+20BB7" in r for r in candidate.reasons)
    assert not any("𠮷" in r for r in candidate.reasons)  # the name itself never goes into messages
    with pytest.raises(DomainError):
        run(svc.issue_certificate(ADMIN, mediator, "junior"))
    assert run(Certificate.count()) == 0


def test_a_re_render_that_differs_keeps_the_file_already_handed_out_genuine(run):
    """Renderer upgrades change bytes: the earlier file's SHA-256 is kept, so it still verifies."""
    mediator = run(new_mediator())
    row = run(svc.issue_certificate_unchecked(mediator, "junior", render=True))
    png, pdf = run(svc.rendered_files(row))
    handed_out = b"%PDF-1.4 an earlier renderer's file\n%%EOF\n"
    run(Certificate.update({Certificate.pdf_sha256: hashlib.sha256(handed_out).hexdigest()}).where(
        Certificate.id == row["id"]))
    svc.reset_for_tests()  # a new process: the render cache is gone
    import shutil

    from core.settings import get_settings

    shutil.rmtree(get_settings().var_dir / "certificates", ignore_errors=True)
    fresh = run(Certificate.select().where(Certificate.id == row["id"]).first())
    assert run(svc.rendered_files(fresh))[1] == pdf
    assert run(svc.verify_file(handed_out))["certificate_no"] == row["certificate_no"]
    assert run(svc.verify_file(pdf))["certificate_no"] == row["certificate_no"]


def test_the_render_cache_is_keyed_by_what_is_printed_not_only_by_id(run):
    """A reset database reuses ids: the cache must not hand out another person's card."""
    first = run(svc.issue_certificate_unchecked(run(new_mediator("甲某")), "junior", render=True))
    first_png, _pdf = run(svc.rendered_files(first))
    run(Certificate.delete(force=True))
    second = run(svc.issue_certificate_unchecked(run(new_mediator("乙某")), "junior", render=True))
    assert second["id"] != first["id"] or second["holder_name"] != first["holder_name"]
    other = dict(first, holder_name="乙某")
    assert run(svc.rendered_files(other))[0] != first_png
