"""Uploaded files (contracts' scans, reports, receipts): what a file may be — by its name and by its
first bytes, never trusting the browser's content type — and how large. The callers store the bytes
in the database in the same transaction as the row they belong to, so a backup carries them and a
refused or failed upload leaves nothing behind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath

from poolcrm.errors import InvalidInput

FILENAME_LENGTH = 200
"""The longest file name kept (the files' `filename` columns): a longer one is refused naming `file`,
not cut short — the cut lost its extension, and the file was then refused as of a wrong type."""
ZIP = (b"PK\x03\x04",)
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)


@dataclass(frozen=True)
class FileKind:
    content_type: str
    magic: tuple[bytes, ...]


PDF = FileKind("application/pdf", (b"%PDF-",))
JPEG = FileKind("image/jpeg", (b"\xff\xd8\xff",))
PNG = FileKind("image/png", (b"\x89PNG\r\n\x1a\n",))
SCANS: dict[str, FileKind] = {".pdf": PDF, ".jpg": JPEG, ".jpeg": JPEG, ".png": PNG}
DOCUMENTS: dict[str, FileKind] = {
    **SCANS,
    ".docx": FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".doc": FileKind("application/msword", OLE),
    ".xls": FileKind("application/vnd.ms-excel", OLE),
}


def clean_name(filename: str, fallback: str = "file") -> str:
    """The file's own name, without any folder a browser or a script sent."""
    return PurePath(filename.replace("\\", "/")).name.strip() or fallback


def kind_of(filename: str, allowed: Mapping[str, FileKind]) -> FileKind | None:
    return allowed.get(PurePath(filename).suffix.lower())


def upload_problem(
    filename: str, content: bytes, allowed: Mapping[str, FileKind], max_bytes: int
) -> str | None:
    """A file of an allowed type (its name and its first bytes agree), not empty, not too large."""
    kind = kind_of(filename, allowed)
    if kind is None:
        return "不支持的文件类型"
    if not content:
        return "文件为空"
    if len(content) > max_bytes:
        return "文件超过大小上限"
    if not content.startswith(kind.magic):
        return "文件内容与扩展名不符"
    return None


def accepted_upload(
    filename: str,
    content: bytes,
    allowed: Mapping[str, FileKind],
    max_bytes: int,
    rule: str,
    fallback: str = "file",
) -> tuple[str, FileKind]:
    """The upload's clean name and kind, or 422 naming `file` under `rule` — before anything is
    written, so a refused file leaves no row."""
    name = clean_name(filename, fallback)
    if len(name) > FILENAME_LENGTH:
        raise InvalidInput({"file": "文件名太长"}, rule="SEC-1")
    problem = upload_problem(name, content, allowed, max_bytes)
    kind = kind_of(name, allowed)
    if problem or kind is None:
        raise InvalidInput({"file": problem or "文件内容与扩展名不符"}, rule=rule)
    return name, kind
