"""NOTE-1..3: request shapes of the notification channel endpoints (API.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool


class NotificationSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: dict[str, list[str]] = Field(default_factory=dict)
    email: str | None = Field(default=None, max_length=200)
    im_ids: dict[str, str] = Field(default_factory=dict)
    digest: StrictBool = False


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(max_length=16)
    name: str = Field(max_length=100)
    config: dict[str, Any] = Field(default_factory=dict)
    active: StrictBool = True


class ChannelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=100)
    config: dict[str, Any] | None = None
    active: StrictBool | None = None
