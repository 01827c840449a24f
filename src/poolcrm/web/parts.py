"""SEC-1 for multipart uploads: the part headers of a body watched as it streams to the app.

The app's form parser (python-multipart, through Starlette) reads a part's header line of at most
`DEFAULT_MAX_HEADER_SIZE` bytes; a longer one — in practice a file name thousands of characters
long — fails the whole form with a bare 400 "Invalid multipart data." that names nothing. The
watcher reads the same bytes first, with a parser of its own that takes any length and keeps only
what it needs (each header line's start and size), and finds such a line before the app's parser
is given it: the request is then refused with the ordinary 422 naming the part's field (`file`).
File names the app's parser can read are the handlers' to judge (`attachments.accepted_upload`)."""

from __future__ import annotations

import re

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import DEFAULT_MAX_HEADER_SIZE, MultipartParser, parse_options_header

LONGEST_LINE = DEFAULT_MAX_HEADER_SIZE - 128
"""The longest header line (name and value) let through: under the app's parser's limit with room
for the syntax it counts too (the colon, spaces)."""
KEPT = 512  # the bytes of a line's start kept to name its field
FILE_NAME_TOO_LONG = "文件名太长"
TOO_LONG = "太长"
_NAME = re.compile(rb'(?:^|;)\s*name="([^"]*)"')
_FILENAME = re.compile(rb";\s*filename\*?=")


class PartHeaders:
    """One multipart body's headers, fed chunk by chunk (`feed`); `refusal` says what to refuse
    ({field: message}) once a line has grown past `LONGEST_LINE`, else None."""

    def __init__(self, boundary: bytes) -> None:
        self.refusal: dict[str, str] | None = None
        self._field = b""
        self._start = b""
        self._size = 0
        self._part_name = ""
        self._broken = False
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begins,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
            },
            max_header_count=2**31,
            max_header_size=2**62,
        )

    @classmethod
    def of(cls, content_type: str) -> PartHeaders | None:
        """A watcher for a `multipart/form-data` body with a boundary; None for anything else."""
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        return cls(boundary) if kind == b"multipart/form-data" and boundary else None

    def feed(self, chunk: bytes) -> None:
        """Read `chunk`; a body the parser cannot follow is left to the app's parser to refuse."""
        if self._broken or self.refusal is not None or not chunk:
            return
        try:
            self._parser.write(chunk)
        except MultipartParseError:
            self._broken = True

    def _part_begins(self) -> None:
        self._part_name = ""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end][:KEPT]
        self._grow(end - start)

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        if len(self._start) < KEPT:
            self._start += data[start:end][: KEPT - len(self._start)]
        self._grow(end - start)

    def _header_end(self) -> None:
        if self._field.strip().lower() == b"content-disposition":
            self._part_name = self._name_in(self._start)
        self._field, self._start, self._size = b"", b"", 0

    def _grow(self, size: int) -> None:
        self._size += size
        if self._size > LONGEST_LINE and self.refusal is None:
            disposition = self._field.strip().lower() == b"content-disposition"
            name = self._name_in(self._start) if disposition else self._part_name
            long_name = disposition and _FILENAME.search(self._start) is not None
            self.refusal = {name or "body": FILE_NAME_TOO_LONG if long_name else TOO_LONG}

    @staticmethod
    def _name_in(disposition: bytes) -> str:
        found = _NAME.search(disposition)
        return found.group(1).decode("utf-8", errors="replace") if found else ""
