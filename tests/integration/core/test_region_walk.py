"""The role × route × region walk: every route of the app (every page and every API operation of
the OpenAPI schema), asked by each role of each region, with path parameters filled from records
of Luojiang, elsewhere in Quanzhou and Xiamen (see region_walk_world.py).

For each answer it checks the status and what the body holds:
- a reader outside a record's reach gets 403/404 (a page: 401/303 to sign in when anonymous);
- no answer shows a sentinel record the reader may not see (names found nowhere else), nor any
  sentinel's ID number, to anyone; JSON lists hold only items in the reader's reach;
- the main lists do show the sentinels the reader may see (so the absence checks mean something);
- every state-changing route asked by someone outside its reach is refused and leaves the
  database as it was (the audit log and a fingerprint of every table);
- the walk's table names every route, so a route added later without an entry fails here.

The demo is loaded once for the module (about 10 s on SQLite): it has a record of every kind,
which a purpose-built fixture would have to repeat domain by domain."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from core.auth.roles import Role
from core.regions import is_within
from tests.integration.core import region_walk_world as w
from tests.integration.core.region_walk_world import PRINCIPALS, Record, World

PUBLIC, SIGNED_IN = "public", "signed_in"
A = frozenset({Role.ADMIN})
AA = frozenset({Role.ADMIN, Role.AUDITOR})
AO = frozenset({Role.ADMIN, Role.ORG_MANAGER})
AOA = frozenset({Role.ADMIN, Role.ORG_MANAGER, Role.AUDITOR})
CA = frozenset({Role.COURT, Role.ADMIN})
M = frozenset({Role.MEDIATOR})
E = frozenset({Role.EXAMINER})
G = frozenset({Role.GATEWAY})
S = frozenset({SIGNED_IN})
P = frozenset({PUBLIC})


def owner_only(name: str, record: Record) -> bool:
    return record.owner == name


def by_region(name: str, record: Record) -> bool:
    return w.reaches(name, record.region, Role.ADMIN, Role.AUDITOR)


def default_reach(name: str, record: Record) -> bool:
    """Administrators and auditors: the record's region; an organisation manager: their
    organisation's records; a court: its own selections; anyone else: their own records."""
    role = w.role_of(name)
    if role in (Role.ADMIN, Role.AUDITOR):
        return by_region(name, record)
    if role is Role.ORG_MANAGER:
        return record.organisation == "org1"
    if role is Role.COURT:
        return record.court == name
    return bool(record.owner) and record.owner == name


def bank(name: str, record: Record) -> bool:
    """The exam bank: an administrator's region and below, and the regions above it."""
    return w.reaches(name, record.region, Role.ADMIN) or (
        w.role_of(name) is Role.ADMIN and is_within(w.region_of(name), record.region))


def everyone(name: str, record: Record) -> bool:
    return True


def by_admin(name: str, record: Record) -> bool:
    return w.reaches(name, record.region, Role.ADMIN)


@dataclass(frozen=True)
class Walk:
    roles: frozenset  # whom the route's guard admits: Role members, SIGNED_IN or PUBLIC
    record: str | None = None  # the kind of record filling the path parameters
    reach: Callable[[str, Record], bool] = default_reach  # who of those admitted reaches a record
    query: dict[str, str] = field(default_factory=dict)
    ok: tuple[int, ...] = (200,)
    fire: bool = True  # POST: walk the refusals (False: a public form whose every call changes state)
    shows: tuple[str, ...] = ()  # sentinel kinds a list must show to those who may see them
    items: Callable[[str, Any], list] | None = None  # JSON: the items outside the reader's reach
    params: dict[str, str] = field(default_factory=dict)  # fixed path parameters
    # POST: a body valid but for the reach, so a refusal is the reach's and not a missing field's;
    # a callable takes the record (a route whose record is named in the body, not the path)
    body: dict | Callable[[Record], dict] | None = None
    as_json: bool = False  # a page route taking JSON (fetch() with the CSRF header)


def _outside(name: str, regions: list[str]) -> bool:
    return not any(w.reaches(name, region, Role.ADMIN, Role.AUDITOR, Role.COURT, Role.GATEWAY) for region in regions)


def outbox_items(name: str, body: Any) -> list:
    return [i for i in body["items"] if not w.reaches(name, i["region_code"], Role.GATEWAY)]


def region_items(name: str, body: Any) -> list:
    items = body["items"] if isinstance(body, dict) else body
    return [i for i in items if _outside(name, [i["region"]])]


def certificate_items(name: str, body: Any) -> list:
    """Staff and courts: their region's certificates; a mediator: their own."""
    if w.role_of(name) is Role.MEDIATOR:
        return [i for i in body["items"] if i["mediator_id"] != CERTIFICATE_HOLDERS.get(name)]
    return region_items(name, body)


CERTIFICATE_HOLDERS: dict[str, int] = {}  # principal → mediator id, filled by the fixture


def expert_items(name: str, body: Any) -> list:
    """A court: its city's experts, those serving its city and shared ones; an administrator:
    their region and below, those serving it and shared ones."""
    role, home = PRINCIPALS[name]
    reach = home[:4] + "00" if role is Role.COURT else home

    def reached(item: dict) -> bool:
        return item["shared"] or any(is_within(r, reach) for r in [item["region"], *item["regions_served"]])

    return [i for i in body["items"] if not reached(i)]


# Every route of the app: (method, path as the app declares it) → what the walk expects.
WALK: dict[tuple[str, str], Walk] = {
    # core: site, sign-in, account, audit, accounts, jobs, notifications, outbox, health
    ("GET", "/"): Walk(P),
    ("GET", "/lang/{code:str}"): Walk(P, params={"code": "en"}, ok=(303,)),
    ("GET", "/login"): Walk(P),
    ("POST", "/login"): Walk(P, fire=False),
    ("POST", "/logout"): Walk(S, fire=False),
    ("GET", "/account"): Walk(S),
    ("POST", "/account/tokens"): Walk(frozenset({Role.COURT, Role.ORG_MANAGER, Role.GATEWAY})),
    ("POST", "/account/tokens/{token_id:int}/revoke"): Walk(S, "token", owner_only),
    ("GET", "/admin/audit"): Walk(AA),
    ("GET", "/admin/users"): Walk(A, query={"q": "court"}),
    ("POST", "/admin/users"): Walk(A),
    ("POST", "/admin/users/{user_id:int}/activate"): Walk(A, "account"),
    ("POST", "/admin/users/{user_id:int}/deactivate"): Walk(A, "account"),
    ("POST", "/admin/users/{user_id:int}/clear-sign-in-delays"): Walk(A, "account"),
    ("GET", "/healthz"): Walk(P),
    ("GET", "/livez"): Walk(P),
    ("POST", "/api/v1/auth/token"): Walk(P, fire=False),
    ("GET", "/api/v1/auth/me"): Walk(S),
    ("POST", "/api/v1/auth/revoke"): Walk(S, fire=False),
    ("GET", "/api/v1/jobs"): Walk(A),
    ("GET", "/api/v1/jobs/runs"): Walk(A),
    ("POST", "/api/v1/jobs/{job_id:str}/run"): Walk(A, "job"),
    ("GET", "/admin/jobs"): Walk(A),
    ("POST", "/admin/jobs/{job_id:str}/run"): Walk(A, "job"),
    # the holiday calendar is the province's: its administrators only
    ("GET", "/admin/calendar"): Walk(A, "province", query={"year": "2026"}),
    ("POST", "/admin/calendar/days"): Walk(A, "province", body={
        "year": "2027", "kind": "holiday", "name": "春节", "days": "2027-02-08"}),
    ("POST", "/admin/calendar/notice"): Walk(A, "province", body={
        "year": "2026", "text": "一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。"}),
    ("POST", "/admin/calendar/{entry_id:int}/remove"): Walk(A, "province"),
    ("GET", "/notifications"): Walk(S, shows=("own_notification",)),
    ("POST", "/notifications/read"): Walk(S, fire=False),
    ("GET", "/api/v1/outbox"): Walk(G, query={"limit": "500"}, items=outbox_items, shows=("notification",)),
    ("POST", "/api/v1/outbox/ack"): Walk(G, fire=False),
    # roster: public pages
    ("GET", "/roster"): Walk(P),
    ("GET", "/roster/mediators"): Walk(P),
    ("GET", "/roster/organisations"): Walk(P),
    ("GET", "/roster/notice"): Walk(P),
    ("POST", "/roster/notice/{application_id:int}/objection"): Walk(P, "notice_application", fire=False),
    ("GET", "/roster/export/{kind:str}/{fmt:str}"): Walk(P, params={"kind": "mediators", "fmt": "csv"}),
    ("GET", "/roster/publications"): Walk(P),
    ("GET", "/roster/publications/{publication_id:int}"): Walk(P, "publication"),
    ("GET", "/roster/publications/{publication_id:int}/organisations"): Walk(P, "publication"),
    ("GET", "/roster/publications/{publication_id:int}/export/{kind:str}/{fmt:str}"): Walk(
        P, "publication", params={"kind": "organisations", "fmt": "xlsx"}),
    ("GET", "/api/v1/roster/mediators"): Walk(P),
    ("GET", "/api/v1/roster/organisations"): Walk(P),
    ("GET", "/api/v1/roster/publications"): Walk(P),
    ("GET", "/roster/calls"): Walk(P),
    ("GET", "/roster/calls/{call_id:int}"): Walk(P, "call"),
    ("POST", "/roster/calls/{call_id:int}/apply"): Walk(S, "call", fire=False),
    # roster: organisations and mediators (staff)
    ("GET", "/admin/organisations"): Walk(AOA, query={"q": "哨兵"}, shows=("organisation",)),
    ("POST", "/admin/organisations"): Walk(A),
    ("GET", "/admin/organisations/{organisation_id:int}"): Walk(AOA, "organisation"),
    ("POST", "/admin/organisations/{organisation_id:int}"): Walk(AO, "organisation"),
    ("POST", "/admin/organisations/{organisation_id:int}/changes"): Walk(AO, "organisation"),
    ("POST", "/admin/organisations/{organisation_id:int}/file"): Walk(AO, "organisation"),
    ("POST", "/admin/organisations/{organisation_id:int}/standing"): Walk(A, "organisation"),
    ("POST", "/admin/organisations/{organisation_id:int}/standing/withdraw"): Walk(A, "organisation"),
    ("GET", "/admin/liaison-arbitrators"): Walk(A),
    ("POST", "/admin/liaison-arbitrators"): Walk(A),
    ("POST", "/admin/liaison-arbitrators/{arbitrator_id:int}/active"): Walk(A, "arbitrator", by_admin),
    ("POST", "/admin/organisations/{organisation_id:int}/memberships"): Walk(AO, "organisation"),
    ("POST", "/admin/organisations/{organisation_id:int}/filings/{filing_id:int}/decide"): Walk(A, "filing"),
    ("POST", "/admin/organisations/{organisation_id:int}/filings/{filing_id:int}/submit"): Walk(AO, "filing"),
    ("POST", "/admin/organisations/{organisation_id:int}/proposals/{proposal_id:int}/withdraw"): Walk(
        AO, "org_proposal"),
    ("GET", "/admin/mediators"): Walk(AOA, query={"q": "哨兵"}, shows=("mediator",)),
    ("POST", "/admin/mediators"): Walk(AO),
    ("GET", "/admin/mediators/{mediator_id:int}"): Walk(AOA, "mediator"),
    ("POST", "/admin/mediators/{mediator_id:int}/memberships"): Walk(AO, "mediator"),
    ("POST", "/admin/mediators/{mediator_id:int}/memberships/{organisation_id:int}/end"): Walk(AO, "membership"),
    ("POST", "/admin/mediators/{mediator_id:int}/photo"): Walk(AO, "mediator"),
    ("POST", "/admin/mediators/{mediator_id:int}/reappoint"): Walk(A, "mediator"),
    ("POST", "/admin/mediators/{mediator_id:int}/reveal"): Walk(A, "mediator"),
    ("POST", "/admin/mediators/{mediator_id:int}/status"): Walk(A, "mediator"),
    ("POST", "/admin/mediators/{mediator_id:int}/proposals/{proposal_id:int}/accept"): Walk(A, "proposal"),
    ("POST", "/admin/mediators/{mediator_id:int}/proposals/{proposal_id:int}/decline"): Walk(A, "proposal"),
    ("GET", "/my/roster"): Walk(S),
    ("POST", "/my/roster/memberships/{organisation_id:int}/leave"): Walk(S, "own_membership", owner_only),
    # the mediator agrees, or an administrator of the mediator's region accepts for them
    ("POST", "/my/roster/proposals/{proposal_id:int}/accept"): Walk(S, "proposal", lambda n, r: owner_only(n, r)
                                                                   or by_admin(n, r)),
    ("POST", "/my/roster/proposals/{proposal_id:int}/decline"): Walk(S, "proposal", lambda n, r: owner_only(n, r)
                                                                    or by_admin(n, r)),
    # roster: recruitment, publication, work list
    ("GET", "/admin/recruitment"): Walk(A),
    ("POST", "/admin/recruitment"): Walk(A),
    ("GET", "/admin/recruitment/{call_id:int}"): Walk(A, "call"),
    ("POST", "/admin/recruitment/{call_id:int}/edit"): Walk(A, "call"),
    ("POST", "/admin/recruitment/{call_id:int}/close"): Walk(A, "call"),
    ("POST", "/admin/recruitment/{call_id:int}/applications/{application_id:int}/review"): Walk(A, "application"),
    ("POST", "/admin/recruitment/{call_id:int}/applications/{application_id:int}/appoint"): Walk(A, "application"),
    ("GET", "/admin/recruitment/{call_id:int}/applications/{application_id:int}/documents/{document_id:int}"): Walk(
        A, "document"),
    ("POST", "/admin/recruitment/{call_id:int}/objections/{objection_id:int}/decide"): Walk(A, "objection"),
    ("GET", "/my/applications"): Walk(S),
    ("GET", "/my/applications/{application_id:int}/documents/{document_id:int}"): Walk(
        S, "my_document", lambda n, r: owner_only(n, r) or by_admin(n, r)),
    ("GET", "/admin/roster/publish"): Walk(A),
    ("POST", "/admin/roster/publish"): Walk(A),
    ("GET", "/admin/worklist"): Walk(A),
    # training
    ("GET", "/training/courses"): Walk(P),
    ("GET", "/training/courses/{course_id:int}"): Walk(P, "public_course"),
    ("POST", "/training/courses/{course_id:int}/enrol"): Walk(M, "public_course", everyone),
    ("POST", "/training/courses/{course_id:int}/withdraw"): Walk(M, "public_course", everyone),
    ("GET", "/training/cases"): Walk(P),
    ("GET", "/training/cases/{case_id:int}"): Walk(P, "public_case"),
    ("GET", "/training/my"): Walk(M),
    ("GET", "/training/sign-in/{code:str}"): Walk(M, params={"code": "walk"}, ok=(200, 400)),
    ("GET", "/training/materials/{material_id:int}/file"): Walk(S, "material", lambda n, r: True, ok=(200, 303)),
    ("GET", "/admin/training/courses"): Walk(A, shows=("course",)),
    ("POST", "/admin/training/courses"): Walk(A),
    ("GET", "/admin/training/courses/new"): Walk(A),
    ("GET", "/admin/training/courses/{course_id:int}"): Walk(A, "course"),
    ("POST", "/admin/training/courses/{course_id:int}"): Walk(A, "course"),
    ("GET", "/admin/training/courses/{course_id:int}/enrolments"): Walk(A, "course"),
    ("POST", "/admin/training/courses/{course_id:int}/materials"): Walk(A, "course"),
    ("POST", "/admin/training/courses/{course_id:int}/sessions"): Walk(A, "course"),
    ("POST", "/admin/training/courses/{course_id:int}/status"): Walk(A, "course"),
    ("GET", "/admin/training/sessions/{session_id:int}/attendance"): Walk(A, "session"),
    ("POST", "/admin/training/sessions/{session_id:int}/attendance"): Walk(A, "session"),
    ("GET", "/admin/training/sessions/{session_id:int}/qr"): Walk(A, "session"),
    ("GET", "/admin/training/sessions/{session_id:int}/qr.png"): Walk(A, "session"),
    ("POST", "/admin/training/sessions/{session_id:int}/remove"): Walk(A, "session"),
    ("GET", "/admin/training/hours"): Walk(AA),
    ("GET", "/admin/training/cases"): Walk(A, shows=("case",)),
    ("POST", "/admin/training/cases"): Walk(A),
    ("GET", "/admin/training/cases/new"): Walk(A),
    ("GET", "/admin/training/cases/{case_id:int}"): Walk(A, "case"),
    ("POST", "/admin/training/cases/{case_id:int}"): Walk(A, "case"),
    ("POST", "/admin/training/cases/{case_id:int}/publish"): Walk(A, "case"),
    ("GET", "/api/v1/training/courses"): Walk(P),
    ("GET", "/api/v1/training/courses/{course_id:int}"): Walk(P, "public_course"),
    ("POST", "/api/v1/training/courses/{course_id:int}/enrol"): Walk(M, "public_course", everyone),
    ("POST", "/api/v1/training/courses/{course_id:int}/withdraw"): Walk(M, "public_course", everyone),
    ("GET", "/api/v1/training/hours"): Walk(M),
    # examinations
    ("GET", "/admin/exams/questions"): Walk(A),
    ("POST", "/admin/exams/questions"): Walk(A),
    ("GET", "/admin/exams/questions/export"): Walk(A),
    ("POST", "/admin/exams/questions/import"): Walk(A),
    ("GET", "/admin/exams/questions/{question_id:int}"): Walk(A, "question", bank),
    ("POST", "/admin/exams/questions/{question_id:int}"): Walk(A, "question", bank),
    ("POST", "/admin/exams/questions/{question_id:int}/active"): Walk(A, "question", bank),
    ("GET", "/admin/exams/papers"): Walk(A),
    ("POST", "/admin/exams/papers"): Walk(A),
    ("GET", "/admin/exams/papers/{paper_id:int}"): Walk(A, "paper", bank),
    ("POST", "/admin/exams/papers/{paper_id:int}/questions"): Walk(A, "paper", bank),
    ("GET", "/admin/exams/papers/{paper_id:int}/statistics"): Walk(A, "paper", bank),
    ("GET", "/admin/exams/sittings"): Walk(A),
    ("POST", "/admin/exams/sittings"): Walk(A),
    ("GET", "/admin/exams/sittings/{sitting_id:int}"): Walk(A, "sitting"),
    ("POST", "/admin/exams/sittings/{sitting_id:int}/candidates"): Walk(A, "sitting"),
    ("POST", "/admin/exams/sittings/{sitting_id:int}/assign"): Walk(A, "sitting"),
    ("POST", "/admin/exams/sittings/{sitting_id:int}/panel"): Walk(A, "sitting"),
    ("POST", "/admin/exams/sittings/{sitting_id:int}/edit"): Walk(A, "sitting"),
    ("POST", "/admin/exams/sittings/{sitting_id:int}/reassign"): Walk(A, "sitting"),
    ("POST", "/admin/exams/sittings/{sitting_id:int}/release"): Walk(A, "sitting"),
    ("GET", "/admin/exams/sittings/{sitting_id:int}/tickets"): Walk(A, "sitting"),
    ("POST", "/admin/exams/sittings/rechecks/{recheck_id:int}/assign"): Walk(A, "recheck", by_region),
    ("GET", "/exams"): Walk(M),
    ("GET", "/exams/admissions/{admission_id:int}/ticket"): Walk(M, "admission"),
    ("GET", "/exams/admissions/{admission_id:int}/paper"): Walk(M, "admission", ok=(200, 303, 409)),
    ("GET", "/exams/admissions/{admission_id:int}/result"): Walk(M, "admission", ok=(200, 409)),
    ("POST", "/exams/admissions/{admission_id:int}/start"): Walk(M, "admission"),
    ("POST", "/exams/admissions/{admission_id:int}/save"): Walk(M, "admission"),
    ("POST", "/exams/admissions/{admission_id:int}/autosave"): Walk(M, "admission", as_json=True,
                                                                    body={"question_id": 1, "response": "哨兵"}),
    ("POST", "/exams/admissions/{admission_id:int}/submit"): Walk(M, "admission"),
    ("POST", "/exams/admissions/{admission_id:int}/recheck"): Walk(M, "admission"),
    ("GET", "/exams/marking"): Walk(E),
    ("GET", "/exams/marking/{marking_id:int}"): Walk(E, "marking"),
    ("POST", "/exams/marking/{marking_id:int}"): Walk(E, "marking"),
    ("GET", "/exams/marking/rechecks/{recheck_id:int}"): Walk(E, "recheck"),
    ("POST", "/exams/marking/rechecks/{recheck_id:int}"): Walk(E, "recheck"),
    ("GET", "/api/v1/exams/sittings"): Walk(A, items=region_items),
    ("GET", "/api/v1/exams/sittings/{sitting_id:int}/progress"): Walk(A, "sitting"),
    ("GET", "/api/v1/exams/sittings/{sitting_id:int}/results"): Walk(A, "sitting"),
    ("GET", "/api/v1/exams/admissions/{admission_id:int}/replay"): Walk(A, "admission"),
    # certification
    ("GET", "/verify"): Walk(P),
    ("GET", "/verify/{token:str}"): Walk(P, params={"token": "AAAAAQABtH7wyxArjtSr9g"}, ok=(200, 404)),
    ("POST", "/verify/lookup"): Walk(P, fire=False),
    ("POST", "/verify/file"): Walk(P, fire=False),
    ("GET", "/api/v1/verify/{token:str}"): Walk(P, params={"token": "AAAAAQABtH7wyxArjtSr9g"}, ok=(200, 404)),
    ("GET", "/api/v1/certificates"): Walk(frozenset({Role.ADMIN, Role.AUDITOR, Role.COURT, Role.MEDIATOR}),
                                          query={"page_size": "100"}, items=certificate_items),
    ("GET", "/api/v1/certificates/{certificate_no:str}"): Walk(frozenset({Role.ADMIN, Role.AUDITOR, Role.MEDIATOR}),
                                                               "certificate"),
    ("GET", "/api/v1/certificates/{certificate_no:str}/image.png"): Walk(
        frozenset({Role.ADMIN, Role.AUDITOR, Role.MEDIATOR}), "certificate"),
    ("GET", "/api/v1/certificates/{certificate_no:str}/document.pdf"): Walk(
        frozenset({Role.ADMIN, Role.AUDITOR, Role.MEDIATOR}), "certificate"),
    ("POST", "/api/v1/certificates/{certificate_no:str}/revoke"): Walk(A, "certificate", body={"reason": "哨兵"}),
    ("POST", "/api/v1/certificates/{certificate_no:str}/suspend"): Walk(A, "certificate", body={"reason": "哨兵"}),
    ("POST", "/api/v1/certificates/{certificate_no:str}/reinstate"): Walk(A, "certificate"),
    ("GET", "/admin/certificates"): Walk(AA),
    ("GET", "/admin/certificates/export/{fmt:str}"): Walk(AA, params={"fmt": "csv"}),
    ("GET", "/admin/certificates/batch"): Walk(A, ok=(200, 400)),  # 400: the form asks for a sitting
    ("POST", "/admin/certificates/batch"): Walk(A),
    ("GET", "/admin/certificates/issue"): Walk(A),
    ("POST", "/admin/certificates/issue"): Walk(A),
    ("GET", "/admin/certificates/layouts"): Walk(A),
    ("POST", "/admin/certificates/layouts"): Walk(A, fire=False),
    ("GET", "/admin/certificates/layouts/{version:int}/preview.png"): Walk(A, "layout", lambda n, r: True),
    ("GET", "/admin/certificates/sitting/{sitting_id:int}/zip"): Walk(AA, "sitting", ok=(200, 404)),
    ("GET", "/admin/certificates/{certificate_no:str}"): Walk(AA, "certificate"),
    ("GET", "/admin/certificates/{certificate_no:str}/image.png"): Walk(AA, "certificate"),
    ("GET", "/admin/certificates/{certificate_no:str}/document.pdf"): Walk(AA, "certificate"),
    ("POST", "/admin/certificates/{certificate_no:str}/revoke"): Walk(A, "certificate"),
    ("POST", "/admin/certificates/{certificate_no:str}/suspend"): Walk(A, "certificate"),
    ("POST", "/admin/certificates/{certificate_no:str}/reinstate"): Walk(A, "certificate"),
    ("POST", "/admin/certificates/{certificate_no:str}/renew"): Walk(A, "certificate"),
    ("GET", "/my/certificates"): Walk(M),
    ("GET", "/my/certificates/{certificate_no:str}/image.png"): Walk(M, "my_certificate"),
    ("GET", "/my/certificates/{certificate_no:str}/document.pdf"): Walk(M, "my_certificate"),
    # expert pool
    ("GET", "/api/v1/experts"): Walk(CA, query={"page_size": "100"}, items=expert_items,
                                     shows=("expert", "conflict")),
    ("POST", "/api/v1/selections"): Walk(CA, fire=False),
    ("GET", "/api/v1/selections/{selection_id:int}"): Walk(CA, "selection"),
    ("POST", "/api/v1/selections/{selection_id:int}/strikes"): Walk(CA, "selection", body={"side": "employer"}),
    ("POST", "/api/v1/selections/{selection_id:int}/confirm"): Walk(CA, "selection"),
    ("POST", "/api/v1/selections/{selection_id:int}/answer"): Walk(CA, "selection",
                                                                    body={"accept": False, "reason": "哨兵"}),
    ("POST", "/api/v1/selections/{selection_id:int}/declines/{event_id:int}"): Walk(CA, "decline",
                                                                                     body={"good_reason": True}),
    ("POST", "/api/v1/selections/{selection_id:int}/outcome"): Walk(CA, "selection", body={"outcome": "withdrawn"}),
    ("POST", "/api/v1/selections/{selection_id:int}/replay"): Walk(CA, "selection", fire=False),
    ("GET", "/court/experts"): Walk(CA),
    ("GET", "/court/selections"): Walk(CA, shows=("selection",)),
    ("POST", "/court/selections"): Walk(CA, fire=False),
    ("GET", "/court/selections/{selection_id:int}"): Walk(CA, "selection"),
    ("POST", "/court/selections/{selection_id:int}/strikes"): Walk(CA, "selection"),
    ("POST", "/court/selections/{selection_id:int}/confirm"): Walk(CA, "selection"),
    ("POST", "/court/selections/{selection_id:int}/answer"): Walk(CA, "selection"),
    ("POST", "/court/selections/{selection_id:int}/declines/{event_id:int}"): Walk(CA, "decline"),
    ("POST", "/court/selections/{selection_id:int}/outcome"): Walk(CA, "selection"),
    ("POST", "/court/selections/{selection_id:int}/replay"): Walk(CA, "selection", fire=False),
    ("GET", "/admin/experts"): Walk(AA, query={"q": "哨兵"}, shows=("expert",)),
    ("POST", "/admin/experts"): Walk(A),
    ("GET", "/admin/experts/{expert_id:int}"): Walk(AA, "expert"),
    ("POST", "/admin/experts/{expert_id:int}/absences"): Walk(A, "expert"),
    ("POST", "/admin/experts/{expert_id:int}/conflicts"): Walk(A, "expert"),
    ("POST", "/admin/experts/{expert_id:int}/invited"): Walk(A, "expert"),
    ("POST", "/admin/experts/{expert_id:int}/status"): Walk(A, "expert"),
    ("GET", "/admin/invited"): Walk(AA),
    ("POST", "/admin/invited"): Walk(A),
    ("POST", "/admin/invited/{listing_id:int}/withdraw"): Walk(A, "listing"),
    ("GET", "/invited"): Walk(P),
    ("GET", "/my/expert"): Walk(S),
    ("POST", "/my/expert/apply"): Walk(S, fire=False),
    ("POST", "/my/expert/conflicts"): Walk(S, fire=False),
    ("POST", "/my/expert/invitations/{selection_id:int}"): Walk(S, "invitation", owner_only,
                                                                 body={"decision": "decline", "reason": "哨兵"}),
    # dynamic review
    ("GET", "/admin/review"): Walk(AA),
    ("POST", "/admin/review"): Walk(A),
    ("GET", "/admin/review/runs/{run_id:int}"): Walk(AA, "run"),
    ("POST", "/admin/review/runs/{run_id:int}/confirm"): Walk(A, "run"),
    ("GET", "/admin/review/exits"): Walk(AA),
    ("POST", "/admin/review/exits/evaluate"): Walk(A),
    ("POST", "/admin/review/exits/{notice_id:int}/decide"): Walk(A, "notice"),
    ("GET", "/admin/review/exits/{notice_id:int}/documents/{index:int}"): Walk(AA, "appeal_document"),
    ("GET", "/review/records"): Walk(AO),
    ("POST", "/review/records/cases"): Walk(AO),
    ("POST", "/review/records/complaints"): Walk(A),
    ("POST", "/review/records/findings"): Walk(A),
    ("POST", "/review/records/import"): Walk(AO),
    ("POST", "/api/v1/review/cases"): Walk(AO),
    ("GET", "/my/review"): Walk(S),
    ("POST", "/my/review/notices/{notice_id:int}/appeal"): Walk(S, "notice", owner_only),
    ("GET", "/my/review/notices/{notice_id:int}/documents/{index:int}"): Walk(S, "appeal_document", owner_only),
    ("GET", "/admin/reports"): Walk(AA),
    ("GET", "/admin/reports/{table:str}/{fmt:str}"): Walk(AA, params={"table": "mediators_by_status", "fmt": "csv"}),
}
# Litestar's own: the OpenAPI documents (public) and the static files.
FRAMEWORK = ("/schema", "/static")


# --------------------------------------------------------------------------- the world, signed in
@pytest.fixture(scope="module")
def walk_world():
    """The demo and the sentinels in a clean database, one app, one client, every principal
    signed in once (a session cookie for pages, a bearer token for the API)."""
    from litestar.testing import TestClient

    from core import settings as settings_module
    from tests import conftest

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDIATION_RATE_LIMITS", "off")  # fourteen sign-ins from one address
        patch.setenv("MEDIATION_DEMO_PASSWORD", "walk-the-regions")
        settings_module.get_settings.cache_clear()
        conftest.run_sync(conftest._truncate())
        world = conftest.run_sync(_build("walk-the-regions"))
        CERTIFICATE_HOLDERS["mediator1"] = world.ids["mediator1"]
        from core.app import create_app

        with TestClient(create_app(), base_url="http://testserver.local") as client:
            conftest.runner.client = client
            try:
                yield _sign_in_everyone(client, world)
            finally:
                conftest.runner.client = None
        settings_module.get_settings.cache_clear()


async def _build(password: str) -> World:
    from core.cli import _with_pool

    return await _with_pool(lambda: w.build(password))


@dataclass
class Session:
    name: str
    cookies: list  # the cookie jar's cookies (a session renewed on another path may make two)
    bearer: dict[str, str]
    csrf: str


@dataclass
class Walked:
    client: Any
    world: World
    sessions: dict[str, Session]


def _sign_in_everyone(client, world: World) -> Walked:
    from tests.helpers import csrf_token, login

    sessions = {}
    for name in PRINCIPALS:
        client.cookies.clear()
        bearer = {}
        if name != "anonymous":
            assert login(client, name, world.password).status_code == 303, name
            answer = client.post("/api/v1/auth/token", json={"username": name, "password": world.password})
            assert answer.status_code == 200, answer.text
            bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        token = csrf_token(client, "/login")
        sessions[name] = Session(name, list(client.cookies.jar), bearer, token)
    client.cookies.clear()
    return Walked(client, world, sessions)


# --------------------------------------------------------------------------- asking
def _admitted(name: str, walk: Walk) -> bool:
    if PUBLIC in walk.roles:
        return True
    if SIGNED_IN in walk.roles:
        return name != "anonymous"
    return w.role_of(name) in walk.roles


def _variants(walked: Walked, walk: Walk) -> list[tuple[str, Record | None]]:
    if walk.record is None:
        return [("", None)]
    if walk.record == "job":
        return [("province", Record({"job_id": "daily_sweep"}, "350000"))]
    if walk.record == "province":  # a page of the whole province, with no record in its path
        return [("province", Record({"region": "350000"}, "350000"))]
    if walk.record == "publication":
        return [("latest", Record({"publication_id": walked.world.ids["publication"]}, ""))]
    records = walked.world.records.get(walk.record) or {}
    if not records:
        return [("missing", Record({}, ""))]
    return sorted(records.items())


def _path(path: str, walk: Walk, record: Record | None) -> str:
    values = {**walk.params, **(record.params if record else {})}

    def fill(match: re.Match) -> str:
        return str(values.get(match.group(1), 987654321))

    return re.sub(r"\{(\w+)(?::\w+)?\}", fill, path)


def _expected(name: str, walk: Walk, record: Record | None) -> str:
    """ok | refused | anonymous"""
    if not _admitted(name, walk):
        return "anonymous" if name == "anonymous" else "refused"
    if record is None or PUBLIC in walk.roles:
        return "ok"
    if not record.params:  # no such record in the world: a made-up id
        return "missing"
    return "ok" if walk.reach(name, record) else "refused"


def _ask(walked: Walked, name: str, method: str, path: str, walk: Walk, record: Record | None, url: str):
    session = walked.sessions[name]
    client = walked.client
    client.cookies.clear()
    for cookie in session.cookies:
        client.cookies.jar.set_cookie(cookie)
    api = path.startswith("/api/")
    headers = dict(session.bearer) if api else {}
    body = walk.body(record) if callable(walk.body) else dict(walk.body or {})
    if method == "GET":
        answer = client.get(url, params=walk.query, headers=headers, follow_redirects=False)
    elif api or walk.as_json:
        if not api:
            headers["x-csrftoken"] = session.csrf
        answer = client.post(url, json=body, headers=headers, follow_redirects=False)
    else:
        answer = client.post(url, data={**body, "_csrf_token": session.csrf}, headers=headers,
                             follow_redirects=False)
    session.cookies = list(client.cookies.jar)  # a page may renew the session cookie
    return answer


def _text(answer) -> str:
    kind = answer.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        with zipfile.ZipFile(io.BytesIO(answer.content)) as book:
            return " ".join(book.read(n).decode("utf-8", "replace") for n in book.namelist() if n.endswith(".xml"))
    if kind.startswith(("image/", "application/pdf", "application/zip")):
        return ""
    return answer.content.decode("utf-8", "replace")


def _refusals(method: str, api: bool, walk: Walk, answer) -> tuple[int, ...]:
    """403/404; a write may also meet a state it can't change first (409), and a page answers a
    refused form by sending the browser back with the reason flashed (303, not to sign in); the
    walk's audit and fingerprint checks prove such refusals changed nothing."""
    if method == "GET":
        return (403, 404)
    back = () if api or answer.headers.get("location", "").startswith("/login") else (303,)
    return (403, 404, 409, *back)


def _problems(walked: Walked, name: str, method: str, path: str, walk: Walk, record, answer) -> list[str]:
    expected = _expected(name, walk, record)
    status = answer.status_code
    api = path.startswith("/api/")
    out = []
    if expected == "ok" and status not in walk.ok:
        out.append(f"expected {walk.ok}, got {status}")
    elif expected == "missing" and status not in (404, 400):
        out.append(f"expected 404 for a made-up id, got {status}")
    elif expected == "refused" and status not in _refusals(method, api, walk, answer):
        out.append(f"expected a refusal, got {status}")
    elif expected == "anonymous":
        signed_out = status == 401 if api else (status == 303 and answer.headers["location"].startswith("/login"))
        if not signed_out:
            out.append(f"expected sign-in, got {status}")
    text = _text(answer)
    foreign = w.foreign_texts(name) if PUBLIC not in walk.roles else [s.text for s in w.SENTINELS]
    shown = [t for t in foreign if t in text]
    if shown:
        out.append(f"shows {shown}")
    numbers = [n for n in walked.world.id_numbers if n in text]
    if numbers:
        out.append("shows an ID number")
    if status == 200 and expected == "ok":
        if walk.items is not None:
            outside = walk.items(name, answer.json())
            if outside:
                out.append(f"lists {len(outside)} items outside the reader's reach, e.g. {outside[0]}")
        wanted = [s.text for s in w.SENTINELS if s.kind in walk.shows and w.may_see(name, s)]
        if "own_notification" in walk.shows:  # a person's notifications page: their own only
            wanted += [s.text for s in w.SENTINELS if s.kind == "notification" and s.owner == name]
        missing = [t for t in wanted if t not in text]
        if missing:
            out.append(f"does not show {missing}")
    return out


def _walk(walked: Walked, name: str, method: str) -> list[str]:
    failures = []
    for (verb, path), walk in sorted(WALK.items(), key=lambda item: item[0][1]):
        if verb != method:
            continue
        for variant, record in _variants(walked, walk):
            expected = _expected(name, walk, record)
            if method == "POST" and (expected == "ok" or not walk.fire):
                continue  # a write the principal may make is not made: the walk changes nothing
            url = _path(path, walk, record)
            audited = _audit_count(walked) if method == "POST" else 0
            answer = _ask(walked, name, method, path, walk, record, url)
            if method == "POST" and _audit_count(walked) != audited:
                failures.append(f"{name} {method} {url} [{variant}]: a refused write was audited (it changed something)")
            for problem in _problems(walked, name, method, path, walk, record, answer):
                failures.append(f"{name} {method} {url} [{variant}]: {problem}")
    return failures


# --------------------------------------------------------------------------- the tests
def _routes(app) -> set[tuple[str, str]]:
    out = set()
    for route in app.routes:
        if route.path.startswith(FRAMEWORK):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method not in ("OPTIONS", "HEAD"):
                    out.add((method, route.path))
    return out


def test_the_walk_names_every_route_of_the_app_and_of_the_openapi_schema(walk_world):
    routes = _routes(walk_world.client.app)
    assert sorted(routes - set(WALK)) == [], "routes without a walk entry"
    assert sorted(set(WALK) - routes) == [], "walk entries for routes that no longer exist"
    schema = walk_world.client.get("/schema/openapi.json").json()
    documented = {(method.upper(), re.sub(r"\{(\w+)\}", r"\1", path))
                  for path, operations in schema["paths"].items() for method in operations}
    walked = {(method, re.sub(r"\{(\w+)(?::\w+)?\}", r"\1", path)) for method, path in WALK}
    assert sorted(documented - walked) == []


@pytest.mark.parametrize("name", list(PRINCIPALS))
def test_every_read_answers_within_the_readers_reach(walk_world, name):
    failures = _walk(walk_world, name, "GET")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", list(PRINCIPALS))
def test_every_write_outside_the_writers_reach_is_refused_and_changes_nothing(walk_world, name):
    before = _fingerprint(walk_world)
    failures = _walk(walk_world, name, "POST")
    assert not failures, "\n".join(failures)
    assert _fingerprint(walk_world) == before


def _audit_count(walked: Walked) -> int:
    from core.tables import AuditRecord
    from tests.conftest import runner

    return runner(AuditRecord.count())


def _fingerprint(walked: Walked) -> dict[str, str]:
    """A digest of every table's rows (the sessions and counters live outside the database)."""
    from tests.conftest import _tables

    async def digest() -> dict[str, str]:
        from piccolo.querystring import QueryString

        from certification.verification import flush_verification_log
        from core.db import engine

        await flush_verification_log()  # the readers' verifications, written in batches after the fact
        out = {}
        for table in sorted(_tables()):
            rows = await engine().run_querystring(QueryString(f"SELECT * FROM {table} ORDER BY 1"))
            out[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return out

    from tests.conftest import runner

    return runner(digest())
