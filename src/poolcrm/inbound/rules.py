"""Inbound rules (IN-1, IN-2): pure decisions — which customer a caller is, and where the call
goes. No database, no clock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from poolcrm.inbound.models import OUTCOME_DUTY, OUTCOME_NEW, OUTCOME_OWNER

ROUTABLE_TO_DUTY = ("public", "bin")


@dataclass(frozen=True)
class Candidate:
    """A CUS-7 match of the caller's company name or phone."""

    customer_id: int
    score: int
    exact: bool
    same_phone: bool


@dataclass(frozen=True)
class Route:
    outcome: str
    rule: str
    to_owner: bool  # the customer's owner (or registrant) is told; else the duty rep gets it


def identify_caller(candidates: Iterable[Candidate], min_score: int) -> Candidate | None:
    """IN-1, IN-1a (ours): the caller is an existing customer when the duplicate check (CUS-7) finds the same
    normalised name or the same phone, or a fuzzy match scoring at least `min_score`
    (`inbound_match_min_score`); otherwise the company is treated as unknown and CS sees the
    weaker candidates. Exact names beat phones, phones beat scores."""
    best: Candidate | None = None
    for c in candidates:
        if not (c.exact or c.same_phone or c.score >= min_score):
            continue
        key = (c.exact, c.same_phone, c.score, -c.customer_id)
        if best is None or key > (best.exact, best.same_phone, best.score, -best.customer_id):
            best = c
    return best


def route_inbound(pool: str | None, owner_id: int | None, registrant_id: int | None) -> Route:
    """IN-1/IN-2, IN-2a (ours): a customer in someone's private pool → its owner is notified (IN-1); a
    registration still waiting for CS review → its registrant is notified (IN-1, the customer is
    theirs once approved); a public or binned customer → moved into the duty rep's private pool
    (IN-2); no customer → the duty rep registers it through CUS-9 (IN-2)."""
    if pool == "private" and owner_id is not None:
        return Route(OUTCOME_OWNER, "IN-1", True)
    if pool == "pending" and registrant_id is not None:
        return Route(OUTCOME_OWNER, "IN-1", True)
    if pool in ROUTABLE_TO_DUTY:
        return Route(OUTCOME_DUTY, "IN-2", False)
    return Route(OUTCOME_NEW, "IN-2", False)


def who_answers_for(owner_active: bool, supervisor_id: int | None) -> str:
    """IN-1b (ours): a call for a customer whose owner has left (disabled, ORG-7) is sent to the
    owner's supervisor — who holds that customer's POOL-10 distribution plan — instead of to the
    departed owner; with no supervisor, to the owner's record as before (CS sees it in the log)."""
    return "supervisor" if not owner_active and supervisor_id is not None else "owner"


HANDLER_ROLES: frozenset[str] = frozenset({"cs", "admin"})
LOG_READER_ROLES: frozenset[str] = frozenset({"cs", "admin", "gm"})


def records_inbound(roles: Iterable[str]) -> bool:
    """IN-1: CS (and admin) record inbound calls and trial requests."""
    return any(r in HANDLER_ROLES for r in roles)


def reads_whole_log(roles: Iterable[str]) -> bool:
    """IN-1: CS, admin and the GM read every inbound item; a rep reads the items sent to them."""
    return any(r in LOG_READER_ROLES for r in roles)
