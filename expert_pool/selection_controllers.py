"""Courts' selections of experts: the API for case systems (DOMAIN.md's public contract) and
the court's pages (the list of selections, a selection with its steps, the pool search)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from core import clock
from core.auth.guards import requires
from core.auth.roles import Role
from core.errors import Conflict, DomainError, FieldErrors
from core.i18n import _
from core.nav import flash
from core.regions import region_choices
from core.settings import get_settings
from core.vocab import DisputeType
from core.web import Page, back_to, form_data, form_list, paging, render, who
from expert_pool import court_experts, court_selections, experts, selection_steps
from expert_pool.controllers import flashed
from expert_pool.court_selections import Replay, SelectionView
from expert_pool.labels import page_labels

courts_and_admins = requires(Role.COURT, Role.ADMIN)


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


class ExpertsApiController(Controller):
    path = "/api/v1"
    tags = ["expert pool"]
    guards = [courts_and_admins]

    @get("/experts", summary="Experts a court can draw on, with availability and standing conflicts")
    async def experts(self, request: Request, specialty: FromQuery[str] = "", region: FromQuery[str] = "",
                      page: FromQuery[int] = 1, page_size: FromQuery[int] = 20) -> dict[str, Any]:
        page, size = paging(page, page_size)
        items, total = await court_experts.experts_for_court(who(request), specialty, region, page, size)
        return Page(items, total, page, size).as_json()

    @post("/selections", status_code=HTTP_201_CREATED, summary="Select experts for a case")
    async def create(self, request: Request, data: JSONBody[SelectionIn]) -> dict[str, Any]:
        made = await court_selections.create_selection(who(request), asdict(data))
        # the contract's answer: "message" only when fewer experts were eligible than asked for
        answer = {"id": made.id, "seed": made.seed, "shortlist": made.shortlist, "considered": made.considered}
        return answer | ({"message": made.shortfall} if made.shortfall else {})

    @get("/selections/{selection_id:int}", summary="A selection with its later steps")
    async def detail(self, request: Request, selection_id: FromPath[int]) -> SelectionView:
        return await court_selections.selection_view(who(request), selection_id)

    @post("/selections/{selection_id:int}/replay", status_code=HTTP_200_OK,
          summary="Re-run a selection from its stored seed, inputs and pool snapshot")
    async def replay(self, request: Request, selection_id: FromPath[int]) -> Replay:
        return await court_selections.replay(who(request), selection_id)

    @post("/selections/{selection_id:int}/strikes", status_code=HTTP_200_OK, summary="Record one side's strikes and ranking")
    async def strikes(self, request: Request, selection_id: FromPath[int], data: JSONBody[StrikeIn]) -> SelectionView:
        await selection_steps.strike(who(request), selection_id, data.side, data.struck, data.ranking)
        return await court_selections.selection_view(who(request), selection_id)

    @post("/selections/{selection_id:int}/confirm", status_code=HTTP_200_OK,
          summary="Confirm the list (or designate) and invite the first expert")
    async def confirm(self, request: Request, selection_id: FromPath[int], data: JSONBody[ConfirmIn]) -> SelectionView:
        await selection_steps.confirm(who(request), selection_id, data.designate)
        return await court_selections.selection_view(who(request), selection_id)

    @post("/selections/{selection_id:int}/answer", status_code=HTTP_200_OK,
          summary="The invited expert's answer (a decline only by the expert; the court may record an acceptance)")
    async def answer(self, request: Request, selection_id: FromPath[int], data: JSONBody[AnswerIn]) -> SelectionView:
        await selection_steps.answer(who(request), selection_id, data.accept, data.reason, data.good_reason)
        return await court_selections.selection_view(who(request), selection_id)

    @post("/selections/{selection_id:int}/declines/{event_id:int}", status_code=HTTP_200_OK,
          summary="The court judges whether a decline had a good reason")
    async def judge(self, request: Request, selection_id: FromPath[int], event_id: FromPath[int],
                    data: JSONBody[JudgeIn]) -> SelectionView:
        await selection_steps.judge_decline(who(request), selection_id, event_id, data.good_reason)
        return await court_selections.selection_view(who(request), selection_id)

    @post("/selections/{selection_id:int}/outcome", status_code=HTTP_200_OK, summary="The mediation's outcome")
    async def outcome(self, request: Request, selection_id: FromPath[int], data: JSONBody[OutcomeIn]) -> SelectionView:
        await selection_steps.record_outcome(who(request), selection_id, data.outcome, data.on)
        return await court_selections.selection_view(who(request), selection_id)


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


def _pairs(text: str) -> list[tuple[str, str]]:
    """Lines "12 / something" as (left, right) pairs."""
    out = []
    for line in (text or "").splitlines():
        if line.strip():
            left, _sep, right = line.replace("／", "/").partition("/")
            out.append((left.strip(), right.strip()))
    return out


class CourtController(Controller):
    path = "/court/selections"
    include_in_schema = False
    guards = [courts_and_admins]

    async def _list(self, request: Request, form=None, errors=None, status_code: int = 200,
                    existing_id: int | None = None) -> Template:
        me = who(request)
        return render("expert_pool/selections.html", status_code=status_code, existing_id=existing_id,
                      selections=await court_selections.selections_for(me), form=form or {}, errors=errors or {},
                      region_options=[(c, "　" * (lvl - 1) + n) for c, n, lvl in region_choices(max_level=3)
                                      if me.can_act_in(c, Role.COURT, Role.ADMIN)], **page_labels())

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
            made = await court_selections.create_selection(who(request), payload)
        except FieldErrors as invalid:
            errors = {_FORM_FIELD.get(k.split("[")[0] + (".credit_code" if "credit_code" in k else ""),
                                      k.split("[")[0]): v for k, v in invalid.errors.items()}
            return await self._list(request, data, errors, 400)
        except Conflict as live:  # the case already has a live selection: the error links to it
            return await self._list(request, data, {"case_no": live.message}, 409,
                                    existing_id=live.params.get("existing_id"))
        if made.shortfall:
            flash(request, made.shortfall, "error")
        return back_to(f"/court/selections/{made.id}")

    @get("/{selection_id:int}")
    async def detail(self, request: Request, selection_id: FromPath[int]) -> Template:
        me = who(request)
        view = await court_selections.selection_view(me, selection_id)
        names = {e.id: e for e in await experts.expert_names([c["expert_id"] for c in view.considered])}
        return render("expert_pool/selection.html", s=view, names=names, today=clock.today(),
                      strikes_per_side=get_settings().rules.strikes_per_side, **page_labels())

    @post("/{selection_id:int}/strikes")
    async def strike(self, request: Request, selection_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        form = await request.form()
        struck = [int(v) for v in form_list(form, "struck") if v.isdecimal()]
        return await flashed(request, f"/court/selections/{selection_id}", lambda: selection_steps.strike(
            who(request), selection_id, data.get("side", ""), struck, _ranking_of(data)))

    @post("/{selection_id:int}/confirm")
    async def confirm(self, request: Request, selection_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        designate = int(data["designate"]) if data.get("designate", "").isdecimal() else None
        return await flashed(request, f"/court/selections/{selection_id}",
                             lambda: selection_steps.confirm(who(request), selection_id, designate))

    @post("/{selection_id:int}/answer")
    async def answer(self, request: Request, selection_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        return await flashed(request, f"/court/selections/{selection_id}", lambda: selection_steps.answer(
            who(request), selection_id, data.get("decision") == "accept", data.get("reason", ""),
            data.get("good_reason") == "1"))

    @post("/{selection_id:int}/declines/{event_id:int}")
    async def judge(self, request: Request, selection_id: FromPath[int], event_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        return await flashed(request, f"/court/selections/{selection_id}", lambda: selection_steps.judge_decline(
            who(request), selection_id, event_id, data.get("good_reason") == "1"))

    @post("/{selection_id:int}/outcome")
    async def outcome(self, request: Request, selection_id: FromPath[int]) -> Redirect:
        data = await form_data(request)
        try:
            on = date.fromisoformat(data["on"]) if data.get("on") else None
            await selection_steps.record_outcome(who(request), selection_id, data.get("outcome", ""), on)
        except (DomainError, ValueError) as refused:
            flash(request, getattr(refused, "message", _("Enter a date as YYYY-MM-DD.")), "error")
        return back_to(f"/court/selections/{selection_id}")

    @post("/{selection_id:int}/replay")
    async def replay(self, request: Request, selection_id: FromPath[int]) -> Redirect:
        result = await court_selections.replay(who(request), selection_id)
        flash(request, _("Re-run from the stored seed, inputs and pool: the list matches.") if result.matches
              else _("Re-run gave a different list!"), "ok" if result.matches else "error")
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
        items, total = await court_experts.experts_for_court(me, specialty, region, page, size)
        return render("expert_pool/court_experts.html", page=Page(items, total, page, size),
                      filters={"specialty": specialty, "region": region},
                      region_options=[(c, "　" * (lvl - 1) + n) for c, n, lvl in region_choices(max_level=2)],
                      **page_labels())
