"""Each application kind is decided by its own domain: `register_kind(kind, approve, reject)`.

approve(session, application, actor) and reject(session, application, actor, reason) perform the
decision (state change, audit, notifications); the applications service does the common checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from poolcrm.applications.models import Application
from poolcrm.domains import domain_modules
from poolcrm.org.models import User

ApproveFn = Callable[[Session, Application, User], None]
RejectFn = Callable[[Session, Application, User, str], None]
MayDecideFn = Callable[[Session, Application, User], bool]
LockFn = Callable[[Session, Application], None]


@dataclass(frozen=True)
class Kind:
    name: str
    approve: ApproveFn
    reject: RejectFn
    may_decide: MayDecideFn
    lock_first: LockFn | None = None  # rows to lock BEFORE the application row (fixed lock order)


_kinds: dict[str, Kind] = {}


def register_kind(
    name: str, approve: ApproveFn, reject: RejectFn, may_decide: MayDecideFn, lock_first: LockFn | None = None
) -> None:
    _kinds[name] = Kind(name, approve, reject, may_decide, lock_first)


def kind(name: str) -> Kind | None:
    _load()
    return _kinds.get(name)


def kinds() -> list[str]:
    _load()
    return sorted(_kinds)


def _load() -> None:
    domain_modules("application_kinds")
