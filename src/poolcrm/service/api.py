"""Service desk API (API.md § Service desk): parse, call the service, return."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from poolcrm.errors import InvalidInput
from poolcrm.policy.service import company_today, get_policy
from poolcrm.service import files, output, ratings, rules, stats, tickets
from poolcrm.service.access import get_ticket
from poolcrm.service.exports import stats_workbook
from poolcrm.service.schemas import AbandonIn, AssignIn, CloseIn, ResolveIn, ReviewIn, TextIn, TicketIn
from poolcrm.sheets import attachment
from poolcrm.web.deps import DB, CurrentUser, get_settings
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import month_param, whole_number

router = APIRouter(route_class=OneStepRoute, tags=["service"])


@router.post("/tickets", status_code=201)
def open_ticket(body: TicketIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.ticket_out(db, tickets.open_ticket(db, user, body), full=True)


def assignee_filter(value: str | None, user_id: int) -> tuple[int | None, bool]:
    """`assignee=` is a user id, `me`, or `none` (the unassigned queue)."""
    if value in (None, ""):
        return None, False
    if value == "me":
        return user_id, False
    if value == "none":
        return None, True
    if (assignee := whole_number(value)) is not None:
        return assignee, False
    raise InvalidInput({"assignee": "须为用户编号、me 或 none"})


def _choice(value: str | None, allowed: Any, field: str) -> str | None:
    if value and value not in allowed:
        raise InvalidInput({field: "取值无效"})
    return value or None


@router.get("/tickets")
def list_tickets(
    user: CurrentUser,
    db: DB,
    status: str | None = Query(None, max_length=12),
    assignee: str | None = Query(None, max_length=12),
    customer_id: int | None = None,
    breached: bool = False,
    request_type: str | None = Query(None, max_length=20),
    kind: str | None = Query(None, max_length=20),
    q: str | None = Query(None, max_length=20),
    page: int = Query(1, ge=1, le=100000),
    page_size: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    assignee_id, unassigned = assignee_filter(assignee, user.id)
    f = output.TicketFilter(
        status=_choice(status, (*rules.STATUS_NAMES, "open"), "status"),
        assignee_id=assignee_id,
        unassigned=unassigned,
        customer_id=customer_id,
        breached=breached,
        request_type=_choice(request_type, rules.REQUEST_TYPES, "request_type"),
        kind=_choice(kind, rules.KINDS, "kind"),
        q=q,
    )
    items, total = output.list_tickets(db, user, f, page, page_size)
    return {
        "items": output.tickets_out(db, items),
        "total": min(total, output.COUNT_CAP),
        "more": total > output.COUNT_CAP,
        "page": page,
    }


@router.get("/tickets/stats")
def ticket_stats(
    user: CurrentUser,
    db: DB,
    by: str = Query("staff", max_length=10),
    period: str | None = Query(None, max_length=7),
    kind: str | None = Query(None, max_length=20),
) -> dict[str, Any]:
    """SVC-7: by staff, customer or product for a month (YYYY-MM, this month by default)."""
    return stats.ticket_stats(db, user, by, month_param(period, "period", company_today(db)), kind or None)


@router.get("/tickets/stats/export", response_model=None)
def export_stats(
    user: CurrentUser,
    db: DB,
    period: str | None = Query(None, max_length=7),
    kind: str | None = Query(None, max_length=20),
) -> Response:
    """SVC-7: the month's three rankings as an Excel workbook."""
    data, filename = stats_workbook(db, user, month_param(period, "period", company_today(db)), kind or None)
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=attachment(filename),
    )


@router.get("/tickets/{ticket_id}")
def read_ticket(ticket_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.ticket_out(db, get_ticket(db, user, ticket_id), full=True)


@router.post("/tickets/{ticket_id}/assign")
def assign(ticket_id: int, body: AssignIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.ticket_out(
        db, tickets.assign_ticket(db, user, ticket_id, body.user_id, body.reassign), full=True
    )


@router.post("/tickets/{ticket_id}/accept")
def accept(ticket_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.ticket_out(db, tickets.accept_ticket(db, user, ticket_id), full=True)


@router.post("/tickets/{ticket_id}/log")
def add_log(ticket_id: int, body: TextIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.ticket_out(db, tickets.add_log(db, user, ticket_id, body.text), full=True)


@router.post("/tickets/{ticket_id}/resolve")
def resolve(ticket_id: int, body: ResolveIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.ticket_out(db, tickets.resolve_ticket(db, user, ticket_id, body.result), full=True)


@router.post("/tickets/{ticket_id}/close")
def close(ticket_id: int, user: CurrentUser, db: DB, body: CloseIn | None = None) -> dict[str, Any]:
    confirmed = body.customer_confirmed if body is not None else False
    return output.ticket_out(db, tickets.close_ticket(db, user, ticket_id, confirmed), full=True)


@router.post("/tickets/{ticket_id}/abandon")
def abandon(ticket_id: int, body: AbandonIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.ticket_out(db, tickets.abandon_ticket(db, user, ticket_id, body.reason), full=True)


@router.post("/tickets/{ticket_id}/review")
def review(ticket_id: int, body: ReviewIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """SVC-5: a complaint's cause, improvement action and follow-through for the weekly review."""
    ticket = stats.review_complaint(db, user, ticket_id, body.cause, body.action, body.done)
    return output.ticket_out(db, ticket, full=True)


@router.post("/tickets/{ticket_id}/attachments", status_code=201)
def upload(
    ticket_id: int,
    user: CurrentUser,
    db: DB,
    file: UploadFile = File(...),
    doc_type: str = Form("other", max_length=20),
) -> dict[str, Any]:
    content = file.file.read(tickets.max_upload_bytes(db) + 1)
    row = files.attach_file(db, user, ticket_id, doc_type, file.filename or "", content)
    return {"id": row.id, "filename": row.filename, "size": row.size, "doc_type": row.doc_type}


@router.get("/attachments/{file_id}", response_model=None)
def download(file_id: int, user: CurrentUser, db: DB) -> Response:
    row = files.read_file(db, user, file_id)
    return Response(
        row.content,
        media_type=row.content_type,
        headers=attachment(row.filename),
    )


@router.get("/tickets/{ticket_id}/rating-link")
def rating_link(ticket_id: int, request: Request, user: CurrentUser, db: DB) -> dict[str, Any]:
    """SVC-6: a fresh one-time link for the customer, and the text prepared to send it."""
    token, ticket, expires = ratings.issue_link(db, user, ticket_id, get_settings(request).secret_key)
    url = str(request.base_url).rstrip("/") + f"/rate/{token}"
    days = get_policy(db).rating_link_days
    return {"url": url, "text": ratings.sms_text(ticket, url, days), "expires_at": expires.isoformat()}
