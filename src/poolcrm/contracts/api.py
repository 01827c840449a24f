"""Contracts and payments API (API.md § Contracts and payments): parse, call the service, return."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response

from poolcrm.calendar.rules import add_months
from poolcrm.contracts import analytics, files, output, payments, service, special_prices
from poolcrm.contracts.access import get_contract
from poolcrm.contracts.models import SpecialPrice
from poolcrm.contracts.rules import STATUS_LABELS
from poolcrm.contracts.schemas import ContractIn, DecisionIn, PaymentIn, SpecialPriceIn
from poolcrm.errors import InvalidInput
from poolcrm.sheets import attachment
from poolcrm.web.deps import DB, CurrentUser
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import month_param

router = APIRouter(route_class=OneStepRoute, tags=["contracts"])


@router.post("/contracts", status_code=201)
def create_contract(body: ContractIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.contract_out(db, service.record_contract(db, user, body), full=True)


@router.get("/contracts")
def list_contracts(
    user: CurrentUser,
    db: DB,
    status: str | None = None,
    owner_id: int | None = None,
    customer_id: int | None = None,
    deal_id: int | None = None,
    overdue: bool = False,
    q: str | None = Query(None, max_length=100),
    page: int = Query(1, ge=1, le=100000),
    page_size: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    if status and status not in STATUS_LABELS:
        raise InvalidInput({"status": "未知的合同状态"})
    f = output.ContractFilter(status or None, owner_id, customer_id, deal_id, overdue, q)
    items, total = output.list_contracts(db, user, f, page, page_size)
    return {"items": output.contracts_out(db, items), "total": total, "page": page}


@router.get("/contracts/analytics")
def contract_analytics(
    user: CurrentUser,
    db: DB,
    by: str = "month",
    start: str = Query(..., alias="from", max_length=7),
    end: str = Query(..., alias="to", max_length=7),
) -> dict[str, Any]:
    """CTR-3: signed and collected amounts side by side, months `from`..`to` inclusive."""
    first, last = month_param(start, "from"), month_param(end, "to")
    after = add_months(last, 1)
    return analytics.signed_and_collected(db, user, by, first, after)


@router.get("/contracts/{contract_id}")
def read_contract(contract_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.contract_out(db, get_contract(db, user, contract_id), full=True)


@router.post("/contracts/{contract_id}/approve")
def approve_contract(contract_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.contract_out(db, service.approve_contract(db, user, contract_id), full=True)


@router.post("/contracts/{contract_id}/reject")
def reject_contract(contract_id: int, body: DecisionIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.contract_out(db, service.reject_contract(db, user, contract_id, body.reason), full=True)


@router.post("/contracts/{contract_id}/cancel")
def cancel_contract(contract_id: int, body: DecisionIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return output.contract_out(db, service.cancel_contract(db, user, contract_id, body.reason), full=True)


@router.post("/contracts/{contract_id}/payments")
def record_payment(contract_id: int, body: PaymentIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    """CTR-3: the contract with `received`, `outstanding`, and the deal's status (`won` when fully paid)."""
    return output.contract_out(db, payments.record_payment(db, user, contract_id, body), full=True)


@router.post("/contracts/{contract_id}/files", status_code=201)
def upload_file(contract_id: int, user: CurrentUser, db: DB, file: UploadFile = File(...)) -> dict[str, Any]:
    content = file.file.read()
    row = files.attach_file(db, user, contract_id, file.filename or "", content)
    return {"id": row.id, "filename": row.filename, "size": row.size}


@router.get("/contracts/{contract_id}/files/{file_id}", response_model=None)
def download_file(contract_id: int, file_id: int, user: CurrentUser, db: DB) -> Response:
    row = files.read_file(db, user, contract_id, file_id)
    return Response(
        row.content,
        media_type=row.content_type,
        headers=attachment(row.filename),
    )


def _price_out(row: SpecialPrice) -> dict[str, Any]:
    return {
        "id": row.id,
        "customer_id": row.customer_id,
        "product": row.product,
        "list_price": float(row.list_price) if row.list_price is not None else None,
        "special_price": float(row.special_price),
        "reason": row.reason,
        "status": row.status,
        "requested_by": row.requested_by,
        "decided_by": row.decided_by,
        "decision_reason": row.decision_reason,
        "created_at": row.created_at.isoformat(),
    }


@router.post("/special-prices", status_code=201)
def request_special_price(body: SpecialPriceIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return _price_out(special_prices.request_special_price(db, user, body))


@router.get("/special-prices/{price_id}")
def read_special_price(price_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return _price_out(special_prices.get_special_price(db, user, price_id))


@router.post("/special-prices/{price_id}/approve")
def approve_special_price(price_id: int, user: CurrentUser, db: DB) -> dict[str, Any]:
    return _price_out(special_prices.decide_special_price(db, user, price_id, True, None))


@router.post("/special-prices/{price_id}/reject")
def reject_special_price(price_id: int, body: DecisionIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    return _price_out(special_prices.decide_special_price(db, user, price_id, False, body.reason))
