"""Violation use cases (VIO-1..3): record a violation (by CS or a manager, or by the system for
forced duplicates), escalate with notices, the daily CS spot check of follow-ups (a fake one takes
the rep off the duty roster) and the monthly data-quality assessment published after the
supervisor confirms it. Decisions live in `violations.rules`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers.access import lock_customers
from poolcrm.customers.models import Customer
from poolcrm.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from poolcrm.followups.authorship import recompute_anchor
from poolcrm.followups.models import FollowUp
from poolcrm.i18n import TERMS
from poolcrm.notify.service import notify
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User, UserRole
from poolcrm.org.service import (
    Person,
    is_supervisor_of,
    lock_users,
    people_by_id,
    sales_rep_people,
    visible_owner_clause,
    visible_owner_ids,
)
from poolcrm.policy.service import get_policy
from poolcrm.violations import rules
from poolcrm.violations.models import (
    KIND_FAKE_FOLLOWUP,
    KIND_FORCED_DUPLICATE,
    SPOT_FAKE,
    SPOT_PENDING,
    SpotCheck,
    Violation,
)

KIND_NAMES = {
    "forced_duplicate": "强制重复",
    "invalid_customer": "无效客户",
    "fake_followup": "虚假跟进",
    "rule_breach": "违反制度",
    "concealment": "管理人员隐瞒不报（当季考核为零）",
}
LEVEL_NAMES = {"none": "已记录", "warning": "书面警告", "dismissal": "建议辞退"}


def _role_ids(session: Session, *roles: str) -> list[int]:
    return list(
        session.scalars(
            select(User.id).where(User.active.is_(True), User.role_rows.any(UserRole.role.in_(roles)))
        )
    )


def may_see_user(session: Session, viewer: User, user_id: int) -> bool:
    """ORG-5: the rep, their supervisors, and HR/GM/CS/admin see a rep's violations."""
    scope = visible_owner_ids(session, viewer)
    return org_rules.reads_all_violations(viewer.roles) or scope is None or user_id in scope


def recordable_reps(session: Session, viewer: User) -> list[Person]:
    """VIO-1: the reps the viewer may record a violation against (a recorder, never themselves,
    only reps they see), as names — the form's choice, read in one statement of two columns."""
    if not rules.is_recorder(viewer.roles):
        return []  # no statement for a page most viewers open
    return [
        p
        for p in sales_rep_people(session)
        if rules.records_violations(viewer.roles, viewer.id, p.id) and may_see_user(session, viewer, p.id)
    ]


def record_violation(
    session: Session,
    *,
    user_id: int,
    kind: str,
    evidence: str,
    refs: dict[str, Any] | None,
    actor_id: int | None,
    rule: str = "VIO-1",
) -> Violation:
    """VIO-1: store the violation as the rep's n-th, with the level it reaches, and send the notices
    of that level — the rep and their supervisor always; HR and the GM for a dismissal proposal."""
    target = session.get(User, user_id)
    if target is None:
        raise NotFound()
    lock_users(session, [user_id])
    policy = get_policy(session)
    count = (session.scalar(select(func.count()).where(Violation.user_id == user_id)) or 0) + 1
    level = rules.violation_level(count, policy.violation_warning_count, policy.violation_dismissal_count)
    violation = Violation(
        user_id=user_id,
        kind=kind,
        evidence=evidence.strip(),
        refs=refs or None,
        ordinal=count,
        level=level,
        rule=rule,
        recorded_by=actor_id,
        created_at=clock.now(),
    )
    session.add(violation)
    session.flush()
    record(
        session,
        actor_id=actor_id,
        action="violation.record",
        object_type="violation",
        object_id=violation.id,
        after={"user_id": user_id, "kind": kind, "ordinal": count, "level": level, "refs": refs},
        rule=rule,
        reason=evidence.strip(),
    )
    params: dict[str, Any] = {
        "name": target.display_name,
        "what": KIND_NAMES.get(kind, kind),
        "n": count,
        TERMS: ["what"],
    }
    link = f"/violations?user_id={user_id}"
    messages = {
        rules.LEVEL_NONE: "{name} 第 {n} 次违规已记录：{what}",
        rules.LEVEL_WARNING: "{name} 第 {n} 次违规（{what}），视为恶意违规，给予书面警告",
        rules.LEVEL_DISMISSAL: "{name} 第 {n} 次违规（{what}），建议辞退，请人事和总经理处理",
    }
    targets = {user_id}
    if target.supervisor_id:
        targets.add(target.supervisor_id)
    if level == rules.LEVEL_DISMISSAL:
        targets |= set(_role_ids(session, "hr", "gm"))
    for uid in sorted(targets):
        notify(session, uid, f"violation.{level}", messages[level], link=link, rule="VIO-1", **params)
    return violation


def record_by(
    session: Session, actor: User, user_id: int, kind: str, evidence: str, refs: dict[str, Any] | None
) -> Violation:
    """VIO-1 by hand: CS, the rep's supervisors, the sales manager, the GM or an admin."""
    target = session.get(User, user_id)
    if target is None or not may_see_user(session, actor, user_id):
        raise NotFound()
    if not rules.records_violations(actor.roles, actor.id, user_id):
        raise Forbidden("只有客服或管理人员可以记录违规", rule="VIO-1")
    managers_only = actor.has_role("supervisor") and not actor.has_role("cs", "sales_manager", "gm", "admin")
    if managers_only and not is_supervisor_of(session, actor.id, user_id):
        raise Forbidden("只能记录下属的违规", rule="VIO-1")
    if not evidence.strip():
        raise InvalidInput({"evidence": "请提供违规证据"}, rule="VIO-1")
    return record_violation(
        session, user_id=user_id, kind=kind, evidence=evidence, refs=refs, actor_id=actor.id
    )


def record_forced_duplicate(
    session: Session, *, user_id: int, customer_id: int, merged_id: int, actor_id: int | None, reason: str
) -> Violation:
    """CUS-10 → VIO-1: the creator of a merged-away duplicate gets a violation (called by the merge)."""
    merged = session.get(Customer, merged_id)
    kept = session.get(Customer, customer_id)
    merged_code = merged.code if merged else merged_id
    kept_code = kept.code if kept else customer_id
    evidence = f"登记的 {merged_code} 与 {kept_code} 重复，已合并（{reason}）"
    return record_violation(
        session,
        user_id=user_id,
        kind=KIND_FORCED_DUPLICATE,
        evidence=evidence,
        refs={"customer_id": customer_id, "merged_id": merged_id},
        actor_id=actor_id,
        rule="CUS-10",
    )


def violations_of(session: Session, viewer: User, user_id: int) -> dict[str, Any]:
    """GET /users/{id}/violations: the count, the level reached and every item."""
    if session.get(User, user_id) is None or not may_see_user(session, viewer, user_id):
        raise NotFound()
    policy = get_policy(session)
    items = list(
        session.scalars(select(Violation).where(Violation.user_id == user_id).order_by(Violation.id))
    )
    return {
        "user_id": user_id,
        "count": len(items),
        "level": rules.violation_level(
            len(items), policy.violation_warning_count, policy.violation_dismissal_count
        ),
        "items": [violation_out(session, v) for v in items],
    }


def violation_out(session: Session, v: Violation) -> dict[str, Any]:
    user = session.get(User, v.user_id)
    by = session.get(User, v.recorded_by) if v.recorded_by else None
    return {
        "id": v.id,
        "user_id": v.user_id,
        "user": user.display_name if user else None,
        "kind": v.kind,
        "evidence": v.evidence,
        "refs": v.refs or {},
        "ordinal": v.ordinal,
        "level": v.level,
        "rule": v.rule,
        "recorded_by": None if by is None else {"id": by.id, "display_name": by.display_name},
        "created_at": v.created_at,
    }


def list_violations(session: Session, viewer: User, limit: int = 200) -> list[Violation]:
    q = select(Violation).order_by(Violation.id.desc()).limit(limit)
    scope = visible_owner_clause(viewer, Violation.user_id)  # ORG-2 joined, not bound as ids
    if not org_rules.reads_all_violations(viewer.roles) and scope is not None:
        q = q.where(scope)
    return list(session.scalars(q))


# ---------------------------------------------------------------- spot checks (VIO-2)


def spot_check_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """VIO-2 daily: draw up to `spot_check_per_rep` valid follow-ups per rep from the day before for
    CS to review (a re-run draws the same sample and adds nothing)."""
    policy = get_policy(session)
    drawn = session.scalar(select(SpotCheck.id).where(SpotCheck.day == run_date).limit(1))
    if policy.spot_check_per_rep < 1 or drawn is not None:
        return {"spot_checks": []}
    day = date.fromordinal(run_date.toordinal() - 1)
    since, until = (
        clock.start_of_local_day(day, policy.timezone),
        clock.start_of_local_day(run_date, policy.timezone),
    )
    rows = session.execute(
        select(FollowUp.author_id, FollowUp.id).where(
            FollowUp.valid.is_(True),
            FollowUp.created_at >= since,
            FollowUp.created_at < until,
        )
    )
    by_author: dict[int, list[int]] = {}
    for author, fid in rows:
        by_author.setdefault(author, []).append(fid)
    picked = rules.spot_check_sample(by_author, policy.spot_check_per_rep, run_date.isoformat())
    if not picked:
        return {"spot_checks": []}
    authors = {fid: author for author, ids in by_author.items() for fid in ids}
    now = clock.now()
    session.add_all(
        SpotCheck(day=run_date, followup_id=fid, author_id=authors[fid], status=SPOT_PENDING, created_at=now)
        for fid in picked
    )
    session.flush()
    record(
        session,
        actor_id=None,
        action="spot_check.sample",
        object_type="spot_check",
        after={"day": run_date, "followup_ids": picked},
        rule="VIO-2",
    )
    for uid in _role_ids(session, "cs"):
        notify(
            session,
            uid,
            "spot_check",
            "今日抽查 {count} 条跟进记录待审核",
            link="/violations/spot-checks",
            rule="VIO-2",
            dedupe_key=f"VIO-2:spot:{run_date}",
            count=len(picked),
        )
    return {"spot_checks": picked}


def spot_checks_query(session: Session, viewer: User, status: str | None = SPOT_PENDING) -> Select[Any]:
    """VIO-2: CS's spot checks (those waiting by default), the latest day first."""
    if not viewer.has_role("cs", "admin"):
        raise Forbidden("只有客服可以抽查跟进记录", rule="VIO-2")
    q = select(SpotCheck).order_by(SpotCheck.day.desc(), SpotCheck.id)
    return q.where(SpotCheck.status == status) if status else q


def list_spot_checks(
    session: Session, viewer: User, status: str | None = SPOT_PENDING, *, limit: int = 500, offset: int = 0
) -> list[SpotCheck]:
    q = spot_checks_query(session, viewer, status)
    return list(session.scalars(q.limit(limit).offset(offset)))


def spot_checks_out(session: Session, checks: list[SpotCheck]) -> list[dict[str, Any]]:
    """A day's spot checks (up to 500) with their follow-ups, customers and authors read in three
    statements, not three per row (1.0 s for 500 at `demo --staff 1000`; issue 22)."""
    followups = {
        f.id: f
        for f in session.scalars(select(FollowUp).where(FollowUp.id.in_({sc.followup_id for sc in checks})))
    }
    customer_ids = {f.customer_id for f in followups.values()}
    customers = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}
    authors = people_by_id(session, (sc.author_id for sc in checks))
    return [spot_check_out(session, sc, (followups, customers, authors)) for sc in checks]


def spot_check_out(
    session: Session,
    sc: SpotCheck,
    read: tuple[Mapping[int, FollowUp], Mapping[int, Customer], Mapping[int, Person]] | None = None,
) -> dict[str, Any]:
    """One spot check as the API and the page show it; `read`: its follow-up, customer and author
    already loaded for a list (`spot_checks_out`)."""
    if read is None:
        f = session.get(FollowUp, sc.followup_id)
        author: User | Person | None = session.get(User, sc.author_id)
        customer = session.get(Customer, f.customer_id) if f else None
    else:
        f = read[0].get(sc.followup_id)
        author = read[2].get(sc.author_id)
        customer = read[1].get(f.customer_id) if f else None
    return {
        "id": sc.id,
        "day": sc.day,
        "status": sc.status,
        "note": sc.note,
        "followup": None
        if f is None
        else {
            "id": f.id,
            "subject": f.subject,
            "content": f.content,
            "created_at": f.created_at,
            "customer": None
            if customer is None
            else {"id": customer.id, "code": customer.code, "name": customer.name},
        },
        "author": None if author is None else {"id": author.id, "display_name": author.display_name},
        "checked_at": sc.checked_at,
    }


def decide_spot_check(
    session: Session, actor: User, spot_id: int, verdict: str, note: str | None
) -> SpotCheck:
    """VIO-2, VIO-2a (ours): CS marks a sampled follow-up valid or fake. Fake → the follow-up
    becomes invalid (it protects nothing, FU-1), the rep gets a violation (VIO-1 escalation) and
    loses duty eligibility (IN-3)."""
    if not actor.has_role("cs", "admin"):
        raise Forbidden("只有客服可以抽查跟进记录", rule="VIO-2")
    sc = session.get(SpotCheck, spot_id)
    if sc is None:
        raise NotFound()
    if sc.status != SPOT_PENDING:
        raise RuleViolation("VIO-2", "该抽查已处理")
    if verdict == SPOT_FAKE and not (note or "").strip():
        raise InvalidInput({"note": "认定虚假跟进时请写明依据"}, rule="VIO-2")
    f = session.get(FollowUp, sc.followup_id)
    assert f is not None
    customer = lock_customers(session, [f.customer_id]).get(f.customer_id)
    now = clock.now()
    sc.status, sc.note, sc.checked_by, sc.checked_at = verdict, (note or "").strip() or None, actor.id, now
    f.spot_check = verdict
    record(
        session,
        actor_id=actor.id,
        action="spot_check.verdict",
        object_type="spot_check",
        object_id=sc.id,
        before={"status": SPOT_PENDING},
        after={"status": verdict, "followup_id": f.id},
        rule="VIO-2",
        reason=sc.note,
    )
    if verdict == SPOT_FAKE:
        before_valid = f.valid
        f.valid = False
        f.invalid_reasons = [
            *(f.invalid_reasons or []),
            {"rule": "VIO-2", "clause": "fake", "message": "客服抽查认定为虚假跟进", "params": {}},
        ]
        record(
            session,
            actor_id=actor.id,
            action="followup.invalidate",
            object_type="followup",
            object_id=f.id,
            before={"valid": before_valid},
            after={"valid": False},
            rule="VIO-2",
            reason=sc.note,
        )
        if customer is not None:
            recompute_anchor(session, customer)
        session.flush()
        record_violation(
            session,
            user_id=sc.author_id,
            kind=KIND_FAKE_FOLLOWUP,
            evidence=f"抽查跟进 #{f.id}（{f.subject}）认定为虚假：{sc.note}",
            refs={"followup_id": f.id, "customer_id": f.customer_id, "spot_check_id": sc.id},
            actor_id=actor.id,
            rule="VIO-2",
        )
    session.flush()
    return sc
