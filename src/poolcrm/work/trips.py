"""Trips (WORK-2, 001 §2; 003): a plan approved by the supervisor, a report with A 目的 B 结果 C 下一步
计划 and the real start and end, the follow-ups written on the trip, and who has gone silent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.auth.models import AuthSession
from poolcrm.customers.access import customer_for_read
from poolcrm.db import for_update
from poolcrm.deals.models import DealProgress
from poolcrm.errors import Conflict, Forbidden, InvalidInput, NotFound
from poolcrm.followups.models import FollowUp
from poolcrm.i18n import terms
from poolcrm.notify.service import notify
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import is_supervisor_of, visible_owner_ids
from poolcrm.policy.service import company_date, company_day_start, company_today, get_policy
from poolcrm.work import rules
from poolcrm.work.models import APPROVED, PENDING, REJECTED, REPORTED, Trip
from poolcrm.work.schemas import TripIn, TripReportIn


def plan_trip(session: Session, actor: User, data: TripIn) -> Trip:
    """WORK-2: region, dates, the customers to visit (each visible to the planner) and the purpose."""
    problems = rules.trip_problems(
        data.region, data.purpose, data.start_on, data.end_on, get_policy(session).trip_max_days
    )
    if problems:
        raise InvalidInput(problems, rule="WORK-2")
    for cid in data.customer_ids:
        customer_for_read(session, actor, cid)
    trip = Trip(
        user_id=actor.id,
        region=data.region.strip(),
        start_on=data.start_on,
        end_on=data.end_on,
        purpose=data.purpose.strip(),
        customer_ids=sorted(set(data.customer_ids)),
        subject=rules.trip_subject(data.start_on, data.region.strip(), actor.display_name),
        status=PENDING,
        created_at=clock.now(),
    )
    session.add(trip)
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="trip.plan",
        object_type="trip",
        object_id=trip.id,
        after={"subject": trip.subject, "customer_ids": trip.customer_ids},
        rule="WORK-2",
    )
    if actor.supervisor_id is not None:
        notify(
            session,
            actor.supervisor_id,
            "trip_to_approve",
            "{subject} 待您审批",
            link=f"/work/trips/{trip.id}",
            rule="WORK-2",
            subject=trip.subject,
        )
    return trip


def get_trip(session: Session, actor: User, trip_id: int) -> Trip:
    trip = session.get(Trip, trip_id)
    scope = visible_owner_ids(session, actor)
    if trip is None or (scope is not None and trip.user_id not in scope):
        raise NotFound()
    return trip


def _locked(session: Session, actor: User, trip_id: int) -> Trip:
    get_trip(session, actor, trip_id)
    trip = session.scalar(for_update(select(Trip).where(Trip.id == trip_id)))
    assert trip is not None
    return trip


def decide_trip(session: Session, actor: User, trip_id: int, approve: bool, reason: str | None) -> Trip:
    """WORK-2: the planner's supervisor (or the sales manager, the GM) decides; never the planner."""
    trip = _locked(session, actor, trip_id)
    if trip.status != PENDING:
        raise Conflict("该出差计划已处理", rule="WORK-2", code="already_decided")
    if actor.id == trip.user_id:
        raise Forbidden("不能审批自己的出差计划", rule="WORK-2")
    if not org_rules.may_approve(
        org_rules.LEVEL_SUPERVISOR, actor.roles, is_supervisor_of(session, actor.id, trip.user_id)
    ):
        raise Forbidden("只有主管可以审批出差计划", rule="WORK-2")
    if not approve and not (reason or "").strip():
        raise InvalidInput({"reason": "驳回必须填写理由"}, rule="WORK-2")
    trip.status = APPROVED if approve else REJECTED
    trip.decided_by, trip.decided_at = actor.id, clock.now()
    trip.decision_reason = (reason or "").strip() or None
    record(
        session,
        actor_id=actor.id,
        action="trip.approve" if approve else "trip.reject",
        object_type="trip",
        object_id=trip.id,
        after={"status": trip.status},
        rule="WORK-2",
        reason=trip.decision_reason,
    )
    notify(
        session,
        trip.user_id,
        "trip_decided",
        "{subject}：{state}",
        link=f"/work/trips/{trip.id}",
        rule="WORK-2",
        subject=trip.subject,
        state="已批准" if approve else "已驳回",
        **terms("state"),  # a catalogue term: read in the reader's language
    )
    session.flush()
    return trip


def report_trip(session: Session, actor: User, trip_id: int, data: TripReportIn) -> Trip:
    """WORK-2: the traveller reports an approved trip — A 目的, B 结果, C 下一步计划, the real start and
    end (not in the future, start before end)."""
    trip = _locked(session, actor, trip_id)
    if actor.id != trip.user_id:
        raise Forbidden("只有出差人可以填写出差报告", rule="WORK-2")
    if trip.status != APPROVED:
        raise Conflict("出差计划审批通过后才能填写报告", rule="WORK-2", code="not_approved")
    texts = {"purpose": data.purpose, "result": data.result, "next_plan": data.next_plan}
    problems = rules.trip_report_problems(texts, data.started_at, data.ended_at, clock.now())
    if problems:
        raise InvalidInput(problems, rule="WORK-2")
    trip.report_subject = rules.trip_report_subject(actor.display_name)
    trip.report_purpose, trip.report_result = data.purpose.strip(), data.result.strip()
    trip.report_next_plan = data.next_plan.strip()
    trip.started_at, trip.ended_at = data.started_at, data.ended_at
    trip.reported_at, trip.status = clock.now(), REPORTED
    record(
        session,
        actor_id=actor.id,
        action="trip.report",
        object_type="trip",
        object_id=trip.id,
        after={"started_at": data.started_at.isoformat(), "ended_at": data.ended_at.isoformat()},
        rule="WORK-2",
    )
    session.flush()
    return trip


def trip_window(session: Session, trip: Trip) -> tuple[datetime, datetime]:
    """The trip's real start and end once reported, else its planned days (company time)."""
    if trip.started_at is not None and trip.ended_at is not None:
        return trip.started_at, trip.ended_at
    return company_day_start(session, trip.start_on), company_day_start(
        session, date.fromordinal(trip.end_on.toordinal() + 1)
    )


def trip_followups(session: Session, trip: Trip) -> list[FollowUp]:
    """WORK-2: the follow-ups the traveller wrote during the trip."""
    start, end = trip_window(session, trip)
    q = select(FollowUp).where(
        FollowUp.author_id == trip.user_id, FollowUp.created_at >= start, FollowUp.created_at <= end
    )
    return list(session.scalars(q.order_by(FollowUp.created_at)))


def last_seen(session: Session, user_ids: list[int]) -> dict[int, datetime]:
    """WORK-2a: when each user was last seen — the latest of signing in, a follow-up, a deal progress."""
    seen: dict[int, datetime] = {}
    for column, author in (
        (AuthSession.created_at, AuthSession.user_id),
        (FollowUp.created_at, FollowUp.author_id),
        (DealProgress.created_at, DealProgress.author_id),
    ):
        rows = session.execute(select(author, func.max(column)).where(author.in_(user_ids)).group_by(author))
        for uid, at in rows:
            if at is not None and (uid not in seen or at > seen[uid]):
                seen[uid] = at
    return seen


def silent_travellers(session: Session, actor: User) -> list[dict[str, Any]]:
    """WORK-2 (003): reps on an approved trip today who have not been seen for `trip_login_days`."""
    today = company_today(session)
    q = select(Trip).where(Trip.status == APPROVED, Trip.start_on <= today, Trip.end_on >= today)
    scope = visible_owner_ids(session, actor)
    if scope is not None:
        q = q.where(Trip.user_id.in_(sorted(scope)))
    trips = list(session.scalars(q))
    seen = last_seen(session, [t.user_id for t in trips])
    days = get_policy(session).trip_login_days
    out = []
    for trip in trips:
        seen_on = company_date(session, seen.get(trip.user_id))
        if rules.silent(seen_on, today, days):
            out.append({"trip": trip, "last_seen_on": seen_on})
    return out
