"""Customers API (API.md § Customers): parse, call the service, return."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse, Response

from poolcrm.applications.schemas import ApplicationOut
from poolcrm.customers import changes as customers_changes
from poolcrm.customers import (
    checks,
    export_requests,
    exporter,
    import_files,
    importer,
    listing,
    output,
    registration,
    requests,
    visibility,
)
from poolcrm.customers import contacts as customers_contacts
from poolcrm.customers import history as customers_history
from poolcrm.customers import merge as customers_merge
from poolcrm.customers.models import CustomerRequest
from poolcrm.customers.schemas import (
    ContactIn,
    ContactPatch,
    CustomerIn,
    CustomerPatch,
    DecisionIn,
    DuplicateQuery,
    ExportRequestIn,
    MergeIn,
    ReasonIn,
    RequestOut,
)
from poolcrm.errors import InvalidInput
from poolcrm.pools.history import owner_on
from poolcrm.sheets import attachment
from poolcrm.web.deps import DB, CurrentUser, Lang
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["customers"])


def _request_out(r: CustomerRequest) -> dict[str, Any]:
    return RequestOut.model_validate(r, from_attributes=True).model_dump(mode="json")


def _filters(
    pool: str,
    q: str | None,
    owner: int | None,
    grade: str | None,
    status: str | None,
    tag: str | None,
    industry: str | None,
    tier: str | None,
    region: str | None,
    sort: str | None,
) -> dict[str, Any]:
    return {
        "pool": pool,
        "q": q,
        "owner": owner,
        "grade": grade,
        "status": status,
        "tag": tag,
        "industry": industry,
        "tier": tier,
        "region": region,
        "sort": sort,
    }


@router.post("/customers/duplicates")
def check_duplicates(body: DuplicateQuery, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    """CUS-7: customers that look like the same company (POOL-3: owner shown, details not)."""
    excluded = {body.exclude_id} if body.exclude_id else set()
    matches = checks.lookup_duplicates(db, user, body.name, (body.phone,), exclude_ids=excluded, lang=lang)
    return {"matches": matches}


@router.post("/customers", status_code=201)
def register(body: CustomerIn, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    """CUS-1..9: register a customer; answers the `new_customer` application."""
    application, customer = registration.register(db, user, body, lang=lang)
    out = ApplicationOut.of(application).model_dump(mode="json")
    out["customer_code"] = customer.code
    return out


@router.post("/customers/{customer_id}/resubmit", status_code=201)
def resubmit(customer_id: int, body: CustomerIn, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    """CUS-19: the registrant fixes a rejected registration and submits it again (a new application)."""
    application, customer = registration.resubmit(db, user, customer_id, body, lang=lang)
    out = ApplicationOut.of(application).model_dump(mode="json")
    out["customer_code"] = customer.code
    return out


@router.post("/customers/{customer_id}/withdraw")
def withdraw(customer_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    """CUS-19: the registrant withdraws a rejected registration (kept as a tombstone)."""
    customer = registration.withdraw(db, user, customer_id)
    return {"id": customer.id, "code": customer.code, "pool": customer.pool}


@router.get("/customers")
def list_customers(
    user: CurrentUser,
    db: DB,
    pool: str = "all",
    q: str | None = None,
    owner: int | None = None,
    grade: str | None = None,
    status: str | None = None,
    tag: str | None = None,
    industry: str | None = None,
    tier: str | None = None,
    region: str | None = None,
    sort: str | None = None,
    page: int = Query(1, ge=1, le=100000),
    page_size: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    found = listing.list_customers(
        db,
        user,
        page=page,
        page_size=page_size,
        **_filters(pool, q, owner, grade, status, tag, industry, tier, region, sort),
    )
    return {
        "items": [output.customer_summary(c, found.owners) for c in found.rows],
        "total": found.total,
        "total_capped": found.capped,  # True: at least `total` match ("1000+")
        "page": page,
        "page_size": page_size,
    }


@router.get("/customers/export")
def export_customers(
    user: CurrentUser,
    db: DB,
    lang: Lang,
    pool: str = "all",
    q: str | None = None,
    owner: int | None = None,
    grade: str | None = None,
    status: str | None = None,
    tag: str | None = None,
    industry: str | None = None,
    tier: str | None = None,
    region: str | None = None,
    sort: str | None = None,
) -> Response:
    """CUS-18 / ORG-5: the list as .xlsx, scoped like the list, and audited."""
    data, filename = exporter.export_list(
        db, user, lang=lang, **_filters(pool, q, owner, grade, status, tag, industry, tier, region, sort)
    )
    return Response(data, media_type=exporter.XLSX, headers=attachment(filename))


@router.get("/customers/import/template")
def import_template(user: CurrentUser, lang: Lang) -> Response:
    return Response(
        import_files.template_xlsx(lang),
        media_type=exporter.XLSX,
        headers=attachment("customers-template.xlsx"),
    )


@router.post("/customers/import", status_code=200)
def import_file(
    user: CurrentUser,
    db: DB,
    lang: Lang,
    file: UploadFile = File(...),
    confirm_warnings: bool = Form(False),
) -> JSONResponse:
    """CUS-18: import synchronously (small files); large files go through the import page or CLI."""
    content = file.file.read()
    result = importer.import_bytes(
        db, user, file.filename or "upload.xlsx", content, confirm_warnings=confirm_warnings, lang=lang
    )
    return JSONResponse(result.summary())


@router.get("/customer-requests")
def list_requests(
    user: CurrentUser, db: DB, status: str | None = "pending", kind: str | None = None
) -> dict[str, Any]:
    return {"items": [_request_out(r) for r in requests.list_requests(db, user, status, kind)]}


@router.post("/customer-requests/{request_id}/approve")
def approve_request(request_id: int, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    """CUS-13 (supervisor) / CUS-14 (department head and admin)."""
    return _request_out(requests.approve_request(db, user, request_id, lang=lang))


@router.post("/customer-requests/{request_id}/reject")
def reject_request(request_id: int, body: ReasonIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return _request_out(requests.reject_request(db, user, request_id, body.reason))


@router.post("/customers/merge")
def merge(body: MergeIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """CUS-10: merge duplicates into the earliest-created record."""
    kept = customers_merge.merge_customers(db, user, body.customer_ids, body.reason)
    return output.customer_detail(db, kept)


@router.get("/customers/{customer_id}")
def get_customer(customer_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.customer_detail(db, visibility.get_visible(db, user, customer_id))


@router.patch("/customers/{customer_id}")
def patch_customer(
    customer_id: int, body: CustomerPatch, user: CurrentUser, db: DB, lang: Lang
) -> dict[str, Any]:
    """CUS-13: every change recorded; key fields of a closed customer wait for the supervisor."""
    customer, request = customers_changes.update_customer(db, user, customer_id, body, lang=lang)
    out = output.customer_detail(db, customer)
    out["pending_change_request"] = _request_out(request) if request else None
    return out


@router.post("/customers/{customer_id}/delete-request", status_code=201)
def request_deletion(customer_id: int, body: ReasonIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """CUS-14: no hard delete — a request approved by the department head and an admin."""
    return _request_out(requests.request_deletion(db, user, customer_id, body.reason))


@router.get("/customers/{customer_id}/changes")
def changes(customer_id: int, user: CurrentUser, db: DB) -> list[dict[str, Any]]:
    return customers_history.change_history(db, user, customer_id)


@router.get("/customers/{customer_id}/history", response_model=None)
def history(
    customer_id: int, user: CurrentUser, db: DB, on: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$")
) -> Any:
    """POOL-12: ownership events; `?on=YYYY-MM-DD` → who owned it at the end of that day (pools)."""
    if on is not None:
        try:
            day = date.fromisoformat(on)
        except ValueError as exc:
            raise InvalidInput({"on": "日期格式应为 YYYY-MM-DD"}) from exc
        return owner_on(db, user, customer_id, day)
    return customers_history.ownership_history(db, user, customer_id)


@router.get("/customers/{customer_id}/contacts")
def contacts(
    customer_id: int, user: CurrentUser, db: DB, include_inactive: bool = False
) -> list[dict[str, Any]]:
    return [
        customers_contacts.contact_out(c)
        for c in customers_contacts.list_contacts(db, user, customer_id, include_inactive=include_inactive)
    ]


@router.post("/customers/{customer_id}/contacts", status_code=201)
def add_contact(customer_id: int, body: ContactIn, user: CurrentUser, db: DB, lang: Lang) -> dict[str, Any]:
    return customers_contacts.contact_out(
        customers_contacts.add_contact(db, user, customer_id, body, lang=lang)
    )


@router.patch("/customers/{customer_id}/contacts/{contact_id}")
def patch_contact(
    customer_id: int, contact_id: int, body: ContactPatch, user: CurrentUser, db: DB, lang: Lang
) -> dict[str, Any]:
    return customers_contacts.contact_out(
        customers_contacts.update_contact(db, user, customer_id, contact_id, body, lang=lang)
    )


def _export_request_out(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "requested_by": entry.requested_by,
        "filters": entry.filters,
        "rows": entry.rows,
        "reason": entry.reason,
        "status": entry.status,
        "decided_by": entry.decided_by,
        "decision_reason": entry.decision_reason,
        "expires_at": entry.expires_at.isoformat() if entry.expires_at else None,
        "created_at": entry.created_at.isoformat(),
    }


@router.post("/export-requests", status_code=201)
def create_export_request(body: ExportRequestIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """ORG-5a: ask the supervisor for a bulk export."""
    return _export_request_out(export_requests.request_export(db, user, body.filters, body.reason))


@router.get("/export-requests")
def list_export_requests(user: CurrentUser, db: DB) -> dict[str, Any]:
    """ORG-5a: my requests and those I decide."""
    return {"items": [_export_request_out(e) for e in export_requests.visible_requests(db, user)]}


@router.post("/export-requests/{request_id}/approve")
def approve_export_request(request_id: int, body: DecisionIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return _export_request_out(export_requests.decide(db, user, request_id, True, body.reason))


@router.post("/export-requests/{request_id}/reject")
def reject_export_request(request_id: int, body: DecisionIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return _export_request_out(export_requests.decide(db, user, request_id, False, body.reason))


@router.get("/export-requests/{request_id}/download")
def download_export(request_id: int, user: CurrentUser, db: DB, lang: Lang) -> Response:
    """ORG-5a: the approved export, once, by its requester."""
    filters = export_requests.take(db, user, request_id)
    data, filename = exporter.export_list(db, user, lang=lang, approved=request_id, **filters)
    return Response(data, media_type=exporter.XLSX, headers=attachment(filename))
