"""Ticket attachments (SVC-2): scanned service sheets, acceptance reports, commissioning records.
Checked for type (name and first bytes) and size before anything is written, stored in the database
with their log line and audit entry in one transaction (SVC-2a) — a refused or failed upload leaves
no file and no row — and read back only by those who may see the ticket (404 otherwise)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.attachments import SCANS, accepted_upload
from poolcrm.audit.service import record
from poolcrm.errors import Forbidden, InvalidInput, NotFound
from poolcrm.org.models import User
from poolcrm.service import rules
from poolcrm.service.access import get_ticket, lock_ticket
from poolcrm.service.models import TicketFile
from poolcrm.service.tickets import log, max_upload_bytes, refuse_action


def attach_file(
    session: Session, actor: User, ticket_id: int, doc_type: str, filename: str, content: bytes
) -> TicketFile:
    """SVC-2: a PDF, JPEG or PNG scan of a known document type, not empty, within the size limit."""
    ticket = lock_ticket(session, actor, ticket_id)
    if not rules.follows_ticket(actor.roles, ticket.assignee_id == actor.id):
        raise Forbidden()
    refuse_action(ticket, "attach")
    if doc_type not in rules.DOC_TYPES:
        raise InvalidInput({"doc_type": "未知的附件类型"}, rule="SVC-2")
    name, kind = accepted_upload(filename, content, SCANS, max_upload_bytes(session), "SVC-2", "scan")
    row = TicketFile(
        ticket_id=ticket.id,
        doc_type=doc_type,
        filename=name,
        content_type=kind.content_type,
        size=len(content),
        content=content,
        uploaded_by=actor.id,
        uploaded_at=clock.now(),
    )
    session.add(row)
    session.flush()
    log(session, ticket, actor.id, "attach", name)
    record(
        session,
        actor_id=actor.id,
        action="ticket.file",
        object_type="ticket",
        object_id=ticket.id,
        after={"file_id": row.id, "doc_type": doc_type, "filename": name, "size": len(content)},
        rule="SVC-2",
    )
    return row


def read_file(session: Session, actor: User, file_id: int) -> TicketFile:
    """SVC-2/SVC-8: an attachment, for those who may see its ticket — 404 alike for a missing
    file and one on a ticket the user cannot see."""
    row = session.get(TicketFile, file_id)
    if row is None:
        raise NotFound()
    get_ticket(session, actor, row.ticket_id)
    return row
