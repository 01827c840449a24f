"""Work record pages (WORK-1..4): reports with their templates, trips, expenses and the team view
(late reports, silent travellers, weekly activity). Every action goes through the work services,
exactly like the API."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from poolcrm.calendar.rules import add_months
from poolcrm.customers.visibility import visible_ids
from poolcrm.errors import InvalidInput
from poolcrm.org.models import User
from poolcrm.org.service import users_by_id
from poolcrm.policy.service import company_today, get_policy
from poolcrm.web.deps import DB, CurrentUser, FormBody, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import amount, optional_int, run_form, text, whole_number
from poolcrm.web.render import page
from poolcrm.work import activity, choices, expenses, files, output, reports, rules, trips
from poolcrm.work.schemas import ExpenseIn, TripIn, TripReportIn

router = APIRouter(route_class=OneStepRoute)
TABS = (
    ("/work/reports", "工作报告"),
    ("/work/trips", "出差"),
    ("/work/expenses", "费用报销"),
    ("/work/team", "团队"),
)


def _render(request: Request, db: DB, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A work page: the section's tabs, the flash message, the company's zone (via `page`)."""
    return page(request, template, status_code=status, db=db, tabs=TABS, **context)


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput({field: "日期格式不正确"}) from exc


# ---------------------------------------------------------------- reports (WORK-1)


def _reports_page(
    request: Request, db: DB, user: User, flash: str | None = None, status: int = 200
) -> HTMLResponse:
    today = company_today(db)
    return _render(
        request,
        db,
        "work/reports.html",
        status,
        items=reports.reports_out(db, reports.list_reports(db, user)),
        kinds=rules.KIND_LABELS,
        defaults={k: rules.previous_period(k, today).key for k in rules.KINDS},
        flash=flash,
    )


@router.get("/work", response_class=HTMLResponse)
@router.get("/work/reports", response_class=HTMLResponse)
def reports_list(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    return _reports_page(request, db, user)


@router.post("/work/reports", response_model=None)
def reports_file(
    request: Request,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    form: FormBody,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    content = file.file.read() if file is not None else b""
    name = (file.filename or "") if file is not None else ""
    return run_form(
        db,
        lang,
        lambda: reports.file_report(
            db, user, text(form, "kind"), text(form, "period"), text(form, "body"), name, content
        ),
        lambda r: f"/work/reports/{r.id}",
        lambda flash, status: _reports_page(request, db, user, flash, status),
    )


def _report_page(
    request: Request, db: DB, user: User, report_id: int, flash: str | None = None, status: int = 200
) -> HTMLResponse:
    report = reports.get_report(db, user, report_id)
    return _render(
        request,
        db,
        "work/report.html",
        status,
        r=reports.report_out(db, report),
        author=db.get(User, report.user_id),
        may_read=report.user_id != user.id and report.status != "read",
        kinds=rules.KIND_LABELS,
        flash=flash,
    )


@router.get("/work/reports/{report_id}", response_class=HTMLResponse)
def report_detail(request: Request, report_id: int, user: CurrentUser, db: DB) -> HTMLResponse:
    return _report_page(request, db, user, report_id)


@router.post("/work/reports/{report_id}/read", response_model=None)
def report_read(
    request: Request, report_id: int, user: CurrentUser, db: DB, lang: Lang, form: FormBody
) -> Response:
    return run_form(
        db,
        lang,
        lambda: reports.mark_read(db, user, report_id, text(form, "comment")),
        lambda r: f"/work/reports/{r.id}",
        lambda flash, status: _report_page(request, db, user, report_id, flash, status),
    )


# ---------------------------------------------------------------- trips (WORK-2)


def _trips_page(
    request: Request, db: DB, user: User, flash: str | None = None, status: int = 200
) -> HTMLResponse:
    return _render(
        request,
        db,
        "work/trips.html",
        status,
        items=[output.trip_out(db, t) for t in output.list_trips(db, user)],
        customers=choices.my_customers(db, user),
        today=company_today(db).isoformat(),
        flash=flash,
    )


@router.get("/work/trips", response_class=HTMLResponse)
def trips_list(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    return _trips_page(request, db, user)


@router.post("/work/trips", response_model=None)
def trips_plan(request: Request, user: CurrentUser, db: DB, lang: Lang, form: FormBody) -> Response:
    def run() -> Any:
        ids = [optional_int(str(v)) for v in form.getlist("customer_ids")]
        data = TripIn(
            region=text(form, "region"),
            start_on=_day(text(form, "start_on"), "start_on"),
            end_on=_day(text(form, "end_on"), "end_on"),
            purpose=text(form, "purpose"),
            customer_ids=[i for i in ids if i is not None],
        )
        return trips.plan_trip(db, user, data)

    return run_form(
        db, lang, run, lambda t: f"/work/trips/{t.id}", lambda f, s: _trips_page(request, db, user, f, s)
    )


def _trip_page(
    request: Request, db: DB, user: User, trip_id: int, flash: str | None = None, status: int = 200
) -> HTMLResponse:
    trip = trips.get_trip(db, user, trip_id)
    shown = output.trip_out(db, trip, full=True)
    return _render(
        request,
        db,
        "work/trip.html",
        status,
        t=shown,
        seen_customers=visible_ids(db, user, [c["id"] for c in shown["customers"]]),
        mine=trip.user_id == user.id,
        flash=flash,
    )


@router.get("/work/trips/{trip_id}", response_class=HTMLResponse)
def trip_detail(request: Request, trip_id: int, user: CurrentUser, db: DB) -> HTMLResponse:
    return _trip_page(request, db, user, trip_id)


@router.post("/work/trips/{trip_id}/{action}", response_model=None)
def trip_action(
    request: Request, trip_id: int, action: str, user: CurrentUser, db: DB, lang: Lang, form: FormBody
) -> Response:
    def run() -> Any:
        if action in ("approve", "reject"):
            return trips.decide_trip(db, user, trip_id, action == "approve", text(form, "reason"))
        if action == "report":
            data = TripReportIn(
                purpose=text(form, "purpose"),
                result=text(form, "result"),
                next_plan=text(form, "next_plan"),
                started_at=_moment(text(form, "started_at"), db, "started_at"),
                ended_at=_moment(text(form, "ended_at"), db, "ended_at"),
            )
            return trips.report_trip(db, user, trip_id, data)
        raise InvalidInput({"action": "未知操作"})

    return run_form(
        db,
        lang,
        run,
        lambda t: f"/work/trips/{trip_id}",
        lambda f, s: _trip_page(request, db, user, trip_id, f, s),
    )


def _moment(value: str, db: DB, field: str) -> datetime:
    """A `datetime-local` field, read in the company's zone (CAL-2)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput({field: "时间格式不正确"}) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(get_policy(db).timezone))


# ---------------------------------------------------------------- expenses (WORK-3)


def _expenses_page(
    request: Request, db: DB, user: User, flash: str | None = None, status: int = 200
) -> HTMLResponse:
    return _render(
        request,
        db,
        "work/expenses.html",
        status,
        items=output.expense_rows(db, output.list_expenses(db, user)),
        types=get_policy(db).expense_types,
        customers=choices.my_customers(db, user),
        actions=choices.recent_actions(db, user),
        my_trips=choices.my_trips(db, user),
        today=company_today(db).isoformat(),
        finance=rules.may_reimburse(user.roles),
        totals=_month_totals(db, user),
        flash=flash,
    )


def _month_totals(db: DB, user: User) -> list[dict[str, Any]]:
    first = company_today(db).replace(day=1)
    after = add_months(first, 1)
    rows = expenses.monthly_totals(db, user, first, after)
    people = users_by_id(db, [r.user_id for r in rows])
    return [{"name": people[r.user_id].display_name if r.user_id in people else "", "t": r} for r in rows]


@router.get("/work/expenses", response_class=HTMLResponse)
def expenses_list(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    return _expenses_page(request, db, user)


@router.post("/work/expenses", response_model=None)
def expenses_create(request: Request, user: CurrentUser, db: DB, lang: Lang, form: FormBody) -> Response:
    def run() -> Any:
        data = ExpenseIn(
            spent_on=_day(text(form, "spent_on"), "spent_on"),
            type=text(form, "type"),
            amount=amount(form, "amount") if text(form, "amount") else Decimal("0"),
            description=text(form, "description"),
            customer_id=optional_int(text(form, "customer_id")),
            followup_id=optional_int(text(form, "followup_id")),
            deal_progress_id=optional_int(text(form, "deal_progress_id")),
            trip_id=optional_int(text(form, "trip_id")),
        )
        return expenses.create_expense(db, user, data)

    return run_form(
        db,
        lang,
        run,
        lambda e: f"/work/expenses/{e.id}",
        lambda f, s: _expenses_page(request, db, user, f, s),
    )


def _expense_page(
    request: Request, db: DB, user: User, expense_id: int, flash: str | None = None, status: int = 200
) -> HTMLResponse:
    expense = expenses.get_expense(db, user, expense_id)
    return _render(
        request,
        db,
        "work/expense.html",
        status,
        e=output.expense_out(db, expense),
        seen_customers=visible_ids(db, user, [expense.customer_id]),
        mine=expense.user_id == user.id,
        finance=rules.may_reimburse(user.roles),
        flash=flash,
    )


@router.get("/work/expenses/{expense_id}", response_class=HTMLResponse)
def expense_detail(request: Request, expense_id: int, user: CurrentUser, db: DB) -> HTMLResponse:
    return _expense_page(request, db, user, expense_id)


@router.post("/work/expenses/{expense_id}/receipts", response_model=None)
def expense_receipt(
    request: Request,
    expense_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    file: Annotated[UploadFile, File()],
) -> Response:
    content, name = file.file.read(), file.filename or ""

    def run() -> Any:
        expense = expenses.get_expense(db, user, expense_id)
        if expense.user_id != user.id or expense.status != "draft":
            raise InvalidInput({"file": "只能给自己的草稿费用上传票据"}, rule="WORK-3")
        clean, kind = files.checked(db, "expense", name, content, "WORK-3")
        return files.store(db, "expense", expense.id, clean, kind, content, user.id)

    return run_form(
        db,
        lang,
        run,
        lambda _: f"/work/expenses/{expense_id}",
        lambda f, s: _expense_page(request, db, user, expense_id, f, s),
    )


@router.post("/work/expenses/{expense_id}/{action}", response_model=None)
def expense_action(
    request: Request, expense_id: int, action: str, user: CurrentUser, db: DB, lang: Lang, form: FormBody
) -> Response:
    def run() -> Any:
        if action == "submit":
            return expenses.submit_expense(db, user, expense_id)
        if action in ("approve", "reject"):
            return expenses.decide_expense(db, user, expense_id, action == "approve", text(form, "reason"))
        if action == "reimburse":
            return expenses.reimburse(db, user, expense_id)
        raise InvalidInput({"action": "未知操作"})

    return run_form(
        db,
        lang,
        run,
        lambda _: f"/work/expenses/{expense_id}",
        lambda f, s: _expense_page(request, db, user, expense_id, f, s),
    )


# ---------------------------------------------------------------- team view (WORK-1a, WORK-2, WORK-4)


@router.get("/work/team", response_class=HTMLResponse)
def team(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    week = request.query_params.get("week", "")
    today = activity.week_of(company_today(db))
    try:
        monday = activity.week_of(date.fromisoformat(week)) if week else today
    except ValueError:
        monday = today
    found = activity.team_page(db, user, monday, whole_number(request.query_params.get("team", "")))
    return _render(
        request,
        db,
        "work/team.html",
        found=found,
        silent=trips.silent_travellers(db, user),
        monday=monday,
        this_week=monday == today,
        weeks=(monday - timedelta(days=7), monday + timedelta(days=7) if monday < today else None),
        kinds=rules.KIND_LABELS,
        login_days=get_policy(db).trip_login_days,
    )
