"""Work-record fixtures: the deal team (manager ← sup ← rep, rep2; other; cs; admin) plus a GM and a
finance clerk, a customer of the rep with a valid follow-up and a deal with a progress record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.deals.conftest import (  # noqa: F401  (fixtures shared with the deals tests)
    NOW,
    TODAY,
    _frozen_clock,
    h,
    make_customer,
    new_deal,
    team,
)

PDF = b"%PDF-1.4\n" + b"0" * 500
DOCX = b"PK\x03\x04" + b"0" * 500


@pytest.fixture
def crew(team: dict[str, int], make_user: Callable[..., int]) -> dict[str, int]:  # noqa: F811
    return {
        **team,
        "gm": make_user("gm", ["gm"], dept="总经办", kind="other", display_name="刘总"),
        "fin": make_user("fin", ["finance"], dept="财务部", kind="other", display_name="钱会计"),
    }


@pytest.fixture
def work_customer(
    client: Any,
    h: Callable[[str], dict[str, str]],  # noqa: F811
    crew: dict[str, int],
    make_customer: Any,  # noqa: F811
) -> dict[str, Any]:
    """A customer of `rep` with one valid follow-up (the FU-1 minimum content)."""
    cid = make_customer(crew["rep"])
    body = {"subject": "去访", "content": "拜访王经理（采购部），确认明年扫描仪预算约二十万，下周提交方案"}
    followup = client.post(f"/api/v1/customers/{cid}/followups", json=body, headers=h("rep")).json()
    assert followup["valid"] is True
    return {"customer_id": cid, "followup_id": followup["id"]}
