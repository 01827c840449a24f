"""GOV-5 request shapes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class VerifyIn(BaseModel):
    """`POST /customers/{id}/verify`: nothing (the details are right), or the corrected fields."""

    model_config = ConfigDict(extra="forbid")

    contact_name: str | None = Field(default=None, max_length=100)
    contact_position: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    mobile: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=500)
