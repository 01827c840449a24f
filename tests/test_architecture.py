"""DESIGN § "Layers between domains", held by import-linter and a few AST checks.

The import-linter contracts are generated from the layer table below and the modules on disk, so a
new module is covered the day it is written:
- a domain's core modules (everything but its leaves and its edges) import only their own layer or
  lower — never a sibling of the same layer, never a higher one, never an edge module;
- leaves (`models`, `rules`, `schemas`), which any layer may read, import only leaves and the kernel;
- the kernel imports no domain.
No contract ignores an import."""

from __future__ import annotations

import ast
import logging
import os
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "poolcrm"

KERNEL = ("clock", "db", "errors", "i18n", "config", "signals", "domains", "workers", "sheets")
LAYERS: tuple[tuple[str, ...], ...] = (
    ("audit",),
    ("policy",),
    ("calendar", "notify"),
    ("org",),
    ("auth", "applications", "jobs"),
    ("ownership",),
    ("customers",),
    ("pools", "followups", "duty"),
    ("deals", "contracts", "service", "work"),
    ("disputes", "violations", "inbound"),
    ("quality",),  # GOV-4/GOV-5: reads every domain's records to judge their quality
)
LEAVES = ("models", "rules", "schemas")
EDGES = ("api", "pages", "widgets", "sections", "jobs", "listeners", "demo", "application_kinds")
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 80
LONG_FUNCTION_MARK = "set-based SQL builder"
OPTIONAL_IMPORT_MARK = "optional dependency"


def _domains() -> list[str]:
    return [d for layer in LAYERS for d in layer if (PACKAGE / d).is_dir()]


def _modules(domain: str) -> list[str]:
    return sorted(p.stem for p in (PACKAGE / domain).glob("*.py") if p.stem != "__init__")


def _kind(domain: str, module: str) -> str:
    if module in LEAVES:
        return "leaf"
    if module in EDGES:
        return "edge"
    return "core"


def _of_kind(domain: str, kind: str) -> list[str]:
    return [f"poolcrm.{domain}.{m}" for m in _modules(domain) if _kind(domain, m) == kind]


def _contracts() -> str:
    rank = {d: i for i, layer in enumerate(LAYERS) for d in layer}
    domains = _domains()
    edges = [m for d in domains for m in _of_kind(d, "edge")]
    out: list[str] = []

    def contract(name: str, sources: list[str], forbidden: list[str]) -> None:
        if sources and forbidden:
            out.append(
                f"[importlinter:contract:{name}]\nname = {name}\ntype = forbidden\n"
                "source_modules =\n"
                + "".join(f"    {m}\n" for m in sources)
                + "forbidden_modules =\n"
                + "".join(f"    {m}\n" for m in forbidden)
            )

    for d in domains:
        above = [e for e in domains if e != d and rank[e] >= rank[d]]
        forbidden = [m for e in above for m in _of_kind(e, "core")] + edges + ["poolcrm.web"]
        contract(f"{d}-core-imports-its-layer-or-lower", _of_kind(d, "core"), forbidden)
        non_leaves = [m for e in domains for m in _of_kind(e, "core") + _of_kind(e, "edge")]
        contract(f"{d}-leaves-import-leaves", _of_kind(d, "leaf"), non_leaves + ["poolcrm.web"])
    kernel = [f"poolcrm.{k}" for k in KERNEL if (PACKAGE / f"{k}.py").exists() or (PACKAGE / k).is_dir()]
    contract("kernel-imports-no-domain", kernel, [f"poolcrm.{d}" for d in domains] + ["poolcrm.web"])
    head = "[importlinter]\nroot_package = poolcrm\ninclude_external_packages = False\n"
    return head + "\n" + "\n".join(out)


def test_design_layers_hold_by_import_linter(tmp_path, monkeypatch):
    from importlinter.cli import lint_imports

    config = tmp_path / ".importlinter"
    config.write_text(_contracts())
    monkeypatch.syspath_prepend(str(SRC))
    monkeypatch.chdir(tmp_path)
    # import-linter configures its own logging with `dictConfig`, which disables every logger that
    # exists (the app's included): later tests in this process would log nothing
    enabled = [
        log
        for log in logging.root.manager.loggerDict.values()
        if isinstance(log, logging.Logger) and not log.disabled
    ]
    try:
        assert lint_imports(config_filename=str(config), no_cache=True) == 0
    finally:
        for log in enabled:
            log.disabled = False


def test_every_domain_folder_is_placed_in_a_layer():
    placed = {d for layer in LAYERS for d in layer} | set(KERNEL) | {"web", "i18n", "migrations"}
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders - placed == set()


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "versions" not in p.parts)


def _violations_in(path: Path) -> list[str]:
    text = path.read_text()
    lines = text.splitlines()
    tree = ast.parse(text)
    where = path.relative_to(SRC)
    found: list[str] = []
    if len(lines) > MAX_MODULE_LINES:
        found.append(f"{where}: {len(lines)} lines > {MAX_MODULE_LINES}")
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            body = "\n".join(lines[node.lineno - 1 : node.end_lineno])
            if length > MAX_FUNCTION_LINES and LONG_FUNCTION_MARK not in body:
                found.append(f"{where}:{node.lineno} {node.name}() has {length} lines > {MAX_FUNCTION_LINES}")
            for inner in ast.walk(node):
                is_import = isinstance(inner, ast.Import | ast.ImportFrom)
                if is_import and OPTIONAL_IMPORT_MARK not in lines[inner.lineno - 1]:
                    found.append(f"{where}:{inner.lineno} import inside {node.name}()")
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
            if names & {"ImportError", "ModuleNotFoundError"}:
                found.append(f"{where}:{node.lineno} except ImportError")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
            target = node.args[0] if node.args else None
            if isinstance(target, ast.Name) and target.id.endswith(("service", "_module", "module")):
                found.append(f"{where}:{node.lineno} getattr on a module")
    return found


def test_no_import_inside_functions_no_import_fallbacks_no_long_modules_or_functions():
    problems = [p for path in _sources() for p in _violations_in(path)]
    assert problems == [], "\n" + textwrap.indent("\n".join(problems), "  ")


@pytest.mark.skipif(os.name != "posix", reason="paths")
def test_contracts_cover_every_domain_core_module():
    text = _contracts()
    for d in _domains():
        for m in _of_kind(d, "core"):
            assert f"    {m}\n" in text
