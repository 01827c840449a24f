"""Dashboard cards: my open deals, pipeline amount, overdue ones first (DEAL-2, DEAL-9); a supervisor's
team pipeline and the GM's company funnel by stage (GOV-6)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from poolcrm.deals import output
from poolcrm.deals.analytics import stage_pipeline
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import subordinate_rep_people
from poolcrm.policy.service import company_day_start, company_today, get_policy
from poolcrm.web.dashboard import widget


@widget(order=40)
def my_deals(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    if not org_rules.holds_pool(user.roles):
        return None
    deals, total, _ = output.list_deals(
        session, user, output.DealFilter(owner=user.id, state="open"), page_size=500
    )
    policy = get_policy(session)
    lk = output.lookups(session, deals)
    rows = [output.deal_out(session, d, lk, policy=policy) for d in deals]
    overdue = [r for r in rows if r["overdue"]]
    soonest = sorted(rows, key=lambda r: (not r["overdue"], r["due_on"] or "9999"))[:5]
    return "deals/widget.html", {
        "open": total,
        "overdue": len(overdue),
        "amount": sum(r["amount"] for r in rows),
        "weighted": sum(r["weighted_amount"] for r in rows),
        "deals": soonest,
    }


def _month_start(session: Session) -> Any:
    return company_day_start(session, company_today(session).replace(day=1))


@widget(order=22)
def team_pipeline(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    """GOV-6: a supervisor's team (ORG-2: the reps below them) — deals by stage, count and amount."""
    if not org_rules.leads_team(user.roles) or org_rules.runs_company(user.roles):
        return None
    reps = subordinate_rep_people(session, user.id)
    if not reps:
        return None
    figures = stage_pipeline(session, [r.id for r in reps], _month_start(session))
    return "deals/widget_stages.html", {"title": "团队跟单阶段", "testid": "widget-team-deals", **figures}


@widget(order=12)
def company_funnel(session: Session, user: User, lang: str) -> tuple[str, dict[str, Any]] | None:
    """GOV-6: the GM's company funnel — every deal by stage, and what was won this month."""
    if not org_rules.runs_company(user.roles):
        return None
    figures = stage_pipeline(session, None, _month_start(session))
    return "deals/widget_stages.html", {"title": "公司销售漏斗", "testid": "widget-funnel", **figures}
