"""Contract fixtures: the deal team and helpers of tests/deals, and a signed deal's contract."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.deals.conftest import (  # noqa: F401  (fixtures shared with the deals tests)
    _frozen_clock,
    h,
    make_customer,
    new_deal,
    pay_in_full,
    team,
)


@pytest.fixture
def sign(client: Any, h: Callable[[str], dict[str, str]], new_deal: Callable[..., dict[str, Any]]):  # noqa: F811
    """A deal signed through `POST /contracts` with the given installments; returns the contract."""

    def _sign(
        installments: list[tuple[str, float]] | None = None,
        amount: float = 58000,
        user: str = "rep",
        number: str = "HT-2026-0310",
        **extra: Any,
    ) -> dict[str, Any]:
        deal = extra.pop("deal", None) or new_deal(user)
        body = {
            "customer_id": deal["customer_id"],
            "deal_id": deal["id"],
            "number": number,
            "amount": amount,
            "signed_on": "2026-03-10",
            "terms": "验收后付款",
            "installments": [{"due_on": d, "amount": a} for d, a in (installments or [])],
            **extra,
        }
        resp = client.post("/api/v1/contracts", json=body, headers=h(user))
        assert resp.status_code == 201, resp.text
        return resp.json()

    return _sign
