from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from poolcrm.applications.models import Application


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class ApplicationOut(BaseModel):
    id: int
    kind: str
    status: str
    customer_id: int
    applicant_id: int
    remark: str | None
    corrections: Any
    confirmed_matches: Any
    decision_reason: str | None
    decision_rule: str | None
    decided_by: int | None
    decided_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, a: Application) -> ApplicationOut:
        return cls(
            id=a.id,
            kind=a.kind,
            status=a.status,
            customer_id=a.customer_id,
            applicant_id=a.applicant_id,
            remark=a.remark,
            corrections=a.corrections,
            confirmed_matches=a.confirmed_matches,
            decision_reason=a.decision_reason,
            decision_rule=a.decision_rule,
            decided_by=a.decided_by,
            decided_at=a.decided_at,
            created_at=a.created_at,
        )
