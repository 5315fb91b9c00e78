"""Expert pool pages and API: courts' selections, the administrators' pool and invited list,
the public invited list, the expert's own invitations."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from core import clock
from core.accounts import region_options
from core.auth.guards import PUBLIC, requires, signed_in
from core.auth.roles import Role
from core.errors import Conflict, DomainError, FieldErrors
from core.i18n import _
from core.nav import flash
from core.regions import region_choices
from core.vocab import DisputeType, choices
from core.web import Page, back_to, form_data, form_list, paging, render, who
from expert_pool import services

courts_and_admins = requires(Role.COURT, Role.ADMIN)
admins = requires(Role.ADMIN)
pool_readers = requires(Role.ADMIN, Role.AUDITOR)


@dataclass
class SelectionParty:
    name: str
    credit_code: str = ""


@dataclass
class SelectionWorker:
    name: str


@dataclass
class SelectionAgent:
    name: str
    firm: str = ""


@dataclass
class DeclaredRelationIn:
    expert_id: int
    relation: str


@dataclass
class WaiverIn:
    expert_id: int
    ground: Literal["relative", "interest", "employment", "represented", "mediated_same_parties", "declared"]
    employer_side: bool
    worker_side: bool


@dataclass
class SelectionIn:
    """A court's case and how many experts it wants."""

    case_no: str
    dispute_type: DisputeType
    region: str
    count: int
    employers: list[SelectionParty] = field(default_factory=list)
    workers: list[SelectionWorker] = field(default_factory=list)
    agents: list[SelectionAgent] = field(default_factory=list)
    declared_relations: list[DeclaredRelationIn] = field(default_factory=list)
    waivers: list[WaiverIn] = field(default_factory=list)
    allow_shared: bool = False


@dataclass
class StrikeIn:
    """One side's answer: the names it strikes and, optionally, its order of the rest (best
    first; names left out follow in draw order)."""

    side: Literal["employer", "worker"]
    struck: list[int] = field(default_factory=list)
    ranking: list[int] = field(default_factory=list)


@dataclass
class ConfirmIn:
    designate: int | None = None


@dataclass
class AnswerIn:
    accept: bool
    reason: str = ""
    good_reason: bool | None = None


@dataclass
class JudgeIn:
    good_reason: bool


@dataclass
class OutcomeIn:
    outcome: Literal["agreement", "no_agreement", "withdrawn"]
    on: date | None = None


def _json_ready(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k != "inputs"} | {"inputs": view["inputs"]}


class ExpertsApiController(Controller):
    path = "/api/v1"
    tags = ["expert pool"]
    guards = [courts_and_admins]

    @get("/experts", summary="Experts a court can draw on, with availability and standing conflicts")
    async def experts(self, request: Request, specialty: FromQuery[str] = "", region: FromQuery[str] = "",
                      page: FromQuery[int] = 1, page_size: FromQuery[int] = 20) -> dict[str, Any]:
        page, size = paging(page, page_size)
        items, total = await services.experts_for_court(who(request), specialty, region, page, size)
        return Page(items, total, page, size).as_json()

    @post("/selections", status_code=HTTP_201_CREATED, summary="Select experts for a case")
    async def create(self, request: Request, data: JSONBody[SelectionIn]) -> dict[str, Any]:
        return await services.create_selection(who(request), asdict(data))

    @get("/selections/{selection_id:int}", summary="A selection with its later steps")
    async def detail(self, request: Request, selection_id: FromPath[int]) -> dict[str, Any]:
        return await services.selection_view(who(request), selection_id)

    @post("/selections/{selection_id:int}/replay", status_code=HTTP_200_OK,
          summary="Re-run a selection from its stored seed, inputs and pool snapshot")
    async def replay(self, request: Request, selection_id: FromPath[int]) -> dict[str, Any]:
        return await services.replay(who(request), selection_id)

    @post("/selections/{selection_id:int}/strikes", status_code=HTTP_200_OK, summary="Record one side's strikes and ranking")
    async def strikes(self, request: Request, selection_id: FromPath[int], data: JSONBody[StrikeIn]) -> dict[str, Any]:
        await services.strike(who(request), selection_id, data.side, data.struck, data.ranking)
        return await services.selection_view(who(request), selection_id)

    @post("/selections/{selection_id:int}/confirm", status_code=HTTP_200_OK,
          summary="Confirm the list (or designate) and invite the first expert")
    async def confirm(self, request: Request, selection_id: FromPath[int], data: JSONBody[ConfirmIn]) -> dict[str, Any]:
        await services.confirm(who(request), selection_id, data.designate)
        return await services.selection_view(who(request), selection_id)

    @post("/selections/{selection_id:int}/answer", status_code=HTTP_200_OK,
          summary="The invited expert's answer (a decline only by the expert; the court may record an acceptance)")
    async def answer(self, request: Request, selection_id: FromPath[int], data: JSONBody[AnswerIn]) -> dict[str, Any]:
        await services.answer(who(request), selection_id, data.accept, data.reason, data.good_reason)
        return await services.selection_view(who(request), selection_id)

    @post("/selections/{selection_id:int}/declines/{event_id:int}", status_code=HTTP_200_OK,
          summary="The court judges whether a decline had a good reason")
    async def judge(self, request: Request, selection_id: FromPath[int], event_id: FromPath[int],
                    data: JSONBody[JudgeIn]) -> dict[str, Any]:
        await services.judge_decline(who(request), selection_id, event_id, data.good_reason)
        return await services.selection_view(who(request), selection_id)

    @post("/selections/{selection_id:int}/outcome", status_code=HTTP_200_OK, summary="The mediation's outcome")
    async def outcome(self, request: Request, selection_id: FromPath[int], data: JSONBody[OutcomeIn]) -> dict[str, Any]:
        await services.record_outcome(who(request), selection_id, data.outcome, data.on)
        return await services.selection_view(who(request), selection_id)


def _ranking_of(data: dict[str, str]) -> list[int]:
    """The strike form's ranks (`rank_<expert id>`: 1 best, blank unranked) as expert ids, best
    first."""
    ranks: dict[int, int] = {}
    for key, value in data.items():
        if key.startswith("rank_") and key[5:].isdecimal() and value.strip():
            if not value.strip().isdecimal() or int(value) < 1:
                raise DomainError(_("A rank is a whole number from 1."), "ranking")
            ranks[int(key[5:])] = int(value)
    if len(set(ranks.values())) != len(ranks):
        raise DomainError(_("Give each ranked name its own rank."), "ranking")
    return sorted(ranks, key=ranks.__getitem__)


def _labels() -> dict[str, Any]:
    return {
        "dispute_options": choices(DisputeType), "dispute_labels": dict(choices(DisputeType)),
        "background_labels": {"mediator": _("Mediator"), "arbitrator": _("Arbitrator"), "lawyer": _("Lawyer"),
                              "scholar": _("Legal scholar"), "retired_judge": _("Retired judge"),
                              "retired_prosecutor": _("Retired prosecutor")},
        "status_labels": {"nominated": _("Nominated"), "admitted": _("Admitted"), "rejected": _("Rejected"),
                          "suspended": _("Suspended"), "removed": _("Removed")},
        "conflict_labels": {"former_employer": _("Former employer"), "represented": _("Represented a party"),
                            "relative_employer": _("A near relative's employer"), "other": _("Other relation")},
        "selection_status_labels": {"striking": _("Parties striking names"), "inviting": _("Inviting"),
                                    "accepted": _("Accepted, mediating"), "exhausted": _("List exhausted"),
                                    "closed": _("Closed")},
        "outcome_labels": {"agreement": _("Agreement"), "no_agreement": _("No agreement"),
                           "withdrawn": _("Withdrawn")},
        "step_labels": {"waiver": _("Waiver by both sides"), "strike": _("Strikes"), "confirm": _("List confirmed"),
                        "designate": _("Designated by the court"), "invite": _("Invited"), "accept": _("Accepted"),
                        "decline": _("Declined"), "lapse": _("No answer in time"), "outcome": _("Outcome")},
        "side_labels": {"employer": _("Employer side"), "worker": _("Worker side"), "court": _("Court"),
                        "both": _("Both sides")},
        "reason_text": reason_text,
    }


def _pairs(text: str) -> list[tuple[str, str]]:
    """Lines "12 / something" as (left, right) pairs."""
    out = []
    for line in (text or "").splitlines():
        if line.strip():
            left, _sep, right = line.replace("／", "/").partition("/")
            out.append((left.strip(), right.strip()))
    return out


def reason_text(reason: str, inputs: dict[str, Any] | None = None) -> str:
    """A considered expert's reason code, in words; a look-back is the one the selection used (its
    stored inputs), else today's setting."""
    lookback = (inputs or {}).get("lookback_years")
    if lookback is None:
        lookback = services.get_settings().rules.conflict_lookback_years
    parts = reason.split(":")
    head = parts[0]
    texts = {
        "local": _("Local expert"), "shared": _("Shared expert from another region"),
        "specialty_match": _("Specialty matches"), "no_specialty_match": _("No specialty match"),
        "beyond_count": _("Eligible, beyond the number asked for"), "other_region_not_shared": _("Other region, not shared"),
        "shared_not_allowed": _("Shared expert, but the court did not allow shared experts"),
    }
    if head in texts:
        return texts[head]
    if head == "assignments_12m":
        return _("%(n)s assignments in the last 12 months", n=parts[1])
    if head == "rank":
        return _("Rank %(n)s", n=parts[1])
    if head == "waived":
        return _("Recusal ground %(ground)s waived by both sides", ground=parts[1])
    if head == "unavailable":
        return {"outside_term": _("Unavailable: outside the term"), "suspended": _("Unavailable: suspended"),
                "not_admitted": _("Unavailable: not admitted"), "away": _("Unavailable: away"),
                "at_case_maximum": _("Unavailable: at the maximum of concurrent cases"),
                "no_valid_certificate": _("Unavailable: no valid certificate")}.get(parts[1], reason)
    if head == "recusal":
        ground = {"relative": _("near relative of a party or agent"), "interest": _("interest in the dispute"),
                  "employment": _("works or worked for a party within %(n)s years", n=lookback),
                  "represented": _("represented a party"), "mediated_same_parties":
                  _("mediated for the same parties within %(n)s years", n=lookback), "declared": _("declared relation")}.get(parts[1],
                                                                                                             parts[1])
        return _("Must recuse: %(ground)s", ground=ground) + (f"（{parts[2]}）" if len(parts) > 2 and parts[2] else "")
    return reason


class CourtController(Controller):
    path = "/court/selections"
    include_in_schema = False
    guards = [courts_and_admins]

    async def _list(self, request: Request, form=None, errors=None, status_code: int = 200,
                    existing_id: int | None = None) -> Template:
        me = who(request)
        return render("expert_pool/selections.html", status_code=status_code, existing_id=existing_id,
                      selections=await services.selections_for(me), form=form or {}, errors=errors or {},
                      region_options=[(c, "　" * (lvl - 1) + n) for c, n, lvl in region_choices(max_level=3)
                                      if me.can_act_in(c, Role.COURT, Role.ADMIN)], **_labels())

    @get("/")
    async def list_selections(self, request: Request) -> Template:
        return await self._list(request)

    @post("/")
    async def create(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        payload = {
            "case_no": data.get("case_no"), "dispute_type": data.get("dispute_type"), "region": data.get("region"),
            "count": data.get("count"), "allow_shared": data.get("allow_shared") == "1",
            "employers": [{"name": n.strip(), "credit_code": c.strip()} for n, c in zip(
                data.get("employer_names", "").split("\n"), data.get("employer_codes", "").split("\n") + [""] * 50,
                strict=False) if n.strip()],
            "workers": [{"name": n.strip()} for n in data.get("worker_names", "").split("\n") if n.strip()],
            "agents": [{"name": name, "firm": firm} for name, firm in _pairs(data.get("agents", ""))],
            "declared_relations": [{"expert_id": int(e) if e.isdecimal() else e, "relation": r}
                                   for e, r in _pairs(data.get("declared_relations", ""))],
            "waivers": [{"expert_id": int(e) if e.isdecimal() else None, "ground": g, "employer_side": True,
                         "worker_side": True} for e, g in _pairs(data.get("waivers", ""))],
        }
        try:
            result = await services.create_selection(who(request), payload)
        except FieldErrors as invalid:
            errors = {_FORM_FIELD.get(k.split("[")[0] + (".credit_code" if "credit_code" in k else ""),
                                      k.split("[")[0]): v for k, v in invalid.errors.items()}
            return await self._list(request, data, errors, 400)
        except Conflict as live:  # the case already has a live selection: the error links to it
            return await self._list(request, data, {"case_no": live.message}, 409,
                                    existing_id=live.params.get("existing_id"))
        if result.get("message"):
            flash(request, result["message"], "error")
        return back_to(f"/court/selections/{result['id']}")

    @get("/{selection_id:int}")
    async def detail(self, request: Request, selection_id: FromPath[int]) -> Template:
        me = who(request)
        view = await services.selection_view(me, selection_id)
        names = {e["id"]: e for e in await _experts_by_id([c["expert_id"] for c in view["considered"]])}
        return render("expert_pool/selection.html", s=view, names=names, today=clock.today(),
                      strikes_per_side=services.get_settings().rules.strikes_per_side, **_labels())

    @post("/{selection_id:int}/strikes")
    async def strike(self, request: Request, selection_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        form = await request.form()
        struck = [int(v) for v in form_list(form, "struck") if v.isdecimal()]
        try:
            await services.strike(who(request), selection_id, data.get("side", ""), struck, _ranking_of(data))
        except DomainError as refused:
            flash(request, refused.message, "error")
        return back_to(f"/court/selections/{selection_id}")

    @post("/{selection_id:int}/confirm")
    async def confirm(self, request: Request, selection_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        designate = int(data["designate"]) if data.get("designate", "").isdecimal() else None
        try:
            await services.confirm(who(request), selection_id, designate)
        except DomainError as refused:
            flash(request, refused.message, "error")
        return back_to(f"/court/selections/{selection_id}")

    @post("/{selection_id:int}/answer")
    async def answer(self, request: Request, selection_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        try:
            await services.answer(who(request), selection_id, data.get("decision") == "accept", data.get("reason", ""),
                                  data.get("good_reason") == "1")
        except DomainError as refused:
            flash(request, refused.message, "error")
        return back_to(f"/court/selections/{selection_id}")

    @post("/{selection_id:int}/declines/{event_id:int}")
    async def judge(self, request: Request, selection_id: FromPath[int], event_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        try:
            await services.judge_decline(who(request), selection_id, event_id, data.get("good_reason") == "1")
        except DomainError as refused:
            flash(request, refused.message, "error")
        return back_to(f"/court/selections/{selection_id}")

    @post("/{selection_id:int}/outcome")
    async def outcome(self, request: Request, selection_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        try:
            on = date.fromisoformat(data["on"]) if data.get("on") else None
            await services.record_outcome(who(request), selection_id, data.get("outcome", ""), on)
        except (DomainError, ValueError) as refused:
            flash(request, getattr(refused, "message", _("Enter a date as YYYY-MM-DD.")), "error")
        return back_to(f"/court/selections/{selection_id}")

    @post("/{selection_id:int}/replay")
    async def replay(self, request: Request, selection_id: FromPath[int]) -> Redirect:
        result = await services.replay(who(request), selection_id)
        flash(request, _("Re-run from the stored seed, inputs and pool: the list matches.") if result["matches"]
              else _("Re-run gave a different list!"), "ok" if result["matches"] else "error")
        return back_to(f"/court/selections/{selection_id}")


_FORM_FIELD = {"employers": "employer_names", "employers.credit_code": "employer_codes"}


class CourtExpertsController(Controller):
    """Courts search the pool: experts they may draw on, availability today, standing conflicts."""

    path = "/court/experts"
    include_in_schema = False
    guards = [courts_and_admins]

    @get("/")
    async def search(self, request: Request, specialty: FromQuery[str] = "", region: FromQuery[str] = "",
                     page: FromQuery[int] = 1) -> Template:
        me = who(request)
        page, size = paging(page, 30)
        items, total = await services.experts_for_court(me, specialty, region, page, size)
        return render("expert_pool/court_experts.html", page=Page(items, total, page, size),
                      filters={"specialty": specialty, "region": region},
                      region_options=[(c, "　" * (lvl - 1) + n) for c, n, lvl in region_choices(max_level=2)],
                      **_labels())


async def _experts_by_id(ids: list[int]) -> list[dict[str, Any]]:
    from expert_pool.tables import Expert

    if not ids:
        return []
    rows = await Expert.select(Expert.id, Expert.name, Expert.region_code, Expert.organisation_name,
                               Expert.user_id).where(Expert.id.is_in(ids))
    return [{**{k: v for k, v in r.items() if k != "user_id"}, "has_account": r["user_id"] is not None} for r in rows]


class PoolAdminController(Controller):
    path = "/admin/experts"
    include_in_schema = False
    guards = [pool_readers]

    async def _list(self, request: Request, status: str = "", q: str = "", page: int = 1, form=None, errors=None,
                    status_code: int = 200) -> Template:
        me = who(request)
        page, size = paging(page, 30)
        rows, total = await services.pool(me, status, q, page, size)
        return render("expert_pool/pool.html", status_code=status_code, page=Page(rows, total, page, size),
                      status=status, q=q, form=form or {}, errors=errors or {},
                      region_options=region_options(me) if me.has_role(Role.ADMIN) else [], **_labels())

    @get("/")
    async def list_pool(self, request: Request, status: FromQuery[str] = "", q: FromQuery[str] = "",
                        page: FromQuery[int] = 1) -> Template:
        return await self._list(request, status, q, page)

    @post("/", guards=[admins])
    async def nominate(self, request: Request) -> Template | Redirect:
        form = await request.form()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
        data["specialties"] = form_list(form, "specialties")
        try:
            expert_id = await services.nominate(who(request), data)
        except FieldErrors as invalid:
            return await self._list(request, form=data, errors=invalid.errors, status_code=400)
        return back_to(f"/admin/experts/{expert_id}")

    @get("/{expert_id:int}")
    async def detail(self, request: Request, expert_id: FromPath[int]) -> Template:
        me = who(request)
        expert = await services.expert_detail(me, expert_id)
        return render("expert_pool/expert.html", e=expert, errors={}, courts=await services.courts(),
                      is_admin=me.can_act_in(expert["region_code"], Role.ADMIN), **_labels())

    @post("/{expert_id:int}/status", guards=[admins])
    async def status(self, request: Request, expert_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        me = who(request)
        action = data.get("action", "")
        try:
            if action == "admit":
                await services.admit(me, expert_id)
            elif action == "reject":
                await services.reject(me, expert_id, data.get("grounds", ""))
            elif action == "suspend":
                await services.suspend(me, expert_id, data.get("grounds", ""))
            elif action == "reinstate":
                await services.reinstate(me, expert_id)
            elif action == "remove":
                await services.remove(me, expert_id, data.get("grounds", ""))
            elif action in ("share", "unshare"):
                await services.set_shared(me, expert_id, action == "share")
        except DomainError as refused:
            flash(request, refused.message, "error")
        return back_to(f"/admin/experts/{expert_id}")

    @post("/{expert_id:int}/conflicts", guards=[admins])
    async def conflict(self, request: Request, expert_id: FromPath[int]) -> Redirect:
        try:
            await services.add_conflict(who(request), expert_id, await form_data(request))
        except FieldErrors as invalid:
            flash(request, "；".join(invalid.errors.values()), "error")
        return back_to(f"/admin/experts/{expert_id}")

    @post("/{expert_id:int}/absences", guards=[admins])
    async def absence(self, request: Request, expert_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        try:
            await services.add_absence(who(request), expert_id, date.fromisoformat(data.get("starts_on", "")),
                                       date.fromisoformat(data.get("ends_on", "")), data.get("reason", ""))
        except (DomainError, ValueError) as refused:
            flash(request, getattr(refused, "message", _("Enter a date as YYYY-MM-DD.")), "error")
        return back_to(f"/admin/experts/{expert_id}")

    @post("/{expert_id:int}/invited", guards=[admins])
    async def invited(self, request: Request, expert_id: FromPath[int]) -> Redirect:
        form = await request.form()
        court_ids = [int(v) for v in form_list(form, "courts") if v.isdecimal()]
        try:
            await services.list_invited(who(request), expert_id, court_ids)
        except DomainError as refused:
            flash(request, refused.message, "error")
        return back_to(f"/admin/experts/{expert_id}")


class InvitedAdminController(Controller):
    """Administrators manage the invited-mediation list: every listing in their region,
    organisations added with the courts they serve, listings withdrawn with a reason."""

    path = "/admin/invited"
    include_in_schema = False
    guards = [pool_readers]

    async def _page(self, request: Request, form=None, errors=None, status_code: int = 200) -> Template:
        me = who(request)
        return render("expert_pool/invited_admin.html", status_code=status_code,
                      listings=await services.listings_for(me), courts=await services.courts(), form=form or {},
                      errors=errors or {}, is_admin=me.has_role(Role.ADMIN), **_labels())

    @get("/")
    async def listings(self, request: Request) -> Template:
        return await self._page(request)

    @post("/", guards=[admins])
    async def add_organisation(self, request: Request) -> Template | Redirect:
        form = await request.form()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
        court_ids = [int(v) for v in form.getall("courts", []) if str(v).isdecimal()]
        specialties = [v for v in form.getall("specialties", []) if isinstance(v, str)]
        try:
            organisation_id = int(data.get("organisation_id") or "")
        except ValueError:
            return await self._page(request, data, {"organisation_id": _("Enter the organisation's id.")}, 400)
        try:
            await services.list_invited_organisation(who(request), organisation_id, court_ids, specialties)
        except DomainError as refused:
            return await self._page(request, data, {refused.field or "organisation_id": refused.message}, 400)
        return back_to("/admin/invited")

    @post("/{listing_id:int}/withdraw", guards=[admins])
    async def withdraw(self, request: Request, listing_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        try:
            await services.withdraw_listing(who(request), listing_id, data.get("reason", ""))
        except DomainError as refused:
            flash(request, refused.message, "error")
        return back_to("/admin/invited")


class InvitedListController(Controller):
    path = "/invited"
    include_in_schema = False

    @get("/", opt=PUBLIC)
    async def public_list(self, region: FromQuery[str] = "", specialty: FromQuery[str] = "", q: FromQuery[str] = "",
                          page: FromQuery[int] = 1) -> Template:
        page, size = paging(page, 30)
        rows, total = await services.public_invited(region, specialty, q, page, size)
        return render("expert_pool/invited.html", page=Page(rows, total, page, size),
                      filters={"region": region, "specialty": specialty, "q": q},
                      region_options=[(c, "　" * (lvl - 1) + n) for c, n, lvl in region_choices(max_level=2)],
                      **_labels())


class MyExpertController(Controller):
    path = "/my/expert"
    include_in_schema = False
    guards = [signed_in]

    @get("/")
    async def mine(self, request: Request) -> Template:
        me = who(request)
        expert = await services.expert_for_user(me.user_id)
        detail = await services.expert_detail(me, expert["id"]) if expert else None
        invitations = await services.invitations_for_expert(expert["id"]) if expert else []
        can_apply = False
        if expert is None or expert["status"] in ("rejected", "removed"):
            from roster import services as roster_services

            mediator = await roster_services.mediator_for_user(me.user_id)
            can_apply = bool(mediator) and await services.self_nomination_allowed(mediator.id)
        return render("expert_pool/mine.html", e=detail, invitations=invitations, can_apply=can_apply, **_labels())

    @post("/apply")
    async def apply(self, request: Request) -> Redirect:
        """An appointed mediator graded excellent or holding a senior certificate applies."""
        from roster import services as roster_services

        me = who(request)
        mediator = await roster_services.mediator_for_user(me.user_id)
        if mediator is None:
            raise DomainError(_("Your account is not an expert in the pool."))
        form = await request.form()
        try:
            await services.nominate(me, {
                "name": mediator.name, "background": "mediator", "region_code": mediator.region_code,
                "organisation_name": mediator.organisation_name or "", "mediator_id": mediator.id,
                "specialties": [v for v in form.getall("specialties", []) if isinstance(v, str)]})
        except FieldErrors as invalid:
            flash(request, "；".join(invalid.errors.values()), "error")
        else:
            flash(request, _("Your application was sent for review."), "ok")
        return back_to("/my/expert")

    @post("/conflicts")
    async def add_conflict(self, request: Request) -> Redirect:
        me = who(request)
        expert = await services.expert_for_user(me.user_id)
        if expert is None:
            raise DomainError(_("Your account is not an expert in the pool."))
        try:
            await services.add_conflict(me, expert["id"], await form_data(request))
        except FieldErrors as invalid:
            flash(request, "；".join(invalid.errors.values()), "error")
        return back_to("/my/expert")

    @post("/invitations/{selection_id:int}")
    async def answer(self, request: Request, selection_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        try:
            await services.answer(who(request), selection_id, data.get("decision") == "accept", data.get("reason", ""),
                                  as_expert=True)
        except DomainError as refused:
            flash(request, refused.message, "error")
        return back_to("/my/expert")
