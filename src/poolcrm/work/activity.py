"""Weekly activity on opportunities (WORK-4, 003 §三.5): each rep's deal progress records this week
against the policy minimum; the sales management hears of last week's shortfalls every Monday."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm.deals.models import DealProgress
from poolcrm.notify.service import notify_many
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import role_holders, sales_reps, subordinate_reps
from poolcrm.policy.service import company_day_start, get_policy
from poolcrm.work import rules


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_actions(session: Session, reps: list[User], monday: date) -> list[dict[str, Any]]:
    """WORK-4: per rep, the actions on opportunities (deal progress records) in the week from
    `monday`, the minimum and the shortfall — one grouped query."""
    minimum = get_policy(session).weekly_deal_actions_min
    start, end = company_day_start(session, monday), company_day_start(session, monday + timedelta(days=7))
    counts = dict(
        session.execute(
            select(DealProgress.author_id, func.count())
            .where(
                DealProgress.author_id.in_([u.id for u in reps]),
                DealProgress.created_at >= start,
                DealProgress.created_at < end,
            )
            .group_by(DealProgress.author_id)
        ).all()
    )
    return [
        {
            "user": u,
            "actions": int(counts.get(u.id, 0)),
            "minimum": minimum,
            "shortfall": rules.weekly_shortfall(int(counts.get(u.id, 0)), minimum),
        }
        for u in sorted(reps, key=lambda u: u.display_name)
    ]


def team_activity(session: Session, viewer: User, monday: date) -> list[dict[str, Any]]:
    """WORK-4 for a viewer: their reps (everyone's for the GM and admin); a rep sees their own line."""
    if org_rules.manages_everyone(viewer.roles):
        reps = sales_reps(session)
    else:
        reps = subordinate_reps(session, viewer.id) + ([viewer] if viewer.has_role("sales") else [])
    return weekly_actions(session, reps, monday)


def monday_shortfalls(session: Session, as_of: date) -> dict[str, list[Any]]:
    """WORK-4: on Mondays, last week's shortfalls go to the sales managers and the GM (once a week)."""
    if as_of.weekday() != 0:
        return {"actions_short": []}
    last_monday = as_of - timedelta(days=7)
    rows = [r for r in weekly_actions(session, sales_reps(session), last_monday) if r["shortfall"]]
    if rows:
        names = "、".join(f"{r['user'].display_name}（{r['actions']}/{r['minimum']}）" for r in rows[:30])
        recipients = set(role_holders(session, "sales_manager")) | set(role_holders(session, "gm"))
        notify_many(
            session,
            {uid: {"week": last_monday.isoformat(), "n": len(rows), "names": names} for uid in recipients},
            "weekly_activity_short",
            "{week} 当周商机行动不足的销售 {n} 人：{names}",
            link=f"/work/team?week={last_monday.isoformat()}",
            rule="WORK-4",
            dedupe_key=f"work4:{last_monday.isoformat()}",
        )
    return {"actions_short": [r["user"].id for r in rows]}
