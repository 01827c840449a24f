"""The scanned contract (CTR-1, CTR-1b): checked for size and type before anything is written, stored
in the database in the same transaction as its audit row — a refused or failed upload leaves no
file and no row — and read back only by those who may see the contract."""

from __future__ import annotations

from pathlib import PurePath

from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.contracts import rules
from poolcrm.contracts.access import get_contract
from poolcrm.contracts.models import ContractFile
from poolcrm.errors import InvalidInput, NotFound
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy

# The first bytes of each allowed type: the name's extension must agree with the content.
MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def file_problem(filename: str, content: bytes, max_bytes: int) -> str | None:
    """CTR-1b: a scanned contract is a PDF, JPEG or PNG (by name and by content), not empty and not
    larger than the policy limit."""
    kind = rules.FILE_TYPES.get(PurePath(filename).suffix.lower())
    if kind is None:
        return "只接受 PDF、JPG、PNG 格式的合同扫描件"
    if not content:
        return "文件为空"
    if len(content) > max_bytes:
        return "文件超过大小上限"
    if not content.startswith(MAGIC[kind]):
        return "文件内容与扩展名不符"
    return None


def attach_file(
    session: Session, actor: User, contract_id: int, filename: str, content: bytes
) -> ContractFile:
    contract = get_contract(session, actor, contract_id, act=True)
    limit = get_policy(session).contract_file_max_mb * 1024 * 1024
    name = PurePath(filename.replace("\\", "/")).name.strip()[:200] or "contract"
    problem = file_problem(name, content, limit)
    if problem:
        raise InvalidInput({"file": problem}, rule="CTR-1")
    row = ContractFile(
        contract_id=contract.id,
        filename=name,
        content_type=rules.FILE_TYPES[PurePath(name).suffix.lower()],
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
