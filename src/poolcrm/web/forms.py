"""Form plumbing shared by the pages: reading submitted fields and turning errors into
per-field messages shown next to the inputs (the API's `details.fields`, in the user's language)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from poolcrm.clock import EARLIEST_DATE, LATEST_DATE
from poolcrm.db import MAX_ID
from poolcrm.errors import AppError, InvalidInput
from poolcrm.i18n import translate
from poolcrm.web.guard import DATE_MESSAGE

_MONTH = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)
FORM_KEY = "form"
"""Where a message about the whole form (a rule refusal, a conflict) goes in an errors dict."""

PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": "必填",
    "blank": "必填",
    "int_type": "应为整数",
    "json_invalid": "请求格式不正确（JSON 无法解析）",
    "extra_forbidden": "不允许的字段",
    "greater_than_equal": "数值超出范围",
    "less_than_equal": "数值超出范围",
    "greater_than": "数值超出范围",
    "less_than": "数值超出范围",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不正确",
    "too_short": "至少需要一项",
    "date_from_datetime_parsing": "日期格式不正确",
    "date_parsing": "日期格式不正确",
}
"""Chinese messages for pydantic's error types (anything else is "格式不正确")."""

_LOCATION_PARTS = frozenset({"body", "query", "path", "header", "cookie"})


def field_name(loc: Iterable[Any]) -> str:
    """`("body", "roles", 0)` → `"roles.0"`: the field a validation error is about."""
    loc = tuple(loc)
    parts = [str(p) for p in loc if p not in _LOCATION_PARTS]
    return ".".join(parts) or str(loc[-1] if loc else "body")


def validation_fields(errors: Iterable[Mapping[str, Any]], lang: str) -> dict[str, str]:
    """Pydantic errors → {field: message in `lang`}, the first error of each field."""
    fields: dict[str, str] = {}
    for err in errors:
        name = field_name(err.get("loc", ()))
        fields.setdefault(name, translate(PYDANTIC_MESSAGES.get(err.get("type", ""), "格式不正确"), lang))
    return fields


def form_errors(exc: AppError | ValidationError, lang: str) -> dict[str, str]:
    """Errors for a page form: each bad field's message (422 `details.fields`, translated) and,
    under FORM_KEY, what to tell above the form — the refusal with its rule ID (e.g. "ORG-7a: …"),
    or, when fields are marked, to fix them (still citing the rule, if any)."""
    fix_marked = translate("请修改标红的字段", lang)
    if isinstance(exc, ValidationError):
        return {**validation_fields(exc.errors(), lang), FORM_KEY: fix_marked}
    rendered = exc.render(lang)["error"]
    details = rendered["details"] if isinstance(rendered["details"], dict) else {}
    raw = details.get("fields")
    if not isinstance(raw, dict) or not raw:
        return {FORM_KEY: str(rendered["message"])}
    out = {str(k): translate(str(v), lang) for k, v in raw.items()}
    out[FORM_KEY] = f"{exc.rule}: {fix_marked}" if exc.rule else fix_marked
    return out


def clean(value: str | None) -> str:
    """User-typed text as stored: without NUL characters (PostgreSQL text cannot hold them, and
    nobody types them on purpose), trimmed."""
    return (value or "").replace("\x00", "").strip()


def text(form: Mapping[str, Any], key: str) -> str:
    """A submitted text field, cleaned ('' when absent or not text)."""
    value = form.get(key)
    return clean(value) if isinstance(value, str) else ""


def optional_int(raw: str) -> int | None:
    """'' → None; '12' → 12, '-3' → -3; anything else, or a number no id can be → None (a select
    sent junk: treat it as unset). `whole_number` with a sign."""
    negative = raw.startswith("-")
    value = whole_number(raw[1:] if negative else raw)
    return -value if negative and value is not None else value


def whole_number(raw: object) -> int | None:
    """A whole number as a form or a query string sends it: ASCII digits only, no larger than an id
    can be (`MAX_ID`); anything else None, for the caller to refuse naming its field (422).
    `str.isdigit()` alone is not the test: it accepts '²' and '①', which `int()` then refuses
    (a 500), and '١٢', which `int()` reads."""
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > len(str(MAX_ID)):
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


def page_number(raw: object, total: int, size: int) -> tuple[int, int]:
    """A list's page as a query string asks for it (`whole_number`), kept within its pages: junk is
    the first page, a page past the end the last. Returns (page, pages)."""
    pages = max(1, -(-total // size))
    return min(max(whole_number(raw) or 1, 1), pages), pages


MAX_AMOUNT = Decimal(10) ** 14
"""Money columns are NUMERIC(16, 2): 14 digits before the point."""


def amount(form: Mapping[str, Any], key: str) -> Decimal:
    """A money field: a finite decimal (SEC-1) — `NaN`, `1e999` or text answer 422 naming the field."""
    raw = text(form, key).replace(",", "") or "0"
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        raise InvalidInput({key: "金额格式不正确"}, rule="SEC-1")
    return value


def required_ids(pairs: Iterable[tuple[str, Any]], prefix: str, field: str) -> list[tuple[int, int]]:
    """`prefix<id>=<id>` form pairs (a plan's rows) as id pairs; a part that is not an id → 422."""
    out = []
    for key, value in pairs:
        if not key.startswith(prefix) or not str(value).strip():
            continue
        left, right = optional_int(key[len(prefix) :]), optional_int(str(value).strip())
        if left is None or right is None:
            raise InvalidInput({field: "格式不正确"}, rule="SEC-1")
        out.append((left, right))
    return out


def flash_message(exc: AppError | ValidationError, lang: str) -> str:
    """A refusal as one line for the page's banner: the rule's message, then the fields' messages."""
    errors = form_errors(exc, lang)
    return errors.get(FORM_KEY, "") + in_brackets([v for k, v in errors.items() if k != FORM_KEY], lang)


def in_brackets(items: list[str], lang: str) -> str:
    """Items after a message, in brackets and apart, in the reader's punctuation: （a；b） or (a; b)."""
    if not items:
        return ""
    return translate("（", lang) + translate("；", lang).join(items) + translate("）", lang)


def refusal_banner(exc: AppError, lang: str) -> dict[str, Any]:
    """A page re-rendered on a refusal: the rule's message in a red banner, with the refusal's status."""
    return {"flash": exc.render(lang)["error"]["message"], "flash_kind": "error", "status_code": exc.status}


def flash_redirect(url: str, message: str, *, error: bool = False, warn: bool = False) -> RedirectResponse:
    """POST-redirect-GET with a one-line message for the next page's banner; an error is marked so
    the banner is red, never a green success (`flash_kind=error`); a warning (stored, but with
    reservations) is amber (`flash_kind=warn`)."""
    sep = "&" if "?" in url else "?"
    kind = "&flash_kind=error" if error else ("&flash_kind=warn" if warn else "")
    return RedirectResponse(f"{url}{sep}flash={quote(message)}{kind}", status_code=303)


def banner_kind(raw: str | None) -> str:
    """The banner's colour from the query: "error", "warn" or "ok" (anything else is "ok")."""
    return raw if raw in ("error", "warn") else "ok"


def run_form(
    db: Session,
    lang: str,
    action: Callable[[], Any],
    done: Callable[[Any], str],
    again: Callable[[str, int], Response],
) -> Response:
    """Run a form's action: on success redirect (POST-redirect-GET) to `done(result)`; on a refusal
    roll back and show the same page again with the message and the refusal's status (never a
    500); what the user may not see stays a 404."""
    try:
        result = action()
    except (AppError, ValidationError) as exc:
        if isinstance(exc, AppError) and exc.status == 404:
            raise  # the request's own rollback keeps the user loaded for the error page
        db.rollback()
        return again(flash_message(exc, lang), exc.status if isinstance(exc, AppError) else 422)
    return RedirectResponse(done(result), status_code=303)


def month_param(value: str | None, field: str, default: date | None = None) -> date:
    """The one reader of a month a user names (`YYYY-MM`, ASCII digits), in a query or a form, as
    the month's first day (the `default` month when absent). Junk answers 422 naming the field, and
    so does a year outside the business range (SEC-1: 1900–2199, `clock.EARLIEST_DATE`..
    `LATEST_DATE`), so a window of months around it stays within the days a clock can hold."""
    if not value:
        if default is None:
            raise InvalidInput({field: "格式须为 YYYY-MM"})
        return default.replace(day=1)
    found = _MONTH.fullmatch(value.strip())
    if found is None or not 1 <= int(found[2]) <= 12:
        raise InvalidInput({field: "格式须为 YYYY-MM"})
    if not EARLIEST_DATE.year <= int(found[1]) <= LATEST_DATE.year:
        raise InvalidInput({field: DATE_MESSAGE}, rule="SEC-1")
    return date(int(found[1]), int(found[2]), 1)
