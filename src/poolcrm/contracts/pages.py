"""Contract pages: the list (with overdue), 签订合同 from a deal (lines from its products, an installment
plan), the contract with its approval, payments and scanned file, and signed-vs-collected analytics
with ECharts. Every action goes through the contracts services, exactly like the API."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData

from poolcrm.contracts import analytics, files, output, payments, rules, service, special_prices
from poolcrm.contracts.access import get_contract
from poolcrm.contracts.models import APPROVED, PENDING
from poolcrm.contracts.schemas import ContractIn, InstallmentIn, LineIn, PaymentIn, SpecialPriceIn
from poolcrm.customers.models import Customer
from poolcrm.deals.models import Deal
from poolcrm.errors import AppError, InvalidInput, NotFound
from poolcrm.org.models import User
from poolcrm.org.service import acts_for, users_by_id
from poolcrm.policy.service import company_today, get_policy
from poolcrm.web.deps import DB, CurrentUser, FormBody, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import amount, flash_message, form_errors, optional_int, text
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)
LINE_ROWS = 8
INSTALLMENT_ROWS = 6
TABS = (
    ("", "全部"),
    (PENDING, "待审批"),
    (APPROVED, "执行中"),
    ("overdue", "逾期未收"),
    ("paid", "已收款完毕"),
)


@router.get("/contracts", response_class=HTMLResponse)
def contract_list(request: Request, user: CurrentUser, db: DB, lang: Lang) -> HTMLResponse:
    qp = request.query_params
    tab = qp.get("tab", "")
    tab = tab if tab in dict(TABS) else ""
    f = output.ContractFilter(
        status=tab if tab not in ("", "overdue") else None, overdue=tab == "overdue", q=text(qp, "q") or None
    )
    page_no = max(1, min(optional_int(qp.get("page", "1")) or 1, 100000))
    items, total = output.list_contracts(db, user, f, page_no, 50)
    today = company_today(db)
    return page(
        request,
        "contracts/list.html",
        db=db,
        items=output.contracts_out(db, items, today=today),
        total=total,
        page_no=page_no,
        tab=tab,
        tabs=TABS,
        q=f.q or "",
    )


def _deal_for_form(db: DB, user: User, deal_id: int | None) -> Deal:
    deal = db.get(Deal, deal_id) if deal_id else None
    if deal is None or not acts_for(db, user, deal.owner_id):
        raise NotFound()
    return deal


def _blank_values(db: DB, deal: Deal) -> dict[str, Any]:
    today = company_today(db)
    due = today + timedelta(days=get_policy(db).contract_default_payment_days)
    return {
        "number": "",
        "amount": f"{deal.amount:.2f}",
        "signed_on": today.isoformat(),
        "terms": "",
        "lines": [
            {
                "product": p.name,
                "model": p.model or "",
                "quantity": f"{p.quantity:g}",
                "unit_price": f"{p.unit_price:.2f}",
            }
            for p in deal.products
        ],
        "installments": [{"due_on": due.isoformat(), "amount": f"{deal.amount:.2f}"}],
    }


def _rows(form: FormData, prefix: str, fields: tuple[str, ...], count: int) -> list[dict[str, str]]:
    rows = [{f: text(form, f"{prefix}_{f}_{i}") for f in fields} for i in range(count)]
    return [r for r in rows if any(r.values())]


def _submitted(form: FormData) -> dict[str, Any]:
    return {
        "number": text(form, "number"),
        "amount": text(form, "amount"),
        "signed_on": text(form, "signed_on"),
        "terms": text(form, "terms"),
        "lines": _rows(
            form, "line", ("product", "model", "quantity", "unit_price", "delivery_on"), LINE_ROWS
        ),
        "installments": _rows(form, "inst", ("due_on", "amount"), INSTALLMENT_ROWS),
    }


def _money(value: str, field: str) -> Decimal:
    """A typed amount as a finite decimal; junk answers 422 naming the field (SEC-1)."""
    return amount({field: value}, field)


def _contract_in(deal: Deal, form: FormData, values: dict[str, Any]) -> ContractIn:
    lines = [
        LineIn(
            product=r["product"],
            model=r["model"] or None,
            quantity=_money(r["quantity"], f"lines.{i}.quantity"),
            unit_price=_money(r["unit_price"], f"lines.{i}.unit_price"),
            delivery_on=date.fromisoformat(r["delivery_on"]) if r["delivery_on"] else None,
        )
        for i, r in enumerate(values["lines"])
    ]
    plan = [
        InstallmentIn(
            due_on=date.fromisoformat(r["due_on"]), amount=_money(r["amount"], f"installments.{i}.amount")
        )
        for i, r in enumerate(values["installments"])
    ]
    return ContractIn(
        customer_id=deal.customer_id,
        deal_id=deal.id,
        number=values["number"],
        amount=amount(form, "amount"),
        signed_on=date.fromisoformat(values["signed_on"]),
        terms=values["terms"],
        lines=lines,
        installments=plan,
    )


def _form_page(
    request: Request, db: DB, deal: Deal, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> HTMLResponse:
    return page(
        request,
        "contracts/new.html",
        status_code=status,
        db=db,
        deal=deal,
        values=values,
        errors=errors,
        line_rows=LINE_ROWS,
        installment_rows=INSTALLMENT_ROWS,
    )


@router.get("/contracts/new", response_class=HTMLResponse)
def contract_new(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    deal = _deal_for_form(db, user, optional_int(request.query_params.get("deal_id", "")))
    return _form_page(request, db, deal, _blank_values(db, deal), {})


@router.post("/contracts/new", response_model=None)
def contract_create(form: FormBody, request: Request, user: CurrentUser, db: DB, lang: Lang) -> Response:
    deal = _deal_for_form(db, user, optional_int(text(form, "deal_id")))
    values = _submitted(form)
    try:
        try:
            data = _contract_in(deal, form, values)
        except ValueError as exc:
            if isinstance(exc, ValidationError):
                raise
            raise InvalidInput({"form": "日期或金额格式不正确"}) from exc
        contract = service.record_contract(db, user, data)
    except (AppError, ValidationError) as exc:
        db.rollback()
        status = exc.status if isinstance(exc, AppError) else 422
        return _form_page(request, db, deal, values, form_errors(exc, lang), status)
    return RedirectResponse(f"/contracts/{contract.id}", status_code=303)


def _detail(
    request: Request, db: DB, user: User, contract_id: int, flash: str | None = None, status: int = 200
) -> HTMLResponse:
    contract = get_contract(db, user, contract_id)
    may_act = acts_for(db, user, contract.owner_id)
    return page(
        request,
        "contracts/detail.html",
        status_code=status,
        db=db,
        c=output.contract_out(db, contract, full=True),
        may_act=may_act,
        may_decide=contract.status == PENDING and user.id != contract.created_by,
        methods=rules.PAYMENT_METHODS,
        today=company_today(db).isoformat(),
        flash=flash,
    )


@router.get("/contracts/analytics", response_class=HTMLResponse)
def contract_analytics(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    today = company_today(db)
    year = optional_int(request.query_params.get("year", "")) or today.year
    year = year if 2000 <= year <= 2100 else today.year
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    charts = {
        by: analytics.signed_and_collected(db, user, by, start, end) for by in ("month", "owner", "product")
    }
    return page(
        request,
        "contracts/analytics.html",
        db=db,
        year=year,
        charts=charts,
        charts_json=json.dumps(charts, ensure_ascii=False).replace("</", "<\\/"),
    )


def _prices_page(
    request: Request,
    db: DB,
    user: User,
    flash: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    rows = special_prices.list_special_prices(db, user)
    names = {
        c.id: c.name
        for c in db.scalars(select(Customer).where(Customer.id.in_({r.customer_id for r in rows})))
    }
    people = users_by_id(db, [r.requested_by for r in rows])
    return page(
        request,
        "contracts/special_prices.html",
        status_code=status,
        db=db,
        rows=[
            {
                "row": r,
                "customer": names.get(r.customer_id, ""),
                "requester": people[r.requested_by].display_name if r.requested_by in people else "",
                "may_decide": special_prices.may_decide(db, user, r),
            }
            for r in rows
        ],
        distributors=special_prices.distributors_for(db, user),
        status_labels=rules.STATUS_LABELS,
        values=values or {},
        flash=flash,
    )


@router.get("/contracts/special-prices", response_class=HTMLResponse)
def special_price_list(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    return _prices_page(request, db, user)


def _price_act(
    request: Request, db: DB, user: User, lang: str, action: Any, values: dict[str, str]
) -> Response:
    try:
        action()
    except (AppError, ValidationError) as exc:
        db.rollback()
        flash = flash_message(exc, lang)
        return _prices_page(
            request, db, user, flash, exc.status if isinstance(exc, AppError) else 422, values
        )
    return RedirectResponse("/contracts/special-prices", status_code=303)


@router.post("/contracts/special-prices", response_model=None)
def special_price_request(
    form: FormBody, request: Request, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    values = {k: text(form, k) for k in ("customer_id", "product", "list_price", "special_price", "reason")}

    def run() -> None:
        data = SpecialPriceIn(
            customer_id=optional_int(values["customer_id"]) or 0,
            product=values["product"],
            list_price=amount(form, "list_price") if values["list_price"] else None,
            special_price=amount(form, "special_price"),
            reason=values["reason"],
        )
        special_prices.request_special_price(db, user, data)

    return _price_act(request, db, user, lang, run, values)


@router.post("/contracts/special-prices/{price_id}/{decision}", response_model=None)
def special_price_decide(
    form: FormBody, request: Request, price_id: int, decision: str, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    if decision not in ("approve", "reject"):
        raise NotFound()
    reason = text(form, "reason")
    approve = decision == "approve"
    return _price_act(
        request,
        db,
        user,
        lang,
        lambda: special_prices.decide_special_price(db, user, price_id, approve, reason),
        {},
    )


@router.get("/contracts/{contract_id}", response_class=HTMLResponse)
def contract_detail(request: Request, contract_id: int, user: CurrentUser, db: DB) -> HTMLResponse:
    return _detail(request, db, user, contract_id)


def _act(request: Request, db: DB, user: User, contract_id: int, lang: str, action: Any) -> Response:
    try:
        action()
    except (AppError, ValidationError) as exc:
        db.rollback()
        if isinstance(exc, AppError) and exc.status == 404:
            raise
        flash = flash_message(exc, lang)
        return _detail(
            request, db, user, contract_id, flash, exc.status if isinstance(exc, AppError) else 422
        )
    return RedirectResponse(f"/contracts/{contract_id}", status_code=303)


@router.post("/contracts/{contract_id}/approve", response_model=None)
def approve(
    form: FormBody, request: Request, contract_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    return _act(request, db, user, contract_id, lang, lambda: service.approve_contract(db, user, contract_id))


@router.post("/contracts/{contract_id}/reject", response_model=None)
def reject(
    form: FormBody, request: Request, contract_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    reason = text(form, "reason")
    return _act(
        request, db, user, contract_id, lang, lambda: service.reject_contract(db, user, contract_id, reason)
    )


@router.post("/contracts/{contract_id}/cancel", response_model=None)
def cancel(
    form: FormBody, request: Request, contract_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    reason = text(form, "reason")
    return _act(
        request, db, user, contract_id, lang, lambda: service.cancel_contract(db, user, contract_id, reason)
    )


@router.post("/contracts/{contract_id}/payments", response_model=None)
def pay(
    form: FormBody, request: Request, contract_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    def run() -> None:
        try:
            received_on = date.fromisoformat(text(form, "received_on"))
        except ValueError as exc:
            raise InvalidInput({"received_on": "日期格式不正确"}, rule="CTR-3") from exc
        data = PaymentIn(
            received_on=received_on,
            amount=amount(form, "amount"),
            method=text(form, "method"),
            note=text(form, "note") or None,
        )
        payments.record_payment(db, user, contract_id, data)

    return _act(request, db, user, contract_id, lang, run)


@router.post("/contracts/{contract_id}/files", response_model=None)
def upload(
    request: Request,
    contract_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    file: Annotated[UploadFile, File()],
) -> Response:
    content = file.file.read()
    name = file.filename or ""
    return _act(
        request, db, user, contract_id, lang, lambda: files.attach_file(db, user, contract_id, name, content)
    )
