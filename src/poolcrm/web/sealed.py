"""POST-redirect-GET for a result the next page must show (a bulk action's answer per item): the
POST signs the result into the redirect's query, the GET reads it back. Signed with the app secret,
bound to the user and short-lived, so a tampered, stale or someone else's link reads as nothing —
no table, nothing kept on the server, and a refresh shows the page again without re-submitting."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from poolcrm.web.deps import get_settings

SALT = "poolcrm-result"
MAX_AGE_SECONDS = 30 * 60


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings(request).secret_key, salt=SALT)


def seal(request: Request, user_id: int, payload: Any) -> str:
    """`payload` (JSON-able) as a URL-safe token only `user_id` can read back (compressed)."""
    return _serializer(request).dumps({"u": user_id, "p": payload})


def unseal(request: Request, user_id: int, token: str | None) -> Any | None:
    """The payload sealed for `user_id`, or None when the token is absent, altered, expired or not
    theirs."""
    if not token:
        return None
    try:
        data = _serializer(request).loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or data.get("u") != user_id:
        return None
    return data.get("p")
