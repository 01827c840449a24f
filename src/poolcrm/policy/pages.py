"""The admin policy page (SPEC intro): every policy parameter, grouped by SPEC section, with its
rule ID, label, current value and default; edited section by section through
`policy.service.update_policy` (validated, audited), with the POOL-18 forecast beside the pool rules."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from poolcrm.errors import InvalidInput
from poolcrm.i18n import SEPARATOR, translate
from poolcrm.org.service import list_departments
from poolcrm.policy import service
from poolcrm.policy.rules import CHOICES, KEY_NAMES, ONE_OF, Policy, parameter_catalogue
from poolcrm.web.deps import DB, AdminUser, FormBody, Lang
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import text, whole_number
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)

# SPEC's sections, in SPEC order: (anchor, section number, title, rule prefixes)
SECTIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("org", "1", "组织与权限", ("ORG", "AUTH")),
    ("cus", "2", "客户", ("CUS",)),
    ("pool", "3", "公海与私海", ("POOL",)),
    ("fu", "4", "跟进记录", ("FU",)),
    ("mem", "5", "会员客户", ("MEM",)),
    ("deal", "6", "跟单", ("DEAL",)),
    ("in", "7", "来电与试用", ("IN",)),
    ("dsp", "8", "争议与归属", ("DSP",)),
    ("vio", "9", "违规与考核", ("VIO",)),
    ("svc", "10", "服务", ("SVC",)),
    ("work", "11", "工作记录", ("WORK",)),
    ("cal", "12", "日历、时间与通知", ("CAL", "NOTE")),
    ("gov", "13", "数据与审计", ("GOV",)),
)
OTHER_SECTION = ("other", "", "其他", ())
FORECAST_SECTION = "pool"


@dataclass
class Param:
    """One row of the page: a catalogue entry plus how it is shown and edited."""

    name: str
    rule: str
    zh: str
    en: str
    kind: str  # bool | int | str | lines | ids | departments | choices | json
    default: Any
    current: Any
    bounds: dict[str, Any]
    shown: str = ""  # the value in the input (the submitted text after a refused save)
    error: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.current != self.default)


@dataclass
class Section:
    anchor: str
    number: str
    title: str
    params: list[Param] = field(default_factory=list)

    @property
    def changed_count(self) -> int:
        return sum(p.changed for p in self.params)


def _kind(name: str) -> str:
    annotation = Policy.model_fields[name].annotation
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if name in CHOICES:
        return "choices"
    if name in ONE_OF:
        return "one"
    if origin is list:
        if args == (int,):
            return "departments" if name.endswith("_department_ids") else "ids"
        return "lines"
    if origin is dict:
        return "json"
    return "str"


def _section_of(rule: str | None) -> tuple[str, str, str, tuple[str, ...]]:
    prefix = re.sub(r"-.*$", "", rule or "")
    return next((s for s in SECTIONS if prefix in s[3]), OTHER_SECTION)


def as_text(kind: str, value: Any) -> str:
    """A parameter value as the text of its input."""
    if kind == "bool":
        return "1" if value else "0"
    if kind == "lines":
        return "\n".join(str(v) for v in value)
    if kind == "ids":
        return ", ".join(str(v) for v in value)
    if kind == "json":
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def parse(kind: str, raw: str) -> Any:
    """The input's text back to a value; ValueError when it cannot be one (e.g. '12a' for a number)."""
    if kind == "bool":
        if raw not in ("0", "1"):
            raise ValueError(raw)
        return raw == "1"
    if kind == "int":
        return int(raw)
    if kind == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if kind == "ids":
        return [int(v) for v in re.split(r"[,，、\s]+", raw) if v]
    if kind == "json":
        return json.loads(raw) if raw else {}
    return raw


def readable(kind: str, value: Any, lang: str, keys: Mapping[str, str] | None = None) -> str:
    """A value as people read it (the default column) in the reader's language: lists joined by
    their separator (、 in Chinese), maps as key=value with the keys in words where they have them."""
    if kind == "bool":
        return translate("是" if value else "否", lang)
    separator = translate(SEPARATOR, lang)
    if isinstance(value, dict):
        return separator.join(f"{translate((keys or {}).get(k, k), lang)}={v}" for k, v in value.items())
    if isinstance(value, list):
        return separator.join(translate(str(v), lang) for v in value)
    return translate(str(value), lang)


_PARSE_MESSAGES = {
    "int": service.POLICY_MESSAGES["int_parsing"],
    "ids": "应为用逗号分隔的编号",
    "json": service.POLICY_MESSAGES["dict_type"],
}


def _sections(current: Policy, submitted: Mapping[str, str], errors: Mapping[str, str]) -> list[Section]:
    sections: dict[str, Section] = {}
    for entry in parameter_catalogue():
        anchor, number, title, _ = _section_of(entry["rule"])
        section = sections.setdefault(anchor, Section(anchor, number, title))
        kind = _kind(entry["name"])
        value = getattr(current, entry["name"])
        section.params.append(
            Param(
                name=entry["name"],
                rule=entry["rule"] or "",
                zh=entry["zh"] or entry["name"],
                en=entry["en"] or entry["name"],
                kind=kind,
                default=entry["default"],
                current=value,
                bounds=entry["bounds"],
                shown=submitted.get(entry["name"], as_text(kind, value)),
                error=errors.get(entry["name"]),
            )
        )
    order = [s[0] for s in SECTIONS] + [OTHER_SECTION[0]]
    return sorted(sections.values(), key=lambda s: order.index(s.anchor))


def _render(
    request: Request,
    db: DB,
    *,
    submitted: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    failed_section: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    errors = errors or {}
    sections = _sections(service.get_policy(db), submitted or {}, errors)
    labels = {p.name: p for s in sections for p in s.params}
    saved = request.query_params.get("saved", "")
    return page(
        request,
        "policy/policy.html",
        status_code=status_code,
        db=db,
        sections=sections,
        errors=errors,
        bad_params=[labels[name] for name in errors if name in labels],
        failed_section=failed_section,
        saved=whole_number(saved),
        departments=list_departments(db),
        readable=readable,
        choices=CHOICES,
        one_of=ONE_OF,
        key_names=KEY_NAMES,
        forecast_section=FORECAST_SECTION,
    )


@router.get("/admin/policy", response_class=HTMLResponse)
def policy_page(request: Request, admin: AdminUser, db: DB) -> HTMLResponse:
    return _render(request, db)


def _submitted(form: FormData, params: list[Param]) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """(values, their texts as typed, parse errors) for the parameters of one section's form."""
    values: dict[str, Any] = {}
    texts: dict[str, str] = {}
    errors: dict[str, str] = {}
    for p in params:
        try:
            if p.kind == "departments":
                values[p.name] = [int(v) for v in form.getlist(p.name) if isinstance(v, str) and v]
                continue
            if p.kind == "choices":
                values[p.name] = [v for v in form.getlist(p.name) if isinstance(v, str) and v]
                continue
            if p.name not in form:
                continue
            raw = text(form, p.name)
            texts[p.name] = raw
            values[p.name] = parse(p.kind, raw)
        except ValueError:
            errors[p.name] = _PARSE_MESSAGES.get(p.kind, "格式不正确")
    return values, texts, errors


@router.post("/admin/policy", response_class=HTMLResponse)
def policy_save(form: FormBody, request: Request, admin: AdminUser, db: DB, lang: Lang) -> Response:
    anchor = text(form, "section")
    current = service.get_policy(db)
    section = next((s for s in _sections(current, {}, {}) if s.anchor == anchor), None)
    if section is None:
        return RedirectResponse("/admin/policy", status_code=303)
    values, texts, errors = _submitted(form, section.params)
    changes = {name: v for name, v in values.items() if v != getattr(current, name)}
    if not errors:
        try:
            service.update_policy(db, admin.id, changes, reason=text(form, "reason") or None)
        except InvalidInput as exc:
            db.rollback()
            errors = dict(exc.details.get("fields", {}))
        else:
            return RedirectResponse(f"/admin/policy?saved={len(changes)}#{anchor}", status_code=303)
    return _render(
        request,
        db,
        submitted=texts,
        errors={name: translate(message, lang) for name, message in errors.items()},
        failed_section=anchor,
        status_code=422,
    )
