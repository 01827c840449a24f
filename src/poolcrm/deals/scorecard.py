"""The VIO-4 quota scorecard: core and high-growth customers per rep and their contact cadence."""

from __future__ import annotations

from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.customers.models import POOL_PRIVATE, Customer
from poolcrm.deals import rules
from poolcrm.deals.access import OPEN
from poolcrm.deals.models import (
    Deal,
)
from poolcrm.followups.models import FollowUp
from poolcrm.org.models import User
from poolcrm.org.service import visible_owner_clause
from poolcrm.org.teams import team_view
from poolcrm.policy.service import get_policy


def _deal_customers(session: Session, rep_ids: list[int]) -> dict[int, dict[str, Any]]:
    """VIO-4: the reps' direct private customers with open or won deals — their categories, the
    nearest mid/short close date and whether one was won."""
    rows = session.execute(
        select(Customer.id, Customer.name, Customer.owner_id, Deal.category, func.min(Deal.expected_close_on))
        .join(Deal, Deal.customer_id == Customer.id)
        .where(
            Customer.owner_id.in_(rep_ids),
            Customer.pool == POOL_PRIVATE,
            Customer.customer_type == "direct",
            Deal.category.in_((*OPEN, *rules.CONTRACTED)),
        )
        .group_by(Customer.id, Customer.name, Customer.owner_id, Deal.category)
    ).all()
    per_customer: dict[int, dict[str, Any]] = {}
    for cid, name, owner_id, category, nearest in rows:
        slot = per_customer.setdefault(
            cid, {"name": name, "owner": owner_id, "cats": set(), "nearest": None, "won": False}
        )
        if category in rules.CONTRACTED:
            slot["won"] = True
        else:
            slot["cats"].add(category)
            if category in (rules.MID, rules.SHORT) and (
                slot["nearest"] is None or nearest < slot["nearest"]
            ):
                slot["nearest"] = nearest
    return per_customer


def _last_valid_contacts(session: Session, ids: list[int], zone: str) -> dict[int, date]:
    """VIO-4: each customer's last valid follow-up day in the company's zone (500 ids a query)."""
    last_contact: dict[int, date] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for cid, at in session.execute(
            select(FollowUp.customer_id, func.max(FollowUp.created_at))
            .where(FollowUp.customer_id.in_(chunk), FollowUp.valid.is_(True))
            .group_by(FollowUp.customer_id)
        ).all():
            if at is not None:
                moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
                last_contact[cid] = clock.local_date(clock.as_utc(moment), zone)
    return last_contact


def scorecard(session: Session, user: User, *, rep_id: int | None = None) -> list[dict[str, Any]]:
    """VIO-4: per rep, core customers (≥ quota_core_customers; short deals contacted weekly, mid every
    2 weeks) and high-growth customers (≥ quota_high_growth_customers; contacted monthly)."""

    policy = get_policy(session)
    today = clock.today(policy.timezone)
    scope = visible_owner_clause(user, User.id)  # ORG-2 joined, not bound as ids
    reps_q = select(User.id, User.display_name).where(User.active.is_(True), User.role_rows.any(role="sales"))
    if scope is not None:
        reps_q = reps_q.where(scope)
    if rep_id is not None:
        reps_q = reps_q.where(User.id == rep_id)
    reps = list(session.execute(reps_q.order_by(User.id)))  # names: a sales force is thousands
    if not reps:
        return []
    per_customer = _deal_customers(session, [r.id for r in reps])
    last_contact = _last_valid_contacts(session, list(per_customer), policy.timezone)
    cards: dict[int, dict[str, Any]] = {
        r.id: {
            "user": {"id": r.id, "display_name": r.display_name},
            "core": {"count": 0, "quota": policy.quota_core_customers, "contact_ok": 0, "customers": []},
            "high_growth": {
                "count": 0,
                "quota": policy.quota_high_growth_customers,
                "contact_ok": 0,
                "customers": [],
            },
        }
        for r in reps
    }
    for cid, slot in per_customer.items():
        facts = rules.CustomerDeals(
            cid, frozenset(slot["cats"]), slot["nearest"], slot["won"], last_contact.get(cid)
        )
        klass = rules.scorecard_class(facts, today, policy.core_deal_months)
        if klass is None:
            continue
        cadence = rules.contact_cadence_days(
            facts, klass, policy.core_contact_days, policy.high_growth_contact_days
        )
        ok = rules.contact_ok(facts.last_contact_on, today, cadence)
        part = cards[slot["owner"]][klass]
        part["count"] += 1
        part["contact_ok"] += int(ok)
        part["customers"].append(
            {
                "id": cid,
                "name": slot["name"],
                "cadence_days": cadence,
                "contact_ok": ok,
                "last_contact_on": facts.last_contact_on.isoformat() if facts.last_contact_on else None,
                "categories": sorted(slot["cats"]) + (["won"] if slot["won"] else []),
            }
        )
    out = []
    for card in cards.values():
        for part in (card["core"], card["high_growth"]):
            part["meets_quota"] = part["count"] >= part["quota"]
            part["customers"].sort(key=lambda c: (c["contact_ok"], c["name"]))
        out.append(card)
    return out


def by_team(session: Session, cards: list[dict[str, Any]], team: int | None) -> dict[str, Any]:
    """VIO-4 for a nationwide company (org/teams.py): a line per team — its reps, how many meet
    each quota, core customers contacted on time — and the chosen team's cards (every card while
    they fit a page)."""
    rep = itemgetter("user")
    view = team_view(session, [rep(c)["id"] for c in cards], team)

    def measure(mine: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "reps": len(mine),
            "core_met": sum(1 for c in mine if c["core"]["meets_quota"]),
            "high_growth_met": sum(1 for c in mine if c["high_growth"]["meets_quota"]),
            "core_ok": sum(c["core"]["contact_ok"] for c in mine),
            "core": sum(c["core"]["count"] for c in mine),
        }

    return {
        "teams": view,
        "lines": view.lines(cards, lambda c: rep(c)["id"], measure),
        "cards": view.shown(cards, lambda c: rep(c)["id"]),
    }
