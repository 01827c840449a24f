"""Deal pages: list with filters, pipeline board (drag to change stage), detail with progress
timeline, new-deal form, analytics with ECharts and the VIO-4 scorecard. Every action goes
through `deals.service`, exactly like the API."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from poolcrm.contracts.service import sign_by_win
from poolcrm.deals import (
    access,
    analytics,
    choices,
    closing,
    output,
    rules,
    scorecard,
    service,
    tables,
    winloss,
)
from poolcrm.deals import progress as deals_progress
from poolcrm.deals.schemas import CompetitorIn, DealIn, DealPatch, DetailsIn, LoseIn, ProductIn, ProgressIn
from poolcrm.errors import AppError, InvalidInput
from poolcrm.i18n import translate
from poolcrm.org.models import User
from poolcrm.org.service import sales_departments, users_by_id
from poolcrm.policy.service import company_today, get_policy
from poolcrm.web.deps import DB, CurrentUser, FormBody, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import amount as form_amount
from poolcrm.web.forms import banner_kind, field_name, flash_redirect, in_brackets, month_param, optional_int
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)
CHART_BARS = 12
"""A ranking chart (deals by owner, by team) draws the first this many bars."""


def _common(db: DB) -> dict[str, Any]:
    return {
        "CATEGORY_LABELS": rules.CATEGORY_LABELS,
        "STATUS_LABELS": rules.STATUS_LABELS,
        "DETAIL_LABELS": rules.DETAIL_LABELS,
        "OPEN_CATEGORIES": rules.OPEN_CATEGORIES,
        "OPEN_STATUSES": rules.OPEN_STATUSES,
        "stages": tables.stage_table(db),
    }


def _message(exc: AppError, lang: str) -> str:
    err = exc.render(lang)["error"]
    fields = err["details"].get("fields") if isinstance(err["details"], dict) else None
    if fields:
        said = [f"{k}: {translate(str(v), lang)}" for k, v in fields.items()]
        return str(err["message"]) + in_brackets(said, lang)
    return str(err["message"])


def _form_refusal(exc: ValidationError, otherwise: str) -> InvalidInput:
    """A form its schema refused: the fields longer than they may be, named (SEC-1); any other
    problem is the form's own message `otherwise`."""
    long = {field_name(e["loc"]): "太长" for e in exc.errors() if e["type"] == "string_too_long"}
    return InvalidInput(long, rule="SEC-1") if long else InvalidInput({"form": otherwise})


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element (user-entered names cannot close it)."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def _int(value: Any) -> int | None:
    """A number from the query or the form, or None when it is not one an id or a stage can be
    (`optional_int`: a number past the id columns' range made PostgreSQL refuse the query, a 500)."""
    return optional_int(value) if isinstance(value, str) else None


# ---------------------------------------------------------------- list


@router.get("/deals", response_class=HTMLResponse)
def deal_list(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    qp = request.query_params
    f = output.DealFilter(
        owner=user.id if qp.get("owner") == "me" else _int(qp.get("owner")),
        category=qp.get("category") if qp.get("category") in rules.CATEGORIES else None,
        stage=_int(qp.get("stage")),
        customer_id=_int(qp.get("customer_id")),
        state=qp.get("state") if qp.get("state") in ("open", "closed") else None,
        overdue=True if qp.get("overdue") == "1" else None,
        q=qp.get("q") or None,
    )
    page_no = max(1, _int(qp.get("page")) or 1)
    deals, total, capped = output.list_deals(db, user, f, page=page_no, page_size=50)
    lk = output.lookups(db, deals)
    policy = get_policy(db)
    items = [output.deal_out(db, d, lk, policy=policy) for d in deals]
    return page(
        request,
        "deals/list.html",
        db=db,
        items=items,
        total=total,
        capped=capped,
        page_no=page_no,
        f=f,
        owners=choices.owners_for(db, user),
        query=str(request.url.query),
        **_common(db),
    )


# ---------------------------------------------------------------- board


@router.get("/deals/board", response_class=HTMLResponse)
def deal_board(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    owner = _int(request.query_params.get("owner"))
    columns = analytics.board(db, user, owner=owner)
    everything = [d for col in columns.values() for d in col]
    lk = output.lookups(db, everything)
    policy = get_policy(db)
    cards = {
        stage: [output.deal_out(db, d, lk, policy=policy) for d in col] for stage, col in columns.items()
    }
    totals = {
        stage: (len(col), sum(c["amount"] for c in col), sum(c["weighted_amount"] for c in col))
        for stage, col in cards.items()
    }
    floors = tables.category_rules(db)
    return page(
        request,
        "deals/board.html",
        db=db,
        cards=cards,
        totals=totals,
        owner=owner,
        owners=choices.owners_for(db, user),
        floors=floors,
        **_common(db),
    )


# ---------------------------------------------------------------- new deal


def _form_products(form: Any) -> list[dict[str, Any]]:
    names, qtys = form.getlist("product_name"), form.getlist("product_quantity")
    prices, models = form.getlist("product_unit_price"), form.getlist("product_model")
    rows = []
    for i, name in enumerate(names):
        qty = qtys[i] if i < len(qtys) else ""
        price = prices[i] if i < len(prices) else ""
        model = models[i] if i < len(models) else ""
        if not (str(name).strip() or str(qty).strip() or str(price).strip()):
            continue
        rows.append(
            {"name": str(name), "quantity": str(qty), "unit_price": str(price), "model": str(model) or None}
        )
    return rows


def _products_in(rows: list[dict[str, Any]]) -> list[ProductIn]:
    out, bad = [], {}
    for i, row in enumerate(rows):
        try:
            out.append(
                ProductIn(
                    name=row["name"],
                    quantity=Decimal(row["quantity"] or "0"),
                    unit_price=Decimal(row["unit_price"] or "-1"),
                    model=row["model"],
                )
            )
        except (InvalidOperation, ValidationError):
            bad[f"products.{i}"] = "数量或单价格式不正确"
    if bad:
        raise InvalidInput(bad, rule="DEAL-4")
    return out


def _new_form(
    request: Request,
    db: DB,
    user: User,
    values: dict[str, Any],
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "deals/new.html",
        status_code=status_code,
        db=db,
        values=values,
        customers=choices.direct_customers_for(db, user),
        distributors=choices.channels_for(db, user),
        intentions=get_policy(db).deal_product_categories,
        sources=get_policy(db).deal_sources,
        competitor_names=get_policy(db).deal_competitors,
        today=company_today(db).isoformat(),
        flash=error,
        flash_kind="error" if error else None,
        **_common(db),
    )


def _form_competitors(form: FormData) -> list[dict[str, str]]:
    """DEAL-10 rows of the form that name a competitor."""
    rows = zip(
        form.getlist("comp_name"),
        form.getlist("comp_strengths"),
        form.getlist("comp_weaknesses"),
        form.getlist("comp_date"),
        strict=False,
    )
    return [
        {"competitor": str(n), "strengths": str(s), "weaknesses": str(w), "evaluated_on": str(d)}
        for n, s, w, d in rows
        if str(n).strip()
    ]


@router.get("/deals/new", response_class=HTMLResponse)
def deal_new(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    values: dict[str, Any] = {
        "customer_id": _int(request.query_params.get("customer_id")),
        "category": "mid",
        "stage": 2,
        "status": "active",
        "products": [{"name": "", "quantity": "1", "unit_price": "", "model": ""}],
        "details": {},
    }
    return _new_form(request, db, user, values)


@router.post("/deals/new", response_model=None)
def deal_create(form: FormBody, request: Request, user: CurrentUser, db: DB, lang: Lang) -> Response:
    details = {name: str(form.get(name) or "") for name in rules.DETAIL_FIELDS}
    values: dict[str, Any] = {
        k: form.get(k)
        for k in (
            "customer_id",
            "name",
            "category",
            "stage",
            "status",
            "expected_close_on",
            "intention",
            "channel_customer_id",
            "source",
        )
    }
    values["competitors"] = _form_competitors(form)
    values["products"] = _form_products(form) or [
        {"name": "", "quantity": "1", "unit_price": "", "model": ""}
    ]
    values["details"] = details
    try:
        try:
            data = DealIn(
                customer_id=_int(values["customer_id"]) or 0,
                name=str(values["name"] or ""),
                category=values["category"],
                stage=_int(values["stage"]) or 0,  # type: ignore[arg-type]
                status=values["status"] or "active",  # type: ignore[arg-type]
                expected_close_on=date.fromisoformat(str(values["expected_close_on"])),
                intention=str(values["intention"] or "") or None,
                products=_products_in(_form_products(form)),
                details=DetailsIn(**details),
                channel_customer_id=_int(values["channel_customer_id"]),
                source=str(values["source"] or "") or None,
                competitor_evaluations=[CompetitorIn(**e) for e in values["competitors"]],
            )
        except ValidationError as exc:
            raise _form_refusal(exc, "请完整填写客户、名称、分类、阶段和预计成交日期") from exc
        except ValueError as exc:
            raise InvalidInput({"form": "请完整填写客户、名称、分类、阶段和预计成交日期"}) from exc
        deal = service.create_deal(db, user, data)
    except AppError as exc:
        db.rollback()
        return _new_form(request, db, user, values, _message(exc, lang), exc.status)
    return RedirectResponse(f"/deals/{deal.id}", status_code=303)


# ---------------------------------------------------------------- analytics (DEAL-9) and scorecard (VIO-4)


@router.get("/deals/analytics", response_class=HTMLResponse)
def deal_analytics(request: Request, user: CurrentUser, db: DB, lang: Lang) -> HTMLResponse:
    qp = request.query_params
    owner = _int(qp.get("owner"))
    team = _int(qp.get("team"))
    today = company_today(db)
    try:
        month = month_param(qp.get("period") or None, "period", today)
    except AppError:  # a period nobody can pick: this month's figures
        month = today.replace(day=1)
    found = analytics.analytics_by(db, user, month=month, bys=analytics.BY_KEYS, owner=owner, team=team)
    by_stage, by_owner, by_team, by_category = (found[k] for k in ("stage", "owner", "team", "category"))
    trend = analytics.trend(db, user, month=month, months=12, owner=owner, team=team)
    charts = {
        "stage": by_stage,
        "owner": {**by_owner, "rows": by_owner["rows"][:CHART_BARS]},  # the bars drawn, not 1,135 reps
        "team": {**by_team, "rows": by_team["rows"][:CHART_BARS]},
        "category": by_category,
        "trend": trend,
    }
    teams = sales_departments(db)
    return page(
        request,
        "deals/analytics.html",
        db=db,
        charts_json=_script_json(charts),
        stages_json=_script_json([s.__dict__ for s in tables.stage_table(db)]),
        by_stage=by_stage,
        by_owner=by_owner,
        period=by_stage["period"],
        chart_bars=CHART_BARS,
        owner=owner,
        team=team,
        owners=choices.owners_for(db, user),
        teams=teams,
        scorecard=scorecard.by_team(db, scorecard.scorecard(db, user), team),
        win_loss={by: winloss.win_loss(db, user, by, month, 12) for by in winloss.BY_KEYS},
        **_common(db),
    )


# ---------------------------------------------------------------- detail and actions


def _detail(
    request: Request,
    db: DB,
    user: User,
    deal_id: int,
    *,
    flash: str | None = None,
    flash_kind: str | None = None,
    status_code: int = 200,
    lang: str = "zh",
) -> HTMLResponse:
    deal = access.get_deal(db, user, deal_id)
    progress = deals_progress.list_progress(db, user, deal_id)
    ids = {p.author_id for p in progress}
    users = users_by_id(db, ids)
    history = output.category_history(db, deal)
    return page(
        request,
        "deals/detail.html",
        status_code=status_code,
        db=db,
        deal=output.deal_out(db, deal, warnings=True),
        progress=[output.progress_out(p, users, lang) for p in progress],
        history=history,
        may_act=access.may_act(db, user, deal),
        flash=flash,
        flash_kind=flash_kind,
        subjects=deals_progress.followup_subjects(),
        **_common(db),
    )


@router.get("/deals/{deal_id}", response_class=HTMLResponse)
def deal_detail(
    request: Request,
    deal_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    flash: str | None = None,
    flash_kind: str | None = None,
) -> HTMLResponse:
    kind = banner_kind(flash_kind) if flash else None
    return _detail(request, db, user, deal_id, flash=flash, flash_kind=kind, lang=lang)


def _act(
    form: FormData, request: Request, db: DB, user: User, deal_id: int, lang: str, action: str
) -> Response:
    try:
        if action == "progress":
            try:
                data = ProgressIn(
                    details=str(form.get("details") or ""),
                    next_plan=str(form.get("next_plan") or ""),
                    counts_as_contact=form.get("counts_as_contact") == "1",
                    subject=str(form.get("subject") or "致电"),
                )
            except ValidationError as exc:
                raise _form_refusal(exc, "格式不正确") from exc
            progress = deals_progress.add_progress(db, user, deal_id, data)
            if not progress.valid:
                db.commit()
                reasons = "；".join(
                    r["message"] for r in output.progress_out(progress, lang=lang)["invalid_reasons"]
                )
                return flash_redirect(f"/deals/{deal_id}", reasons, warn=True)  # stored, but not valid (FU-1)
        elif action == "edit":
            fields: dict[str, Any] = {}
            for name in ("category", "status", "expected_close_on", "name"):
                if form.get(name):
                    fields[name] = form.get(name)
            if form.get("stage") not in (None, ""):
                fields["stage"] = _int(form.get("stage"))
            deal = access.get_deal(db, user, deal_id)
            if fields.get("category") == deal.category:
                fields.pop("category")
            try:
                patch = DealPatch(**fields)
            except ValidationError as exc:
                raise InvalidInput({"form": "格式不正确"}) from exc
            service.update_deal(db, user, deal_id, patch)
        elif action == "win":
            amount = form_amount(form, "actual_amount")
            sign_by_win(db, user, deal_id, amount, str(form.get("contract_no") or ""))
        elif action == "lose":
            closing.lose_deal(db, user, deal_id, LoseIn(reason=str(form.get("reason") or "")))
    except AppError as exc:
        db.rollback()
        return _detail(
            request,
            db,
            user,
            deal_id,
            flash=_message(exc, lang),
            flash_kind="error",
            status_code=exc.status,
            lang=lang,
        )
    return RedirectResponse(f"/deals/{deal_id}", status_code=303)


@router.post("/deals/{deal_id}/progress", response_model=None)
def deal_progress(
    form: FormBody, request: Request, deal_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    return _act(form, request, db, user, deal_id, lang, "progress")


@router.post("/deals/{deal_id}/edit", response_model=None)
def deal_edit(
    form: FormBody, request: Request, deal_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    return _act(form, request, db, user, deal_id, lang, "edit")


@router.post("/deals/{deal_id}/win", response_model=None)
def deal_win(
    form: FormBody, request: Request, deal_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    return _act(form, request, db, user, deal_id, lang, "win")


@router.post("/deals/{deal_id}/lose", response_model=None)
def deal_lose(
    form: FormBody, request: Request, deal_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    return _act(form, request, db, user, deal_id, lang, "lose")
