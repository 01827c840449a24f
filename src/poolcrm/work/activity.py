"""Weekly activity on opportunities (WORK-4, 003 §三.5): each rep's deal progress records this week
against the policy minimum; the sales management hears of last week's shortfalls every Monday."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm.db import ids_select
from poolcrm.deals.models import DealProgress
from poolcrm.i18n import listing
from poolcrm.notify.service import notify_many
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import Person, role_holders, sales_rep_people, subordinate_rep_people
from poolcrm.org.teams import TeamView, team_view
from poolcrm.policy.service import company_day_start, get_policy
from poolcrm.work import rules
from poolcrm.work.reports import Lateness, late_reports

SHORT_NAMES = listing(names="{name}（{actions}/{minimum}）")
"""How WORK-4's Monday note names a rep short of actions, in the reader's language."""


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_actions(session: Session, reps: list[Person], monday: date) -> list[dict[str, Any]]:
    """WORK-4: per rep, the actions on opportunities (deal progress records) in the week from
    `monday`, the minimum and the shortfall — one grouped query."""
    minimum = get_policy(session).weekly_deal_actions_min
    start, end = company_day_start(session, monday), company_day_start(session, monday + timedelta(days=7))
    counts = dict(
        session.execute(
            select(DealProgress.author_id, func.count())
            .where(
                DealProgress.author_id.in_(ids_select(session, [u.id for u in reps])),
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
        reps = sales_rep_people(session)
    else:
        reps = subordinate_rep_people(session, viewer.id)
        reps += [Person(viewer.id, viewer.display_name)] if viewer.has_role("sales") else []
    return weekly_actions(session, reps, monday)


@dataclass
class TeamPage:
    """The team view (WORK-1a, WORK-4) for a viewer: a line per team, and the rows of the team
    chosen (every row while they fit one page: `org.teams`)."""

    teams: TeamView
    lines: list[dict[str, Any]]
    late: list[Lateness]
    activity: list[dict[str, Any]]


def team_page(session: Session, viewer: User, monday: date, team: int | None) -> TeamPage:
    """WORK-1a and WORK-4 by team: each team's reps, their actions in the week, how many fall
    short of the minimum and how many reports are late or missing."""
    weekly = team_activity(session, viewer, monday)
    late = late_reports(session, viewer)
    view = team_view(session, [r["user"].id for r in weekly] + [x.user.id for x in late], team)
    by_rep = {r["user"].id: r for r in weekly}
    late_by_rep = Counter(x.user.id for x in late)

    def measure(ids: list[int]) -> dict[str, Any]:
        mine = [by_rep[uid] for uid in ids if uid in by_rep]
        return {
            "reps": len(mine),
            "actions": sum(r["actions"] for r in mine),
            "short": sum(1 for r in mine if r["shortfall"]),
            "late": sum(late_by_rep[uid] for uid in ids),
        }

    lines = view.lines(sorted(set(by_rep) | set(late_by_rep)), lambda uid: uid, measure)
    return TeamPage(
        view, lines, view.shown(late, lambda x: x.user.id), view.shown(weekly, lambda r: r["user"].id)
    )


def monday_shortfalls(session: Session, as_of: date) -> dict[str, list[Any]]:
    """WORK-4: on Mondays, last week's shortfalls go to the sales managers and the GM (once a week)."""
    if as_of.weekday() != 0:
        return {"actions_short": []}
    last_monday = as_of - timedelta(days=7)
    rows = [r for r in weekly_actions(session, sales_rep_people(session), last_monday) if r["shortfall"]]
    if rows:
        names = [
            {"name": r["user"].display_name, "actions": r["actions"], "minimum": r["minimum"]}
            for r in rows[:30]
        ]
        recipients = set(role_holders(session, "sales_manager")) | set(role_holders(session, "gm"))
        week = last_monday.isoformat()
        notify_many(
            session,
            {uid: {"week": week, "n": len(rows), "names": names, **SHORT_NAMES} for uid in recipients},
            "weekly_activity_short",
            "{week} 当周商机行动不足的销售 {n} 人：{names}",
            link=f"/work/team?week={week}",
            rule="WORK-4",
            dedupe_key=f"work4:{week}",
        )
    return {"actions_short": [r["user"].id for r in rows]}
