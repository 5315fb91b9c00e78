"""Exit appeals carry documents (rule: "the mediator can appeal within 15 days with reasons and
documents"): checked by content, re-encoded, a bad file refuses the whole appeal with nothing
stored; only the mediator and the region's administrators can open them. And the reward rule:
优秀 marks eligibility for the expert pool and gold-medal recognition, shown to the mediator."""

from __future__ import annotations

import io
from datetime import date, datetime

from PIL import Image

from core import clock
from core.auth.roles import Grant, Principal, Role
from roster import services as roster
from roster.review import exits, records
from roster.review.tables import Appeal, Appraisal, ExitNotice
from tests.helpers import login, make_user, post_form

ADMIN = Principal(user_id=None, username="seed", grants=(Grant(Role.ADMIN, "350000"),))
REASONS = "本人从未收受任何礼品，附上银行流水请求复核"


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), "white")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _notice(run) -> dict:
    user = run(make_user("med", Role.MEDIATOR, "350504"))
    mediator_id = run(roster.create_mediator_record(name="申诉人", region_code="350504", user_id=user,
                                                    appointed_on=clock.today()))
    run(records.record_finding(ADMIN, mediator_id, {"found_on": clock.today().isoformat(), "ground": "bribery"}))
    run(exits.evaluate_exit_grounds("350504"))
    return run(ExitNotice.select().where(ExitNotice.mediator_id == mediator_id).first())


def _appeal(client, notice_id: int, files: list[tuple[str, bytes, str]]):
    return post_form(client, f"/my/review/notices/{notice_id}/appeal", {"reasons": REASONS}, form_page="/my/review/",
                     files=[("documents", f) for f in files])


def test_appeal_with_documents_is_stored_re_encoded_and_shown_to_the_region_administrator(client, run):
    notice = _notice(run)
    login(client, "med")
    answer = _appeal(client, notice["id"], [("流水.pdf", PDF, "application/pdf"), ("照片.jpg", _jpeg_with_exif(), "image/jpeg")])
    assert answer.status_code == 303
    stored = run(Appeal.select().where(Appeal.notice == notice["id"]).output(load_json=True).first())
    assert [d["kind"] for d in stored["documents"]] == ["pdf", "jpeg"]
    photo = client.get(f"/my/review/notices/{notice['id']}/documents/1")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert "attachment" in photo.headers["content-disposition"]
    assert not Image.open(io.BytesIO(photo.content)).getexif()  # EXIF stripped by re-encoding
    client.cookies.clear()
    run(make_user("qz", Role.ADMIN, "350500"))
    login(client, "qz")
    assert f"/admin/review/exits/{notice['id']}/documents/0" in client.get("/admin/review/exits").text
    assert client.get(f"/admin/review/exits/{notice['id']}/documents/0").content == PDF
    assert client.get(f"/admin/review/exits/{notice['id']}/documents/5").status_code == 404


def test_a_fake_or_oversized_document_refuses_the_appeal_and_stores_nothing(client, run):
    notice = _notice(run)
    login(client, "med")
    fake = _appeal(client, notice["id"], [("证明.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf")])
    assert fake.status_code == 400 and 'id="e-documents"' in fake.text
    huge = _appeal(client, notice["id"], [("大文件.pdf", PDF[:-7] + b" " * (6 * 1024 * 1024) + b"%%EOF\n",
                                            "application/pdf")])
    assert huge.status_code == 400 and 'id="e-documents"' in huge.text
    too_many = _appeal(client, notice["id"], [(f"{n}.pdf", PDF, "application/pdf") for n in range(4)])
    assert too_many.status_code == 400
    assert run(Appeal.count()) == 0
    assert run(ExitNotice.select().where(ExitNotice.id == notice["id"]).first())["status"] == "open"


def test_appeal_documents_are_closed_to_other_regions_and_to_other_mediators(client, run):
    notice = _notice(run)
    login(client, "med")
    assert _appeal(client, notice["id"], [("流水.pdf", PDF, "application/pdf")]).status_code == 303
    for username, role, region in (("fz", Role.ADMIN, "350100"), ("other", Role.MEDIATOR, "350504")):
        client.cookies.clear()
        run(make_user(username, role, region))
        login(client, username)
        assert client.get(f"/admin/review/exits/{notice['id']}/documents/0").status_code == 403
        assert client.get(f"/my/review/notices/{notice['id']}/documents/0").status_code == 403
    client.cookies.clear()
    assert client.get(f"/my/review/notices/{notice['id']}/documents/0", follow_redirects=False).status_code in (
        302, 303, 401)


def test_reward_rule_excellent_grade_shows_expert_pool_and_gold_medal_eligibility(client, run):
    """Graded through the appraisal itself: the star's 2025 records earn 优秀 (12 cases, 11
    agreements, satisfaction 5, 30 of 24 hours, a valid certificate); four colleagues in the
    same district make the 20% cap one place."""
    from roster.review import appraisal
    from tests.unit.review.review_helpers import excellent_year, mediators

    user = run(make_user("star", Role.MEDIATOR, "350504"))
    with clock.frozen(datetime.fromisoformat("2026-01-15T02:00:00+00:00")):
        star, *others = mediators(run, 5, appointed_on=date(2024, 1, 1), name="优秀者", user_id=user)
        excellent_year(run, star, 2025)
        draft = run(appraisal.run_appraisal(2025, "350504", ADMIN))
        run(appraisal.confirm_appraisal(ADMIN, draft.run_id))
    graded = run(Appraisal.select(Appraisal.mediator_id, Appraisal.grade, Appraisal.rule).where(
        (Appraisal.appraisal_run == draft.run_id) & (Appraisal.grade == "excellent")))
    assert graded == [{"mediator_id": star, "grade": "excellent", "rule": "excellent"}]
    login(client, "star")
    page = client.get("/my/review/").text
    assert "金牌" in page and 'href="/my/expert"' in page
    assert "优秀" in page and "2025" in page
