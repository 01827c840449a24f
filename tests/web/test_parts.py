"""SEC-1 for multipart bodies (`web.parts`): a part header line the app's form parser cannot read
is found before that parser is given it, whatever the chunks, and its field is named."""

from __future__ import annotations

import pytest
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser

from poolcrm.web.parts import PartHeaders

BOUNDARY = b"b0undary"


def _body(disposition: bytes, extra: bytes = b"") -> bytes:
    return (
        b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nweekly\r\n"
        b"--" + BOUNDARY + b"\r\nContent-Disposition: " + disposition + b"\r\n" + extra
        + b"Content-Type: application/pdf\r\n\r\n%PDF-1.4 x\r\n--" + BOUNDARY + b"--\r\n"
    )  # fmt: skip


def _lockstep(body: bytes, size: int) -> dict[str, str] | None:
    """Feed the watcher and the app's own parser the same chunks, the watcher first (as the guard
    does): the watcher must refuse before the app's parser fails."""
    watch = PartHeaders(BOUNDARY)
    app_parser = MultipartParser(BOUNDARY, {})
    for i in range(0, len(body), size):
        chunk = body[i : i + size]
        watch.feed(chunk)
        if watch.refusal is not None:
            return watch.refusal
        app_parser.write(chunk)  # raises MultipartParseError if the watcher let a line through
    return None


@pytest.mark.parametrize("size", [1, 7, 100, 4096, 1 << 20])
def test_sec1_a_file_name_the_app_parser_cannot_read_names_the_file_field(size):
    long_name = b'form-data; name="file"; filename="' + "报".encode() * 2000 + b'.pdf"'
    assert _lockstep(_body(long_name), size) == {"file": "文件名太长"}
    with pytest.raises(MultipartParseError):  # what the app's parser alone makes of it
        MultipartParser(BOUNDARY, {}).write(_body(long_name))


@pytest.mark.parametrize("size", [3, 4096])
def test_sec1_other_long_header_lines_name_their_part_or_the_body(size):
    fine = b'form-data; name="file"; filename="a.pdf"'
    assert _lockstep(_body(fine), size) is None
    assert _lockstep(_body(fine, b"X-Note: " + b"x" * 5000 + b"\r\n"), size) == {"file": "太长"}
    assert _lockstep(_body(b'form-data; name="' + b"n" * 5000 + b'"'), size) == {"body": "太长"}


def test_sec1_a_body_the_watcher_cannot_follow_is_left_to_the_app():
    watch = PartHeaders(BOUNDARY)
    watch.feed(b"not multipart at all")
    watch.feed(b"--" + BOUNDARY + b"\r\n")
    assert watch.refusal is None
    assert PartHeaders.of("application/json") is None and PartHeaders.of("multipart/form-data") is None
    assert PartHeaders.of("multipart/form-data; boundary=abc") is not None
