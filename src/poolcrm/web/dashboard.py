"""Dashboard widgets contributed by the domains: `@widget(order)` on a function
(session, user, lang) -> (template, context) | None."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.domains import domain_modules
from poolcrm.org.models import User

WidgetFn = Callable[[Session, User, str], "tuple[str, dict[str, Any]] | None"]
_widgets: list[tuple[int, WidgetFn]] = []


def widget(order: int = 100) -> Callable[[WidgetFn], WidgetFn]:
    def register(fn: WidgetFn) -> WidgetFn:
        if all(f is not fn for _, f in _widgets):
            _widgets.append((order, fn))
        return fn

    return register


def render_widgets(session: Session, user: User, lang: str) -> list[tuple[str, dict[str, Any]]]:
    domain_modules("widgets")
    out = []
    for _, fn in sorted(_widgets, key=lambda pair: pair[0]):
        result = fn(session, user, lang)
        if result is not None:
            out.append(result)
    return out
