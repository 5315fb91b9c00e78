"""Reports for any period (issue 14 item 5): one quarter of 洛江区 counted by hand.

The data set: two townships of 洛江区 (万安街道 A, 双阳街道 B) and 丰泽区 outside the region;
mediators, certificates, class hours, exam results, invitations with every answer, and exits,
some inside 2026 Q2 and some just outside it (on the Beijing date, not the UTC one). Every figure
below is counted by hand from the comments."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from core import clock
from core.auth.roles import Role
from tests.helpers import login, make_user

TODAY = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)  # 12:00 in Beijing
BEIJING = timezone(timedelta(hours=8))
A, B, OUTSIDE = "350504001000", "350504002000", "350503"
Q2 = {"region": "350504", "year": "2026", "quarter": "2"}
TOWNS = ["万安街道", "双阳街道", "河市镇", "马甲镇", "罗溪镇", "虹山乡"]


def _at(text: str) -> datetime:
    """A Beijing wall-clock time."""
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


async def _data_set() -> dict[str, int]:
    from certification.tables import Certificate
    from expert_pool.tables import Selection, SelectionEvent
    from roster import services as roster
    from roster.review.tables import ExitNotice
    from roster.tables import Mediator
    from training.exams.tables import Admission, Paper, Sitting
    from training.tables import HoursCredit

    m: dict[str, int] = {}
    for key, region, appointed in [("m1", A, date(2025, 1, 10)), ("m2", A, date(2026, 3, 1)),
                                   ("m3", A, date(2026, 5, 1)), ("m4", B, date(2024, 6, 1)),
                                   ("m5", B, date(2026, 7, 15)), ("m6", B, date(2024, 1, 1)),
                                   ("m7", B, date(2024, 1, 1)), ("m8", OUTSIDE, date(2024, 1, 1))]:
        m[key] = await roster.create_mediator_record(name=key, region_code=region, appointed_on=appointed)
    # m6 left inside the quarter, m7 after it (still on the roster on 30 June)
    await Mediator.update({"status": "exited", "exited_on": date(2026, 5, 20)}).where(Mediator.id == m["m6"])
    await Mediator.update({"status": "exited", "exited_on": date(2026, 8, 1)}).where(Mediator.id == m["m7"])

    # certificates: m1 valid; m2 revoked only in August (valid on 30 June); m4 expired 31 May;
    # m7 suspended on 15 June (before the end); m8 outside the region
    for n, (key, issued, expires, status, changed) in enumerate([
            ("m1", date(2025, 2, 1), date(2028, 1, 31), "valid", _at("2025-02-01T09:00")),
            ("m2", date(2026, 3, 5), date(2029, 3, 4), "revoked", _at("2026-08-01T09:00")),
            ("m4", date(2023, 6, 1), date(2026, 5, 31), "expired", _at("2026-06-01T01:00")),
            ("m7", date(2024, 2, 1), date(2027, 1, 31), "suspended", _at("2026-06-15T09:00")),
            ("m8", date(2024, 2, 1), date(2027, 1, 31), "valid", _at("2024-02-01T09:00"))]):
        await Certificate.insert(Certificate(
            certificate_no=f"RPT-{n}", mediator_id=m[key], holder_name=key, grade="junior", region_code="350504",
            issuer="x", issued_on=issued, expires_on=expires, status=status, updated_at=changed))

    # class hours: (mediator, year, hours, credited on)
    for n, (key, year, hours, on) in enumerate([
            ("m1", 2026, 10, date(2026, 2, 10)), ("m1", 2026, 16, date(2026, 5, 10)),
            ("m2", 2026, 8, date(2026, 6, 30)), ("m3", 2026, 30, date(2026, 7, 1)),
            ("m4", 2026, 24, date(2026, 4, 1)), ("m7", 2025, 5, date(2025, 12, 20)),
            ("m6", 2026, 4, date(2026, 4, 15)), ("m8", 2026, 40, date(2026, 5, 1))]):
        await HoursCredit.insert(HoursCredit(mediator_id=m[key], year=year, course_id=900 + n,
                                             pair_key=f"{m[key]}:{900 + n}", hours=hours, credited_on=on))

    # exams: S1 (100 marks) and S2 (50 marks) in the quarter; S3 opens at 00:30 on 1 July in
    # Beijing (still 30 June in UTC); S4 in the quarter but its results are not released
    p100 = (await Paper.insert(Paper(title="百分卷", grade="junior", total_marks=100, pass_mark=60)))[0]["id"]
    p50 = (await Paper.insert(Paper(title="五十分卷", grade="intermediate", total_marks=50, pass_mark=30)))[0]["id"]
    sittings = {}
    for key, paper, grade, opens, status in [("S1", p100, "junior", "2026-05-10T09:00", "released"),
                                             ("S2", p50, "intermediate", "2026-06-30T23:30", "released"),
                                             ("S3", p100, "junior", "2026-07-01T00:30", "released"),
                                             ("S4", p100, "junior", "2026-05-20T09:00", "scheduled")]:
        sittings[key] = (await Sitting.insert(Sitting(
            title=key, paper=paper, grade=grade, region_code="350504", opens_at=_at(opens),
            closes_at=_at(opens) + timedelta(hours=2), status=status)))[0]["id"]
    for n, (sitting, key, region, total, passed) in enumerate([
            ("S1", "m1", A, 85, True), ("S1", "m2", A, 59.5, False), ("S1", "m4", B, 60, True),
            ("S1", "m8", OUTSIDE, 90, True), ("S1", "m6", B, None, None),
            ("S2", "m3", A, 45, True), ("S2", "m7", B, 20, False),
            ("S3", "m1", A, 70, True), ("S4", "m4", B, 75, True)]):
        grade = "intermediate" if sitting == "S2" else "junior"
        await Admission.insert(Admission(
            sitting=sittings[sitting], mediator_id=m[key], region_code=region, grade=grade, year=2026,
            ticket_no=f"T{n}", script_no=f"S{n}", pair_key=f"{sittings[sitting]}:{m[key]}", seed="s",
            status="marked" if passed is not None else "admitted", total=total, passed=passed))

    # selections: X in A walks every answer, Y in B is invited on the quarter's last evening and
    # accepts after midnight, W in B was invited before the quarter and declined inside it
    async def selection(region: str, outcome: str | None = None, outcome_on: date | None = None) -> int:
        row = await Selection.insert(Selection(court_id=1, case_no=f"案{region}{outcome_on}", dispute_type="wages",
                                               region_code=region, seed="s", status="closed" if outcome else "inviting",
                                               outcome=outcome, outcome_on=outcome_on))
        return row[0]["id"]

    x = await selection(A, "agreement", date(2026, 6, 20))
    y = await selection(B, "agreement", date(2026, 7, 5))
    z = await selection(OUTSIDE, "agreement", date(2026, 5, 20))
    w = await selection(B)
    for sel, kind, at, good in [
            (x, "invite", "2026-04-02T10:00", None), (x, "decline", "2026-04-03T10:00", True),
            (x, "invite", "2026-04-03T10:00", None), (x, "decline", "2026-04-04T10:00", False),
            (x, "invite", "2026-04-04T10:00", None), (x, "lapse", "2026-04-10T10:00", False),
            (x, "invite", "2026-04-10T10:00", None), (x, "accept", "2026-04-11T10:00", None),
            (y, "invite", "2026-06-30T23:00", None), (y, "accept", "2026-07-01T00:10", None),
            (z, "invite", "2026-05-01T10:00", None), (z, "accept", "2026-05-02T10:00", None),
            (w, "invite", "2026-03-31T23:50", None), (w, "decline", "2026-04-01T00:05", False)]:
        await SelectionEvent.insert(SelectionEvent(selection=sel, kind=kind, expert_id=1, good_reason=good,
                                                   at=_at(at)))

    # exits: (region, ground, status, decided on)
    for n, (region, ground, status, on) in enumerate([
            (A, "incompetent", "upheld", date(2026, 4, 15)), (A, "certificate_revoked", "upheld", date(2026, 6, 30)),
            (B, "incompetent", "upheld", date(2026, 5, 20)), (B, "incompetent", "withdrawn", date(2026, 5, 1)),
            (B, "inactive", "upheld", date(2026, 7, 1)), (OUTSIDE, "incompetent", "upheld", date(2026, 5, 1))]):
        await ExitNotice.insert(ExitNotice(mediator_id=m["m1"], region_code=region, ground=ground,
                                           dedupe_key=f"rpt-{n}", issued_on=on - timedelta(days=20),
                                           appeal_deadline=on - timedelta(days=5), status=status, decided_on=on))
    return m


def _csv(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.text[:2000]
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def _file_name(answer) -> str:
    return unquote(re.search(r"filename\*=UTF-8''(\S+)", answer.headers["content-disposition"]).group(1))


def _towns(rows: list[list[str]], a: list[str], b: list[str], zero: list[str], total: list[str]) -> None:
    """Rows: the six townships of 洛江区 in order, then the total."""
    assert [r[0] for r in rows[1:]] == TOWNS + ["合计"]
    assert rows[1][1:] == a and rows[2][1:] == b
    assert all(r[1:] == zero for r in rows[3:7]), rows[3:7]
    assert rows[7][1:] == total


@pytest.fixture
def quarter(client, run):
    with clock.frozen(TODAY):
        run(_data_set())
        run(make_user("lj", Role.ADMIN, "350504"))
        assert login(client, "lj").status_code == 303
        yield client


def test_a_quarter_counts_every_figure_of_the_quarter_and_nothing_outside_it(quarter):
    client = quarter
    get = lambda table: _csv(client.get(f"/admin/reports/{table}/csv", params=Q2))  # noqa: E731

    roster = get("roster")  # on the roster on 30 June: A m1 m2 m3, B m4 m7; valid then: m1, m2
    assert roster[0] == ["地区", "在册调解员", "持有效证书", "持证率（%）"]
    _towns(roster, ["3", "2", "66.7"], ["2", "0", "0.0"], ["0", "0", "0.0"], ["5", "2", "40.0"])

    training = get("training")  # hours credited 1 April–30 June; 2026 hours up to 30 June against 24
    assert training[0] == ["地区", "在册调解员", "期间内认定学时", "期末已达 24 学时", "未达 24 学时",
                           "达到年度要求比例（%）"]
    _towns(training, ["3", "24.0", "1", "2", "33.3"], ["2", "28.0", "1", "1", "50.0"],
           ["0", "0.0", "0", "0", "0.0"], ["5", "52.0", "2", "3", "40.0"])

    exams = get("exams")  # S1 and S2: A 85, 59.5, 90 %; B 60, 40 %
    assert exams[0] == ["地区", "考生人数", "合格人数", "不合格人数", "合格率（%）", "0–59 分", "60–69 分",
                        "70–79 分", "80–89 分", "90–100 分"]
    _towns(exams, ["3", "2", "1", "66.7", "1", "0", "0", "1", "1"], ["2", "1", "1", "50.0", "1", "1", "0", "0", "0"],
           ["0", "0", "0", "0.0", "0", "0", "0", "0", "0"], ["5", "3", "2", "60.0", "2", "1", "0", "1", "1"])

    by_grade = get("exams_by_grade")
    assert by_grade[0][0] == "等级" and by_grade[0][1:] == exams[0][1:]
    assert by_grade[1:] == [["初任", "0", "0", "0", "0.0", "0", "0", "0", "0", "0"],
                            ["初级", "3", "2", "1", "66.7", "1", "1", "0", "1", "0"],
                            ["中级", "2", "1", "1", "50.0", "1", "0", "0", "0", "1"],
                            ["高级", "0", "0", "0", "0.0", "0", "0", "0", "0", "0"],
                            ["合计", "5", "3", "2", "60.0", "2", "1", "0", "1", "1"]]

    selections = get("selections")  # X: 4 invitations, every answer, an agreement; W: a late decline
    assert selections[0] == ["地区", "邀请次数", "接受邀请", "有正当理由拒绝", "无正当理由拒绝", "逾期未答复",
                             "达成协议", "接受率（%）"]
    _towns(selections, ["4", "1", "1", "1", "1", "1", "25.0"], ["1", "0", "0", "1", "0", "0", "0.0"],
           ["0", "0", "0", "0", "0", "0", "0.0"], ["5", "1", "1", "2", "1", "1", "20.0"])

    exits = get("exits_by_ground")  # upheld in the quarter; the withdrawn and July ones left out
    assert exits[0] == ["地区", "年度考评为不称职", "证书被吊销", "合计"]
    _towns(exits, ["1", "1", "2"], ["1", "0", "1"], ["0", "0", "0"], ["2", "1", "3"])

    assert get("grades") == [["项目", "数值"]]  # no appraisal confirmed for 2026
    assert get("mediators_by_status") == [["项目", "数值"], ["在册", "5"], ["已退出", "2"]]  # as it stands today
    assert get("mediators_by_source") == [["项目", "数值"], ["律师", "5"]]


def test_report_files_carry_the_region_and_the_period_and_xlsx_holds_numbers(quarter):
    client = quarter
    answer = client.get("/admin/reports/exams/xlsx", params=Q2)
    assert answer.status_code == 200 and _file_name(answer) == "考试成绩（按地区）_350504_2026-Q2.xlsx"
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:5] == ["地区", "考生人数", "合格人数", "不合格人数", "合格率（%）"]
    assert rows[1] == ["万安街道", 3, 2, 1, 66.7, 1, 0, 0, 1, 1]
    assert rows[-1] == ["合计", 5, 3, 2, 60.0, 2, 1, 0, 1, 1]
    assert all(c.data_type == "n" for c in list(sheet.iter_rows(min_row=2))[0][1:])
    selections = load_workbook(io.BytesIO(client.get("/admin/reports/selections/xlsx", params=Q2).content)).active
    assert [c.value for c in list(selections.iter_rows())[-1]] == ["合计", 5, 1, 1, 2, 1, 1, 20.0]

    month = client.get("/admin/reports/roster/csv", params={"region": "350504", "year": "2026", "month": "6"})
    assert _file_name(month) == "调解员与持证情况_350504_2026-06.csv"
    span = client.get("/admin/reports/exits_by_ground/csv",
                      params={"region": "350504", "from": "2026-04-15", "to": "2026-05-20"})
    assert _file_name(span) == "退出（按事由）_350504_2026-04-15_2026-05-20.csv"
    assert _csv(span)[0][1:] == ["年度考评为不称职", "合计"]  # certificate_revoked (30 June) left out
    assert _csv(span)[-1] == ["合计", "2", "2"]  # A on 15 April and B on 20 May, both days counted
    snapshot = client.get("/admin/reports/mediators_by_status/csv", params=Q2)
    assert _file_name(snapshot) == "调解员（按状态）_350504_2026-12-05.csv"  # what stands today


def test_the_report_page_shows_each_table_with_charts_of_one_unit(quarter):
    page = quarter.get("/admin/reports/", params=Q2)
    assert page.status_code == 200
    assert "洛江区 · 2026-Q2</h1>" in page.text and "2026-04-01 至 2026-06-30" in page.text
    assert '<th scope="row">万安街道</th><td class="num">3</td><td class="num">2</td><td class="num">66.7</td>' \
        in page.text
    # a rate's chart runs to 100 %, a count's to its largest count
    assert page.text.count("<svg") >= 12 and ">100.0%</text>" in page.text
    assert 'href="/admin/reports/roster/xlsx?region=350504&amp;year=2026&amp;quarter=2"' in page.text
    quarter.cookies.set("lang", "en")  # the English switch
    english = quarter.get("/admin/reports/", params=Q2).text
    assert "<h2>Mediators and certification</h2>" in english and "From 2026-04-01 to 2026-06-30" in english
    assert "<figcaption>Certification rate (%)</figcaption>" in english
    assert _csv(quarter.get("/admin/reports/selections/csv", params=Q2))[0] == [
        "Region", "Invitations", "Invitations accepted", "Declined with good reason", "Declined without good reason",
        "Lapsed unanswered", "Agreements reached", "Acceptance rate (%)"]


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"year": "twenty"}, "year", "请填写 2000 至 2026 之间的年份。"),
    ({"year": "2026", "quarter": "5"}, "quarter", "季度为 1、2、3 或 4。"),
    ({"year": "2026", "month": "13"}, "month", "月份为 1 至 12。"),
    ({"year": "2026", "quarter": "2", "month": "4"}, "month", "季度和月份只能选一个。"),
    ({"from": "2026-05-01", "to": "2026-04-01"}, "to", "最后一天早于第一天。"),
    ({"from": "2026-05-01"}, "to", "请填写期间的最后一天。"),
    ({"from": "1 May", "to": "2026-06-01"}, "from", "请按 YYYY-MM-DD 格式填写日期。"),
    ({"year": "2026", "month": "12", "from": "", "to": ""}, None, None),
    ({"from": "2027-01-01", "to": "2027-02-01"}, "from", "该期间尚未开始。"),
])
def test_a_bad_period_is_refused_next_to_its_field(quarter, params, field, message):
    params = {"region": "350504", **params}
    page = quarter.get("/admin/reports/", params=params)
    if field is None:  # December 2026 has begun: it is a good period
        assert page.status_code == 200
        return
    assert page.status_code == 400
    assert re.search(rf'<p class="error" id="e-{field}">{message}</p>', page.text), page.text[:3000]
    answer = quarter.get("/admin/reports/roster/csv", params=params)  # no form: the message names the field
    label = {"year": "年度", "quarter": "季度", "month": "月份", "from": "起始日", "to": "截止日"}[field]
    assert answer.status_code == 400 and f"{label}：{message}" in answer.text


def test_every_chart_has_one_unit_a_rate_runs_to_100_percent_and_a_count_has_no_percent(quarter):
    page = quarter.get("/admin/reports/", params=Q2).text
    figures = re.findall(r"<figcaption>(.*?)</figcaption>(.*?)</svg>", page, re.S)
    assert len(figures) >= 12
    for caption, svg in figures:
        values = re.findall(r'font-size="12">([\d.]+%?)</text>', svg)
        scale = re.findall(r'text-anchor="end">([\d.]+%?)</text>\s*$', svg.strip())
        if "（%）" in caption:  # a rate: every bar and the scale in percent, the scale to 100
            assert all(v.endswith("%") for v in values) and scale == ["100.0%"], caption
        else:  # counts or hours: no percent anywhere
            assert not any(v.endswith("%") for v in values) and not scale[0].endswith("%"), caption
    # the quarter's rates on their 0–100 scale: 66.7 % certified in 万安街道 is a bar of 133.4 of 200
    assert re.search(r'width="133.4" height="16" fill="#9b1c1c"></rect>\s*<text[^>]*>万安街道</text>\s*'
                     r'<text[^>]*>66.7%</text>', page)


def test_records_filed_at_the_region_itself_get_their_own_row_and_count_in_the_total(client, run):
    from roster import services as roster

    with clock.frozen(TODAY):
        run(roster.create_mediator_record(name="本级", region_code="350500", appointed_on=date(2025, 3, 1)))
        run(roster.create_mediator_record(name="洛江", region_code="350504", appointed_on=date(2025, 3, 1)))
        run(roster.create_mediator_record(name="晚到", region_code="350504", appointed_on=date(2026, 1, 2)))
        run(make_user("qz", Role.ADMIN, "350500"))
        login(client, "qz")
        rows = _csv(client.get("/admin/reports/roster/csv", params={"region": "350500", "year": "2025"}))
    assert [r[0] for r in rows[1:]] == ["鲤城区", "丰泽区", "洛江区", "泉港区", "惠安县", "安溪县", "永春县", "德化县",
                                        "金门县", "石狮市", "晋江市", "南安市", "泉州市（本级）", "合计"]
    assert rows[3][1:] == ["1", "0", "0.0"] and rows[-2][1:] == ["1", "0", "0.0"] and rows[-1][1:] == ["2", "0", "0.0"]
