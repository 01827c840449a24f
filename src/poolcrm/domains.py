"""The domain packages (DESIGN: a folder per domain). A domain provides modules by convention —
`models`, `api`, `pages`, `jobs`, `application_kinds`, `demo` — found here, once per process:
the registries ask on every lookup (an approval asks for its kind), and scanning the package
folders each time cost 3 ms per claim approval."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

import poolcrm


@cache
def domain_modules(kind: str) -> tuple[ModuleType, ...]:
    """Every domain's `poolcrm.<domain>.<kind>` module that exists, imported, in domain-name order."""
    found = []
    for package in sorted(pkgutil.iter_modules(poolcrm.__path__), key=lambda m: m.name):
        if not package.ispkg:
            continue
        domain = importlib.import_module(f"poolcrm.{package.name}")
        if any(m.name == kind for m in pkgutil.iter_modules(domain.__path__)):
            found.append(importlib.import_module(f"poolcrm.{package.name}.{kind}"))
    return tuple(found)
