"""Customer rules (CUS-*): pure decisions — inputs in, verdict (with its rule ID) out.

No database, no clock: the service loads the facts (policy numbers, today's date, the text checks
of `customers.names`) and passes them in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_

from poolcrm.deals.rules import CONTRACTED, LEAD, OPEN_CATEGORIES

REQUIRED_FIELDS: tuple[str, ...] = ("name", "address", "contact_name", "phone")
REQUIRED_FIELD_NAMES: dict[str, str] = {
    "name": "公司全称",
    "address": "经营地址",
    "contact_name": "联系人",
    "phone": "电话",
    "industry": "行业",
    "customer_type": "客户类型",
}
# CUS-1 (revised): a new customer is classified when registered — never silently defaulted.
CLASSIFICATION_FIELDS: tuple[str, ...] = ("industry", "customer_type")
# CUS-11: the eleven fields a grade needs (mobile or phone counts as one).
GRADE_FIELDS: tuple[str, ...] = (
    "name",
    "address",
    "postal_code",
    "region",
    "industry",
    "customer_type",
    "source",
    "profile",
    "contact_name",
    "contact_position",
    "phone_or_mobile",
)
GRADES: tuple[str, ...] = ("core", "high_growth", "ordinary")
CUSTOMER_TYPES: tuple[str, ...] = ("direct", "distributor")
TIERS: tuple[str, ...] = ("A", "B", "C")
STATUSES: tuple[str, ...] = ("potential", "intent", "closed", "lost", "dormant")
# CUS-13: fields of a closed customer that only change with the supervisor's approval.
KEY_FIELDS: frozenset[str] = frozenset(
    {"name", "address", "contact_name", "phone", "mobile", "customer_type", "industry", "member_until"}
)
# CUS-14: fields where the longer text is the more complete one when merging.
TEXT_FIELDS: frozenset[str] = frozenset({"address", "profile", "contact_position", "region", "source"})


@dataclass(frozen=True)
class Problem:
    """One finding about the input: the field, the rule and a Chinese catalogue message."""

    field: str
    rule: str
    message: str
    params: dict[str, Any] = dc_field(default_factory=dict)


@dataclass(frozen=True)
class RegistrationVerdict:
    """CUS-1..6: errors refuse the registration (422); warnings need the rep's confirmation."""

    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def required_field_problems(values: Mapping[str, object], registering: bool = False) -> list[Problem]:
    """CUS-1: company full name, business address, contact person and phone are required; a
    registration (form, API, import) also needs the industry and the customer type. Records kept
    from before the revision are not refused an edit for lacking them."""
    required = (*REQUIRED_FIELDS, *CLASSIFICATION_FIELDS) if registering else REQUIRED_FIELDS
    return [
        Problem(name, "CUS-1", "必填：{label}", {"label": REQUIRED_FIELD_NAMES[name]})
        for name in required
        if blank(values.get(name))
    ]


def industry_kind(industry: str | None, insurance: Sequence[str], securities: Sequence[str]) -> str | None:
    """CUS-3/CUS-4: whether the customer's industry is one of the configured insurance or
    securities industries (matched as a substring: 保险 matches 人寿保险)."""
    if not industry:
        return None
    if any(word and word in industry for word in insurance):
        return "insurance"
    if any(word and word in industry for word in securities):
        return "securities"
    return None


def registration_verdict(
    values: Mapping[str, object],
    *,
    kind: str | None,
    insurance_problem: str | None,
    securities_problem: str | None,
    phone_problems: Mapping[str, str],
    abbreviation_warning: str | None,
    address_warning: str | None,
    profile_max_chars: int,
    registering: bool = False,
) -> RegistrationVerdict:
    """CUS-1..6 together. Errors: a missing required field (CUS-1), a profile over the limit
    (CUS-1), an insurance name without the contact in parentheses or without the contact's mobile
    (CUS-3), a securities name without its branch (CUS-4), an invalid phone (CUS-6). Warnings the
    rep must confirm: a likely abbreviation (CUS-2), an address not in the suggested format (CUS-5)."""
    errors = required_field_problems(values, registering)
    profile = values.get("profile")
    if isinstance(profile, str) and len(profile.strip()) > profile_max_chars:
        errors.append(Problem("profile", "CUS-1", "客户简介不能超过 {n} 个字", {"n": profile_max_chars}))
    if kind == "insurance" and not blank(values.get("name")):
        if insurance_problem:
            errors.append(Problem("name", "CUS-3", insurance_problem))
        if blank(values.get("mobile")):
            errors.append(Problem("mobile", "CUS-3", "保险公司必须填写联系人手机"))
    if kind == "securities" and securities_problem and not blank(values.get("name")):
        errors.append(Problem("name", "CUS-4", securities_problem))
    taken = {p.field for p in errors}
    for name, message in phone_problems.items():
        if name not in taken:
            errors.append(Problem(name, "CUS-6", message))
    warnings: list[Problem] = []
    if abbreviation_warning and "name" not in taken:
        warnings.append(Problem("name", "CUS-2", abbreviation_warning))
    if address_warning and "address" not in taken:
        warnings.append(Problem("address", "CUS-5", address_warning))
    return RegistrationVerdict(tuple(errors), tuple(warnings))


@dataclass(frozen=True)
class DuplicateVerdict:
    """CUS-7: `blocking` = exact normalised matches (refuse), `to_confirm` = fuzzy matches the
    rep has not confirmed yet (ask), `confirmed` = the fuzzy matches the rep confirmed (record)."""

    blocking: tuple[int, ...]
    to_confirm: tuple[int, ...]
    confirmed: tuple[int, ...]


def duplicate_verdict(
    matches: Iterable[tuple[int, bool]], confirmed_ids: Iterable[int] | None, confirm_all: bool
) -> DuplicateVerdict:
    """CUS-7: an exact normalised match blocks creation; a fuzzy match warns and needs a
    confirmation that is recorded. `matches` are (customer_id, exact) pairs; `confirm_all` means the
    rep confirmed every match shown."""
    confirmed_set = set(confirmed_ids or ())
    blocking, to_confirm, confirmed = [], [], []
    for customer_id, exact in matches:
        if exact:
            blocking.append(customer_id)
        elif confirm_all or customer_id in confirmed_set:
            confirmed.append(customer_id)
        else:
            to_confirm.append(customer_id)
    return DuplicateVerdict(tuple(blocking), tuple(to_confirm), tuple(confirmed))


def customer_code(prefix: str, year: int, seq: int) -> str:
    """CUS-8: prefix + year + sequence, the sequence at least three digits (ABC2024001)."""
    return f"{prefix}{year}{seq:03d}"


def needs_review(department_id: int | None, skip_department_ids: Iterable[int]) -> bool:
    """CUS-9: a new customer waits for CS review unless the rep's department skips it."""
    return department_id is None or department_id not in set(skip_department_ids)


@dataclass(frozen=True)
class GradeFacts:
    """CUS-11: the business facts a grade depends on (deal facts come from the deals domain)."""

    deal_closing_within_horizon: bool = False
    registered_project_ordering_this_year: bool = False
    lead_or_won_deal: bool = False
    days_since_substantive_contact: int | None = None
    agency_or_cooperation: bool = False


def deal_grade_facts(deals: Iterable[tuple[str, date | None]], horizon: date) -> dict[str, bool]:
    """CUS-11: from the customer's deals (category, expected close date): a direct customer is core
    with an open deal expected to close by `horizon` (today + `core_deal_months`); a lead or a past
    won deal makes it high-growth (with a recent substantive contact)."""
    closing = lead_or_won = False
    for category, close_on in deals:
        if category in OPEN_CATEGORIES and close_on is not None and close_on <= horizon:
            closing = True
        if category == LEAD or category in CONTRACTED:
            lead_or_won = True
    return {"deal_closing_within_horizon": closing, "lead_or_won_deal": lead_or_won}


@dataclass(frozen=True)
class GradeVerdict:
    grade: str
    missing: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.missing


def grade_incomplete_sql(model: Any) -> Any:
    """CUS-11 in SQL, for counting at scale: true when `missing_grade_fields` would name at least
    one field (blank = NULL or only spaces; phone or mobile counts as one). A test holds the two
    to the same answer."""

    def blank_sql(column: Any) -> Any:
        return or_(column.is_(None), func.trim(column) == "")

    conditions = [
        and_(blank_sql(model.phone), blank_sql(model.mobile))
        if name == "phone_or_mobile"
        else blank_sql(getattr(model, name))
        for name in GRADE_FIELDS
    ]
    return or_(*conditions)


def missing_grade_fields(values: Mapping[str, object]) -> tuple[str, ...]:
    """CUS-11: which of the 11 fields (name, address, postal code, region, industry, type, source,
    profile, contact, position, mobile/phone) are still empty."""
    out = []
    for name in GRADE_FIELDS:
        if name == "phone_or_mobile":
            if blank(values.get("phone")) and blank(values.get("mobile")):
                out.append(name)
        elif blank(values.get(name)):
            out.append(name)
    return tuple(out)


def grade_for(customer_type: str, facts: GradeFacts, high_growth_contact_days: int) -> str:
    """CUS-11: core direct = a deal expected to close within the horizon (12 months); core
    distributor = a registered project and an order expected this year; high-growth distributor =
    a signed agency agreement or earlier cooperation (001 §3.2.2); high-growth (any) = a lead or a
    past won deal and a substantive contact within 30 days; otherwise ordinary.
    `customers.grading.grade_sql` is the same rule in SQL (a test holds them together)."""
    if customer_type == "distributor":
        if facts.registered_project_ordering_this_year:
            return "core"
        if facts.agency_or_cooperation:
            return "high_growth"
    elif facts.deal_closing_within_horizon:
        return "core"
    recent = (
        facts.days_since_substantive_contact is not None
        and facts.days_since_substantive_contact <= high_growth_contact_days
    )
    if facts.lead_or_won_deal and recent:
        return "high_growth"
    return "ordinary"


def grade_verdict(
    values: Mapping[str, object], facts: GradeFacts, high_growth_contact_days: int
) -> GradeVerdict:
    """CUS-11: the grade the system would give, and what is missing before it is valid."""
    ctype = values.get("customer_type")
    return GradeVerdict(
        grade_for(ctype if isinstance(ctype, str) else "direct", facts, high_growth_contact_days),
        missing_grade_fields(values),
    )


def is_dormant(last_business: date | None, created: date, today: date, dormant_days: int) -> bool:
    """CUS-12: dormant when there has been no business for more than `dormant_days` days (counted
    from the last business, or from the registration when there never was any)."""
    anchor = last_business or created
    return (today - anchor).days > dormant_days


def contact_due(
    tier: str | None, last_contact: date | None, since: date, cadence: Mapping[str, int], held: bool = True
) -> date | None:
    """CUS-15: the date by which a tiered customer needs its next contact (last contact, or the
    date it entered the pool, plus the tier's cadence); None for untiered customers and for one
    nobody holds (the cadence is the owner's duty: a public customer is never overdue)."""
    if not held or tier is None or tier not in cadence:
        return None
    return (last_contact or since) + timedelta(days=cadence[tier])


def contact_overdue(due: date | None, today: date) -> bool:
    """CUS-15: overdue once the due date has passed."""
    return due is not None and today > due


def membership(member_until: date | None, today: date) -> str | None:
    """CUS-16: "active" through member_until, "expired" after it, None for non-members."""
    if member_until is None:
        return None
    return "active" if member_until >= today else "expired"


def change_needs_approval(status: str, changed: Iterable[str]) -> list[str]:
    """CUS-13: the key fields among `changed` that need the supervisor's approval (only for a
    closed customer)."""
    if status != "closed":
        return []
    return sorted(set(changed) & KEY_FIELDS)


def deletion_approved(approvals: Iterable[str]) -> bool:
    """CUS-14: a deletion takes effect once both the department head and an admin approved."""
    roles = set(approvals)
    return {"department_head", "admin"} <= roles


def survivor(records: Sequence[tuple[int, Any]]) -> int:
    """CUS-10: of duplicate records (id, created_at), the earliest-created is kept."""
    return min(records, key=lambda r: (r[1], r[0]))[0]


def merged_values(keep: Mapping[str, Any], other: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """CUS-14: merging keeps the more complete value of each field — a value over an empty one,
    the longer of two texts, the union of tags, both remarks, the later membership end."""
    out: dict[str, Any] = {}
    for name in fields:
        mine, theirs = keep.get(name), other.get(name)
        if blank(theirs) or mine == theirs:
            continue
        if blank(mine):
            out[name] = theirs
        elif name == "tags":
            out[name] = list(dict.fromkeys([*(mine or []), *(theirs or [])]))
        elif name == "remark":
            out[name] = f"{mine}\n{theirs}"
        elif name == "member_until" and isinstance(mine, date) and isinstance(theirs, date):
            out[name] = max(mine, theirs)
        elif (
            name in TEXT_FIELDS
            and isinstance(mine, str)
            and isinstance(theirs, str)
            and len(theirs) > len(mine)
        ):
            out[name] = theirs
    return out


MEMBERSHIP_DECIDERS: frozenset[str] = frozenset({"cs", "admin"})


def reserved_change_problem(
    changes: Mapping[str, object], actor_roles: Iterable[str], reason: str | None
) -> str | None:
    """CUS-16 (revised): membership (`member_until`) and the lifecycle status `closed` come from a
    paid contract or a won deal, or from a CS/admin decision with a reason — never from the owner or
    any other rep. Returns the refusal, or None."""
    touched = "member_until" in changes or changes.get("status") == "closed"
    if not touched:
        return None
    if not any(r in MEMBERSHIP_DECIDERS for r in actor_roles):
        return "会员资格和“成交”状态只能由合同/成交跟单产生，或由客服、管理员填写原因后设定"
    if not (reason or "").strip():
        return "客服或管理员设定会员资格或“成交”状态时须填写原因"
    return None


def lookup_problem(name_key: str, has_full_phone: bool, min_chars: int) -> str | None:
    """CUS-7a: the duplicate check answers "is my company already here" — so it needs a query with
    real content: a name whose normal form keeps at least `min_chars` characters (`北京`,
    `科技有限公司` keep none), or a complete phone number. Otherwise it is refused, so it cannot list
    other reps' customers for a generic word."""
    if has_full_phone or len(name_key) >= min_chars:
        return None
    return "请输入完整的单位名称（至少 {min_chars} 个有效字）或完整的电话号码"


GRADE_ORDER = ("ordinary", "high_growth", "core")


def next_grade_needs(customer_type: str, grade: str) -> list[tuple[str, str]]:
    """CUS-11: for each higher grade, the fact the customer lacks (grade, what to do)."""
    needs: dict[str, str]
    if customer_type == "distributor":
        needs = {
            "high_growth": "签订代理协议，或登记曾有合作",
            "core": "登记报备项目，并预计今年下单",
        }
    else:
        needs = {
            "high_growth": "有线索跟单或已成交跟单，且近 {days} 天内有实质联系",
            "core": "有预计 {months} 个月内成交的跟单",
        }
    higher = GRADE_ORDER[GRADE_ORDER.index(grade) + 1 :] if grade in GRADE_ORDER else GRADE_ORDER
    return [(g, needs[g]) for g in higher if g in needs]


def grade_override_problem(may_override: bool, grade: str | None, reason: str | None) -> str | None:
    """CUS-11: the grade is computed; only a supervisor of the owner (or the GM, admin) overrides it,
    and always with a reason. Clearing an override (grade None) needs a reason as well."""
    if not may_override:
        return "等级由系统根据事实计算，只有主管可以调整"
    if not (reason or "").strip():
        return "调整等级须填写原因"
    return None
