"""The expert pool's codes in words, for its pages: backgrounds, statuses, a selection's
steps, and a considered expert's reasons."""

from __future__ import annotations

from typing import Any

from core.i18n import _
from core.settings import get_settings
from core.vocab import DisputeType, choices
from expert_pool.selection import CaseInputs


def page_labels() -> dict[str, Any]:
    """The words the pool's pages show for its codes (a template context)."""
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


def reason_text(reason: str, inputs: CaseInputs | None = None) -> str:
    """A considered expert's reason code, in words; a look-back is the one the selection used (its
    stored inputs), else today's setting."""
    lookback = inputs.get("lookback_years") if inputs else None
    if lookback is None:
        lookback = get_settings().rules.conflict_lookback_years
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
