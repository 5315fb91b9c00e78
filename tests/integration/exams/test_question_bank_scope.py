"""The question bank and papers an administrator reads: their region's and below, and the
province's (the bank above them serves every city); never another city's, whose questions
and answers are theirs to keep."""

from core.auth.roles import Grant, Principal, Role
from tests.helpers import login, make_user, post_form
from tests.unit.exams.factory import single
from training.exams import bank, papers


def _admin(region: str) -> Principal:
    return Principal(user_id=None, username=f"seed{region}", grants=(Grant(Role.ADMIN, region),))


def _bank(run) -> dict[str, int]:
    ids = {}
    for region, stem in (("350000", "全省题目"), ("350500", "泉州题目"), ("350200", "厦门题目")):
        ids[region] = run(bank.create_question(_admin(region), {**single(), "stem": stem}))
        run(papers.create_paper(_admin(region), {"title": f"{stem}试卷", "grade": "junior", "kind": "fixed",
                                                    "duration_minutes": "90"}))
    return ids


def test_an_administrator_reads_their_citys_and_the_provinces_bank_not_another_citys(client, run):
    ids = _bank(run)
    run(make_user("admin_xm", Role.ADMIN, "350200"))
    login(client, "admin_xm")
    bank_page = client.get("/admin/exams/questions").text
    assert "全省题目" in bank_page and "厦门题目" in bank_page and "泉州题目" not in bank_page
    export = client.get("/admin/exams/questions/export").text
    assert "全省题目" in export and "泉州题目" not in export
    papers_page = client.get("/admin/exams/papers").text
    assert "全省题目试卷" in papers_page and "厦门题目试卷" in papers_page and "泉州题目试卷" not in papers_page
    assert client.get(f"/admin/exams/questions/{ids['350000']}").status_code == 200
    refused = client.get(f"/admin/exams/questions/{ids['350500']}")
    assert refused.status_code == 403 and "泉州题目" not in refused.text
    quanzhou_paper = run(papers.papers(_admin("350500")))
    assert [p.title for p in quanzhou_paper] == ["泉州题目试卷", "全省题目试卷"]
    assert client.get(f"/admin/exams/papers/{quanzhou_paper[0].id}").status_code == 403
    assert client.get(f"/admin/exams/papers/{quanzhou_paper[0].id}/statistics").status_code == 403


def test_another_citys_question_cannot_be_put_on_a_paper(client, run):
    ids = _bank(run)
    run(make_user("admin_xm", Role.ADMIN, "350200"))
    login(client, "admin_xm")
    paper = next(p for p in run(papers.papers(_admin("350200"))) if p.region_code == "350200")
    answer = post_form(client, f"/admin/exams/papers/{paper.id}/questions",
                       {"question_ids": f"{ids['350000']}, {ids['350500']}"}, form_page="/admin/exams/papers")
    assert answer.status_code == 400 and "泉州题目" not in answer.text
    assert run(papers.paper_question_ids(paper.id)) == []
