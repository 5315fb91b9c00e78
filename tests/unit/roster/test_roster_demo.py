"""The roster demo (issue item 6): about forty organisations of every type across Fujian's
cities, about three hundred mediators of every source category and status, a finished
recruitment call (accepted, rejected with reasons, one objection dismissed, one upheld,
candidates appointed) and an open one with applications, some with documents; and the
accounts and order other domains' demos and the browser tests rely on. Loading it twice
changes nothing."""

from __future__ import annotations

import hashlib
from collections import Counter

import roster as roster_domain
from core import clock
from core.demo import DemoContext, load_core_demo
from core.settings import get_settings
from core.vocab import MediatorStatus, OrganisationType, SourceCategory
from roster import applications
from roster import services as roster_services
from roster.tables import Application, ApplicationDocument, Mediator, Objection, Organisation, RecruitmentCall

CITIES = {"3501", "3502", "3503", "3504", "3505", "3506", "3507", "3508", "3509"}


def _load(run) -> DemoContext:
    context = DemoContext(password="demo-pass-123")
    run(load_core_demo(context))
    run(roster_domain.load_demo(context))
    return context


def test_demo_has_organisations_and_mediators_of_every_kind_across_fujian_and_loads_once(run):
    context = _load(run)
    organisations = run(Organisation.select(Organisation.type, Organisation.region_code, Organisation.filing_status,
                                            Organisation.filing_overdue))
    assert 38 <= len(organisations) <= 45
    assert set(Counter(o["type"] for o in organisations)) == {t.value for t in OrganisationType}
    assert {o["region_code"][:4] for o in organisations} == CITIES
    assert {"accepted", "submitted", "returned", "draft"} <= {o["filing_status"] for o in organisations}
    assert any(o["filing_overdue"] for o in organisations)
    mediators = run(Mediator.select(Mediator.source_category, Mediator.status, Mediator.region_code,
                                    Mediator.roster_no, Mediator.exit_ground))
    assert 290 <= len(mediators) <= 320
    statuses = Counter(m["status"] for m in mediators)
    assert set(statuses) == {s.value for s in MediatorStatus} and statuses["appointed"] > len(mediators) / 2
    assert {m["source_category"] for m in mediators} == {s.value for s in SourceCategory}
    assert {m["region_code"][:4] for m in mediators} == CITIES
    assert all(m["roster_no"] for m in mediators if m["status"] != "applicant")
    assert sum(1 for m in mediators if m["status"] == "exited" and m["exit_ground"] not in ("", "exited")) >= 20
    # what other domains' demos read: mediator1 appointed in Luojiang, org1 managing its centre
    me = run(roster_services.mediator_for_user(context.users["mediator1"]))
    assert me and me.status == "appointed" and me.name == "林晓梅" and me.region_code == "350504"
    # twice: nothing changes
    again = DemoContext(password="demo-pass-123", users=dict(context.users))
    run(roster_domain.load_demo(again))
    assert run(Mediator.count()) == len(mediators) and run(Organisation.count()) == len(organisations)
    assert not any(line.startswith("account created") for line in again.log)


def test_demo_has_a_finished_call_and_an_open_call_with_documents(run):
    context = _load(run)
    calls = run(RecruitmentCall.select().order_by(RecruitmentCall.id))
    assert len(calls) == 2
    opened, finished = calls
    assert opened["opens_on"] <= clock.today() <= opened["closes_on"]  # the first call is open: the browser test applies
    assert finished["closes_on"] < clock.today()
    open_apps = run(Application.select().where(Application.call == opened["id"]))
    assert {"submitted", "on_notice", "rejected"} <= {a["status"] for a in open_apps}
    documents = run(ApplicationDocument.select().where(
        ApplicationDocument.application.is_in([a["id"] for a in open_apps])))
    assert documents and {d["kind"] for d in documents} == {"png", "pdf"}
    assert len({d["application"] for d in documents}) < len(open_apps)  # some with documents, not all
    for document in documents:
        data = (get_settings().var_dir / "uploads" / document["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == document["sha256"]
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF") if document["kind"] == "pdf" else True
    done = run(Application.select().where(Application.call == finished["id"]))
    outcome = Counter(a["status"] for a in done)
    assert outcome["appointed"] >= 3 and outcome["rejected"] >= 3 and outcome["on_notice"] == 0
    assert all(a["reasons"] for a in done if a["status"] == "rejected")
    appointed = run(roster_services.mediator_summaries([a["mediator_id"] for a in done if a["status"] == "appointed"]))
    assert all(s.status == "appointed" and s.roster_no and s.appointed_on < clock.today() for s in appointed.values())
    objections = run(Objection.select(Objection.status, Objection.application).where(
        Objection.application.is_in([a["id"] for a in done])))
    assert sorted(o["status"] for o in objections) == ["dismissed", "upheld"]
    upheld = next(o for o in objections if o["status"] == "upheld")
    assert next(a for a in done if a["id"] == upheld["application"])["status"] == "rejected"
    # applicant1, a citizen's account, sees a rejection with reasons and a running notice
    stages = {a.call: a for a in run(applications.my_applications(context.users["applicant1"]))}
    assert stages[finished["id"]].stage == "rejected" and stages[finished["id"]].reasons
    assert stages[opened["id"]].stage == "on_notice" and stages[opened["id"]].documents
