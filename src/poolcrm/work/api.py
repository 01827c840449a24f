"""Work records and expenses API (API.md § Work records and expenses): parse, call the service, return."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from poolcrm import clock
from poolcrm.calendar.rules import add_months
from poolcrm.errors import InvalidInput, NotFound
from poolcrm.org.service import users_by_id
from poolcrm.policy.service import company_today, get_policy
from poolcrm.sheets import attachment, stamped_name
from poolcrm.web.deps import DB, CurrentUser
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import month_param
from poolcrm.work import activity, expenses, files, hr_templates, output, reports, rules, trips
from poolcrm.work.models import WorkFile
from poolcrm.work.schemas import DecisionIn, ExpenseIn, ReadIn, TripIn, TripReportIn

router = APIRouter(route_class=OneStepRoute, tags=["work"])


@router.post("/reports", status_code=201)
def file_report(
    user: CurrentUser,
    db: DB,
    kind: str = Form(..., max_length=10),
    period: str = Form(..., max_length=10),
    body: str = Form("", max_length=5000),
    file: UploadFile | None = File(None),
) -> dict[str, Any]:
    """WORK-1: multipart form — kind, period, the attachment (`file`, required), an optional body."""
    content = file.file.read() if file is not None else b""
    filename = (file.filename or "") if file is not None else ""
    report = reports.file_report(db, user, kind, period, body, filename, content)
    return reports.report_out(db, report)


@router.get("/reports")
def list_reports(
    user: CurrentUser, db: DB, user_id: int | None = None, status: str | None = Query(None, max_length=10)
) -> list[dict[str, Any]]:
    return reports.reports_out(db, reports.list_reports(db, user, user_id, status))


@router.get("/reports/late")
def late_reports(user: CurrentUser, db: DB) -> list[dict[str, Any]]:
    """WORK-1a: the actor's reps with a report missing or filed late for each kind's last period."""
    return [
        {
            "user": {"id": x.user.id, "display_name": x.user.display_name},
            "kind": x.kind,
            "period": x.period,
            "due_on": x.due_on.isoformat(),
            "state": x.state,
        }
        for x in reports.late_reports(db, user)
    ]


@router.get("/reports/templates/{kind}", response_model=None)
def report_template(kind: str, user: CurrentUser) -> Response:
    if kind not in rules.KINDS:
        raise NotFound()
    name, content_type, content = hr_templates.template_file(kind)
    return Response(content, media_type=content_type, headers=attachment(name))


@router.get("/reports/{report_id}")
def read_report(report_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return reports.report_out(db, reports.get_report(db, user, report_id))


@router.post("/reports/{report_id}/read")
def mark_read(report_id: int, body: ReadIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return reports.report_out(db, reports.mark_read(db, user, report_id, body.comment))


@router.post("/trips", status_code=201)
def plan_trip(body: TripIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.trip_out(db, trips.plan_trip(db, user, body), full=True)


@router.get("/trips")
def list_trips(
    user: CurrentUser, db: DB, status: str | None = Query(None, max_length=10)
) -> list[dict[str, Any]]:
    return [output.trip_out(db, t) for t in output.list_trips(db, user, status=status)]


@router.get("/trips/silent")
def silent(user: CurrentUser, db: DB) -> list[dict[str, Any]]:
    """WORK-2: travellers not seen for `trip_login_days`."""
    return [
        {"trip": output.trip_out(db, x["trip"]), "last_seen_on": str(x["last_seen_on"] or "")}
        for x in trips.silent_travellers(db, user)
    ]


@router.get("/trips/{trip_id}")
def read_trip(trip_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.trip_out(db, trips.get_trip(db, user, trip_id), full=True)


@router.post("/trips/{trip_id}/approve")
def approve_trip(trip_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.trip_out(db, trips.decide_trip(db, user, trip_id, True, None))


@router.post("/trips/{trip_id}/reject")
def reject_trip(trip_id: int, body: DecisionIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.trip_out(db, trips.decide_trip(db, user, trip_id, False, body.reason))


@router.post("/trips/{trip_id}/report")
def report_trip(trip_id: int, body: TripReportIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.trip_out(db, trips.report_trip(db, user, trip_id, body), full=True)


@router.post("/expenses", status_code=201)
def create_expense(body: ExpenseIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.expense_out(db, expenses.create_expense(db, user, body))


@router.get("/expenses")
def list_expenses(
    user: CurrentUser, db: DB, status: str | None = Query(None, max_length=12), user_id: int | None = None
) -> list[dict[str, Any]]:
    return output.expense_rows(db, output.list_expenses(db, user, status=status, user_id=user_id))


@router.get("/expenses/export.xlsx", response_model=None)
def export_expenses(
    user: CurrentUser, db: DB, since: date | None = None, until: date | None = None
) -> Response:
    """WORK-3: approved and reimbursed expenses for the finance system (default: this month)."""
    today = company_today(db)
    since, until = since or today.replace(day=1), until or today
    if until < since:
        raise InvalidInput({"until": "结束日期不能早于开始日期"})
    content = output.export_xlsx(db, user, since, until)
    name = stamped_name("expenses", clock.local(clock.now(), get_policy(db).timezone))
    return Response(content, media_type=hr_templates.XLSX, headers=attachment(name))


@router.get("/expenses/totals")
def expense_totals(
    user: CurrentUser, db: DB, month: str | None = Query(None, max_length=7)
) -> list[dict[str, Any]]:
    """WORK-3: per rep, the month's expenses (default: this month)."""
    first = month_param(month, "month", company_today(db))
    after = add_months(first, 1)
    rows = expenses.monthly_totals(db, user, first, after)
    people = users_by_id(db, [r.user_id for r in rows])
    return [
        {
            "user": {
                "id": r.user_id,
                "display_name": people[r.user_id].display_name if r.user_id in people else "",
            },
            "count": r.count,
            "submitted": float(r.submitted),
            "approved": float(r.approved),
            "reimbursed": float(r.reimbursed),
        }
        for r in rows
    ]


@router.get("/expenses/{expense_id}")
def read_expense(expense_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.expense_out(db, expenses.get_expense(db, user, expense_id))


@router.post("/expenses/{expense_id}/receipts", status_code=201)
def upload_receipt(
    expense_id: int, user: CurrentUser, db: DB, file: UploadFile = File(...)
) -> dict[str, Any]:
    """WORK-3: a receipt (PDF/JPG/PNG) on a draft expense of one's own."""
    expense = expenses.get_expense(db, user, expense_id)
    if expense.user_id != user.id or expense.status != "draft":
        raise InvalidInput({"file": "只能给自己的草稿费用上传票据"}, rule="WORK-3")
    content = file.file.read()
    name, kind = files.checked(db, "expense", file.filename or "", content, "WORK-3")
    row = files.store(db, "expense", expense.id, name, kind, content, user.id)
    return {"id": row.id, "filename": row.filename, "size": row.size}


@router.get("/work/files/{file_id}", response_model=None)
def download_file(file_id: int, user: CurrentUser, db: DB) -> Response:
    """A report attachment or a receipt, for those who may see its report or expense (404 otherwise)."""
    row = db.get(WorkFile, file_id)
    if row is None:
        raise NotFound()
    if row.owner_type == "report":
        reports.get_report(db, user, row.owner_id)
    else:
        expenses.get_expense(db, user, row.owner_id)
    return Response(row.content, media_type=row.content_type, headers=attachment(row.filename))


@router.post("/expenses/{expense_id}/submit")
def submit_expense(expense_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.expense_out(db, expenses.submit_expense(db, user, expense_id))


@router.post("/expenses/{expense_id}/approve")
def approve_expense(expense_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.expense_out(db, expenses.decide_expense(db, user, expense_id, True, None))


@router.post("/expenses/{expense_id}/reject")
def reject_expense(expense_id: int, body: DecisionIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.expense_out(db, expenses.decide_expense(db, user, expense_id, False, body.reason))


@router.post("/expenses/{expense_id}/reimburse")
def reimburse_expense(expense_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.expense_out(db, expenses.reimburse(db, user, expense_id))


@router.get("/work/activity")
def weekly_activity(user: CurrentUser, db: DB, week: date | None = None) -> list[dict[str, Any]]:
    """WORK-4: each rep's actions on opportunities in the week (default: this week) and shortfalls."""
    monday = activity.week_of(week or company_today(db))
    return [
        {
            "user": {"id": r["user"].id, "display_name": r["user"].display_name},
            **{k: r[k] for k in ("actions", "minimum", "shortfall")},
        }
        for r in activity.team_activity(db, user, monday)
    ]
