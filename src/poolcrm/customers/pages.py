"""Customer pages: list, detail, new-customer form with the live duplicate check, CS inbox,
import with progress (Jinja2 + htmx)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from poolcrm.applications import bulk as applications_bulk
from poolcrm.applications import service as applications_service
from poolcrm.applications.models import KIND_NEW_CUSTOMER, STATUS_PENDING
from poolcrm.customers import (
    changes,
    checks,
    contacts,
    exporter,
    grading,
    import_files,
    importer,
    listing,
    output,
    registration,
    visibility,
)
from poolcrm.customers import requests as customers_requests
from poolcrm.customers.checks import GRADE_FACTS
from poolcrm.customers.inbox import inbox as cs_inbox
from poolcrm.customers.models import POOL_REJECTED, Customer
from poolcrm.customers.schemas import ContactIn, CustomerIn, CustomerPatch
from poolcrm.errors import AppError, InvalidInput, NotFound, RuleViolation
from poolcrm.i18n import translate
from poolcrm.inbound import service as inbound_service
from poolcrm.org import rules as org_rules
from poolcrm.org.models import User
from poolcrm.ownership.countdown import recycle_info
from poolcrm.policy.service import get_policy
from poolcrm.sheets import attachment
from poolcrm.web.customer_page import customer_actions, customer_sections
from poolcrm.web.deps import DB, CurrentUser, FormBody, Lang, get_database, lang_of
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import banner_kind, flash_message, flash_redirect, optional_int, run_form, text
from poolcrm.web.render import page, rendered

router = APIRouter(route_class=OneStepRoute)
PREFILL_FIELDS = frozenset({"name", "phone", "mobile", "contact_name", "remark"})
FORM_FIELDS = (
    "name",
    "address",
    "contact_name",
    "phone",
    "mobile",
    "contact_position",
    "email",
    "customer_type",
    "industry",
    "region",
    "postal_code",
    "source",
    "profile",
    "needs",
    "tier",
    "tags",
    "remark",
    "member_until",
)
PAGE_SIZE = 30


def _fragment(request: Request, template: str, lang: str, **ctx: Any) -> HTMLResponse:
    return HTMLResponse(rendered(template, lang, request=request, **ctx))


def _form_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in FORM_FIELDS:
        raw = form.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        if key == "tags":
            values[key] = [
                t.strip() for t in str(raw).replace(",", "、").replace("，", "、").split("、") if t.strip()
            ]
        else:
            values[key] = str(raw).strip()
    return values


def _pydantic_errors(exc: ValidationError, lang: str) -> dict[str, str]:
    return {".".join(str(p) for p in e["loc"]) or "form": translate("格式不正确", lang) for e in exc.errors()}


# --------------------------------------------------------------------------------------------
# list


@router.get("/customers", response_class=HTMLResponse)
def customers_page(
    request: Request,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    pool: str = "all",
    q: str = "",
    status: str = "",
    grade: str = "",
    tier: str = "",
    industry: str = "",
    sort: str = "-id",
    page_no: int = Query(1, alias="page", ge=1, le=100000),
) -> HTMLResponse:
    filters = {
        "pool": pool,
        "q": q or None,
        "status": status or None,
        "grade": grade or None,
        "tier": tier or None,
        "industry": industry or None,
        "sort": sort or None,
    }
    found = listing.list_customers(db, user, page=page_no, page_size=PAGE_SIZE, **filters)
    total, capped = found.total, found.capped
    items = [output.customer_summary(c, found.owners) for c in found.rows]
    query = {
        k: v
        for k, v in {
            "pool": pool,
            "q": q,
            "status": status,
            "grade": grade,
            "tier": tier,
            "industry": industry,
            "sort": sort,
        }.items()
        if v
    }
    return page(
        request,
        "customers/list.html",
        db=db,
        items=items,
        total=total,
        capped=capped,
        page_no=page_no,
        pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        pool=pool,
        q=q,
        status=status,
        grade=grade,
        tier=tier,
        industry=industry,
        sort=sort,
        query=urlencode(query),
        query_without_page=urlencode({k: v for k, v in query.items()}),
        sees_bin=org_rules.sees_everyone(user.roles),
    )


@router.get("/customers/new", response_class=HTMLResponse)
def new_customer_form(
    request: Request,
    user: CurrentUser,
    db: DB,
    inbound: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    """CUS-9's form. IN-2: the duty rep opens it prefilled from the inbound item `inbound` (its
    company, phone and need); the prefill fields in the query are still read, for links sent
    before items were named by id."""
    values = {k: v for k, v in request.query_params.items() if k in PREFILL_FIELDS and v.strip()}
    if inbound is not None:
        values.update(inbound_service.registration_prefill(db, user, inbound))
    return page(
        request,
        "customers/new.html",
        industries=get_policy(db).industries,
        db=db,
        values=values,
        errors={},
        warnings=[],
        matches=[],
    )


@router.post("/customers/check", response_class=HTMLResponse)
def live_check(form: FormBody, request: Request, user: CurrentUser, db: DB, lang: Lang) -> HTMLResponse:
    """The live duplicate check of the form (CUS-7) with the name and address hints (CUS-2, CUS-5)."""
    name = str(form.get("name") or "").strip()
    phone = str(form.get("phone") or "").strip()
    mobile = str(form.get("mobile") or "").strip()
    try:
        matches = checks.lookup_duplicates(db, user, name, (phone, mobile), lang=lang)
    except AppError:  # CUS-7a: too little typed yet, or too many checks — the form just waits
        matches = []
    hints = []
    if name:
        try:
            checked = checks.check_fields(
                db,
                {
                    "name": name,
                    "address": str(form.get("address") or "").strip() or None,
                    "contact_name": "-",
                    "phone": None,
                },
                lang=lang,
            )
            hints = [checks.warning_out(w, lang) for w in checked.warnings]
        except AppError:
            hints = []
    return _fragment(request, "customers/_matches.html", lang, matches=matches, hints=hints, name=name)


@router.post("/customers/new", response_class=HTMLResponse)
def new_customer_submit(form: FormBody, request: Request, user: CurrentUser, db: DB, lang: Lang) -> Response:
    return _registration_form(
        form,
        request,
        db,
        lang,
        lambda data: registration.register(db, user, data, lang=lang),
        "/customers/new",
    )


@router.get("/customers/{customer_id}/resubmit", response_class=HTMLResponse)
def resubmit_page(request: Request, customer_id: int, user: CurrentUser, db: DB) -> HTMLResponse:
    """CUS-19: the rejected registration in the registration form, to fix and submit again."""
    c = visibility.get_visible(db, user, customer_id)
    if c.pool != POOL_REJECTED or c.created_by != user.id:
        raise NotFound()
    values = {k: v for k, v in _record(c).items() if v not in (None, "")}
    return page(
        request,
        "customers/new.html",
        industries=get_policy(db).industries,
        db=db,
        values=values,
        errors={},
        warnings=[],
        matches=[],
        form_action=f"/customers/{customer_id}/resubmit",
        rejection=registration.last_rejection(db, customer_id),
    )


@router.post("/customers/{customer_id}/resubmit", response_class=HTMLResponse)
def resubmit_submit(
    form: FormBody, request: Request, customer_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    return _registration_form(
        form,
        request,
        db,
        lang,
        lambda data: registration.resubmit(db, user, customer_id, data, lang=lang),
        f"/customers/{customer_id}/resubmit",
    )


@router.post("/customers/{customer_id}/withdraw", response_model=None)
def withdraw_submit(customer_id: int, user: CurrentUser, db: DB, lang: Lang, form: FormBody) -> Response:
    """CUS-19: the registrant withdraws a rejected registration."""
    registration.withdraw(db, user, customer_id)
    return RedirectResponse(f"/customers?pool=rejected&flash={translate('已撤回', lang)}", status_code=303)


def _registration_form(
    form: Any,
    request: Request,
    db: DB,
    lang: str,
    submit: Callable[[CustomerIn], tuple[Any, Customer]],
    form_action: str,
) -> Response:
    """CUS-1..9 (and CUS-19): the registration form's answer — the record, or the form again with
    the fields to fix, the warnings to confirm and the look-alikes."""
    values = _form_values(form)
    confirm = form.get("confirm") == "1"
    errors: dict[str, str] = {}
    warnings: list[dict[str, Any]] = []
    matches: list[dict[str, Any]] = []
    try:
        data = CustomerIn(
            **values,
            confirm_warnings=confirm,
            confirm_duplicates=confirm,
            application_remark=str(form.get("application_remark") or "").strip() or None,
        )
        application, customer = submit(data)
    except ValidationError as exc:
        errors = _pydantic_errors(exc, lang)
    except InvalidInput as exc:
        errors = dict(exc.details.get("fields", {}))
    except RuleViolation as exc:
        db.rollback()
        if exc.code == "confirmation_required":
            warnings = exc.details.get("warnings", [])
            matches = exc.details.get("matches", [])
        elif exc.code == "duplicate":
            matches = exc.details.get("matches", [])
            errors = {"name": exc.render(lang)["error"]["message"]}
        else:
            errors = {"form": exc.render(lang)["error"]["message"]}
    else:
        message = "已提交，等待客服审核" if application.status == STATUS_PENDING else "已登记并进入你的私海"
        return RedirectResponse(f"/customers/{customer.id}?flash={translate(message, lang)}", status_code=303)
    return page(
        request,
        "customers/new.html",
        industries=get_policy(db).industries,
        status_code=422 if errors else 409,
        db=db,
        values=values,
        errors=errors,
        warnings=warnings,
        matches=matches,
        needs_confirm=bool(warnings or matches) and not errors,
        form_action=form_action,
    )


# --------------------------------------------------------------------------------------------
# detail, edit, contacts


@router.get("/customers/import", response_class=HTMLResponse)
def import_page(request: Request, user: CurrentUser, db: DB, job: str = "") -> HTMLResponse:
    found = importer.get_job(get_database(request), job, user.id) if job else None  # where a start redirects
    return page(request, "customers/import.html", db=db, job=found, error=None)


@router.post("/customers/import", response_model=None)
def import_start(
    request: Request,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    file: Annotated[UploadFile, File()],
    background: BackgroundTasks,
    confirm_warnings: Annotated[str, Form()] = "",
) -> Response:
    content = file.file.read()
    try:
        job, run = importer.start_job(
            get_database(request),
            db,
            user.id,
            file.filename or "upload.xlsx",
            content,
            confirm_warnings=confirm_warnings == "1",
            lang=lang,
        )
    except import_files.ImportFileError as exc:
        error = translate(str(exc), lang)
        return page(request, "customers/import.html", status_code=422, db=db, job=None, error=error)
    background.add_task(run)  # after the job's row is committed with this request
    return RedirectResponse(
        f"/customers/import?job={quote(job.id)}", status_code=303
    )  # a refresh imports nothing


@router.get("/customers/import/template.xlsx")
def import_template(user: CurrentUser, lang: Lang) -> Response:
    return Response(
        import_files.template_xlsx(lang),
        media_type=exporter.XLSX,
        headers=attachment(translate("客户导入模板", lang) + ".xlsx"),
    )


@router.get("/customers/import/{job_id}/progress", response_class=HTMLResponse)
def import_progress(request: Request, job_id: str, user: CurrentUser, lang: Lang) -> HTMLResponse:
    job = importer.get_job(get_database(request), job_id, user.id)
    response = _fragment(request, "customers/_import_progress.html", lang, job=job)
    if job is None or job.state != "running":
        response.status_code = 286  # htmx: stop polling
    return response


@router.get("/customers/import/{job_id}/report.xlsx")
def import_report(request: Request, job_id: str, user: CurrentUser, lang: Lang) -> Response:
    job = importer.get_job(get_database(request), job_id, user.id)
    if job is None or job.result is None:
        return Response(status_code=404)
    return Response(
        import_files.report_xlsx(job.result, lang),
        media_type=exporter.XLSX,
        headers=attachment("rejected-rows.xlsx"),
    )


@router.get("/customers/export.xlsx")
def export_page(
    request: Request,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    pool: str = "all",
    q: str = "",
    status: str = "",
    grade: str = "",
    tier: str = "",
    industry: str = "",
    sort: str = "-id",
) -> Response:
    filters = {"pool": pool, "q": q, "status": status, "grade": grade, "tier": tier, "industry": industry}
    given: dict[str, Any] = {k: v or None for k, v in filters.items()}  # `export_list`'s **filters
    try:
        data, filename = exporter.export_list(db, user, lang=lang, sort=sort or None, **given)
    except RuleViolation as exc:
        if exc.rule != "ORG-5a":
            raise
        return RedirectResponse(f"/exports/new?{request.url.query}", status_code=303)  # ask for approval
    return Response(data, media_type=exporter.XLSX, headers=attachment(filename))


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(
    request: Request,
    customer_id: int,
    user: CurrentUser,
    db: DB,
    flash: str | None = None,
    flash_kind: str | None = None,
) -> HTMLResponse:
    return _customer_page(request, db, user, customer_id, flash, banner=banner_kind(flash_kind))


def _customer_page(
    request: Request,
    db: DB,
    user: User,
    customer_id: int,
    flash: str | None,
    status: int = 200,
    banner: str | None = None,
) -> HTMLResponse:
    """The 360° page: a header with the viewer's actions, then each domain's section (web.customer_page)."""
    c = visibility.get_visible(db, user, customer_id)
    return page(
        request,
        "customers/detail.html",
        status_code=status,
        db=db,
        c=output.customer_detail(db, c),
        info=recycle_info(db, c),  # POOL-16: the countdown in the header
        sections=customer_sections(db, user, c, lang_of(request)),
        actions=customer_actions(db, user, c),
        editable=visibility.can_edit(db, user, c),
        resubmittable=c.pool == POOL_REJECTED and c.created_by == user.id,
        rejection=registration.last_rejection(db, c.id) if c.pool == POOL_REJECTED else None,
        flash=flash,
        flash_kind=banner or ("error" if status >= 400 else "ok"),
    )


@router.get("/customers/{customer_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, customer_id: int, user: CurrentUser, db: DB) -> HTMLResponse:
    c = visibility.get_editable(db, user, customer_id)
    return page(request, "customers/edit.html", db=db, c=c, values=_record(c), errors={}, warnings=[])


def _record(c: Customer) -> dict[str, Any]:
    out = {k: getattr(c, k) for k in (*FORM_FIELDS, "status", *GRADE_FACTS)}
    out["tags"] = "、".join(c.tags or [])
    return out


@router.post("/customers/{customer_id}/edit", response_class=HTMLResponse)
def edit_submit(
    form: FormBody, request: Request, customer_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    c = visibility.get_editable(db, user, customer_id)
    values = _form_values(form)
    for key in FORM_FIELDS:
        if key not in values and getattr(c, key) not in (None, "", []):
            values[key] = [] if key == "tags" else None
    if form.get("status"):
        values["status"] = str(form.get("status"))
    for key in GRADE_FACTS:  # CUS-11: the distributor facts are checkboxes (unticked sends nothing)
        values[key] = form.get(key) == "on"
    errors: dict[str, str] = {}
    warnings: list[dict[str, Any]] = []
    try:
        patch = CustomerPatch(
            **values,
            reason=str(form.get("reason") or "").strip() or None,
            confirm_warnings=form.get("confirm") == "1",
        )
        _, request_row = changes.update_customer(db, user, customer_id, patch, lang=lang)
    except ValidationError as exc:
        errors = _pydantic_errors(exc, lang)
    except InvalidInput as exc:
        errors = dict(exc.details.get("fields", {}))
    except RuleViolation as exc:
        db.rollback()
        warnings = exc.details.get("warnings", [])
        if not warnings:
            errors = {"form": exc.render(lang)["error"]["message"]}
    else:
        message = "关键信息修改已提交主管审批" if request_row else "已保存"
        return RedirectResponse(f"/customers/{customer_id}?flash={translate(message, lang)}", status_code=303)
    shown = {**_record(c), **values}
    return page(
        request,
        "customers/edit.html",
        status_code=422,
        db=db,
        c=c,
        values=shown,
        errors=errors,
        warnings=warnings,
    )


@router.post("/customers/{customer_id}/contacts")
def contact_submit(
    form: FormBody, request: Request, customer_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    try:
        data = ContactIn(
            name=str(form.get("name") or "").strip(),
            department=str(form.get("department") or "") or None,
            position=str(form.get("position") or "") or None,
            phone=str(form.get("phone") or "") or None,
            mobile=str(form.get("mobile") or "") or None,
            email=str(form.get("email") or "") or None,
            is_key_decision_maker=form.get("is_key_decision_maker") == "1",
        )
        contacts.add_contact(db, user, customer_id, data, lang=lang)
        message = translate("联系人已添加", lang)
    except ValidationError:
        db.rollback()
        return flash_redirect(f"/customers/{customer_id}", translate("联系人姓名必填", lang), error=True)
    except InvalidInput as exc:
        db.rollback()
        return flash_redirect(f"/customers/{customer_id}", flash_message(exc, lang), error=True)
    return flash_redirect(f"/customers/{customer_id}", message)


@router.post("/customers/{customer_id}/delete-request")
def delete_request_submit(
    form: FormBody, request: Request, customer_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    reason = str(form.get("reason") or "").strip()
    if not reason:
        return flash_redirect(
            f"/customers/{customer_id}", translate("删除申请必须填写理由", lang), error=True
        )
    customers_requests.request_deletion(db, user, customer_id, reason)
    return RedirectResponse(
        f"/customers/{customer_id}?flash={translate('删除申请已提交', lang)}", status_code=303
    )


# --------------------------------------------------------------------------------------------
# CS inbox (CUS-9) and customer requests (CUS-13, CUS-14)


# CUS-21: how CS reads a claim's corrections, field by field.
CORRECTION_LABELS = {
    "name": "公司全称",
    "address": "经营地址",
    "contact_name": "联系人",
    "contact_position": "职位",
    "phone": "电话",
    "mobile": "手机",
    "email": "邮箱",
    "postal_code": "邮编",
    "region": "地区",
    "industry": "行业",
    "source": "来源",
    "profile": "简介",
    "remark": "备注",
}


@router.get("/applications", response_class=HTMLResponse)
def inbox(
    request: Request,
    user: CurrentUser,
    db: DB,
    lang: Lang,
    status: str = "pending",
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    flash: str | None = None,
    flash_kind: str | None = None,
) -> HTMLResponse:
    view = cs_inbox(db, user, status, lang, page_no)
    return page(
        request,
        "customers/inbox.html",
        db=db,
        **view,
        status=status,
        kind_new=KIND_NEW_CUSTOMER,
        correction_labels=CORRECTION_LABELS,
        flash=flash,
        flash_kind=banner_kind(flash_kind),
    )


@router.post("/applications/decisions", response_model=None)
def inbox_decide_many(form: FormBody, request: Request, user: CurrentUser, db: DB, lang: Lang) -> Response:
    """CUS-9: the ticked applications approved or rejected at once; refusals listed with their rule."""
    raw = [str(v).strip() for v in form.getlist("application_ids")]
    ids = [optional_int(v) for v in raw]
    try:
        if any(i is None for i in ids):
            raise InvalidInput({"application_ids": "格式不正确"}, rule="SEC-1")
        action = text(form, "action")
        if action not in ("approve", "reject"):
            raise InvalidInput({"action": "格式不正确"}, rule="SEC-1")
        decisions = applications_bulk.decide_many(
            db,
            user,
            [i for i in ids if i is not None],
            approve=action == "approve",
            reason=text(form, "reason"),
        )
    except AppError as exc:
        db.rollback()
        resp = inbox(request, user, db, lang, flash=flash_message(exc, lang), flash_kind="error")
        resp.status_code = exc.status
        return resp
    refused = [d for d in decisions if d.refusal is not None]
    done = "已通过 {ok} 个，未通过 {bad} 个" if action == "approve" else "已驳回 {ok} 个，未通过 {bad} 个"
    lines = [translate(done, lang, ok=len(decisions) - len(refused), bad=len(refused))]
    lines += [f"#{d.application_id} {flash_message(d.refusal, lang)}" for d in refused if d.refusal]
    return flash_redirect("/applications", "；".join(lines), error=bool(refused))


@router.post("/applications/{app_id}/approve")
def inbox_approve(app_id: int, user: CurrentUser, db: DB, lang: Lang) -> Response:
    try:
        applications_service.approve(db, app_id, user)
    except AppError as exc:
        db.rollback()
        return flash_redirect("/applications", flash_message(exc, lang), error=True)
    return flash_redirect("/applications", translate("已通过", lang))


@router.post("/applications/{app_id}/reject")
def inbox_reject(
    form: FormBody, request: Request, app_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    try:
        applications_service.reject(db, app_id, user, str(form.get("reason") or ""))
    except AppError as exc:
        db.rollback()
        return flash_redirect("/applications", flash_message(exc, lang), error=True)
    return flash_redirect("/applications", translate("已驳回", lang))


@router.post("/customers/requests/{request_id}/{decision}")
def request_decide(
    form: FormBody, request: Request, request_id: int, decision: str, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    try:
        if decision == "approve":
            customers_requests.approve_request(db, user, request_id, lang=lang)
        else:
            reason = str(form.get("reason") or "").strip()
            if not reason:
                raise InvalidInput({"reason": "驳回必须填写理由"}, rule="CUS-13")
            customers_requests.reject_request(db, user, request_id, reason)
    except AppError as exc:
        db.rollback()
        return flash_redirect("/applications", flash_message(exc, lang), error=True)
    return flash_redirect("/applications", translate("已处理", lang))


@router.post("/customers/{customer_id}/grade", response_model=None)
def grade_override(
    form: FormBody, request: Request, customer_id: int, user: CurrentUser, db: DB, lang: Lang
) -> Response:
    """CUS-11: a supervisor sets the grade (or returns it to the computed one) with a reason."""
    visibility.get_visible(db, user, customer_id)
    grade = text(form, "grade") or None
    return run_form(
        db,
        lang,
        lambda: grading.override_grade(db, user, customer_id, grade, text(form, "reason")),
        lambda _: f"/customers/{customer_id}",
        lambda flash, status: _customer_page(request, db, user, customer_id, flash, status),
    )
