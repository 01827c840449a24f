"""Dashboard cards: "即将回收" (POOL-6/16), "今日提醒" (FU-4), a supervisor's team and the GM's pool
health (GOV-6)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.customers.models import POOL_BIN, POOL_PRIVATE, POOL_PUBLIC, Customer
from poolcrm.db import cached_aggregate, ids_select
from poolcrm.followups.models import FollowUp
from poolcrm.followups.service import due_today
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import sales_reps, subordinate_rep_people, users_by_id
from poolcrm.ownership.countdown import recycle_info
from poolcrm.ownership.models import OwnershipEvent
from poolcrm.ownership.usage import usage_by_owner
from poolcrm.policy.service import company_day_start, company_today
from poolcrm.pools.history import pool_rows
from poolcrm.pools.pages import common
from poolcrm.pools.rules import usage_level
from poolcrm.web.dashboard import widget

DUE_CARD_ROWS = 6
TEAM_CARD_ROWS = 20
"""A supervisor's team card lists this many reps at most (a display size, not a rule)."""


@widget(order=20)
def due_soon(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if not org_rules.holds_pool(user.roles):
        return None

    rows = [r for r in pool_rows(session, user) if r["info"] is not None][:DUE_CARD_ROWS]
    return "pools/widget_due.html", {"rows": rows, **common(session)}


@widget(order=21)
def today_reminders(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if not user.has_role("sales", "supervisor"):
        return None

    return "pools/widget_today.html", {"reminders": due_today(session, user)}


TEAM_DUE_ROWS = 8
TEAM_CANDIDATE_DAYS = 3
"""A customer can be due within the warning window only if nobody followed it up for a few days:
the countdown (Python, on the company calendar) runs only on those, not on the whole team's pool."""


@widget(order=19)
def team_pools(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    """GOV-6: a supervisor's team — each rep's pool usage and valid follow-ups this week, and the
    team's customers soonest to be recycled (POOL-6), on the dashboard, not a rep's card. A team
    larger than the card (a sales manager over a nationwide company) shows the reps with the
    fewest valid follow-ups this week first, `TEAM_CARD_ROWS` of them."""
    if not org_rules.leads_team(user.roles):
        return None
    people = subordinate_rep_people(session, user.id)
    if not people:
        return None
    ids = ids_select(session, [p.id for p in people])
    week_start = _week_start(session)
    valid = dict(
        session.execute(
            select(FollowUp.author_id, func.count())
            .where(FollowUp.author_id.in_(ids), FollowUp.valid.is_(True), FollowUp.created_at >= week_start)
            .group_by(FollowUp.author_id)
        ).all()
    )
    quiet_since = clock.now() - timedelta(days=TEAM_CANDIDATE_DAYS)
    candidates = session.scalars(
        select(Customer).where(
            Customer.owner_id.in_(ids),
            Customer.pool == POOL_PRIVATE,
            func.coalesce(Customer.last_valid_followup_at, Customer.protected_since, Customer.created_at)
            < quiet_since,
        )
    )
    names = {p.id: p.display_name for p in people}
    due: list[dict[str, Any]] = []
    for c in candidates:
        info = recycle_info(session, c)
        if info is not None and info.red:
            due.append({"customer": c, "info": info, "owner": names.get(c.owner_id or 0, "")})
    due.sort(key=lambda r: (r["info"].due_on, r["customer"].id))
    shown = people
    if len(people) > TEAM_CARD_ROWS:
        shown = sorted(people, key=lambda p: (valid.get(p.id, 0), p.id))[:TEAM_CARD_ROWS]
    loaded = users_by_id(session, [p.id for p in shown])  # POOL-2's limit needs tenure and department
    reps = [loaded[p.id] for p in shown]
    usage = usage_by_owner(session, reps)
    rows = [{"rep": r, "usage": usage[r.id], "valid": valid.get(r.id, 0)} for r in reps]
    return (
        "pools/widget_team.html",
        {"rows": rows, "reps_total": len(people), "due": due[:TEAM_DUE_ROWS], "due_total": len(due)},
    )


def _week_start(session: Session) -> Any:
    today = company_today(session)
    return company_day_start(session, today - timedelta(days=today.weekday()))


@widget(order=13)
def pool_health(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    """GOV-6: the GM's pool health — customers per pool, private pools against their POOL-2 limits,
    and this week's recycles (POOL-6) and releases (POOL-5); each a grouped query. A company-wide
    overview read over every customer and every rep: LIST-3, counted at most once a minute."""
    if not org_rules.runs_company(user.roles):
        return None
    return "pools/widget_health.html", cached_aggregate(session, "pools.health", lambda: _health(session))


def _health(session: Session) -> dict[str, Any]:
    """The pool health card's figures as plain values (kept beyond the session by LIST-3)."""
    pools = dict(
        session.execute(
            select(Customer.pool, func.count())
            .where(Customer.pool.in_((POOL_PUBLIC, POOL_PRIVATE, POOL_BIN)))
            .group_by(Customer.pool)
        ).all()
    )
    moved = dict(
        session.execute(
            select(OwnershipEvent.rule, func.count())
            .where(OwnershipEvent.at >= _week_start(session), OwnershipEvent.rule.in_(("POOL-6", "POOL-5")))
            .group_by(OwnershipEvent.rule)
        ).all()
    )
    reps = sales_reps(session)
    usage = usage_by_owner(session, reps)
    rows: list[dict[str, Any]] = []
    for rep in reps:
        u = usage[rep.id]
        used = u["owned"] + u["pending"]
        share = used / u["limit"] if u["limit"] else 0
        level = usage_level(used, u["limit"])
        person = {"id": rep.id, "display_name": rep.display_name}
        rows.append({"rep": person, "used": used, "limit": u["limit"], "share": share, "level": level})
    rows.sort(key=lambda r: (-r["share"], r["rep"]["id"]))
    return {
        "pools": {k: pools.get(k, 0) for k in (POOL_PUBLIC, POOL_PRIVATE, POOL_BIN)},
        "recycled": moved.get("POOL-6", 0),
        "released": moved.get("POOL-5", 0),
        "reps": len(rows),
        "full": sum(1 for r in rows if r["level"] == "full"),
        "high": sum(1 for r in rows if r["level"] == "high"),
        "used": sum(r["used"] for r in rows),
        "capacity": sum(r["limit"] for r in rows),
        "fullest": rows[:3],
    }
