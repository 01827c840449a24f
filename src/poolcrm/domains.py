"""The domain packages (DESIGN: a folder per domain). A domain provides modules by convention —
`models`, `api`, `pages`, `jobs`, `application_kinds`, `demo` — found here, once per process:
the registries ask on every lookup (an approval asks for its kind), and scanning the package
folders each time cost 3 ms per claim approval."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType


@cache
def domain_modules(kind: str) -> tuple[ModuleType, ...]:
    """Every domain's `poolcrm.<domain>.<kind>` module, imported, in domain-name order."""
    import poolcrm

    found = []
    for mod in sorted(pkgutil.iter_modules(poolcrm.__path__), key=lambda m: m.name):
        if not mod.ispkg:
            continue
        name = f"poolcrm.{mod.name}.{kind}"
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return tuple(found)
