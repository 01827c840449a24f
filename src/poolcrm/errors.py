"""Errors with the API.md shape: {"error": {"code", "message", "rule", "details"}}.

`message` is a Chinese source string translated at response time into the user's language."""

from __future__ import annotations

from typing import Any

from poolcrm.i18n import listing, translate


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        rule: str | None = None,
        details: dict[str, Any] | None = None,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.details = details or {}
        self.params = params
        self.headers = headers
        if code:
            self.code = code
        if status:
            self.status = status

    def render(self, lang: str) -> dict[str, Any]:
        text = translate(self.message, lang, **self.params)
        if self.rule and not text.startswith(self.rule):
            text = f"{self.rule}: {text}"
        return {"error": {"code": self.code, "message": text, "rule": self.rule, "details": self.details}}

    def item(self, lang: str) -> dict[str, Any]:
        """The refusal of one item of a bulk action, as the item's row of the answer."""
        return {"code": self.code, "rule": self.rule, "message": self.render(lang)["error"]["message"]}


class RuleViolation(AppError):
    """A business rule forbids the action (409), citing its SPEC ID."""

    status = 409
    code = "rule_violation"

    def __init__(self, rule: str, message: str, *, details: dict[str, Any] | None = None, **kw: Any) -> None:
        super().__init__(message, rule=rule, details=details, **kw)


class InvalidInput(AppError):
    """Bad input (422); `fields` maps each bad field to its message."""

    status = 422
    code = "validation_error"

    def __init__(
        self,
        fields: dict[str, str],
        message: str = "输入有误：{names}",
        *,
        rule: str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(
            message, rule=rule, details={"fields": fields}, names=list(fields), **listing(names=None), **kw
        )


class NotFound(AppError):
    status = 404
    code = "not_found"

    def __init__(self, message: str = "找不到该对象", **kw: Any) -> None:
        super().__init__(message, **kw)


class Forbidden(AppError):
    status = 403
    code = "forbidden"

    def __init__(self, message: str = "没有权限执行此操作", **kw: Any) -> None:
        super().__init__(message, **kw)


class NotAuthenticated(AppError):
    status = 401
    code = "not_authenticated"

    def __init__(self, message: str = "请先登录", **kw: Any) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"}, **kw)


class Conflict(AppError):
    """A conflict with the current state (409): a duplicate, a decision already taken, a stale
    edit. API.md: a 409 names the rule it enforces, so `rule` is required."""

    status = 409
    code = "conflict"

    def __init__(self, message: str, *, rule: str, **kw: Any) -> None:
        super().__init__(message, rule=rule, **kw)


class TooManyRequests(AppError):
    status = 429
    code = "rate_limited"


class ServiceBusy(AppError):
    """No database connection came free in time: the request did nothing and may be retried
    (an overloaded server says so with 503 and Retry-After, not with an internal error)."""

    status = 503
    code = "busy"
