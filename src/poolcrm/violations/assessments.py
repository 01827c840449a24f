"""The monthly data-quality assessment (VIO-3): each rep's missing fields, invalid follow-ups,
overdue deals and fake follow-ups of a month, counted set-based for the whole sales force, told to
the supervisors, confirmed by one of them (never the rep themselves) and then published to the
sales staff. Split from `violations.service` (the violations and the spot checks) by use case."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.customers.rules import grade_incomplete_sql
from poolcrm.deals.models import Deal
from poolcrm.deals.rules import OPEN_CATEGORIES
from poolcrm.errors import Forbidden, NotFound, RuleViolation
from poolcrm.followups.models import FollowUp
from poolcrm.notify.service import notify
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import (
    Person,
    people_by_id,
    sales_rep_ids,
    sales_reps,
    subordinate_ids,
    visible_owner_ids,
)
from poolcrm.policy.service import get_policy
from poolcrm.violations import rules
from poolcrm.violations.models import (
    ASSESS_DRAFT,
    ASSESS_PUBLISHED,
    KIND_CONCEALMENT,
    KIND_FAKE_FOLLOWUP,
    Assessment,
    Violation,
)
from poolcrm.violations.service import may_see_user


def _tz(session: Session) -> str:
    return get_policy(session).timezone


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
