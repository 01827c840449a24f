"""SEC-1: an input schema never accepts text longer than the column that stores it — PostgreSQL
refuses the INSERT with a 500 (StringDataRightTruncation), SQLite stores it whole; either way the
user learns nothing about the field. The answer is the schema's 422 naming the field.

The walk: every input schema (a pydantic model with `extra="forbid"`) of a domain's `schemas`,
`api` or `pages` module is matched with the table of the same domain sharing most of its field
names (at least two, and half of its fields, and no other table as many, so a small body or a
lookup is not paired by chance), and each
text field named like one of that table's length-limited columns must declare a `max_length` no
longer than the column — unless its values come from a closed set (a `Literal`, a `pattern`).
A field stored in another domain's table (a deal progress's follow-up subject) is not seen by the
walk: such a limit reuses that table's constant (`followups.models.SUBJECT_LENGTH`)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from sqlalchemy import String, Table

import poolcrm
from poolcrm.db import Base, import_all_models

NORMALISED = {
    "phone": "CUS-6: stored as its E.164 form (at most 16 characters); the schema allows for spaces",
    "mobile": "CUS-6: stored as its E.164 form (at most 16 characters); the schema allows for spaces",
}
"""Fields whose stored value is not the text sent, with why it always fits."""


@dataclass(frozen=True)
class Pair:
    schema: type[BaseModel]
    table: Table


def _input_schemas() -> dict[str, list[type[BaseModel]]]:
    """Input schemas by domain."""
    found: dict[str, list[type[BaseModel]]] = {}
    for info in pkgutil.walk_packages(poolcrm.__path__, "poolcrm."):
        parts = info.name.split(".")
        if len(parts) != 3 or parts[2] not in ("schemas", "api", "pages"):
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseModel)
                and cls.__module__ == info.name
                and cls.model_config.get("extra") == "forbid"
            ):
                found.setdefault(parts[1], []).append(cls)
    return found


def _tables() -> dict[str, list[Table]]:
    import_all_models()
    tables: dict[str, list[Table]] = {}
    for mapper in Base.registry.mappers:
        table = mapper.class_.__table__
        tables.setdefault(mapper.class_.__module__.split(".")[1], []).append(table)
    return tables


def _pairs() -> list[Pair]:
    tables = _tables()
    pairs = []
    for domain, schemas in _input_schemas().items():
        for schema in schemas:
            fields = set(schema.model_fields)
            shared = sorted(((len(fields & set(t.c.keys())), t) for t in tables.get(domain, [])), key=_first)
            if not shared:
                continue
            most, best = shared[-1]
            unique = len(shared) == 1 or shared[-2][0] < most  # a tie pairs nothing (a lookup by name)
            if unique and most >= 2 and most * 2 >= len(fields):
                pairs.append(Pair(schema, best))
    return pairs


def _first(item: tuple[int, Table]) -> int:
    return item[0]


def _is_text(annotation: Any) -> bool:
    return annotation is str or str in typing.get_args(annotation)


def _closed_set(field: FieldInfo) -> bool:
    annotation = field.annotation
    literal = typing.get_origin(annotation) is Literal or any(
        typing.get_origin(a) is Literal for a in typing.get_args(annotation)
    )
    return literal or any(getattr(m, "pattern", None) for m in field.metadata)


def _max_length(field: FieldInfo) -> int | None:
    return next((m.max_length for m in field.metadata if getattr(m, "max_length", None) is not None), None)


def test_sec1_input_schemas_accept_no_text_longer_than_its_column():
    pairs = _pairs()
    checked, problems = 0, []
    for pair in pairs:
        for name, field in pair.schema.model_fields.items():
            column = pair.table.c.get(name)
            if column is None or not isinstance(column.type, String) or column.type.length is None:
                continue
            if not _is_text(field.annotation) or _closed_set(field) or name in NORMALISED:
                continue
            checked += 1
            limit = _max_length(field)
            if limit is None or limit > column.type.length:
                where = f"{pair.schema.__module__}.{pair.schema.__name__}.{name}"
                problems.append(
                    f"{where}: max_length {limit} > {pair.table.name}.{name} ({column.type.length})"
                )
    assert problems == []
    assert len(pairs) > 20 and checked > 40  # the walk still finds the schemas it is about
