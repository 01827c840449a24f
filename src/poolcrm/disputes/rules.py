"""Dispute rules (DSP-1, DSP-2): pure decisions — the attribution the system proposes. No
database, no clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple, Protocol


class Workdays(Protocol):
    """The part of `poolcrm.calendar.rules.WorkdayCalendar` DSP-1 needs (CAL-1)."""

    def workdays_between(self, a: date, b: date) -> int: ...


@dataclass(frozen=True)
class Recommendation:
    user_id: int | None
    rule: str
    note: str  # Chinese catalogue message
    params: dict[str, object] = field(default_factory=dict)


def win_attribution(
    *,
    owner_id: int,
    signer_id: int,
    owner_last_valid_on: date | None,
    signed_on: date,
    owner_workdays: int,
    calendar: Workdays,
) -> Recommendation:
    """DSP-1: a win by someone other than the owner. The owner keeps the credit when their last
    valid follow-up A before the signing day S (S's own records excluded) leaves fewer than
    `dispute_owner_workdays` working days d with A < d < S — exactly when POOL-6 would not yet
    have recycled the customer. Otherwise the proposal is the signer, and the GM decides (DSP-1a)."""
    if owner_last_valid_on is None:
        return Recommendation(
            signer_id,
            "DSP-1",
            "原负责人在签单日前没有有效跟进，建议归签单人，由总经理裁定",
            {"limit": owner_workdays},
        )
    idle = calendar.workdays_between(owner_last_valid_on, signed_on)
    params: dict[str, object] = {
        "last": owner_last_valid_on.isoformat(),
        "idle": idle,
        "limit": owner_workdays,
    }
    if idle < owner_workdays:
        return Recommendation(
            owner_id,
            "DSP-1",
            "原负责人最后有效跟进 {last}，距签单日 {idle} 个工作日（少于 {limit} 个），业绩归原负责人",
            params,
        )
    return Recommendation(
        signer_id,
        "DSP-1",
        "原负责人最后有效跟进 {last}，距签单日 {idle} 个工作日（不少于 {limit} 个），建议归签单人",
        params,
    )


class PoolRecord(NamedTuple):
    """What DSP-2 compares of a private customer record: its CUS-7 keys and its owner."""

    id: int
    name_key: str | None
    phones: tuple[str, ...]  # phone and mobile, as stored (E.164)
    owner_id: int | None
    places: frozenset[str] = frozenset()  # CUS-7: the provinces/cities the name is placed in


def same_company_in_two_pools(a: PoolRecord, b: PoolRecord) -> bool:
    """DSP-2 (criterion, DSP-2a): two records are the same company in two private pools when they
    are different records owned by different reps and share CUS-7's exact keys — the same
    normalised name in the same (or no) place (CUS-7 revised: another city's namesake is another
    company), or a phone number."""
    if a.id == b.id or a.owner_id is None or b.owner_id is None or a.owner_id == b.owner_id:
        return False
    same_place = not a.places or not b.places or not a.places.isdisjoint(b.places)
    same_name = bool(a.name_key and a.name_key == b.name_key) and same_place
    return same_name or any(p in b.phones for p in a.phones)


def reported_pair_problem(looks_alike: bool) -> str | None:
    """DSP-2b (ours): two records reported by hand as one company in two private pools are taken
    as a case only when CUS-7's duplicate check finds them alike (the same normal form, a name at
    or above the warning score, or a phone): the GM's decision merges them (CUS-10), and two
    different companies are never merged because somebody said so."""
    return None if looks_alike else "这两个记录经查重并不相似，不能作为同一单位提交"


def decides_own_case(actor_id: int, claimants: Sequence[int]) -> bool:
    """DSP-1/DSP-2/CUS-20: nobody decides a case they are a party to, whatever roles they hold
    (a GM who also sells): another GM decides it."""
    return actor_id in claimants


def earlier_protection(claims: Sequence[tuple[int, datetime | None]]) -> Recommendation:
    """DSP-2: the same non-member company in two private pools — the rep whose protection started
    earlier wins (times in the company's zone, as shown). Equal or unknown start times leave it
    to the GM without a proposal."""
    known = [(since, uid) for uid, since in claims if since is not None]
    if len(known) < len(claims) or len(known) < 2:
        return Recommendation(None, "DSP-2", "保护开始时间不全，由总经理裁定")
    known.sort()
    if known[0][0] == known[1][0]:
        return Recommendation(None, "DSP-2", "保护开始时间相同，由总经理裁定")
    return Recommendation(
        known[0][1],
        "DSP-2",
        "保护开始时间较早（{since}）的销售获得该客户",
        {"since": known[0][0].strftime("%Y-%m-%d %H:%M")},
    )


def developed_first(first_contacts: Sequence[tuple[int, datetime | None]]) -> Recommendation:
    """CUS-20 (001 §3.1.3): an ownership request — the rep whose first valid follow-up with the
    customer came earlier developed it; without a valid follow-up on one side the GM decides alone."""
    known = sorted((at, uid) for uid, at in first_contacts if at is not None)
    if len(known) < 2:
        return Recommendation(known[0][1] if known else None, "CUS-20", "仅一方有有效跟进记录，由总经理裁定")
    if known[0][0] == known[1][0]:
        return Recommendation(None, "CUS-20", "首次有效跟进时间相同，由总经理裁定")
    return Recommendation(
        known[0][1],
        "CUS-20",
        "首次有效跟进较早（{since}）的销售开发了该客户",
        {"since": known[0][0].strftime("%Y-%m-%d %H:%M")},
    )


def decision_problem(winner_id: int, claimants: Sequence[int], reason: str | None) -> dict[str, str]:
    """DSP-1/DSP-2: the GM picks one of the claimants and writes the reason."""
    problems: dict[str, str] = {}
    if winner_id not in claimants:
        problems["winner_user_id"] = "必须是争议双方之一"
    if not reason or not reason.strip():
        problems["reason"] = "请填写裁定理由"
    return problems
