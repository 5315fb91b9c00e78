"""Exam demo: a question bank across topics and grades; a fixed junior paper and a blueprint
intermediate paper; a finished junior sitting whose scripts were double-marked (some went to a
third examiner) with released results, mediator1 passing; an open junior sitting mediator1 can
take now, in which other candidates have submitted scripts now waiting for examiner1 and
examiner2. Running it twice changes nothing the second time."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from core.auth.roles import Grant, Principal, Role
from core.auth.services import load_principal
from training.exams import bank, marking, papers, results, sittings, taking
from training.exams.tables import Admission, Marking, Sitting

FINISHED_TITLE = "2026年初级调解员资格考试（第一场）"
OPEN_TITLE = "2026年初级调解员资格考试（第二场）"

TOPICS = {
    "劳动关系": ["确认劳动关系时，用人单位未与劳动者订立书面劳动合同的，应当", "下列哪项可以作为认定事实劳动关系的证据",
             "非全日制用工双方当事人", "劳务派遣用工中，用工单位"],
    "劳动报酬": ["用人单位拖欠劳动报酬的，劳动者可以", "加班工资的计算基数一般为", "最低工资标准不包括",
             "支付令适用于"],
    "解除与终止": ["用人单位单方解除劳动合同，应当事先", "劳动者提前三十日书面通知用人单位，可以",
              "下列情形中用人单位不得依据第四十条解除劳动合同的是", "经济补偿按劳动者在本单位工作的年限"],
    "社会保险与工伤": ["工伤认定申请的时限为", "职工在上下班途中受到非本人主要责任的交通事故伤害的",
                "用人单位未依法缴纳社会保险费的", "停工留薪期一般不超过"],
    "调解程序与技巧": ["劳动争议调解组织应当自收到调解申请之日起", "调解协议书由双方当事人签名或者盖章", "调解员在调解中应当回避的情形",
                "达成调解协议后一方不履行的，另一方可以"],
}
OPTIONS = ["依法支付二倍工资", "协商一致后变更", "向劳动争议仲裁委员会申请仲裁", "无需承担任何责任"]
WRITTEN = [
    ("short_answer", "调解程序与技巧", 10, "简述劳动争议调解员在调解过程中应当遵循的基本原则。",
     "自愿、合法、公正、及时原则各2分；举例说明2分。"),
    ("case_analysis", "解除与终止", 20, "某公司以“末位淘汰”为由解除与张某的劳动合同，张某申请调解。请分析本案的争议焦点并提出调解方案。",
     "指出末位淘汰不是法定解除事由（6分）；违法解除的赔偿金计算（6分）；调解方案兼顾双方利益且可执行（8分）。"),
    ("short_answer", "社会保险与工伤", 10, "简述工伤认定申请的时限及逾期申请的后果。",
     "用人单位30日、劳动者一年（4分）；逾期期间发生的工伤待遇由用人单位负担（4分）；表述清楚（2分）。"),
    ("case_analysis", "劳动报酬", 20, "外卖骑手李某与平台合作商发生劳动报酬争议，请结合新就业形态劳动者权益保障的规定进行分析。",
     "劳动关系或不完全符合确立劳动关系情形的判断（8分）；报酬支付责任（6分）；调解建议（6分）。"),
]


async def _bank(admin: Principal) -> None:
    if (await bank.list_questions(page=1, page_size=1))[1] >= 50:
        return
    for grade in ("junior", "intermediate"):
        for topic, stems in TOPICS.items():
            for n, stem in enumerate(stems):
                for variant in range(2):
                    await bank.create_question(admin, {
                        "kind": "single", "topic": topic, "grade": grade, "difficulty": 1 + (n + variant) % 5,
                        "marks": 2, "stem": f"{stem}（ ）。{'' if variant == 0 else '（变式）'}",
                        "options": "\n".join(OPTIONS), "answer": "ABCD"[(n + variant) % 4]})
                await bank.create_question(admin, {
                    "kind": "true_false", "topic": topic, "grade": grade, "difficulty": 2, "marks": 1,
                    "stem": f"判断：{stem}，用人单位可以不承担责任。", "answer": "false" if n % 2 else "true"})
            await bank.create_question(admin, {
                "kind": "multiple", "topic": topic, "grade": grade, "difficulty": 3, "marks": 4,
                "stem": f"关于{topic}，下列说法正确的有（ ）。", "options": "\n".join(OPTIONS), "answer": "A,C"})
            await bank.create_question(admin, {
                "kind": "multiple", "topic": topic, "grade": grade, "difficulty": 4, "marks": 4,
                "stem": f"处理{topic}争议时，调解员应当注意（ ）。", "options": "\n".join(OPTIONS), "answer": "B,C"})
        for kind, topic, marks, stem, rubric in WRITTEN:
            await bank.create_question(admin, {"kind": kind, "topic": topic, "grade": grade, "difficulty": 3,
                                                   "marks": marks, "stem": stem, "rubric": rubric})


async def _junior_paper(admin: Principal) -> int:
    for p in await papers.papers():
        if p.title == "初级调解员资格考试试卷（A卷）":
            return p.id
    rows, _total = await bank.list_questions(grade="junior", page=1, page_size=1000)
    single = sorted((q for q in rows if q.kind == "single"), key=lambda q: ("变式" in q.stem, q.id))
    single = [q.id for q in single]
    truth = [q.id for q in rows if q.kind == "true_false"][:6]
    multiple = [q.id for q in rows if q.kind == "multiple"][:4]
    short = [q.id for q in rows if q.kind == "short_answer" and q.marks == 10][:1]
    case = [q.id for q in rows if q.kind == "case_analysis" and q.marks == 20][:1]
    paper_id = await papers.create_paper(admin, {"title": "初级调解员资格考试试卷（A卷）", "grade": "junior",
                                                   "kind": "fixed", "duration_minutes": "90"})
    # 24 × 2 + 6 × 1 + 4 × 4 + 10 + 20 = 100 marks
    await papers.set_paper_questions(admin, paper_id, single[:24] + truth + multiple + short + case)
    return paper_id


async def _blueprint_paper(admin: Principal) -> None:
    if any(p.title == "中级调解员考试试卷（随机组卷）" for p in await papers.papers()):
        return
    await papers.create_paper(admin, {
        "title": "中级调解员考试试卷（随机组卷）", "grade": "intermediate", "kind": "blueprint", "duration_minutes": "120",
        "blueprint": "劳动关系, single, *, 2, 6\n劳动报酬, single, *, 2, 6\n解除与终止, single, *, 2, 6\n"
                     "社会保险与工伤, single, *, 2, 6\n调解程序与技巧, single, *, 2, 7\n"
                     "劳动关系, multiple, *, 4, 1\n劳动报酬, multiple, *, 4, 1\n"
                     "调解程序与技巧, short_answer, *, 10, 1\n解除与终止, case_analysis, *, 20, 1"})


def _stand_in(mediator_id: int, region_code: str) -> Principal:
    """Candidates without accounts sit through the services as themselves."""
    return Principal(user_id=None, username="demo", grants=(Grant(Role.MEDIATOR, region_code, mediator_id=mediator_id),))


async def _sit(admission: dict, who: Principal, quality: float, at) -> None:
    """Answer the paper: a share `quality` of objective questions right, written answers."""
    row = await taking.start_exam(who, admission["id"], at=at)
    found = await bank.questions_by_id(row.question_ids)
    responses = {}
    for n, qid in enumerate(row.question_ids):
        q = found[qid]
        right = (n * 37 % 100) / 100 < quality
        if q.kind in ("single", "multiple"):
            wrong = [i for i in range(len(q.options)) if i not in q.answer][:1]
            responses[qid] = [str(i) for i in (q.answer if right else wrong)]
        elif q.kind == "true_false":
            responses[qid] = str(q.answer[0] if right else not q.answer[0]).lower()
        else:
            responses[qid] = ("本案中，用人单位的做法不符合《劳动合同法》的规定。调解时应当先核实事实，"
                              "再释明法律规定，引导双方在自愿基础上协商。" if quality > 0.3 else "不清楚。")
    await taking.save_answers(who, admission["id"], responses, at=at + timedelta(minutes=20))
    await taking.submit(who, admission["id"], at=at + timedelta(minutes=40))


async def _mark_everything(sitting_id: int, examiners: dict[int, Principal], quality: dict[int, float], at) -> int:
    """Examiners mark every waiting script; every fourth answer's two marks disagree by
    more than 20% so that it goes to the third examiner."""
    third = 0
    for _round in range(4):
        rows = await Marking.select(Marking.id, Marking.examiner_id, Marking.round, Marking.answer,
                                    Marking.answer.admission, Marking.answer.max_marks).where(
            Marking.sitting_id == sitting_id).where(Marking.marked_at.is_null()).order_by(Marking.id)
        if not rows:
            break
        for row in rows:
            share = quality.get(row["answer.admission"], 0.6)
            top = row["answer.max_marks"]
            mark = round(top * share * 2) / 2
            if row["answer"] % 4 == 0 and row["round"] == 2:
                mark = max(0.0, mark - round(top * 0.35))  # a harsh second examiner
            if row["round"] == 3:
                third += 1
                mark = max(0.0, round(top * share * 2) / 2 - 0.5)
            await marking.record_mark(examiners[row["examiner_id"]], row["id"], min(top, mark), at=at)
    return third


async def load_demo(context) -> None:
    from roster import services as roster_services

    admin = await load_principal(context.users["admin"])
    await _bank(admin)
    paper_id = await _junior_paper(admin)
    await _blueprint_paper(admin)
    examiner_ids = [context.users[name] for name in ("examiner1", "examiner2", "examiner3") if name in context.users]
    examiners = {uid: await load_principal(uid) for uid in examiner_ids}
    me = await roster_services.mediator_for_user(context.users.get("mediator1"))
    people = await roster_services.mediators_in_region("350000")
    now = clock.now()

    if not await Sitting.exists().where(Sitting.title == FINISHED_TITLE):
        sitting_id = await sittings.create_sitting(admin, {
            "title": FINISHED_TITLE, "paper_id": str(paper_id), "region_code": "350000",
            "opens_at": clock.iso(now + timedelta(days=1)), "closes_at": clock.iso(now + timedelta(days=1, hours=3))})
        await marking.set_panel(admin, sitting_id, examiner_ids)
        ids = ([me.id] if me else []) + [p.id for p in people if not me or p.id != me.id]
        admitted, _refused = await sittings.admit_candidates(admin, sitting_id, ids[:40])
        opens = now - timedelta(days=12)
        await Sitting.update({Sitting.opens_at: opens, Sitting.closes_at: opens + timedelta(hours=3)}).where(
            Sitting.id == sitting_id)  # the demo's past exam: admitted before, held 12 days ago
        # ... and counted in the platform's year it was held (re-sits), even loaded at the new year
        await Admission.update({Admission.year: clock.date_of(opens).year}).where(Admission.sitting == sitting_id)
        rows = await Admission.select().where(Admission.sitting == sitting_id)
        summaries = await roster_services.mediator_summaries([r["mediator_id"] for r in rows])
        quality = {}
        for n, row in enumerate(rows):
            share = 0.95 if me and row["mediator_id"] == me.id else [0.85, 0.7, 0.55, 0.4, 0.75, 0.62][n % 6]
            quality[row["id"]] = share
            if n % 7 == 6:
                continue  # absent
            summary = summaries.get(row["mediator_id"])
            await _sit(row, _stand_in(row["mediator_id"], summary.region_code if summary else "350000"), share,
                       opens + timedelta(minutes=10))
        third = await _mark_everything(sitting_id, examiners, quality, opens + timedelta(days=2))
        await results.release_results(admin, sitting_id, at=now - timedelta(days=3))
        context.log.append(f"exam sitting finished and released: {len(admitted)} candidates, {third} third markings")

    if not await Sitting.exists().where(Sitting.title == OPEN_TITLE):
        sitting_id = await sittings.create_sitting(admin, {
            "title": OPEN_TITLE, "paper_id": str(paper_id), "region_code": "350000",
            "opens_at": clock.iso(now - timedelta(hours=1)), "closes_at": clock.iso(now + timedelta(days=60)),
            "duration_minutes": "90"})
        panel = [context.users["examiner1"], context.users["examiner2"]]
        await marking.set_panel(admin, sitting_id, panel)
        ids = ([me.id] if me else []) + [p.id for p in people if not me or p.id != me.id]
        admitted, _refused = await sittings.admit_candidates(admin, sitting_id, ids[:20])
        rows = await Admission.select().where(Admission.sitting == sitting_id)
        summaries = await roster_services.mediator_summaries([r["mediator_id"] for r in rows])
        submitted = 0
        for n, row in enumerate(rows):
            if me and row["mediator_id"] == me.id:
                continue  # mediator1 sits it in the browser
            if submitted >= 4:
                break
            summary = summaries.get(row["mediator_id"])
            await _sit(row, _stand_in(row["mediator_id"], summary.region_code if summary else "350000"),
                       [0.8, 0.5, 0.65, 0.9][n % 4], now - timedelta(minutes=50))
            submitted += 1
        context.log.append(f"exam sitting open now: {len(admitted)} candidates, {submitted} scripts waiting for "
                           "examiner1 and examiner2")
