"""Duty roster use cases (IN-3, VIO-2): the weekly roster from last week's figures, who is on
duty on a day, the next duty rep for an inbound item (evenly, POOL-2 respected) and an admin's
override of a day. Decisions live in `duty.rules`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.db import for_update, ids_select, reference
from poolcrm.deals.models import Deal
from poolcrm.deals.rules import CONTRACTED
from poolcrm.disputes.models import STATUS_OPEN, Dispute
from poolcrm.duty import rules
from poolcrm.duty.models import DutyOverride, DutyReinstatement, DutyWeek
from poolcrm.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from poolcrm.followups.models import FollowUp
from poolcrm.i18n import translate
from poolcrm.inbound.models import OUTCOME_DUTY, OUTCOME_NEW, InboundItem
from poolcrm.notify.service import notify
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import lock_users, people_by_id, sales_rep_ids, sales_reps
from poolcrm.ownership.usage import usage_figures
from poolcrm.policy.service import company_day_start, company_today, get_policy
from poolcrm.pools.rules import pool_full_on_apply
from poolcrm.violations.models import KIND_FAKE_FOLLOWUP, SPOT_PENDING, SpotCheck, Violation

SOURCE_OVERRIDE = "override"
SOURCE_FALLBACK = "fallback"


def _pairs(rows: Any) -> dict[Any, Any]:
    return {key: value for key, value in rows}


def figures(session: Session, reps: Sequence[User], start: date, end: date) -> list[rules.RepFigures]:
    """IN-3: each rep's valid follow-ups (FU-1) and credited won amount in [start, end)."""
    since, until = company_day_start(session, start), company_day_start(session, end)
    ids = [u.id for u in reps]
    visits = _pairs(
        session.execute(
            select(FollowUp.author_id, func.count())
            .where(
                FollowUp.author_id.in_(ids),
                FollowUp.valid.is_(True),
                FollowUp.created_at >= since,
                FollowUp.created_at < until,
            )
            .group_by(FollowUp.author_id)
        )
    )
    credited = func.coalesce(Deal.credited_to, Deal.owner_id)
    sales = _pairs(
        session.execute(
            select(credited, func.sum(Deal.actual_amount))
            .where(
                credited.in_(ids),
                Deal.category.in_(CONTRACTED),
                Deal.closed_at >= since,
                Deal.closed_at < until,
            )
            .group_by(credited)
        )
    )
    return [
        rules.RepFigures(uid, int(visits.get(uid, 0)), Decimal(sales.get(uid) or 0).quantize(Decimal("0.01")))
        for uid in ids
    ]


def _groups(session: Session, reps: Sequence[User], passed: set[int], count: int) -> list[list[int]]:
    """IN-3 alternative: the first `duty_groups` sales groups (departments with reps, in order of
    creation); in each, the reps who passed the visit assessment, or all of them if nobody did."""
    by_dept: dict[int, list[int]] = {}
    for u in reps:
        if u.department_id is not None:
            by_dept.setdefault(u.department_id, []).append(u.id)
    groups = []
    for dept_id in sorted(by_dept)[:count]:
        members = by_dept[dept_id]
        groups.append([uid for uid in members if uid in passed] or members)
    return groups


def roster_week(session: Session, day: date, *, compute: bool = True, store: bool = True) -> DutyWeek | None:
    """IN-3: the stored roster of the week containing `day`, computed (and stored, audited) on
    first use from the week before's figures. IN-3a: a read (`store=False`) before the week's
    first daily run or inbound call sees the same computation without fixing it."""
    start = rules.week_start(day)
    week = session.scalar(select(DutyWeek).where(DutyWeek.week_start == start))
    if week is not None or not compute:
        return week
    policy = get_policy(session)
    reps = sales_reps(session)
    figs = figures(session, reps, *rules.last_week(start))
    verdicts, order = rules.weekly_eligibility(figs, policy.duty_min_visits, policy.duty_top_n)
    fallback = not order
    if fallback:
        order = rules.fallback_order(figs)
    by_user = {f.user_id: f for f in figs}
    passed = {v.user_id for v in verdicts if by_user[v.user_id].visits >= policy.duty_min_visits}
    week = DutyWeek(
        week_start=start,
        strategy=policy.duty_strategy,
        fallback=fallback,
        order=order,
        eligibility=[
            {
                "user_id": v.user_id,
                "eligible": v.eligible,
                "reason": v.reason,
                "params": dict(v.params),
                "rank": v.rank,
                "visits": by_user[v.user_id].visits,
                "sales": str(by_user[v.user_id].sales),
            }
            for v in verdicts
        ],
        groups=_groups(session, reps, passed, policy.duty_groups)
        if policy.duty_strategy == rules.STRATEGY_GROUPS
        else None,
        computed_at=clock.now(),
    )
    if not store:
        return week
    try:
        with session.begin_nested():  # two first uses of a week at once: one roster is stored
            session.add(week)
            session.flush()
    except IntegrityError:
        return session.scalar(select(DutyWeek).where(DutyWeek.week_start == start))
    record(
        session,
        actor_id=None,
        action="duty.roster",
        object_type="duty_week",
        object_id=week.id,
        after={"week_start": start, "strategy": week.strategy, "order": order, "fallback": fallback},
        rule="IN-3",
    )
    return week


def excluded_ids(session: Session, week: date) -> set[int]:
    """VIO-2 (revised): reps whose last fake follow-up found by the end of `week` was not followed by
    a reinstatement (sales manager or GM) — they stay off the roster, week after week, until then."""
    until = company_day_start(session, week + timedelta(days=7))
    fakes = dict(
        session.execute(
            select(Violation.user_id, func.max(Violation.created_at))
            .where(Violation.kind == KIND_FAKE_FOLLOWUP, Violation.created_at < until)
            .group_by(Violation.user_id)
        ).all()
    )
    if not fakes:
        return set()
    back = dict(
        session.execute(
            select(DutyReinstatement.user_id, func.max(DutyReinstatement.at))
            .where(DutyReinstatement.user_id.in_(list(fakes)), DutyReinstatement.at < until)
            .group_by(DutyReinstatement.user_id)
        ).all()
    )
    return {uid for uid, at in fakes.items() if rules.excluded_until_reinstated(at, back.get(uid))}


def reinstate(session: Session, actor: User, user_id: int, reason: str | None) -> DutyReinstatement:
    """VIO-2: a sales manager or the GM puts a rep excluded for fake follow-ups back on the roster,
    with a reason (audited; the rep is told)."""
    if not rules.reinstates(actor.roles):
        raise Forbidden("只有销售经理或总经理可以恢复值班资格", rule="VIO-2")
    if not reason or not reason.strip():
        raise InvalidInput({"reason": "请写明恢复值班资格的理由"}, rule="VIO-2")
    rep = session.get(User, user_id)
    if rep is None:
        raise NotFound()
    lock_users(session, [user_id])
    this_week = rules.week_start(company_today(session))
    if user_id not in excluded_ids(session, this_week):
        raise Conflict(
            "{name} 当前没有被取消值班资格", rule="VIO-2", code="not_excluded", name=rep.display_name
        )
    row = DutyReinstatement(user_id=user_id, reason=reason.strip(), reinstated_by=actor.id, at=clock.now())
    session.add(row)
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="duty.reinstate",
        object_type="user",
        object_id=user_id,
        after={"reinstatement_id": row.id},
        rule="VIO-2",
        reason=row.reason,
    )
    notify(
        session,
        user_id,
        "duty_reinstated",
        "{actor} 恢复了您的值班资格：{reason}",
        link="/duty",
        rule="VIO-2",
        actor=actor.display_name,
        reason=row.reason,
    )
    return row


@dataclass(frozen=True)
class OnDuty:
    day: date
    user_ids: list[int]
    source: str  # ranking | groups | override | fallback
    week: DutyWeek | None
    excluded: frozenset[int]
    override: DutyOverride | None


def on_duty(session: Session, day: date, *, store: bool = True) -> OnDuty:
    """IN-3: who takes inbound items on `day`, in dealing order — the admin's override of the day,
    else the week's roster by strategy without reps excluded by VIO-2 (and without reps who left);
    when that leaves nobody, every active sales rep in turn (the fallback)."""
    override = session.scalar(
        select(DutyOverride).where(DutyOverride.day == day, DutyOverride.active.is_(True))
    )
    week = roster_week(session, day, store=store)
    assert week is not None
    excluded = frozenset(excluded_ids(session, week.week_start))
    active = sales_rep_ids(session)
    if override is not None:
        ids = [uid for uid in override.user_ids if uid in active]
        if ids:
            return OnDuty(day, ids, SOURCE_OVERRIDE, week, excluded, override)
    if week.strategy == rules.STRATEGY_GROUPS and week.groups:
        group = week.groups[rules.group_on_duty(day, len(week.groups))]
        ids, source = [uid for uid in group if uid in active and uid not in excluded], rules.STRATEGY_GROUPS
    else:
        ids = [uid for uid in week.order if uid in active and uid not in excluded]
        source = SOURCE_FALLBACK if week.fallback else rules.STRATEGY_RANKING
    if not ids:
        ids = [uid for uid in sorted(active) if uid not in excluded] or sorted(active)
        source = SOURCE_FALLBACK
    return OnDuty(day, ids, source, week, excluded, override)


def assigned_counts(session: Session, user_ids: Sequence[int], week: date) -> dict[int, int]:
    """IN-3: inbound items each rep received this week (the evenness the dealing keeps)."""
    since, until = company_day_start(session, week), company_day_start(session, week + rules.ONE_WEEK)
    return _pairs(
        session.execute(
            select(InboundItem.assigned_to, func.count())
            .where(
                and_(
                    InboundItem.assigned_to.in_(ids_select(session, user_ids)),
                    InboundItem.outcome.in_((OUTCOME_DUTY, OUTCOME_NEW)),
                    InboundItem.created_at >= since,
                    InboundItem.created_at < until,
                )
            )
            .group_by(InboundItem.assigned_to)
        )
    )


@dataclass(frozen=True)
class Pick:
    user: User
    skipped: list[dict[str, Any]]
    source: str


def pick_duty_rep(session: Session, day: date) -> Pick:
    """IN-2/IN-3: the duty rep who gets the next inbound item — the fewest items this week first,
    ranking order on ties; a rep whose private pool is full (POOL-2) is passed over for the next.
    The candidates' rows are locked (id order) so concurrent items are dealt out exactly evenly."""
    duty = on_duty(session, day)
    lock_users(session, duty.user_ids)
    week = duty.week.week_start if duty.week else rules.week_start(day)
    counts = assigned_counts(session, duty.user_ids, week)
    users: dict[int, User] = {}
    usage: dict[int, tuple[int, int]] = {}

    def has_room(uid: int) -> bool:  # POOL-2, asked in dealing order up to the rep chosen
        user = users[uid] = session.get_one(User, uid)
        owned, pending, limit = usage_figures(session, user, day)
        usage[uid] = (owned + pending, limit)
        return pool_full_on_apply(owned, pending, limit) is None

    chosen, passed = rules.next_duty_rep(duty.user_ids, counts, has_room)
    skipped: list[dict[str, Any]] = [
        {
            "id": uid,
            "display_name": users[uid].display_name,
            "rule": "POOL-2",
            "used": usage[uid][0],
            "limit": usage[uid][1],
        }
        for uid in passed
    ]
    if chosen is None:
        raise RuleViolation(
            "POOL-2",
            "值班销售的私海都已满，无法分配（{names}）",
            details={"skipped": skipped},
            names="、".join(s["display_name"] for s in skipped) or "-",
        )
    return Pick(users[chosen], skipped, duty.source)


def eligibility_out(
    session: Session, day: date, lang: str = "zh", *, store: bool = True
) -> list[dict[str, Any]]:
    """IN-3 page/API: every rep of the week's roster with eligible yes/no and the reason."""
    week = roster_week(session, day, store=store)
    assert week is not None
    excluded = excluded_ids(session, week.week_start)
    ids = [e["user_id"] for e in week.eligibility]
    users = {  # names and whether still active: two columns of thousands of reps, not users with roles
        uid: (name, active)
        for uid, name, active in session.execute(
            select(User.id, User.display_name, User.active).where(User.id.in_(ids_select(session, ids)))
        )
    }
    out = []
    for e in week.eligibility:
        name, active = users.get(e["user_id"], (str(e["user_id"]), True))
        eligible, reason, params, rule = e["eligible"], e["reason"], e["params"], "IN-3"
        if e["user_id"] in excluded:
            reason = "客服抽查发现虚假跟进，取消值班资格（待销售经理或总经理恢复）"
            eligible, params, rule = False, {}, "VIO-2"
        elif not active:
            eligible, reason, params = False, "已停用", {}
        out.append(
            {
                "id": e["user_id"],
                "display_name": name,
                "eligible": eligible,
                "reason": f"{rule}: " + translate(reason, lang, **params),
                "rule": rule,
                "rank": e.get("rank"),
                "visits": e.get("visits"),
                "sales": e.get("sales"),
            }
        )
    return out


def today_out(session: Session, viewer: User, day: date | None = None, lang: str = "zh") -> dict[str, Any]:
    """GET /duty/today: the day, who is on duty (in dealing order) and everyone's eligibility —
    a read: a roster not fixed yet is shown as computed, not stored (IN-3a)."""
    if not rules.reads_roster(viewer.roles):
        raise Forbidden(rule="IN-3")
    day = day or company_today(session)
    duty = on_duty(session, day, store=False)
    week = duty.week
    assert week is not None
    names = dict(  # a fallback week puts every rep on duty: names, not users with roles
        session.execute(
            select(User.id, User.display_name).where(User.id.in_(ids_select(session, duty.user_ids)))
        ).all()
    )
    counts = assigned_counts(session, duty.user_ids, week.week_start)
    return {
        "date": day,
        "week_start": week.week_start,
        "strategy": week.strategy,
        "source": duty.source,
        "fallback": duty.source == SOURCE_FALLBACK,
        "on_duty": [
            {"id": uid, "display_name": names[uid], "assigned_this_week": counts.get(uid, 0)}
            for uid in duty.user_ids
        ],
        "eligible": eligibility_out(session, day, lang, store=False),
        "override": None
        if duty.override is None
        else {"user_ids": duty.override.user_ids, "reason": duty.override.reason},
    }


def set_override(
    session: Session, actor: User, day: date, user_ids: Sequence[int], reason: str | None
) -> DutyOverride:
    """IN-3: an admin sets who is on duty on one day; an empty list lifts the override (kept,
    marked inactive — nothing is deleted)."""
    if not rules.overrides_duty(actor.roles):
        raise Forbidden("只有管理员可以调整值班", rule="IN-3")
    active = sales_rep_ids(session)
    bad = [uid for uid in user_ids if uid not in active]
    if bad:
        raise InvalidInput({"user_ids": "不是在职销售：" + "、".join(map(str, bad))}, rule="IN-3")
    row = session.scalar(for_update(select(DutyOverride).where(DutyOverride.day == day)))
    before = None if row is None else {"user_ids": row.user_ids, "active": row.active, "reason": row.reason}
    ids = list(dict.fromkeys(user_ids))
    now = clock.now()
    if row is None:
        row = DutyOverride(
            day=day, user_ids=ids, reason=reason, active=bool(ids), set_by=actor.id, set_at=now
        )
        session.add(row)
    else:
        row.user_ids, row.reason, row.active, row.set_by, row.set_at = ids, reason, bool(ids), actor.id, now
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="duty.override",
        object_type="duty_override",
        object_id=row.id,
        before=before,
        after={"day": day, "user_ids": ids, "active": row.active},
        rule="IN-3",
        reason=reason,
    )
    return row


def roster_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """IN-3 daily: make sure the week's roster exists (computed on the week's first run)."""
    existed = roster_week(session, run_date, compute=False) is not None
    week = roster_week(session, run_date)
    assert week is not None
    return {"duty_roster": [] if existed else [week.week_start.isoformat()]}


CARD_NAMES = 8  # names the dashboard card shows before "… N in all"


def today_on_duty(session: Session, day: date) -> tuple[tuple[int, ...], str]:
    """IN-3a as the dashboards read it: who is on duty on `day` (in dealing order) and why.
    Reference data (`db.reference`) once the week's roster is stored — it then follows from the
    roster, the day's override, VIO-2's exclusions and who is a rep, all reference tables; before
    that it is computed from last week's figures on every read, as `on_duty` does."""
    start = rules.week_start(day)
    stored = reference(
        session,
        ("poolcrm.duty_week_stored", start),
        lambda: session.scalar(select(DutyWeek.id).where(DutyWeek.week_start == start)) is not None,
    )

    def load() -> tuple[tuple[int, ...], str]:
        duty = on_duty(session, day, store=False)
        return tuple(duty.user_ids), duty.source

    return reference(session, ("poolcrm.on_duty", day), load) if stored else load()


def card(session: Session, user: User) -> dict[str, Any]:
    """The dashboard card (IN-3): today's duty reps as read (IN-3a), and the open work of the day for
    those who do it — CS's pending spot checks (VIO-2), the GM's open disputes (DSP-1/2)."""
    user_ids, source = today_on_duty(session, company_today(session))
    shown = list(user_ids[:CARD_NAMES])  # the fallback is every rep: the roster page lists them all
    names = people_by_id(session, shown)
    spot = disputes = None
    if user.has_role("cs", "admin"):
        spot = session.scalar(select(func.count()).where(SpotCheck.status == SPOT_PENDING)) or 0
    if org_rules.manages_everyone(user.roles):
        disputes = session.scalar(select(func.count()).where(Dispute.status == STATUS_OPEN)) or 0
    return {
        "names": [names[uid].display_name for uid in shown if uid in names],
        "total": len(user_ids),
        "more": len(user_ids) > len(shown),
        "fallback": source == SOURCE_FALLBACK,
        "mine": user.id in user_ids,
        "spot": spot,
        "disputes": disputes,
    }
