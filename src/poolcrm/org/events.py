"""Hooks other domains register to react to user changes (e.g. POOL-10 on departure),
so that org never imports the domains built on top of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

UserChanged = Callable[[Session, int, dict[str, Any], dict[str, Any]], None]
_listeners: list[UserChanged] = []


def on_user_changed(fn: UserChanged) -> UserChanged:
    if fn not in _listeners:
        _listeners.append(fn)
    return fn


def emit_user_changed(session: Session, actor_id: int, before: dict[str, Any], after: dict[str, Any]) -> None:
    for fn in list(_listeners):
        fn(session, actor_id, before, after)
