"""The scanned contract (CTR-1, CTR-1b): checked for size and type before anything is written, stored
in the database in the same transaction as its audit row — a refused or failed upload leaves no
file and no row — and read back only by those who may see the contract."""

from __future__ import annotations

from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.attachments import SCANS, accepted_upload
from poolcrm.audit.service import record
from poolcrm.contracts.access import get_contract
from poolcrm.contracts.models import ContractFile
from poolcrm.errors import NotFound
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy


def attach_file(
    session: Session, actor: User, contract_id: int, filename: str, content: bytes
) -> ContractFile:
    """CTR-1b: a scanned contract is a PDF, JPEG or PNG (by name and by content), not empty and not
    larger than `contract_file_max_mb`."""
    contract = get_contract(session, actor, contract_id, act=True)
    limit = get_policy(session).contract_file_max_mb * 1024 * 1024
    name, kind = accepted_upload(filename, content, SCANS, limit, "CTR-1", "contract")
    row = ContractFile(
        contract_id=contract.id,
        filename=name,
        content_type=kind.content_type,
        size=len(content),
        content=content,
        uploaded_by=actor.id,
        uploaded_at=clock.now(),
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor_id=actor.id,
        action="contract.file",
        object_type="contract",
        object_id=contract.id,
        after={"file_id": row.id, "filename": name, "size": len(content)},
        rule="CTR-1",
    )
    return row


def read_file(session: Session, actor: User, contract_id: int, file_id: int) -> ContractFile:
    get_contract(session, actor, contract_id)
    row = session.get(ContractFile, file_id)
    if row is None or row.contract_id != contract_id:
        raise NotFound()
    return row
