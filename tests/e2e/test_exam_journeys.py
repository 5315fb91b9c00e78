"""The exam as its people meet it, in a real browser on the demo: a mediator enrols in an
intermediate course, sits the exam with a page reload in the middle (autosave keeps every
answer) and submits; two examiners mark the written answers blind and, where they disagree by
more than the rule allows, a third examiner settles it; the administrator releases the
results and batch-issues the certificate; the mediator downloads it, its QR code opens the
verification page, which says valid, and the downloaded PDF passes the file check. In Chinese;
the certificate journey again in English.

The three tests are one story and run in file order: each builds on the state the previous
one left (kept in JOURNEY). What a test cannot do through pages in its time is set up in the
database and says so: the course's attendance being complete, and the exam window closing."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import pytest

from core import clock
from tests.e2e.conftest import db_execute, db_rows, decode_qr, screenshot, sign_in

pytestmark = pytest.mark.e2e

COURSE = "劳动争议调解员中级培训（e2e）"
SITTING = "中级调解员资格考试（e2e）"
PAPER = "中级调解员考试试卷（随机组卷）"  # the demo's blueprint paper: 31 single, 2 multiple, 2 written
WRITTEN = {"short_answer": "调解应当遵循自愿、合法、公正、及时的原则，例如先行释明法律规定再引导协商。",
           "case_analysis": "末位淘汰不是法定解除事由，属违法解除，应支付赔偿金；调解方案：双方协商补偿后解除。"}
# Blind marks (max 10 and 20): the short answer agrees within 20% (mean 8.0); the case analysis
# is 6.5 apart (> 20% of 20), so a third examiner marks it and the two closest count (15.75).
MARKS = {"examiner1": {"short_answer": "7.5", "case_analysis": "16.5"},
         "examiner2": {"short_answer": "8.5", "case_analysis": "10"},
         "examiner3": {"case_analysis": "15"}}
COMMENT = "阅卷人一评语：论点完整，引用法条准确"
JOURNEY: dict = {}


def _tab(browser, live_server, username: str | None = None, locale: str = "zh-CN"):
    page = browser.new_context(base_url=live_server["base_url"], locale=locale).new_page()
    if username:
        sign_in(page, username)
    return page


def _submit(page, form: str, button: str | None = None) -> None:
    """Submit a form the way a person does: click its button, wait for the next page."""
    target = page.locator(form)
    (target.locator(button) if button else target.locator("button[type=submit]").first).click()
    page.wait_for_load_state()


def _flash(page) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


def _mediator1(live_server) -> int:
    return db_rows(live_server, "SELECT m.id FROM mediator m JOIN account a ON a.id = m.user_id "
                                "WHERE a.username = 'mediator1'")[0][0]


def _local(moment: datetime) -> str:
    return clock.local(moment).strftime("%Y-%m-%dT%H:%M")


def _wait_for(check, what: str, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _answer(page, qid: int, kind: str, key: list, written: str = "") -> None:
    if kind in ("short_answer", "case_analysis"):
        page.fill(f"#q{qid}", written)
        page.locator(f"#q{qid}").dispatch_event("change")  # leaving the box saves at once
    else:
        for index in key:
            page.check(f"input[name=q{qid}][value='{index}']")


def test_mediator_enrols_and_sits_an_exam_whose_answers_survive_a_reload(browser, live_server):
    """Rules: enrolment through the course page; the paper autosaves every answer (a reload
    loses nothing); submission is final and objective questions mark themselves."""
    mediator_id = _mediator1(live_server)
    admin = _tab(browser, live_server, "admin")
    today = clock.today()
    # The administrator publishes an intermediate course (one session next week).
    admin.goto("/admin/training/courses/new")
    for name, value in (("title", COURSE), ("organiser_name", "福建省人力资源和社会保障厅"), ("class_hours", "12"),
                        ("capacity", "30"), ("enrol_opens_on", today.isoformat()),
                        ("enrol_closes_on", (today + timedelta(days=5)).isoformat()),
                        ("starts_on", (today + timedelta(days=7)).isoformat())):
        admin.fill(f"#f-{name}", value)
    admin.select_option("#f-grade", "intermediate")
    admin.select_option("#f-region_code", "350000")
    _submit(admin, "form[action='/admin/training/courses']")
    course_id = int(admin.url.rstrip("/").rsplit("/", 1)[1])
    sessions = admin.locator(f"form[action='/admin/training/courses/{course_id}/sessions']")
    start = datetime.combine(today + timedelta(days=7), datetime.min.time()).replace(hour=9)
    sessions.locator("#f-starts_at").fill(start.strftime("%Y-%m-%dT%H:%M"))
    sessions.locator("#f-ends_at").fill((start + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"))
    sessions.locator("#f-hours").fill("12")
    sessions.locator("#f-place").fill("福州市劳动人事争议仲裁院培训室")
    _submit(admin, f"form[action='/admin/training/courses/{course_id}/sessions']")
    _submit(admin, f"form[action='/admin/training/courses/{course_id}/status']", "button[value=published]")
    assert "课程状态已更改" in _flash(admin)

    # mediator1 enrols on the course page.
    mediator = _tab(browser, live_server, "mediator1")
    mediator.goto(f"/training/courses/{course_id}")
    _submit(mediator, f"form[action='/training/courses/{course_id}/enrol']")
    assert "报名成功" in _flash(mediator)
    assert mediator.locator("#my-place + .status-big").inner_text() == "已报名"
    screenshot(mediator, "exam-course-enrolled")
    # State a test cannot wait for: the course is held and mediator1 attended all of it.
    db_execute(live_server, f"UPDATE enrolment SET status = 'completed', completed_on = '{today.isoformat()}' "
                            f"WHERE pair_key = '{course_id}:{mediator_id}'")

    # The administrator opens a sitting now, sets the panel and admits mediator1.
    paper_id = db_rows(live_server, f"SELECT id FROM exam_paper WHERE title = '{PAPER}'")[0][0]
    admin.goto("/admin/exams/sittings/")
    now = clock.now()
    admin.fill("#f-title", SITTING)
    admin.select_option("#f-paper_id", str(paper_id))
    admin.select_option("#f-region_code", "350000")
    admin.fill("#f-opens_at", _local(now - timedelta(minutes=10)))
    admin.fill("#f-closes_at", _local(now + timedelta(hours=4)))
    _submit(admin, "form[action='/admin/exams/sittings']")
    assert "考试场次已创建" in _flash(admin)
    sitting_id = int(admin.url.rstrip("/").rsplit("/", 1)[1])
    panel = admin.locator(f"form[action='/admin/exams/sittings/{sitting_id}/panel']")
    for username in ("examiner1", "examiner2"):
        panel.locator("label", has_text=f"({username})").locator("input").check()
    _submit(admin, f"form[action='/admin/exams/sittings/{sitting_id}/panel']")
    assert "阅卷组已保存" in _flash(admin)
    admin.fill(f"form[action='/admin/exams/sittings/{sitting_id}/candidates'] input[name=mediator_ids]",
               str(mediator_id))
    _submit(admin, f"form[action='/admin/exams/sittings/{sitting_id}/candidates']")
    assert "已准予 1 名考生参加考试" in _flash(admin)
    assert "林晓梅" in admin.locator("section.card", has_text="考生").inner_text()
    screenshot(admin, "exam-sitting-admitted")
    admin.context.close()

    # mediator1 starts the exam.
    mediator.goto("/exams/")
    _submit(mediator, f"tr:has-text('{SITTING}') form")
    admission_id = int(mediator.url.split("/admissions/")[1].split("/")[0])
    assert mediator.locator("#exam-timer").inner_text()  # the visible countdown
    boxes = mediator.locator("fieldset.question")
    questions = [(int(b.get_attribute("data-question")), b.get_attribute("data-kind")) for b in boxes.all()]
    assert len(questions) == 35 and sorted({k for _q, k in questions}) == [
        "case_analysis", "multiple", "short_answer", "single"]
    keys = {qid: json.loads(answer) if isinstance(answer, str) else answer for qid, answer in db_rows(
        live_server, f"SELECT id, answer FROM exam_question WHERE id IN ({','.join(str(q) for q, _k in questions)})")}
    half = questions[:17] + [q for q in questions if q[1] == "short_answer"]
    for qid, kind in half:
        _answer(mediator, qid, kind, keys[qid], WRITTEN.get(kind, ""))

    def saved() -> int:
        return db_rows(live_server, f"SELECT count(*) FROM exam_answer WHERE admission = {admission_id} "
                                    "AND response IS NOT NULL")[0][0]

    _wait_for(lambda: saved() == len(half), "every answer given so far to be autosaved")
    screenshot(mediator, "exam-paper-before-reload")
    mediator.evaluate("window.localStorage.clear()")  # what shows after the reload comes from the server
    mediator.reload()
    mediator.wait_for_load_state()
    for qid, kind in half:
        if kind in WRITTEN:
            assert mediator.locator(f"#q{qid}").input_value() == WRITTEN[kind]
        else:
            assert all(mediator.is_checked(f"input[name=q{qid}][value='{i}']") for i in keys[qid]), qid
    untouched = next(qid for qid, kind in questions if kind not in WRITTEN and (qid, kind) not in half)
    assert not mediator.locator(f"input[name=q{untouched}]:checked").count()  # nothing invented either
    screenshot(mediator, "exam-paper-after-reload")

    for qid, kind in questions:
        if (qid, kind) not in half:
            _answer(mediator, qid, kind, keys[qid], WRITTEN.get(kind, ""))
    mediator.once("dialog", lambda dialog: dialog.accept())  # "submit now? you cannot change it afterwards"
    mediator.click("#submit-paper")
    mediator.wait_for_load_state()
    assert "您已交卷" in _flash(mediator)
    assert "已交卷" in mediator.locator("tr", has_text=SITTING).inner_text()
    screenshot(mediator, "exam-submitted")
    status, objective, script_no, ticket_no = db_rows(
        live_server, f"SELECT status, objective_score, script_no, ticket_no FROM exam_admission WHERE id = {admission_id}")[0]
    assert status == "submitted" and objective == 70.0  # every objective answer right: 31 × 2 + 2 × 4
    mediator.context.close()
    JOURNEY.update(sitting_id=sitting_id, admission_id=admission_id, script_no=script_no, ticket_no=ticket_no,
                   mediator_id=mediator_id)


def _mark_script(browser, live_server, username: str, expect: int) -> list[str]:
    """The examiner marks every waiting answer of the journey's script; returns the pages'
    texts. What the examiner sees is the script number only."""
    page = _tab(browser, live_server, username)
    page.goto("/exams/marking/")
    assert "答卷已密封" in page.locator("main").inner_text()
    waiting = page.locator("tr", has_text=JOURNEY["script_no"]).filter(has=page.locator("a[href^='/exams/marking/']"))
    assert waiting.count() == expect, f"{username} has {waiting.count()} answers of the script waiting"
    seen = []
    for _n in range(expect):
        row = waiting.first
        kind = "case_analysis" if "案例分析" in row.inner_text() else "short_answer"
        row.locator("a").click()
        page.wait_for_load_state()
        text = page.content()
        assert JOURNEY["script_no"] in page.locator("h1").inner_text()
        assert "林晓梅" not in text and JOURNEY["ticket_no"] not in text  # blind: no name, no ticket
        assert WRITTEN[kind] in page.locator("main").inner_text()  # the candidate's answer, as written
        seen.append(text)
        screenshot(page, f"exam-marking-{username}-{kind}")
        page.fill("#f-mark", MARKS[username][kind])
        if username == "examiner1":
            page.fill("#f-comment", COMMENT)
        _submit(page, "form[action^='/exams/marking/']")
        assert "评分已记录" in _flash(page)
    page.context.close()
    return seen


def test_two_examiners_mark_blind_and_a_third_settles_their_disagreement(browser, live_server):
    """Rules: written answers go to two examiners, blind (script number only, never the
    other's mark); more than 20% apart → a third examiner, the mean of the two closest
    counts; otherwise the mean of the two. Results show once released."""
    assert JOURNEY, "runs after the exam was sat (test above)"
    _mark_script(browser, live_server, "examiner1", expect=2)
    for text in _mark_script(browser, live_server, "examiner2", expect=2):
        assert COMMENT not in text and "7.5" not in text and "16.5" not in text  # not the other's marks

    admin = _tab(browser, live_server, "admin")
    sitting = f"/admin/exams/sittings/{JOURNEY['sitting_id']}"
    admin.goto(sitting)
    assert "主观题已定分 1 / 2；已评 4 / 4 项" in admin.locator("main").inner_text()  # one waits for a third
    # The case analysis waits for a third examiner: the administrator adds examiner3 to the panel.
    admin.locator(f"form[action='{sitting}/panel'] label", has_text="(examiner3)").locator("input").check()
    _submit(admin, f"form[action='{sitting}/panel']")
    _mark_script(browser, live_server, "examiner3", expect=1)

    # The exam window closes (a test cannot wait four hours), then the results are released.
    closed = clock.now() - timedelta(minutes=1)
    db_execute(live_server, f"UPDATE exam_sitting SET closes_at = '{closed}' WHERE id = {JOURNEY['sitting_id']}")
    admin.goto(sitting)
    _submit(admin, f"form[action='{sitting}/release']")
    assert "已向 1 名考生发布成绩" in _flash(admin)
    screenshot(admin, "exam-sitting-released")
    admin.context.close()

    mediator = _tab(browser, live_server, "mediator1")
    mediator.goto("/exams/")
    mediator.locator("tr", has_text=SITTING).locator("a[href$='/result']").click()
    mediator.wait_for_load_state()
    main = mediator.locator("main").inner_text()
    assert "93.75 / 100" in main and "合格" in main  # 70 objective + 8.0 + 15.75
    sections = {r.locator("td").nth(0).inner_text(): r.locator("td").nth(2).inner_text()
                for r in mediator.locator("tbody tr").all()}
    assert sections["简答题"] == "8.0 / 10"  # two examiners within 20%: their mean
    assert sections["案例分析题"] == "15.75 / 20"  # 16.5, 10 and 15: the mean of the two closest
    screenshot(mediator, "exam-result")
    mediator.context.close()


def _download(page, link) -> bytes:
    with page.expect_download() as arrival:
        link.click()
    return open(arrival.value.path(), "rb").read()


def test_passed_candidate_gets_a_certificate_whose_qr_verifies_in_chinese_and_in_english(browser, live_server):
    """Rules: batch issue after an exam for those who passed it and completed its course;
    the holder downloads PNG and PDF; the QR opens the public verification page; an unaltered
    downloaded file passes the file check. The journey again with the English switch."""
    assert JOURNEY.get("sitting_id"), "runs after the results were released (tests above)"
    admin = _tab(browser, live_server, "admin")
    admin.goto("/admin/certificates/batch")
    admin.fill("#f-sitting_id", str(JOURNEY["sitting_id"]))
    _submit(admin, "form[action='/admin/certificates/batch'][method=get]")
    preview = admin.locator("main").inner_text()
    assert "林晓梅" in preview and "93.75" in preview
    screenshot(admin, "certificate-batch-preview")
    _submit(admin, "form[action='/admin/certificates/batch'][method=post]")
    assert "已颁发 1 本证书" in _flash(admin)
    admin.context.close()
    number = db_rows(live_server, f"SELECT certificate_no FROM certificate WHERE sitting_id = {JOURNEY['sitting_id']} "
                                  f"AND mediator_id = {JOURNEY['mediator_id']}")[0][0]
    assert number.startswith(f"350504{clock.today().year}")

    for locale, lang, valid, grade in (("zh-CN", None, "有效", "中级"), ("en-GB", "en", "Valid", "Intermediate")):
        mediator = _tab(browser, live_server, "mediator1", locale=locale)
        if lang:
            mediator.goto(f"/lang/{lang}?next=/my/certificates/")
        else:
            mediator.goto("/my/certificates/")
        card = mediator.locator("section.card", has_text=number)
        assert grade in card.locator("h2").inner_text() and valid in card.inner_text()
        screenshot(mediator, f"certificate-mine-{lang or 'zh'}")
        png = _download(mediator, card.locator("a[href$='/image.png']"))
        pdf = _download(mediator, card.locator("a[href$='/document.pdf']"))
        assert png.startswith(b"\x89PNG") and pdf.startswith(b"%PDF-")
        url = decode_qr(png)
        assert url.startswith(live_server["base_url"] + "/verify/")
        mediator.goto(url)
        shown = mediator.locator("main").inner_text()
        assert valid in shown and number in shown and "林晓梅" in shown and grade in shown
        screenshot(mediator, f"certificate-verify-{lang or 'zh'}")
        mediator.goto("/verify")
        mediator.set_input_files("#f-file", files=[{"name": f"{number}.pdf", "mimeType": "application/pdf",
                                                    "buffer": pdf}])
        _submit(mediator, "form[action='/verify/file']")
        checked = mediator.locator("main").inner_text()
        assert number in checked and ("真实、未经修改" in checked or "genuine, unaltered" in checked)
        screenshot(mediator, f"certificate-file-check-{lang or 'zh'}")
        mediator.context.close()
