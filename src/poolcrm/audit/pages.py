"""The audit trail page (GOV-1): every state change, newest first, filtered by actor, object,
action and date range (days in the company's zone), fifty to a page."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from poolcrm.audit import labels, service
from poolcrm.audit.models import AuditEntry
from poolcrm.customers.models import Customer
from poolcrm.i18n import translate
from poolcrm.org.service import list_users
from poolcrm.policy.service import get_policy
from poolcrm.web.deps import DB, AdminUser, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import clean, optional_int
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)
PAGE_SIZE = 50
MAX_PAGE = 100_000
OBJECT_LINKS = {"user": "/admin/users/{id}", "customer": "/customers/{id}", "deal": "/deals/{id}"}


@dataclass(frozen=True)
class AuditFilters:
    actor: int | None
    action: str
    object_type: str
    object_id: str
    since: date | None  # days in the company's zone, both ends included
    until: date | None


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def changes(before: Any, after: Any) -> list[Change]:
    """What an entry changed: per key for objects, the whole value otherwise."""
    if isinstance(before, dict) or isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        new = after if isinstance(after, dict) else {}
        keys = list(dict.fromkeys([*old, *new]))
        return [Change(k, _show(old.get(k)), _show(new.get(k))) for k in keys if old.get(k) != new.get(k)]
    if before == after:
        return []
    return [Change("", _show(before), _show(after))]


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def sentence(entry: AuditEntry, actor: str, codes: dict[int, str], lang: str) -> str:
    """GOV-1 in words: "张伟 把 客户 ABC2026001 从 私海 移到 待分配" — who, what, to which object
    (its code where it has one), and for a move the pools it went between."""
    thing = labels.object_text(entry.object_type)
    ident = entry.object_id or ""
    if entry.object_type == "customer" and ident.isdigit():
        ident = codes.get(int(ident), ident)
    target = f"{translate(thing, lang)} {ident}".strip()
    if entry.action == "customer.move" and isinstance(entry.before, dict) and isinstance(entry.after, dict):
        before = labels.POOLS.get(str(entry.before.get("pool")), str(entry.before.get("pool")))
        after = labels.POOLS.get(str(entry.after.get("pool")), str(entry.after.get("pool")))
        return translate(
            "{actor} 把 {target} 从 {before} 移到 {after}",
            lang,
            actor=actor,
            target=target,
            before=translate(before, lang),
            after=translate(after, lang),
        )
    verb = translate(labels.action_text(entry.action), lang)
    return f"{actor} {verb} {target}".strip()


def object_link(entry: AuditEntry) -> str | None:
    pattern = OBJECT_LINKS.get(entry.object_type)
    if pattern is None or entry.object_id is None or not entry.object_id.isdigit():
        return None
    return pattern.format(id=entry.object_id)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, admin: AdminUser, db: DB, lang: Lang) -> HTMLResponse:
    qp = request.query_params
    zone = ZoneInfo(get_policy(db).timezone)
    filters = AuditFilters(
        actor=optional_int(qp.get("actor", "")),
        action=clean(qp.get("action"))[:80],
        object_type=clean(qp.get("object_type"))[:40],
        object_id=clean(qp.get("object_id"))[:80],
        since=_day(qp.get("since")),
        until=_day(qp.get("until")),
    )
    page_no = min(max(optional_int(qp.get("page", "")) or 1, 1), MAX_PAGE)
    rows, total, capped = service.search(
        db,
        actor_id=filters.actor,
        action=filters.action or None,
        object_type=filters.object_type or None,
        object_id=filters.object_id or None,
        since=datetime.combine(filters.since, time.min, zone) if filters.since else None,
        until=datetime.combine(filters.until + timedelta(days=1), time.min, zone) if filters.until else None,
        page=page_no,
        page_size=PAGE_SIZE,
    )
    actions, object_types = service.facets(db)
    people = list_users(db)
    names = {u.id: u.display_name for u in people}
    customer_ids = {
        int(e.object_id)
        for e in rows
        if e.object_type == "customer" and e.object_id is not None and e.object_id.isdigit()
    }
    codes = dict(
        db.execute(select(Customer.id, Customer.code).where(Customer.id.in_(sorted(customer_ids)))).all()
    )
    system = translate("系统", lang)
    query = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(filters).items() if v}
    return page(
        request,
        "audit/audit.html",
        db=db,
        entries=[
            (
                e,
                changes(e.before, e.after),
                object_link(e),
                sentence(e, names.get(e.actor_id or 0, system), codes, lang),
            )
            for e in rows
        ],
        total=total,
        capped=capped,
        page_size=PAGE_SIZE,
        page_no=page_no,
        pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        filters=filters,
        query=urlencode(query),
        actions=[(a, translate(labels.action_text(a), lang)) for a in actions],  # GOV-1: in words
        object_types=[(t, translate(labels.object_text(t), lang)) for t in object_types],
        object_names={t: translate(text, lang) for t, text in labels.OBJECTS.items()},
        people=people,
        names=names,
    )
