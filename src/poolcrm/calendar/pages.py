"""The working-day calendar page (CAL-1): a year of months showing working days, weekends,
statutory holidays, 调休 make-up days and the company's overrides; adding and withdrawing an
override (through `calendar.service`, audited); the warning for a year without official data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from poolcrm.calendar import service
from poolcrm.calendar.api import OverrideIn
from poolcrm.calendar.rules import WorkdayCalendar, has_official_data, official_day_note, official_year_range
from poolcrm.errors import AppError, InvalidInput, NotFound
from poolcrm.policy.service import company_today
from poolcrm.web.deps import DB, AdminUser, FormBody, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import form_errors, text
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)

FIRST_YEAR, LAST_YEAR = 2000, 2100
NOTICES = {"added": "已保存日历调整", "removed": "已撤销日历调整，该日恢复官方安排"}


@dataclass(frozen=True)
class Day:
    day: date
    workday: bool
    kind: str  # workday | rest | holiday | makeup
    overridden: bool
    name: str | None  # the holiday's name, or the override's note

    @property
    def mark(self) -> str:
        """The small corner mark of Chinese calendars: 休 (day off) on a weekday, 班 (worked) on a
        weekend day — and on every overridden day."""
        if self.overridden or self.kind in ("holiday", "makeup"):
            return "班" if self.workday else "休"
        return ""


@dataclass(frozen=True)
class Month:
    number: int
    weeks: list[list[Day | None]]
    workdays: int


def _day(cal: WorkdayCalendar, d: date, lang: str) -> Day:
    worked = cal.is_workday(d)
    note = official_day_note(d)
    if d in cal.overrides:
        kind = "workday" if worked else "rest"
    elif note is not None:
        kind = note[0]
    else:
        kind = "workday" if worked else "rest"
    name = (note[1] if lang == "zh" else note[2]) if note is not None else None
    return Day(d, worked, kind, d in cal.overrides, name)


def year_of_months(cal: WorkdayCalendar, year: int, lang: str) -> list[Month]:
    """Twelve month grids (weeks from Monday), each day classified by CAL-1."""
    months = []
    for number in range(1, 13):
        first = date(year, number, 1)
        last = (date(year + (number == 12), number % 12 + 1, 1)) - timedelta(days=1)
        cells: list[Day | None] = [None] * first.weekday()
        cells += [_day(cal, first + timedelta(days=i), lang) for i in range(last.day)]
        cells += [None] * (-len(cells) % 7)
        weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]
        months.append(Month(number, weeks, sum(1 for c in cells if c is not None and c.workday)))
    return months


def _year(raw: str | None, default: int) -> int:
    try:
        year = int(raw) if raw else default
    except ValueError:
        return default
    return min(max(year, FIRST_YEAR), LAST_YEAR)


def _render(
    request: Request,
    db: DB,
    lang: str,
    year: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = company_today(db)
    cal = service.get_calendar(db)
    months = year_of_months(cal, year, lang)
    notes = {row.day: row.note for row in service.list_overrides(db)}
    overrides = [(d, cal.overrides[d], notes.get(d)) for d in sorted(cal.overrides) if d.year == year]
    return page(
        request,
        "calendar/calendar.html",
        status_code=status_code,
        db=db,
        year=year,
        today=today,
        months=months,
        overrides=overrides,
        official=has_official_data(year),
        official_range=official_year_range(),
        workdays_total=sum(m.workdays for m in months),
        values=values or {"day": "", "workday": "0", "note": ""},
        errors=errors or {},
        notice=NOTICES.get(request.query_params.get("done", "")),
        first_year=FIRST_YEAR,
        last_year=LAST_YEAR,
    )


@router.get("/admin/calendar", response_class=HTMLResponse)
def calendar_page(request: Request, admin: AdminUser, db: DB, lang: Lang) -> HTMLResponse:
    year = _year(request.query_params.get("year"), company_today(db).year)
    return _render(request, db, lang, year)


@router.post("/admin/calendar/overrides", response_class=HTMLResponse)
def add_override(form: FormBody, request: Request, admin: AdminUser, db: DB, lang: Lang) -> Response:
    values = {"day": text(form, "day"), "workday": text(form, "workday"), "note": text(form, "note")}
    year = _year(values["day"][:4], company_today(db).year)
    submitted = {"date": values["day"], "workday": values["workday"] == "1", "note": values["note"]}
    try:
        data = OverrideIn.model_validate({k: v for k, v in submitted.items() if v != ""})
        if not FIRST_YEAR <= data.date.year <= LAST_YEAR:
            raise InvalidInput({"date": "日期超出范围"})
        service.set_override(db, admin.id, data.date, data.workday, data.note)
    except (AppError, ValidationError) as exc:
        db.rollback()
        errors = form_errors(exc, lang)
        if "date" in errors:
            errors["day"] = errors.pop("date")
        status = exc.status if isinstance(exc, AppError) else 422
        return _render(request, db, lang, year, values=values, errors=errors, status_code=status)
    return RedirectResponse(f"/admin/calendar?year={data.date.year}&done=added", status_code=303)


@router.post("/admin/calendar/overrides/{day}/remove", response_class=HTMLResponse)
def remove_override(day: str, admin: AdminUser, db: DB) -> Response:
    try:
        when = date.fromisoformat(day)
    except ValueError as exc:
        raise NotFound() from exc
    service.remove_override(db, admin.id, when)
    return RedirectResponse(f"/admin/calendar?year={when.year}&done=removed", status_code=303)
