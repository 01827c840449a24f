"""Violation use cases (VIO-1..3): record a violation (by CS or a manager, or by the system for
forced duplicates), escalate with notices, the daily CS spot check of follow-ups (a fake one takes
the rep off the duty roster) and the monthly data-quality assessment published after the
supervisor confirms it. Decisions live in `violations.rules`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers.access import lock_customers
from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.customers.rules import grade_incomplete_sql
from poolcrm.deals.models import Deal
from poolcrm.deals.rules import OPEN_CATEGORIES
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
    sales_rep_ids,
    sales_rep_people,
    sales_reps,
    subordinate_ids,
    visible_owner_clause,
    visible_owner_ids,
)
from poolcrm.policy.service import get_policy
from poolcrm.violations import rules
from poolcrm.violations.models import (
    ASSESS_DRAFT,
    ASSESS_PUBLISHED,
    KIND_CONCEALMENT,
    KIND_FAKE_FOLLOWUP,
    KIND_FORCED_DUPLICATE,
    SPOT_FAKE,
    SPOT_PENDING,
    Assessment,
    SpotCheck,
    Violation,
)

RECORDERS = ("cs", "supervisor", "sales_manager", "gm", "admin")
KIND_NAMES = {
    "forced_duplicate": "强制重复",
    "invalid_customer": "无效客户",
    "fake_followup": "虚假跟进",
    "rule_breach": "违反制度",
    "concealment": "管理人员隐瞒不报（当季考核为零）",
}
LEVEL_NAMES = {"none": "已记录", "warning": "书面警告", "dismissal": "建议辞退"}


def _tz(session: Session) -> str:
    return get_policy(session).timezone


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
    if not viewer.has_role(*RECORDERS):
        return []
    return [p for p in sales_rep_people(session) if p.id != viewer.id and may_see_user(session, viewer, p.id)]


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
    if not actor.has_role(*RECORDERS) or actor.id == user_id:
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


def list_spot_checks(session: Session, viewer: User, status: str | None = SPOT_PENDING) -> list[SpotCheck]:
    if not viewer.has_role("cs", "admin"):
        raise Forbidden("只有客服可以抽查跟进记录", rule="VIO-2")
    q = select(SpotCheck).order_by(SpotCheck.day.desc(), SpotCheck.id)
    if status:
        q = q.where(SpotCheck.status == status)
    return list(session.scalars(q.limit(500)))


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


# ---------------------------------------------------------------- monthly assessment (VIO-3)


def _month_range(session: Session, yyyymm: int) -> tuple[datetime, datetime, date]:
    (y1, m1, d1), (y2, m2, d2) = rules.month_bounds(yyyymm)
    tz = _tz(session)
    end_day = date(y2, m2, d2)
    return clock.start_of_local_day(date(y1, m1, d1), tz), clock.start_of_local_day(end_day, tz), end_day


def _incomplete_customers(session: Session) -> tuple[dict[int, int], dict[int, list[str]]]:
    """VIO-3: per owner, how many private customers lack CUS-11 fields, and the first 50 codes."""
    incomplete = grade_incomplete_sql(Customer)
    mine = and_(Customer.pool == POOL_PRIVATE, Customer.owner_id.is_not(None), incomplete)
    ranked = (
        select(
            Customer.owner_id,
            Customer.code,
            func.row_number().over(partition_by=Customer.owner_id, order_by=Customer.id).label("n"),
            func.count().over(partition_by=Customer.owner_id).label("total"),
        )
        .where(mine)
        .subquery()
    )
    # One pass: each rep's count of incomplete customers and the first 50 codes as examples.
    missing_of: dict[int, int] = {}
    incomplete_of: dict[int, list[str]] = {}
    for owner_id, code, total in session.execute(
        select(ranked.c.owner_id, ranked.c.code, ranked.c.total)
        .where(ranked.c.n <= 50)
        .order_by(ranked.c.owner_id, ranked.c.n)
    ):
        missing_of[owner_id] = total
        incomplete_of.setdefault(owner_id, []).append(code)
    return missing_of, incomplete_of


def _month_counts(
    session: Session, since: datetime, until: datetime, end_day: date
) -> tuple[dict[int, int], dict[int, list[str]], dict[int, int]]:
    """VIO-3: per rep, invalid follow-ups written and fakes found in the month, and the open deals
    past their expected close date at month end."""
    invalid_of: dict[int, int] = dict(
        session.execute(
            select(FollowUp.author_id, func.count())
            .where(
                # `= false` (not `IS false`) so the partial index ix_followups_invalid_created serves it
                FollowUp.valid == false(),
                FollowUp.created_at >= since,
                FollowUp.created_at < until,
            )
            .group_by(FollowUp.author_id)
        ).all()
    )
    overdue_of: dict[int, list[str]] = {}
    for owner_id, number in session.execute(
        select(Deal.owner_id, Deal.number)
        .where(Deal.category.in_(OPEN_CATEGORIES), Deal.expected_close_on < end_day)
        .order_by(Deal.id)
    ):
        if owner_id is not None:  # an unowned deal is no rep's to answer for
            overdue_of.setdefault(owner_id, []).append(number)
    fake_of: dict[int, int] = dict(
        session.execute(
            select(Violation.user_id, func.count())
            .where(
                Violation.kind == KIND_FAKE_FOLLOWUP,
                Violation.created_at >= since,
                Violation.created_at < until,
            )
            .group_by(Violation.user_id)
        ).all()
    )
    return invalid_of, overdue_of, fake_of


def _tell_supervisors(session: Session, created: list[Assessment], yyyymm: int) -> None:
    """VIO-3: each supervisor hears how many drafts wait for their confirmation."""
    supervisors: dict[int, int] = {}
    for a in created:
        rep = session.get(User, a.user_id)
        if rep is not None and rep.supervisor_id:
            supervisors[rep.supervisor_id] = supervisors.get(rep.supervisor_id, 0) + 1
    for sup, n in supervisors.items():
        notify(
            session,
            sup,
            "assessment",
            "{month} 数据质量考核已生成 {count} 份，请确认后发布",
            link=f"/violations/assessments?month={yyyymm}",
            rule="VIO-3",
            dedupe_key=f"VIO-3:{yyyymm}",
            month=f"{yyyymm // 100}-{yyyymm % 100:02d}",
            count=n,
        )


def assess_month(session: Session, yyyymm: int) -> list[Assessment]:
    """VIO-3: every active sales rep's data quality for the month — own private customers with
    missing fields (CUS-11's eleven), invalid follow-ups written, open deals past their expected
    close date at month end, follow-ups found fake — and the score (policy deductions). Drafts until
    the supervisor confirms; idempotent per (month, rep)."""

    policy = get_policy(session)
    since, until, end_day = _month_range(session, yyyymm)
    done = set(session.scalars(select(Assessment.user_id).where(Assessment.month == yyyymm)))
    created: list[Assessment] = []
    last_day = end_day - timedelta(days=1)
    reps = [
        rep
        for rep in sales_reps(session)
        if rep.id not in done and not rules.in_probation(rep.probation_end_on, last_day)
    ]
    concealed = _concealed_in_quarter(session, yyyymm)
    # Four set-based reads for all reps (not four queries per rep): the step stays seconds at 1M.
    missing_of, incomplete_of = _incomplete_customers(session)
    invalid_of, overdue_of, fake_of = _month_counts(session, since, until, end_day)
    for rep in reps:
        sample = incomplete_of.get(rep.id, [])
        invalid = invalid_of.get(rep.id, 0)
        overdue = overdue_of.get(rep.id, [])
        fake = fake_of.get(rep.id, 0)
        figures = {
            "missing_fields": missing_of.get(rep.id, 0),
            "invalid_followups": int(invalid),
            "overdue_deals": len(overdue),
            "fake_followups": int(fake),
        }
        a = Assessment(
            month=yyyymm,
            user_id=rep.id,
            **figures,
            score=rules.assessment_score(
                figures, policy.assessment_weights, policy.assessment_mode, rep.id in concealed
            ),
            details={
                "incomplete_customers": sample,
                "overdue_deals": overdue[:50],
                "weights": policy.assessment_weights,
                "mode": policy.assessment_mode,
                "concealment": rep.id in concealed,
            },
            status=ASSESS_DRAFT,
            created_at=clock.now(),
        )
        session.add(a)
        created.append(a)
    session.flush()
    if created:
        record(
            session,
            actor_id=None,
            action="assessment.compute",
            object_type="assessment",
            after={"month": yyyymm, "users": [a.user_id for a in created]},
            rule="VIO-3",
        )
        _tell_supervisors(session, created, yyyymm)
    return created


def _concealed_in_quarter(session: Session, yyyymm: int) -> set[int]:
    """VIO-3 (001 §3.5.5): the managers with a concealment violation recorded in the quarter."""
    months = rules.quarter_months(yyyymm)
    start = _month_range(session, months[0])[0]
    end = _month_range(session, months[-1])[1]
    return set(
        session.scalars(
            select(Violation.user_id).where(
                Violation.kind == KIND_CONCEALMENT, Violation.created_at >= start, Violation.created_at < end
            )
        )
    )


def assessment_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """VIO-3 daily: the previous month is assessed once (the first run of a month does it)."""
    month = rules.previous_month(run_date.year, run_date.month)
    return {"assessed": [a.user_id for a in assess_month(session, month)]}


def may_confirm_ids(session: Session, actor: User, user_ids: Iterable[int]) -> set[int]:
    """VIO-3: the reps among `user_ids` whose assessment `actor` may confirm — their supervisors
    (any level), the GM or an admin. One read of the actor's subtree for a page of 1,000 reps."""
    wanted = set(user_ids)
    if org_rules.manages_everyone(actor.roles):
        return wanted
    return wanted & subordinate_ids(session, actor.id)


def may_confirm_id(session: Session, actor: User, user_id: int) -> bool:
    """VIO-3 for one rep (`may_confirm_ids`)."""
    return user_id in may_confirm_ids(session, actor, (user_id,))


def confirm_assessment(session: Session, actor: User, assessment_id: int) -> Assessment:
    """VIO-3: the rep's supervisor confirms; the score is then published to all sales staff."""
    a = session.get(Assessment, assessment_id)
    if a is None or not may_see_user(session, actor, a.user_id):
        raise NotFound()
    if not may_confirm_id(session, actor, a.user_id):
        raise Forbidden("只有该销售的主管可以确认考核", rule="VIO-3")
    if a.status == ASSESS_PUBLISHED:
        raise RuleViolation("VIO-3", "该考核已发布")
    a.status, a.confirmed_by, a.confirmed_at = ASSESS_PUBLISHED, actor.id, clock.now()
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="assessment.publish",
        object_type="assessment",
        object_id=a.id,
        before={"status": ASSESS_DRAFT},
        after={"status": ASSESS_PUBLISHED, "score": a.score},
        rule="VIO-3",
    )
    rep = session.get(User, a.user_id)
    for uid in _sales_staff(session):
        notify(
            session,
            uid,
            "assessment",
            "{month} 数据质量考核已发布：{name} {score} 分",
            link=f"/violations/assessments?month={a.month}",
            rule="VIO-3",
            month=f"{a.month // 100}-{a.month % 100:02d}",
            name=rep.display_name if rep else "",
            score=a.score,
        )
    return a


def _sales_staff(session: Session) -> list[int]:
    """VIO-3 (001 §3.5.7): published scores go to all sales staff."""
    return sorted(sales_rep_ids(session))  # the condition holds active reps only


def list_assessments(session: Session, viewer: User, month: int | None) -> list[Assessment]:
    """VIO-3: drafts for the supervisors (and admin/GM/HR) and the rep; published scores for all
    sales staff (001 §3.5.7)."""
    q = select(Assessment).order_by(Assessment.month.desc(), Assessment.score.desc(), Assessment.user_id)
    if month:
        q = q.where(Assessment.month == month)
    rows = list(session.scalars(q.limit(2000)))
    scope = visible_owner_ids(session, viewer)
    sales_staff = viewer.has_role("sales", "supervisor", "sales_manager")
    out = []
    for a in rows:
        sees_all = org_rules.manages_everyone(viewer.roles) or viewer.has_role("hr")
        manages = sees_all or scope is None or a.user_id in scope
        if manages or a.user_id == viewer.id or (a.status == ASSESS_PUBLISHED and sales_staff):
            out.append(a)
    return out


def assessments_out(session: Session, viewer: User, month: int | None) -> list[dict[str, Any]]:
    """The assessments `viewer` sees (`list_assessments`), named in one read: a month of a
    nationwide sales force is 1,000 rows and more (issue 22; one user read per row took 1.1 s)."""
    rows = list_assessments(session, viewer, month)
    names = people_by_id(session, (a.user_id for a in rows))
    return [assessment_out(session, a, names) for a in rows]


def assessment_out(
    session: Session, a: Assessment, names: Mapping[int, Person] | None = None
) -> dict[str, Any]:
    rep = names.get(a.user_id) if names is not None else session.get(User, a.user_id)
    return {
        "id": a.id,
        "month": a.month,
        "user_id": a.user_id,
        "user": rep.display_name if rep else None,
        "missing_fields": a.missing_fields,
        "invalid_followups": a.invalid_followups,
        "overdue_deals": a.overdue_deals,
        "fake_followups": a.fake_followups,
        "score": a.score,
        "details": a.details or {},
        "status": a.status,
        "confirmed_at": a.confirmed_at,
    }
