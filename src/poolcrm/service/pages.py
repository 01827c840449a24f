"""Service desk pages: the queue and lists (cards on a phone), 新建工单 from the customer page, an
inbound call or the list, the ticket with its SLA clocks, actions, scans and log, statistics with
ECharts, the weekly complaint review, 工单评价, and the customer's rating page (no login, phone
first). Every action goes through the service modules, exactly like the API."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from poolcrm.customers.access import customer_for_read
from poolcrm.customers.models import IN_THE_CRM, Contact, Customer
from poolcrm.customers.visibility import visible_ids
from poolcrm.errors import AppError, InvalidInput, NotFound
from poolcrm.org.models import User
from poolcrm.policy.service import company_today, get_policy
from poolcrm.service import files, output, ratings, rules, sla, stats, tickets
from poolcrm.service.access import get_ticket, scoped
from poolcrm.service.api import assignee_filter
from poolcrm.service.models import Ticket
from poolcrm.service.schemas import TicketIn
from poolcrm.web.deps import DB, CurrentUser, FormBody, Lang, client_address, get_settings
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import flash_message, month_param, optional_int, run_form, text
from poolcrm.web.render import page
from poolcrm.web.sealed import seal, unseal

router = APIRouter(route_class=OneStepRoute)
PAGE_SIZE = 30
TABS = (
    ("queue", "待分配"),
    ("mine", "我的工单"),
    ("open", "处理中"),
    ("breached", "已超时"),
    ("all", "全部"),
)
SECTIONS = (
    ("/tickets", "工单"),
    ("/tickets/review", "投诉周报"),
    ("/tickets/ratings", "工单评价"),
    ("/tickets/stats", "服务统计"),
)


def _render(request: Request, db: DB, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return page(request, template, status_code=status, db=db, sections=SECTIONS, **context)


def _tab_filter(tab: str, user: User, request_type: str | None) -> output.TicketFilter:
    assignee_id, unassigned = assignee_filter({"queue": "none", "mine": "me"}.get(tab), user.id)
    return output.TicketFilter(
        status="open" if tab in ("open", "breached") else None,
        assignee_id=assignee_id,
        unassigned=unassigned,
        breached=tab == "breached",
        request_type=request_type,
    )


def _default_tab(user: User) -> str:
    if rules.dispatches_tickets(user.roles):
        return "queue"
    return "mine" if rules.takes_tickets(user.roles) else "all"


@router.get("/tickets", response_class=HTMLResponse)
def ticket_list(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    qp = request.query_params
    tab = qp.get("tab") or _default_tab(user)
    tab = tab if tab in dict(TABS) else "all"
    request_type = qp.get("type") if qp.get("type") in rules.REQUEST_TYPES else None
    page_no = max(1, min(optional_int(qp.get("page", "1")) or 1, 100000))
    f = _tab_filter(tab, user, request_type)
    number = text(qp, "q").upper()
    if number:
        f = output.TicketFilter(q=number)
    items, total = output.list_tickets(db, user, f, page_no, PAGE_SIZE)
    return _render(
        request,
        db,
        "service/list.html",
        items=output.tickets_out(db, items),
        total=total,
        capped=total > output.COUNT_CAP,
        page_no=page_no,
        page_size=PAGE_SIZE,
        tab=tab,
        tabs=TABS,
        type=request_type or "",
        types=rules.REQUEST_TYPES,
        q=number,
    )


def _customer_choices(db: DB, user: User, q: str) -> list[Customer]:
    """SVC-8a: CS and service staff find any customer in the CRM by name or code; others search
    the customers they can see."""
    if not q:
        return []
    query = select(Customer).where(
        Customer.pool.in_(IN_THE_CRM), (Customer.name.contains(q)) | (Customer.code == q)
    )
    found = list(db.scalars(query.order_by(Customer.id).limit(20)))
    if rules.opens_tickets_on_any_customer(user.roles):
        return found
    visible = []
    for c in found:
        try:
            visible.append(customer_for_read(db, user, c.id))
        except NotFound:
            continue
    return visible


def _new_page(
    request: Request, db: DB, user: User, values: dict[str, str], flash: str | None = None, status: int = 200
) -> HTMLResponse:
    customer_id = optional_int(values.get("customer_id", ""))
    customer = None
    if customer_id:
        customer = tickets.customer_for_ticket(db, user, customer_id)
    contacts = (
        list(db.scalars(select(Contact).where(Contact.customer_id == customer.id, Contact.active.is_(True))))
        if customer
        else []
    )
    return _render(
        request,
        db,
        "service/new.html",
        status,
        values=values,
        customer=customer,
        contacts=contacts,
        found=[] if customer else _customer_choices(db, user, values.get("q", "")),
        kinds=rules.KINDS,
        types=rules.REQUEST_TYPES,
        priorities=rules.PRIORITIES,
        emotions=rules.EMOTIONS,
        flash=flash,
        flash_kind="error",
    )


FIELDS = (
    "customer_id",
    "contact_id",
    "kind",
    "request_type",
    "priority",
    "emotion",
    "product",
    "description",
    "q",
)


@router.get("/tickets/new", response_class=HTMLResponse)
def ticket_new(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    values = {k: text(request.query_params, k) for k in FIELDS}
    values["priority"] = values["priority"] or "medium"
    return _new_page(request, db, user, values)


@router.post("/tickets/new", response_model=None)
def ticket_create(form: FormBody, request: Request, user: CurrentUser, db: DB, lang: Lang) -> Response:
    values = {k: text(form, k) for k in FIELDS}

    def run() -> Ticket:
        data = TicketIn(
            customer_id=optional_int(values["customer_id"]) or 0,
            contact_id=optional_int(values["contact_id"]),
            kind=values["kind"],
            request_type=values["request_type"],
            priority=values["priority"] or "medium",
            description=values["description"],
            product=values["product"] or None,
            emotion=values["emotion"] or None,
        )
        return tickets.open_ticket(db, user, data)

    return run_form(
        db,
        lang,
        run,
        lambda t: f"/tickets/{t.id}",
        lambda flash, status: _new_page(request, db, user, values, flash, status),
    )


@router.get("/tickets/stats", response_class=HTMLResponse)
def stats_page(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    qp = request.query_params
    today = company_today(db)
    try:
        first = month_param(text(qp, "period") or None, "period", today)
    except InvalidInput:
        first = today.replace(day=1)
    kind = qp.get("kind") if qp.get("kind") in rules.KINDS else None
    data = {by: stats.ticket_stats(db, user, by, first, kind) for by in stats.BY}
    return _render(
        request,
        db,
        "service/stats.html",
        data=data,
        charts_json=json.dumps({k: v["rows"] for k, v in data.items()}, ensure_ascii=False).replace(
            "</", "<\\/"
        ),
        period=f"{first:%Y-%m}",
        kind=kind or "",
        seen_customers=visible_ids(db, user, [r["key"] for r in data["customer"]["rows"][:20]]),
        kinds=rules.KINDS,
    )


def _monday(value: str, today: date) -> date:
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    return day - timedelta(days=day.weekday())


def _review_page(
    request: Request, db: DB, user: User, monday: date, flash: str | None = None, status: int = 200
) -> HTMLResponse:
    rows = stats.week_complaints(db, user, monday)
    causes: dict[str, int] = {}
    for t in rows:
        key = t.complaint_cause or "未归类"
        causes[key] = causes.get(key, 0) + 1
    return _render(
        request,
        db,
        "service/review.html",
        status,
        items=list(zip(output.tickets_out(db, rows), rows, strict=True)),
        causes=sorted(causes.items(), key=lambda kv: -kv[1]),
        cause_choices=get_policy(db).complaint_causes,
        monday=monday,
        sunday=monday + timedelta(days=6),
        prev=(monday - timedelta(days=7)).isoformat(),
        next=(monday + timedelta(days=7)).isoformat(),
        may_review=rules.reviews_complaints(user.roles),
        flash=flash,
        flash_kind="error",
    )


@router.get("/tickets/review", response_class=HTMLResponse)
def review_page(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    return _review_page(request, db, user, _monday(text(request.query_params, "week"), company_today(db)))


@router.post("/tickets/{ticket_id}/review", response_model=None)
def review_save(
    form: FormBody, request: Request, ticket_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    monday = _monday(text(form, "week"), company_today(db))
    return run_form(
        db,
        lang,
        lambda: stats.review_complaint(
            db, user, ticket_id, text(form, "cause"), text(form, "action"), form.get("done") == "on"
        ),
        lambda _: f"/tickets/review?week={monday.isoformat()}",
        lambda flash, status: _review_page(request, db, user, monday, flash, status),
    )


@router.get("/tickets/ratings", response_class=HTMLResponse)
def ratings_page(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    """SVC-6 工单评价: the customers' ratings, newest first."""
    query = scoped(db, user, select(Ticket).where(Ticket.rated_at.is_not(None)))
    rows = list(db.scalars(query.order_by(Ticket.rated_at.desc()).limit(100)))
    return _render(request, db, "service/ratings.html", items=output.tickets_out(db, rows))


def _detail(
    request: Request,
    db: DB,
    user: User,
    ticket_id: int,
    flash: str | None = None,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    ticket = get_ticket(db, user, ticket_id)
    assignee = ticket.assignee_id == user.id
    allowed = rules.allowed_actions(ticket.status)  # SVC-2: what the state machine offers
    return _render(
        request,
        db,
        "service/detail.html",
        status,
        t=output.ticket_out(db, ticket, full=True),
        seen_customers=visible_ids(db, user, [ticket.customer_id]),
        may_dispatch=rules.dispatches_tickets(user.roles),
        may_accept=assignee and "accept" in allowed,
        allowed=allowed,
        may_work=rules.works_ticket(user.roles, assignee),
        may_follow=rules.follows_ticket(user.roles, assignee),
        may_review=rules.reviews_complaints(user.roles),
        staff=tickets.staff_choices(db) if rules.dispatches_tickets(user.roles) else [],
        doc_types=rules.DOC_TYPES,
        emotions=rules.EMOTIONS,
        log_names=rules.LOG_NAMES,
        deadline_names=sla.DEADLINE_NAMES,
        cause_choices=get_policy(db).complaint_causes,
        flash=flash,
        flash_kind="error" if flash else "ok",
        **extra,
    )


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_detail(
    request: Request, ticket_id: int, user: CurrentUser, db: DB, link: str | None = None
) -> HTMLResponse:
    """The ticket; `link` (where issuing a rating link redirects, signed for this user) shows the
    fresh link and the message prepared for the customer (SVC-6)."""
    token = unseal(request, user.id, link)
    if not isinstance(token, str):
        return _detail(request, db, user, ticket_id)
    url = str(request.base_url).rstrip("/") + f"/rate/{token}"
    message = ratings.sms_text(get_ticket(db, user, ticket_id), url, get_policy(db).rating_link_days)
    return _detail(request, db, user, ticket_id, rating_url=url, rating_text=message)


@router.post("/tickets/{ticket_id}/rating-link", response_model=None)
def rating_link(
    form: FormBody, request: Request, ticket_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    """SVC-6: a fresh link, then POST-redirect-GET to the ticket, which shows it with the message
    prepared for the customer (a refresh issues no second link)."""
    try:
        token, ticket, _ = ratings.issue_link(db, user, ticket_id, get_settings(request).secret_key)
    except (AppError, ValidationError) as exc:
        db.rollback()
        if isinstance(exc, AppError) and exc.status == 404:
            raise
        return _detail(request, db, user, ticket_id, flash_message(exc, lang), 409)
    return RedirectResponse(f"/tickets/{ticket.id}?link={seal(request, user.id, token)}", status_code=303)


def _action(db: DB, user: User, ticket_id: int, action: str, form: Any) -> Any:
    if action == "assign":
        user_id = optional_int(text(form, "user_id")) or 0
        return tickets.assign_ticket(db, user, ticket_id, user_id, form.get("reassign") == "on")
    if action == "accept":
        return tickets.accept_ticket(db, user, ticket_id)
    if action == "log":
        return tickets.add_log(db, user, ticket_id, text(form, "text"))
    if action == "resolve":
        return tickets.resolve_ticket(db, user, ticket_id, text(form, "result"))
    if action == "close":
        return tickets.close_ticket(db, user, ticket_id, form.get("customer_confirmed") == "on")
    if action == "abandon":
        return tickets.abandon_ticket(db, user, ticket_id, text(form, "reason"))
    raise NotFound()


@router.post("/tickets/{ticket_id}/attachments", response_model=None)
def ticket_upload(
    request: Request,
    ticket_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    file: Annotated[UploadFile, File()],
    doc_type: Annotated[str, Form(max_length=20)] = "other",
) -> Response:
    content, name = file.file.read(tickets.max_upload_bytes(db) + 1), file.filename or ""
    return run_form(
        db,
        lang,
        lambda: files.attach_file(db, user, ticket_id, doc_type, name, content),
        lambda _: f"/tickets/{ticket_id}",
        lambda flash, status: _detail(request, db, user, ticket_id, flash, status),
    )


@router.post("/tickets/{ticket_id}/{action}", response_model=None)
def ticket_action(
    form: FormBody, request: Request, ticket_id: int, action: str, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    return run_form(
        db,
        lang,
        lambda: _action(db, user, ticket_id, action, form),
        lambda _: f"/tickets/{ticket_id}",
        lambda flash, status: _detail(request, db, user, ticket_id, flash, status),
    )


def _rate_page(
    request: Request, token: str, state: str, ticket: Ticket | None, status: int = 200, **extra: Any
) -> HTMLResponse:
    return page(
        request, "service/rate.html", status_code=status, token=token, state=state, ticket=ticket, **extra
    )


@router.get("/rate/{token}", response_class=HTMLResponse)
def rate_form(request: Request, token: str, db: DB, done: str | None = None) -> HTMLResponse:
    """SVC-6: the customer's page — no login, phone first; a forged, used or expired link says so.
    `done` (where the rating redirects): the thanks for the rating this link gave."""
    check = ratings.check_link(db, token[:500], get_settings(request).secret_key)
    if done and check.state == ratings.USED and check.link and check.link.used_at and check.ticket:
        return _rate_page(request, token, "thanks", check.ticket, score=check.ticket.rating_score or 0)
    status = (
        200 if check.state == ratings.OK else 410 if check.state in (ratings.USED, ratings.EXPIRED) else 404
    )
    return _rate_page(request, token, check.state, check.ticket, status)


@router.post("/rate/{token}", response_model=None)
def rate_submit(form: FormBody, request: Request, token: str, db: DB, lang: Lang) -> Response:
    """SVC-6: the customer's rating, then POST-redirect-GET to the thanks (a refresh rates nothing)."""
    score = optional_int(text(form, "score"))
    comment = text(form, "comment")
    try:
        check = ratings.rate(
            db, token[:500], get_settings(request).secret_key, score, comment, client_address(request)
        )
    except (AppError, ValidationError) as exc:
        db.rollback()
        check = ratings.check_link(db, token[:500], get_settings(request).secret_key)
        status = exc.status if isinstance(exc, AppError) else 422
        return _rate_page(request, token, check.state, check.ticket, status, error=flash_message(exc, lang))
    if check.state != ratings.OK:
        status = 410 if check.state in (ratings.USED, ratings.EXPIRED) else 404
        return _rate_page(request, token, check.state, check.ticket, status)
    return RedirectResponse(f"/rate/{token}?done=1", status_code=303)
