"""Dispute use cases (DSP-1, DSP-2): open a case (a win by someone other than the owner, a rep
claiming a win, the same company in two private pools) with the system's recommendation and its
evidence; the GM decides, and the decision is recorded and credited."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, select, text
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.calendar.service import get_calendar
from poolcrm.customers import dedupe, merge, names
from poolcrm.customers.access import lock_customers
from poolcrm.customers.models import POOL_PRIVATE, TOMBSTONE_POOLS, Customer
from poolcrm.customers.visibility import can_see
from poolcrm.db import UTCDateTime, for_update, ids_select
from poolcrm.deals import access as deals_access
from poolcrm.deals.models import Deal
from poolcrm.deals.rules import CONTRACTED
from poolcrm.disputes import rules
from poolcrm.disputes.models import (
    KIND_OWNERSHIP,
    KIND_TWO_POOLS,
    KIND_WIN,
    STATUS_DECIDED,
    STATUS_OPEN,
    Dispute,
)
from poolcrm.disputes.schemas import DisputeIn
from poolcrm.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from poolcrm.followups.models import FollowUp
from poolcrm.i18n import translate
from poolcrm.notify.service import notify
from poolcrm.org.models import User
from poolcrm.ownership.moves import move_customer
from poolcrm.policy.service import company_date, company_day_start, company_today, get_policy
from poolcrm.pools.rules import is_active_member

READERS = ("gm", "admin", "sales_manager", "cs")
DECIDERS = ("gm",)


def _local(session: Session, moment: datetime | None) -> datetime | None:
    return None if moment is None else clock.local(moment, get_policy(session).timezone)


def _name(session: Session, user_id: int | None) -> str | None:
    u = session.get(User, user_id) if user_id else None
    return u.display_name if u else None


def _followup_evidence(
    session: Session, f: FollowUp, counted: bool, note: str | None = None
) -> dict[str, Any]:
    return {
        "type": "followup",
        "followup_id": f.id,
        "author_id": f.author_id,
        "author": _name(session, f.author_id),
        "date": company_date(session, f.created_at).isoformat(),
        "at": f.created_at.isoformat(),
        "subject": f.subject,
        "excerpt": f.content[:80],
        "counted": counted,
        "note": note,
    }


def win_evidence(
    session: Session, customer: Customer, owner_id: int, signed_on: date
) -> tuple[date | None, list[dict[str, Any]]]:
    """DSP-1 evidence: the owner's last valid follow-ups before the signing day (the signing day's
    own records are listed but excluded), and when the owner's protection started."""
    signing_start = company_day_start(session, signed_on)
    mine = and_(FollowUp.customer_id == customer.id, FollowUp.author_id == owner_id, FollowUp.valid.is_(True))
    before = list(
        session.scalars(
            select(FollowUp)
            .where(mine, FollowUp.created_at < signing_start)
            .order_by(FollowUp.created_at.desc(), FollowUp.id.desc())
            .limit(get_policy(session).dispute_evidence_followups)
        )
    )
    same_day = list(
        session.scalars(
            select(FollowUp)
            .where(
                mine,
                FollowUp.created_at >= signing_start,
                FollowUp.created_at < company_day_start(session, date.fromordinal(signed_on.toordinal() + 1)),
            )
            .order_by(FollowUp.created_at)
        )
    )
    evidence = [_followup_evidence(session, f, True) for f in before]
    evidence += [_followup_evidence(session, f, False, "签单当天的记录不计") for f in same_day]
    evidence.append(
        {
            "type": "protection",
            "customer_id": customer.id,
            "owner_id": owner_id,
            "owner": _name(session, owner_id),
            "protected_since": customer.protected_since.isoformat() if customer.protected_since else None,
        }
    )
    last = company_date(session, before[0].created_at) if before else None
    return last, evidence


def _open_exists(session: Session, **where: Any) -> Dispute | None:
    q = select(Dispute).where(Dispute.status == STATUS_OPEN)
    for key, value in where.items():
        q = q.where(getattr(Dispute, key) == value)
    return session.scalar(q.limit(1))


def _notify_case(session: Session, dispute: Dispute, message: str, rule: str, **params: Any) -> None:
    targets = set(dispute.claimants or [])
    targets |= set(
        session.scalars(select(User.id).where(User.active.is_(True), User.role_rows.any(role="gm")))
    )
    for uid in sorted(targets):
        notify(session, uid, "dispute", message, link=f"/disputes/{dispute.id}", rule=rule, **params)


def _create(session: Session, dispute: Dispute, actor_id: int | None) -> Dispute:
    session.add(dispute)
    session.flush()
    record(
        session,
        actor_id=actor_id,
        action="dispute.open",
        object_type="dispute",
        object_id=dispute.id,
        after={
            "kind": dispute.kind,
            "customer_id": dispute.customer_id,
            "other_customer_id": dispute.other_customer_id,
            "deal_id": dispute.deal_id,
            "claimants": dispute.claimants,
            "recommended_user_id": dispute.recommended_user_id,
        },
        rule=dispute.recommendation_rule,
        reason=dispute.opened_reason,
    )
    customer = session.get(Customer, dispute.customer_id)
    _notify_case(
        session,
        dispute,
        "客户 {customer} 有业绩/归属争议待总经理裁定",
        dispute.recommendation_rule,
        customer=customer.name if customer else "",
    )
    return dispute


def _win_case(
    session: Session, deal: Deal, customer: Customer, owner_id: int, signer_id: int, claimants: list[int]
) -> Dispute:
    policy = get_policy(session)
    signed_on = company_date(session, deal.closed_at or clock.now())
    last, evidence = win_evidence(session, customer, owner_id, signed_on)
    rec = rules.win_attribution(
        owner_id=owner_id,
        signer_id=signer_id,
        owner_last_valid_on=last,
        signed_on=signed_on,
        owner_workdays=policy.dispute_owner_workdays,
        calendar=get_calendar(session),
    )
    return Dispute(
        kind=KIND_WIN,
        status=STATUS_OPEN,
        customer_id=customer.id,
        deal_id=deal.id,
        signed_on=signed_on,
        claimants=claimants,
        recommended_user_id=rec.user_id,
        recommendation_rule=rec.rule,
        recommendation_note=rec.note,
        evidence={"items": evidence, "params": rec.params},
        created_at=clock.now(),
    )


def open_for_win(session: Session, deal: Deal, actor: User) -> Dispute | None:
    """DSP-1 (hook on every win): a deal won by someone other than the customer's owner opens a
    case, credited to the owner until the GM decides."""
    if not deal.dispute_needed or deal.credited_to is None:
        return None
    if _open_exists(session, deal_id=deal.id) is not None:
        return None
    customer = session.get(Customer, deal.customer_id)
    assert customer is not None
    signer = deal.owner_id if deal.owner_id is not None else actor.id
    dispute = _win_case(session, deal, customer, deal.credited_to, signer, [deal.credited_to, signer])
    dispute.opened_by = actor.id
    dispute.opened_reason = f"跟单 {deal.number} 由非负责人签单"
    return _create(session, dispute, actor.id)


def _two_pools_case(session: Session, a: Customer, b: Customer) -> Dispute:
    """DSP-2 (MEM-2 first: a member's record stays with its owner)."""
    today = company_today(session)
    members = [c for c in (a, b) if is_active_member(c.member_until, today)]
    if len(members) == 1:
        rec = rules.Recommendation(members[0].owner_id, "MEM-2", "会员客户的重复记录无效，客户归会员负责人")
    else:
        rec = rules.earlier_protection(
            [(c.owner_id or 0, _local(session, c.protected_since)) for c in (a, b)]
        )
    evidence = [
        {
            "type": "record",
            "customer_id": c.id,
            "code": c.code,
            "name": c.name,
            "owner_id": c.owner_id,
            "owner": _name(session, c.owner_id),
            "protected_since": c.protected_since.isoformat() if c.protected_since else None,
            "created_at": c.created_at.isoformat(),
            "member_until": c.member_until.isoformat() if c.member_until else None,
        }
        for c in (a, b)
    ]
    first, second = sorted((a, b), key=lambda c: c.id)
    return Dispute(
        kind=KIND_TWO_POOLS,
        status=STATUS_OPEN,
        customer_id=first.id,
        other_customer_id=second.id,
        claimants=[uid for uid in dict.fromkeys([first.owner_id, second.owner_id]) if uid is not None],
        recommended_user_id=rec.user_id,
        recommendation_rule=rec.rule,
        recommendation_note=rec.note,
        evidence={"items": evidence, "params": rec.params},
        created_at=clock.now(),
    )


def _two_pools_open(session: Session, a_id: int, b_id: int) -> bool:
    first, second = sorted((a_id, b_id))
    return _open_exists(session, customer_id=first, other_customer_id=second) is not None


def _visible_deal(session: Session, actor: User, deal_id: int) -> Deal:
    """DSP-1 by hand: only someone who can see the deal, or its customer, may open a case on it —
    anyone else gets the 404 of an unknown id (ORG-5), before any other answer."""
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise NotFound()
    customer = session.get(Customer, deal.customer_id)
    if not deals_access.may_see(session, actor, deal) and not (
        customer and can_see(session, actor, customer)
    ):
        raise NotFound()
    return deal


def open_dispute(session: Session, actor: User, data: DisputeIn) -> Dispute:
    """DSP-1 by hand: a rep claims a win credited to someone else (two reps claim the same win).
    DSP-2 by hand: CS or a manager reports the same company in two private pools."""
    if data.deal_id is not None:
        deal = _visible_deal(session, actor, data.deal_id)
        customer = session.get(Customer, deal.customer_id)
        credited = deal.credited_to if deal.credited_to is not None else deal.owner_id
        if deal.category not in CONTRACTED or customer is None or credited is None:
            raise RuleViolation("DSP-1", "只有已签约或已成交的跟单才能申请业绩裁定")
        if actor.id == credited or not actor.has_role("sales"):
            raise RuleViolation("DSP-1", "只有业绩未记在自己名下的销售可以申请业绩裁定")
        if _open_exists(session, deal_id=deal.id) is not None:
            raise RuleViolation("DSP-1", "该跟单已有待裁定的争议")
        claimants = list(dict.fromkeys([credited, actor.id]))
        dispute = _win_case(session, deal, customer, credited, actor.id, claimants)
    elif data.customer_id is not None and data.other_customer_id is not None:
        managing = actor.has_role("cs", "gm", "admin", "sales_manager", "supervisor")
        if not managing and not actor.has_role("sales"):
            raise Forbidden("只有客服或管理人员可以提交重复客户争议", rule="DSP-2")
        if data.customer_id == data.other_customer_id:
            raise InvalidInput({"other_customer_id": "必须是另一个客户"}, rule="DSP-2")
        found = lock_customers(session, [data.customer_id, data.other_customer_id])
        if len(found) != 2 or any(c.pool in TOMBSTONE_POOLS for c in found.values()):
            raise NotFound()
        a, b = found[data.customer_id], found[data.other_customer_id]
        alike = _look_alike(session, a, b)
        seen = can_see(session, actor, a), can_see(session, actor, b)
        if not any(seen) or not (all(seen) or alike):
            # a record the reporter cannot see is known to them only as a duplicate of one they can
            raise NotFound()
        if not managing and actor.id not in (a.owner_id, b.owner_id):
            # MEM-2/DSP-2: a rep reports a suspected duplicate of one of their own customers
            raise Forbidden("销售只能就自己名下客户的重复记录提交争议", rule="DSP-2")
        if a.pool != POOL_PRIVATE or b.pool != POOL_PRIVATE or a.owner_id == b.owner_id:
            raise RuleViolation("DSP-2", "两个记录须分别在不同销售的私海中")
        unlike = rules.reported_pair_problem(alike)
        if unlike:
            raise RuleViolation("DSP-2", unlike)
        if _two_pools_open(session, a.id, b.id):
            raise RuleViolation("DSP-2", "这两个记录已有待裁定的争议")
        dispute = _two_pools_case(session, a, b)
    elif data.customer_id is not None:
        dispute = _ownership_case(session, actor, data.customer_id)
    else:
        raise InvalidInput({"deal_id": "请提供跟单，或两个客户"}, rule="DSP-1")
    dispute.opened_by, dispute.opened_reason = actor.id, data.reason.strip()
    return _create(session, dispute, actor.id)


def _look_alike(session: Session, a: Customer, b: Customer) -> bool:
    """CUS-7's duplicate check asked of one pair: would registering `a` again show `b`?"""
    query = dedupe.Query(a.name, dedupe.phone_keys(a.phone, a.mobile))
    minimum = get_policy(session).fuzzy_match_min_score
    return dedupe.score(query, names.name_key(a.name), b, minimum) is not None


def _first_valid(session: Session, customer_id: int, author_id: int | None) -> datetime | None:
    if author_id is None:
        return None
    return session.scalar(
        select(func.min(FollowUp.created_at)).where(
            FollowUp.customer_id == customer_id, FollowUp.author_id == author_id, FollowUp.valid.is_(True)
        )
    )


def _ownership_case(session: Session, actor: User, customer_id: int) -> Dispute:
    """CUS-20: a rep files an ownership request for a customer another rep protects, with their
    own follow-ups with it as the evidence; the GM decides (the case proposes who came first)."""
    if not actor.has_role("sales"):
        raise Forbidden("只有销售可以提出客户归属申请", rule="CUS-20")
    customer = lock_customers(session, [customer_id]).get(customer_id)
    if customer is None or customer.pool in TOMBSTONE_POOLS:
        raise NotFound()
    mine = list(
        session.scalars(
            select(FollowUp)
            .where(FollowUp.customer_id == customer.id, FollowUp.author_id == actor.id)
            .order_by(FollowUp.created_at.desc())
            .limit(10)
        )
    )
    if not mine and not can_see(session, actor, customer):
        raise NotFound()  # a customer the rep never worked on and cannot see is none of theirs
    if customer.pool != POOL_PRIVATE or customer.owner_id in (None, actor.id):
        raise RuleViolation("CUS-20", "只能对他人私海中的客户提出归属申请")
    if not mine:
        raise RuleViolation("CUS-20", "需有你与该客户的跟进记录作为证据")
    if _open_exists(session, kind=KIND_OWNERSHIP, customer_id=customer.id) is not None:
        raise RuleViolation("CUS-20", "该客户已有待裁定的归属申请")
    owner_side = list(
        session.scalars(
            select(FollowUp)
            .where(
                FollowUp.customer_id == customer.id,
                FollowUp.author_id == customer.owner_id,
                FollowUp.valid.is_(True),
            )
            .order_by(FollowUp.created_at.desc())
            .limit(get_policy(session).dispute_evidence_followups)
        )
    )
    rec = rules.developed_first(
        [
            (uid, _local(session, _first_valid(session, customer.id, uid)))
            for uid in (customer.owner_id, actor.id)
        ]
    )
    return Dispute(
        kind=KIND_OWNERSHIP,
        status=STATUS_OPEN,
        customer_id=customer.id,
        claimants=[customer.owner_id, actor.id],
        recommended_user_id=rec.user_id,
        recommendation_rule=rec.rule,
        recommendation_note=rec.note,
        evidence={
            "items": [_followup_evidence(session, f, f.valid) for f in [*mine, *owner_side]],
            "params": rec.params,
        },
        created_at=clock.now(),
    )


def _pool_record(
    cid: int, name: str, name_key: str | None, phone: str | None, mobile: str | None, owner_id: int | None
) -> rules.PoolRecord:
    phones = (phone, mobile) if phone and mobile else (phone,) if phone else (mobile,) if mobile else ()
    return rules.PoolRecord(cid, name_key, phones, owner_id, names.places(name))


def two_pools_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """DSP-2, DSP-2a (ours) daily: every customer that entered a private pool the day before is
    checked (CUS-7, same normalised name or same phone) against other reps' private pools; each
    pair found opens a case. Only the day's moves are checked, so the step stays small at any size."""
    tz = get_policy(session).timezone
    since = clock.start_of_local_day(date.fromordinal(run_date.toordinal() - 1), tz)
    until = clock.start_of_local_day(run_date, tz)
    # The same company (CUS-7's exact keys: normal form or a phone) found by joins on the indexed
    # keys, driven by the day's moves — whatever the size of the pools. SQL narrows to other
    # records of other reps; the rule decides on each candidate pair.
    sqlite = session.get_bind().dialect.name == "sqlite"

    def hint(column: str) -> str:  # SQLite's statistics call a mostly-empty column unselective
        return f" INDEXED BY ix_customers_{column}" if sqlite else ""

    joins = [
        f"SELECT m.id AS new_id, o.id AS old_id FROM moved AS m JOIN customers AS o{hint(other)} "
        f"ON o.{other} = m.{mine} WHERE m.{mine} <> '' AND o.pool = '{POOL_PRIVATE}' AND o.id <> m.id "
        "AND o.owner_id <> m.owner_id"
        for other, mine in (
            ("name_key", "name_key"),
            ("phone", "phone"),
            ("phone", "mobile"),
            ("mobile", "phone"),
            ("mobile", "mobile"),
        )
    ]
    candidates = session.execute(
        text(
            "WITH moved AS (SELECT id, name_key, phone, mobile, owner_id FROM customers "
            f"WHERE pool = '{POOL_PRIVATE}' AND owner_id IS NOT NULL AND pool_entered_at >= :since "
            "AND pool_entered_at < :until) " + " UNION ".join(joins) + " ORDER BY new_id, old_id"
        ).bindparams(bindparam("since", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime())),
        {"since": since, "until": until},
    ).all()
    involved = sorted({cid for pair in candidates for cid in pair})
    records = {
        cid: _pool_record(cid, name, name_key, phone, mobile, owner_id)
        for cid, name, name_key, phone, mobile, owner_id in session.execute(
            select(
                Customer.id,
                Customer.name,
                Customer.name_key,
                Customer.phone,
                Customer.mobile,
                Customer.owner_id,
            ).where(Customer.id.in_(ids_select(session, involved)))
        )
    }
    pairs = [
        (new_id, old_id)
        for new_id, old_id in candidates
        if rules.same_company_in_two_pools(records[new_id], records[old_id])
    ]
    opened: list[int] = []
    seen: set[frozenset[int]] = set()
    for new_id, old_id in pairs:
        key = frozenset((new_id, old_id))
        if key in seen or _two_pools_open(session, new_id, old_id):
            continue
        seen.add(key)
        c, other = session.get(Customer, new_id), session.get(Customer, old_id)
        assert c is not None and other is not None
        dispute = _two_pools_case(session, c, other)
        dispute.opened_reason = "系统发现同一单位在两个私海中"
        opened.append(_create(session, dispute, None).id)
    return {"disputes_opened": opened}


def _may_read(session: Session, user: User, dispute: Dispute) -> bool:
    return user.has_role(*READERS) or user.id in (dispute.claimants or [])


def list_disputes(session: Session, user: User, status: str | None = None) -> list[Dispute]:
    q = select(Dispute).order_by(Dispute.id.desc())
    if status:
        q = q.where(Dispute.status == status)
    rows = list(session.scalars(q))
    return [d for d in rows if _may_read(session, user, d)]


def get_dispute(session: Session, user: User, dispute_id: int, *, lock: bool = False) -> Dispute:
    q = select(Dispute).where(Dispute.id == dispute_id)
    dispute = session.scalar(for_update(q) if lock else q)
    if dispute is None or not _may_read(session, user, dispute):
        raise NotFound()
    return dispute


def may_decide(user: User, dispute: Dispute) -> bool:
    """A GM decides a case they are not a party to (DSP-1/DSP-2/CUS-20, `rules.decides_own_case`)."""
    return user.has_role(*DECIDERS) and not rules.decides_own_case(user.id, dispute.claimants or [])


def decide(session: Session, actor: User, dispute_id: int, winner_user_id: int, reason: str) -> Dispute:
    """DSP-1/DSP-2: the GM picks the winner with a reason. A win is credited to the winner; two
    records of one company are merged (CUS-10) and the kept record goes to the winner."""
    dispute = get_dispute(session, actor, dispute_id)
    if not actor.has_role(*DECIDERS):
        raise Forbidden("只有总经理可以裁定争议", rule=dispute.recommendation_rule)
    if dispute.kind in (KIND_TWO_POOLS, KIND_OWNERSHIP):
        lock_customers(
            session, [c for c in (dispute.customer_id, dispute.other_customer_id) if c is not None]
        )
    dispute = get_dispute(session, actor, dispute_id, lock=True)
    rule = {KIND_TWO_POOLS: "DSP-2", KIND_OWNERSHIP: "CUS-20"}.get(dispute.kind, "DSP-1")
    if dispute.status != STATUS_OPEN:
        raise RuleViolation(rule, "该争议已裁定")
    if not may_decide(actor, dispute):
        raise Forbidden("不能裁定自己参与的争议，请由另一位总经理裁定", rule=rule)
    problems = rules.decision_problem(winner_user_id, dispute.claimants or [], reason)
    if problems:
        raise InvalidInput(problems, rule=rule)
    now = clock.now()
    if dispute.kind == KIND_WIN:
        _credit(session, actor, dispute, winner_user_id, reason)
    elif dispute.kind == KIND_OWNERSHIP:
        _settle_ownership(session, actor, dispute, winner_user_id, reason)
    else:
        _settle_two_pools(session, actor, dispute, winner_user_id, reason)
    dispute = get_dispute(session, actor, dispute_id)
    dispute.status, dispute.winner_user_id = STATUS_DECIDED, winner_user_id
    dispute.decision_reason, dispute.decided_by, dispute.decided_at = reason.strip(), actor.id, now
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="dispute.decide",
        object_type="dispute",
        object_id=dispute.id,
        before={"status": STATUS_OPEN, "recommended_user_id": dispute.recommended_user_id},
        after={"status": STATUS_DECIDED, "winner_user_id": winner_user_id},
        rule=rule,
        reason=reason,
    )
    customer = session.get(Customer, dispute.customer_id)
    _notify_case(
        session,
        dispute,
        "争议已裁定：客户 {customer} 归 {winner}（{reason}）",
        rule,
        customer=customer.name if customer else "",
        winner=_name(session, winner_user_id) or "",
        reason=reason.strip(),
    )
    return dispute


def _credit(session: Session, actor: User, dispute: Dispute, winner_id: int, reason: str) -> None:
    deal = session.scalar(for_update(select(Deal).where(Deal.id == dispute.deal_id)))
    assert deal is not None
    before = {
        "credited_to": deal.credited_to,
        "credit_rule": deal.credit_rule,
        "dispute_needed": deal.dispute_needed,
    }
    deal.credited_to, deal.credit_rule, deal.dispute_needed = winner_id, "DSP-1", False
    deal.updated_at = clock.now()
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="deal.credit",
        object_type="deal",
        object_id=deal.id,
        before=before,
        after={"credited_to": winner_id, "credit_rule": "DSP-1", "dispute_needed": False},
        rule="DSP-1",
        reason=reason,
    )


def _settle_two_pools(session: Session, actor: User, dispute: Dispute, winner_id: int, reason: str) -> None:

    ids = [c for c in (dispute.customer_id, dispute.other_customer_id) if c is not None]
    live = [c for c in lock_customers(session, ids).values() if c.pool not in TOMBSTONE_POOLS]
    if len(live) == 2:
        kept = merge.merge_customers(session, actor, ids, f"DSP-2 {reason.strip()}")
    elif live:
        kept = live[0]
    else:
        raise RuleViolation("DSP-2", "两个记录都已不存在，无法裁定")
    if kept.pool != POOL_PRIVATE or kept.owner_id != winner_id:
        move_customer(
            session,
            kept,
            to_pool=POOL_PRIVATE,
            to_owner_id=winner_id,
            rule="DSP-2",
            reason=reason.strip(),
            actor_id=actor.id,
        )


def _settle_ownership(session: Session, actor: User, dispute: Dispute, winner_id: int, reason: str) -> None:
    """CUS-20: the customer goes to the rep the GM names (POOL-12 records the move)."""
    customer = lock_customers(session, [dispute.customer_id]).get(dispute.customer_id)
    if customer is None or customer.pool in TOMBSTONE_POOLS:
        raise RuleViolation("CUS-20", "该客户已不存在，无法裁定")
    if customer.pool != POOL_PRIVATE or customer.owner_id != winner_id:
        move_customer(
            session,
            customer,
            to_pool=POOL_PRIVATE,
            to_owner_id=winner_id,
            rule="CUS-20",
            reason=reason.strip(),
            actor_id=actor.id,
        )


def dispute_out(session: Session, d: Dispute, lang: str = "zh") -> dict[str, Any]:
    customer = session.get(Customer, d.customer_id)
    other = session.get(Customer, d.other_customer_id) if d.other_customer_id else None
    deal = session.get(Deal, d.deal_id) if d.deal_id else None
    params = (d.evidence or {}).get("params", {})

    def brief(c: Customer | None) -> dict[str, Any] | None:
        return None if c is None else {"id": c.id, "code": c.code, "name": c.name, "pool": c.pool}

    def who(uid: int | None) -> dict[str, Any] | None:
        return None if uid is None else {"id": uid, "display_name": _name(session, uid)}

    return {
        "id": d.id,
        "kind": d.kind,
        "status": d.status,
        "customer_id": d.customer_id,
        "customer": brief(customer),
        "other_customer_id": d.other_customer_id,
        "other_customer": brief(other),
        "deal_id": d.deal_id,
        "deal": None
        if deal is None
        else {
            "id": deal.id,
            "number": deal.number,
            "name": deal.name,
            "actual_amount": str(deal.actual_amount),
        },
        "signed_on": d.signed_on,
        "claimants": [who(uid) for uid in d.claimants or []],
        "recommendation": {
            "user_id": d.recommended_user_id,
            "display_name": _name(session, d.recommended_user_id),
            "rule": d.recommendation_rule,
            "note": f"{d.recommendation_rule}: " + translate(d.recommendation_note, lang, **params),
            "evidence": (d.evidence or {}).get("items", []),
        },
        "opened_reason": d.opened_reason,
        "winner": who(d.winner_user_id),
        "decision_reason": d.decision_reason,
        "decided_by": who(d.decided_by),
        "decided_at": d.decided_at,
        "created_at": d.created_at,
    }
