"""Pool pages: my pool with recycle countdowns (POOL-16), the public pool with claim buttons
(POOL-4), release and lock dialogs (POOL-5, POOL-11), the allocation bin and plans (POOL-7/9/10),
the ownership history fragment (POOL-12) and the policy forecast fragment (POOL-18)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from poolcrm.customers.access import customer_for_read
from poolcrm.errors import AppError, Forbidden, InvalidInput
from poolcrm.i18n import translate
from poolcrm.org.service import people_by_id, subordinate_rep_people
from poolcrm.ownership.countdown import recycle_info
from poolcrm.ownership.usage import pool_usage
from poolcrm.policy.service import company_today, get_policy
from poolcrm.pools import allocation as pools_allocation
from poolcrm.pools import bulk_claim, departures, locks
from poolcrm.pools import claim as pools_claim
from poolcrm.pools import forecast as pools_forecast
from poolcrm.pools import history as pools_history
from poolcrm.pools import release as pools_release
from poolcrm.pools.locks import may_lock_for
from poolcrm.web.deps import DB, CurrentUser, FormBody, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import flash_redirect, optional_int, required_ids, text, whole_number
from poolcrm.web.render import page
from poolcrm.web.sealed import seal, unseal

router = APIRouter(route_class=OneStepRoute)

POOL_NAMES = {
    "public": "公海",
    "private": "私海",
    "bin": "待分配",
    "pending": "待审核",
    "merged": "已合并",
    "deleted": "已删除",
    "rejected": "已驳回",
}
PLAN_NAMES = {"proposed": "待审批", "approved": "已批准", "executed": "已执行", "rejected": "已驳回"}
TASK_NAMES = {"open": "待提交方案", "planned": "方案审批中", "done": "已完成"}


def common(db: Any) -> dict[str, Any]:
    """Context every pools template may use: the company's zone and the state names."""

    return {
        "tz": ZoneInfo(get_policy(db).timezone),
        "pool_names": POOL_NAMES,
        "plan_names": PLAN_NAMES,
        "task_names": TASK_NAMES,
    }


def _message(exc: AppError, lang: str) -> str:
    return str(exc.render(lang)["error"]["message"])


@router.get("/pools/mine", response_class=HTMLResponse)
def my_pool(
    request: Request,
    user: CurrentUser,
    db: DB,
    owner_id: int | None = None,
    flash: str | None = None,
    flash_kind: str | None = None,
) -> HTMLResponse:
    owner = pools_history.pool_owner(db, user, owner_id)
    rows = pools_history.pool_rows(db, user, owner.id)
    return page(
        request,
        "pools/mine.html",
        db=db,
        rows=rows,
        usage=pool_usage(db, owner or user),
        owner=owner,
        team=subordinate_rep_people(db, user.id),
        today=company_today(db),
        flash=flash,
        flash_kind=flash_kind,
        **common(db),
        can_lock=owner.id != user.id and may_lock_for(db, user, owner.id),
    )


@router.get("/pools/public", response_class=HTMLResponse)
def public_pool(
    request: Request,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    q: str | None = None,
    page_no: int = 1,
    region: str = "",
    industry: str = "",
    source: str = "",
    min_days: str = "",
    claimed: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    filters: dict[str, Any] = {
        "region": region.strip(),
        "industry": industry.strip(),
        "source": source.strip(),
    }
    filters["min_days"] = optional_int(min_days.strip()) if min_days.strip() else None
    if min_days.strip() and filters["min_days"] is None:
        filters["min_days"] = min_days
    try:
        rows, total, capped = pools_history.public_rows(db, user, q, max(page_no, 1), filters=filters)
    except AppError as exc:
        rows, total, capped = pools_history.public_rows(db, user, q, max(page_no, 1))
        error, status_code = _message(exc, lang), exc.status
    response = page(
        request,
        "pools/public.html",
        db=db,
        rows=rows,
        total=total,
        capped=capped,
        q=q or "",
        filters={**filters, "min_days": min_days.strip()},
        filter_query=urlencode({k: v for k, v in {**filters, "min_days": min_days.strip()}.items() if v}),
        page_no=max(page_no, 1),
        usage=pool_usage(db, user),
        results=_claim_results(unseal(request, user.id, claimed)),
        error=error,
        **common(db),
    )
    response.status_code = status_code
    return response


def _form_ids(form: FormBody, field: str) -> list[int]:
    """Checked ids of a list form; one that is not an id → 422 naming the field."""
    ids = [optional_int(str(v).strip()) for v in form.getlist(field)]
    if any(i is None for i in ids):
        raise InvalidInput({field: "格式不正确"}, rule="SEC-1")
    return [i for i in ids if i is not None]


def _claim_results(sealed: Any) -> list[dict[str, Any]] | None:
    """The bulk claim's answer read back from the redirect: per customer claimed or refused, with
    the refusal's message and rule (anything not in the sealed shape is dropped)."""
    if not isinstance(sealed, list):
        return None
    return [
        {
            "customer_id": cid,
            "name": name,
            "ok": rule is None and message is None,
            "rule": rule,
            "message": message,
        }
        for cid, name, rule, message in (r for r in sealed if isinstance(r, list) and len(r) == 4)
    ] or None


@router.post("/pools/public/claims", response_model=None)
def claim_many(form: FormBody, request: Request, user: CurrentUser, db: DB, lang: Lang) -> Response:
    """POOL-4/14: the checked customers claimed in one action, then POST-redirect-GET to the public
    pool, which lists per customer what happened (the refusal's rule small beside its message); the
    answer travels signed in the query (`web.sealed`), so a refresh never claims again."""
    q = text(form, "q")
    keep = {k: text(form, k) for k in ("region", "industry", "source", "min_days")}
    try:
        outcomes = bulk_claim.bulk_claim(
            db, user, _form_ids(form, "customer_ids"), remark=text(form, "remark") or None
        )
    except AppError as exc:
        db.rollback()
        return public_pool(
            request,
            user,
            db,
            lang,
            q,
            region=keep["region"],
            industry=keep["industry"],
            source=keep["source"],
            min_days=keep["min_days"],
            error=_message(exc, lang),
            status_code=exc.status,
        )
    results = [
        [
            o.customer_id,
            o.name or "",
            o.refusal.rule if o.refusal else None,
            translate(o.refusal.message, lang, **o.refusal.params) if o.refusal else None,
        ]
        for o in outcomes
    ]
    query = {"q": q, **keep, "claimed": seal(request, user.id, results)}
    return RedirectResponse(
        f"/pools/public?{urlencode({k: v for k, v in query.items() if v})}", status_code=303
    )


@router.post("/pools/customers/{customer_id}/claim", response_class=HTMLResponse)
def claim(
    request: Request,
    customer_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    remark: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """htmx: the claim button turns into 'applied' or into the refusal with its rule."""
    try:
        pools_claim.claim(db, user, customer_id, remark=remark or None)
    except AppError as exc:
        db.rollback()
        return page(request, "pools/_claim_result.html", ok=False, message=_message(exc, lang))
    return page(request, "pools/_claim_result.html", ok=True, message=None)


# CUS-21: the fields a claim may correct on its page (the rest of CORRECTABLE_FIELDS through the API).
CLAIM_FORM_FIELDS = ("contact_name", "contact_position", "phone", "mobile", "email", "address")


def _claim_page(
    request: Request, db: DB, user: Any, customer_id: int, flash: str | None = None, status: int = 200
) -> HTMLResponse:
    customer = customer_for_read(db, user, customer_id)
    return page(
        request,
        "pools/claim.html",
        status_code=status,
        db=db,
        c=customer,
        fields=CLAIM_FORM_FIELDS,
        flash=flash,
    )


@router.get("/pools/customers/{customer_id}/claim", response_class=HTMLResponse)
def claim_form(request: Request, customer_id: int, user: CurrentUser, db: DB) -> HTMLResponse:
    """CUS-21: a claim that corrects the customer's details, field by field."""
    return _claim_page(request, db, user, customer_id)


@router.post("/pools/customers/{customer_id}/claim-corrected", response_model=None)
def claim_corrected(
    request: Request, customer_id: int, user: CurrentUser, db: DB, lang: Lang, form: FormBody
) -> Response:
    customer = customer_for_read(db, user, customer_id)
    corrections = {
        f: text(form, f)
        for f in CLAIM_FORM_FIELDS
        if text(form, f) and text(form, f) != (getattr(customer, f) or "")
    }
    try:
        pools_claim.claim(db, user, customer_id, remark=text(form, "remark") or None, corrections=corrections)
    except AppError as exc:
        db.rollback()
        return _claim_page(request, db, user, customer_id, _message(exc, lang), exc.status)
    return RedirectResponse("/pools/public", status_code=303)


@router.post("/pools/customers/{customer_id}/release")
def release(
    request: Request,
    customer_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        result = pools_release.release(db, user, customer_id, reason)
    except AppError as exc:
        db.rollback()
        return flash_redirect("/pools/mine", _message(exc, lang), error=True)
    text = "已提交放弃申请，等待主管同意" if result["status"] == "pending" else "已放弃保护，客户进入待分配库"
    return flash_redirect("/pools/mine", translate(text, lang))


@router.post("/pools/customers/{customer_id}/lock")
def lock(
    request: Request,
    customer_id: int,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    until: Annotated[date, Form()],
    owner_id: Annotated[int, Form()],
) -> Response:
    try:
        locks.lock_customer(db, user, customer_id, until, None)
    except AppError as exc:
        db.rollback()
        refused = my_pool(request, user, db, owner_id=owner_id, flash=_message(exc, lang), flash_kind="error")
        refused.status_code = exc.status
        return refused
    return RedirectResponse(f"/pools/mine?owner_id={owner_id}", status_code=303)


@router.get("/pools/customers/{customer_id}/history", response_class=HTMLResponse)
def history(request: Request, customer_id: int, user: CurrentUser, db: DB) -> HTMLResponse:
    """POOL-12 fragment for the customer page (include with hx-get); opened directly (a link, a
    bookmark, a phone), the same history inside the base layout."""
    customer = customer_for_read(db, user, customer_id)
    return page(
        request,
        "pools/_history.html" if request.headers.get("HX-Request") else "pools/history.html",
        db=db,
        customer=customer,
        events=pools_history.history(db, user, customer_id),
        info=recycle_info(db, customer),
        **common(db),
    )


@router.get("/allocation", response_class=HTMLResponse)
def allocation(
    request: Request, user: CurrentUser, db: DB, flash: str | None = None, flash_kind: str | None = None
) -> HTMLResponse:
    view = pools_allocation.overview(db, user, whole_number(request.query_params.get("team", "")))
    tasks = departures.departure_tasks(db, user)
    people = people_by_id(db, [i for t in tasks for i in (t.user_id, t.supervisor_id)])
    return page(
        request,
        "pools/allocation.html",
        db=db,
        **view,
        users={uid: p.display_name for uid, p in people.items()},
        tasks=tasks,
        deadline=get_policy(db).allocation_execute_time,
        flash=flash,
        flash_kind=flash_kind,
        **common(db),
    )


@router.post("/allocation/plans")
def create_plan(form: FormBody, request: Request, user: CurrentUser, db: DB, lang: Lang) -> Response:
    try:
        if form.get("rule") == "round_robin":
            pools_allocation.create_plan(db, user, round_robin=True)
        elif form.get("rule") == "bulk":
            to_user_id = optional_int(text(form, "to_user_id"))
            pools_allocation.plan_for_rep(db, user, _form_ids(form, "customer_ids"), to_user_id)
        else:
            pairs = required_ids(form.multi_items(), "to_", "items")
            items = [{"customer_id": cid, "to_user_id": uid} for cid, uid in pairs]
            pools_allocation.create_plan(db, user, items=items)
    except AppError as exc:
        db.rollback()
        refused = allocation(request, user, db, flash=_message(exc, lang), flash_kind="error")
        refused.status_code = exc.status
        return refused
    return RedirectResponse("/allocation", status_code=303)


@router.post("/allocation/plans/{plan_id}/{action}")
def plan_action(
    request: Request,
    plan_id: int,
    action: str,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        if action == "approve":
            pools_allocation.approve_plan(db, user, plan_id)
        elif action == "execute":
            pools_allocation.execute_plan(db, user, plan_id)
        elif action == "reject":
            pools_allocation.reject_plan(db, user, plan_id, reason)
        else:
            raise Forbidden()
    except AppError as exc:
        db.rollback()
        refused = allocation(request, user, db, flash=_message(exc, lang), flash_kind="error")
        refused.status_code = exc.status
        return refused
    return RedirectResponse("/allocation", status_code=303)


@router.post("/pools/forecast", response_class=HTMLResponse)
def forecast(form: FormBody, request: Request, user: CurrentUser, db: DB, lang: Lang) -> HTMLResponse:
    """POOL-18 fragment for the admin policy page: `hx-post="/pools/forecast" hx-include="closest
    form" hx-target="#forecast"` — the form's inputs named after the policy parameters."""
    changes = _form_changes(dict(form.items()))
    pools_forecast.may_forecast(user)
    try:
        result = pools_forecast.forecast(db, user, changes)
    except AppError as exc:
        return page(request, "pools/forecast.html", result=None, error=_message(exc, lang))
    return page(request, "pools/forecast.html", result=result, error=None)


def _form_changes(form: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in pools_forecast.FORECAST_FIELDS:
        raw = form.get(name)
        if raw is None or str(raw).strip() == "":
            continue
        text = str(raw).strip()
        try:
            changes[name] = json.loads(text)
        except ValueError:
            changes[name] = text
    return changes
