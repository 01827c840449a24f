"""Report attachments and expense receipts (WORK-1, WORK-3): checked like every upload (type by name
and content, size by policy), stored in the database with the row they belong to."""

from __future__ import annotations

from pathlib import PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.attachments import DOCUMENTS, SCANS, FileKind, accepted_upload
from poolcrm.policy.service import get_policy
from poolcrm.work.models import WorkFile

ALLOWED: dict[str, dict[str, FileKind]] = {"report": DOCUMENTS, "expense": SCANS}


def checked(
    session: Session, owner_type: str, filename: str, content: bytes, rule: str
) -> tuple[str, FileKind]:
    """The file's clean name and kind, or 422 naming `file` (nothing written)."""
    limit = get_policy(session).work_file_max_mb * 1024 * 1024
    return accepted_upload(filename, content, ALLOWED[owner_type], limit, rule)


def store(
    session: Session, owner_type: str, owner_id: int, name: str, kind: FileKind, content: bytes, user_id: int
) -> WorkFile:
    row = WorkFile(
        owner_type=owner_type,
        owner_id=owner_id,
        filename=name,
        content_type=kind.content_type,
        size=len(content),
        content=content,
        uploaded_by=user_id,
        uploaded_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def files_of(session: Session, owner_type: str, owner_id: int) -> list[WorkFile]:
    q = select(WorkFile).where(WorkFile.owner_type == owner_type, WorkFile.owner_id == owner_id)
    return list(session.scalars(q.order_by(WorkFile.id)))


def suffix(name: str) -> str:
    return PurePath(name).suffix.lower()
