"""Contract requests (API.md § Contracts and payments)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from poolcrm.db import Id


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product: str = Field(max_length=200)
    quantity: Decimal = Field(max_digits=14, decimal_places=2)
    unit_price: Decimal = Field(max_digits=16, decimal_places=2)
    model: str | None = Field(None, max_length=100)
    delivery_on: date | None = None


class InstallmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    due_on: date
    amount: Decimal = Field(max_digits=16, decimal_places=2)


class ContractIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Id
    deal_id: Id | None = None
    number: str = Field(max_length=64)
    amount: Decimal = Field(max_digits=16, decimal_places=2)
    signed_on: date
    terms: str = Field("", max_length=5000)
    lines: list[LineIn] | None = Field(None, max_length=200)
    installments: list[InstallmentIn] = Field(default_factory=list, max_length=120)


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    received_on: date
    amount: Decimal = Field(max_digits=16, decimal_places=2)
    method: str = Field(max_length=20)
    note: str | None = Field(None, max_length=500)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=1000)


class SpecialPriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Id
    product: str = Field(max_length=200)
    list_price: Decimal | None = Field(None, max_digits=16, decimal_places=2)
    special_price: Decimal = Field(max_digits=16, decimal_places=2)
    reason: str = Field(max_length=2000)
