"""The CS inbox (CUS-9 registrations and claims with their duplicate candidates; CUS-13/CUS-14
requests), as one read for the page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm.applications import service as applications_service
from poolcrm.applications.models import STATUS_PENDING
from poolcrm.customers import checks
from poolcrm.customers import requests as customers_requests
from poolcrm.customers.models import Customer
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.org.service import users_by_id

INBOX_PAGE = 20
"""Applications per inbox page: each pending one's duplicate check (CUS-7) runs as the page is read
(all of them in one batch) — two hundred made the page the slowest under load (issue 22's Locust
run)."""


def inbox(session: Session, user: User, status: str, lang: str, page: int = 1) -> dict[str, Any]:
    """One page of the applications in `status` the user may see (ORG-5), oldest first, with
    duplicate candidates for the pending ones (CUS-7), and the pending customer requests."""
    apps, total, capped = applications_service.list_applications(
        session, user, status=status or None, page=page, page_size=INBOX_PAGE
    )
    wanted = [a.customer_id for a in apps]
    customers = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(wanted)))}
    people = users_by_id(session, [a.applicant_id for a in apps])
    checked = [
        c for a in apps if a.status == STATUS_PENDING and (c := customers.get(a.customer_id)) is not None
    ]
    found = checks.duplicates_many(
        session, [(c.name, (c.phone, c.mobile), {c.id}) for c in checked], lang=lang
    )
    dups = dict(zip([c.id for c in checked], found, strict=True))
    rows = [
        {
            "app": a,
            "customer": customers.get(a.customer_id),
            "applicant": people.get(a.applicant_id),
            "duplicates": dups.get(a.customer_id, []) if a.status == STATUS_PENDING else [],
            "kind": a.kind,
        }
        for a in apps
    ]
    requests = customers_requests.list_requests(session, user, "pending") if status == "pending" else []
    customers_by_id = {
        c.id: c
        for c in session.scalars(select(Customer).where(Customer.id.in_([r.customer_id for r in requests])))
    }
    return {
        "rows": rows,
        "total": total,
        "capped": capped,
        "page_no": page,
        "more": len(apps) == INBOX_PAGE and (capped or page * INBOX_PAGE < total),
        "requests": requests,
        "customers_by_id": customers_by_id,
        "ROLE_NAMES": org_rules.ROLE_NAMES,
    }
