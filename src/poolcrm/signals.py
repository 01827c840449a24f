"""One small typed publish/subscribe between domains (DESIGN: layers between domains).

A lower domain never imports a higher one; it *sends* a signal the higher one listens to:
`owner_changed = Signal("ownership.owner_changed", "customer", "from_owner_id", ...)` in the sender's
`signals.py`, `@owner_changed.connect` in the listener's `listeners.py`, and
`owner_changed.send(session, customer=..., ...)` in the sender's use case.

Delivery is synchronous, inside the sender's transaction: a listener that raises rolls the whole
change back. Listeners are found like jobs and widgets — every domain's `listeners.py` is imported
before the first signal of the process is sent — so a process that imported only the CLI still runs
them all; no listener depends on some other module having been imported first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.domains import domain_modules

Listener = Callable[..., None]


class Signal:
    """A named event with a fixed payload: `send` refuses a payload with other keys, so a listener
    written against the declared names never meets a surprise."""

    def __init__(self, name: str, *fields: str) -> None:
        self.name = name
        self.fields = frozenset(fields)
        self._listeners: list[Listener] = []

    def connect(self, fn: Listener) -> Listener:
        """Subscribe `fn(session, **payload)`; usable as a decorator; connecting twice is a no-op."""
        if fn not in self._listeners:
            self._listeners.append(fn)
        return fn

    def disconnect(self, fn: Listener) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def receivers(self) -> tuple[Listener, ...]:
        load_listeners()
        return tuple(self._listeners)

    def send(self, session: Session, **payload: Any) -> None:
        if set(payload) != self.fields:
            raise TypeError(f"signal {self.name}: payload {sorted(payload)} != {sorted(self.fields)}")
        for fn in self.receivers():
            fn(session, **payload)

    def __repr__(self) -> str:
        return f"Signal({self.name!r})"


def load_listeners() -> None:
    """Import every domain's `listeners.py` (once per process; `domain_modules` caches)."""
    domain_modules("listeners")
