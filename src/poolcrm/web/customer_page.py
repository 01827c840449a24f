"""The customer page a rep opens first (360°): besides the customer's own record, each domain
contributes what it keeps about the customer — follow-ups, deals, tickets, costs — as a section,
and what the viewer may do to it as an action, in its `sections.py` edge module. The customers
domain sits below the domains whose records it shows, so it asks them through this registry.

A section function is (session, user, customer, lang) -> Section | None; an action function is
(session, user, customer) -> Action | None. Each decides by its domain's own predicate (the one
the service calls), so the page never offers what the service would refuse for who-may-do-what."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from poolcrm.customers.models import Customer
from poolcrm.domains import domain_modules
from poolcrm.org.models import User


@dataclass(frozen=True)
class Section:
    key: str  # the anchor (#key) and the tab's target
    title: str  # Chinese source text; translated in the template
    template: str  # rendered with `s` = ctx
    ctx: dict[str, Any] = field(default_factory=dict)
    count: int | None = None  # shown on the tab


@dataclass(frozen=True)
class Action:
    label: str  # Chinese source text; translated in the template
    href: str
    method: str = "get"  # get: a link; post: a form with the CSRF token; htmx: a button swapped by its
    # answer; status: no button, a state the viewer should see instead (a request that waits)
    testid: str = ""
    primary: bool = False
    reason: str | None = None  # a post that needs a reason asks for it first (label of the field)
    rule: str | None = None


SectionFn = Callable[[Session, User, Customer, str], Section | None]
ActionFn = Callable[[Session, User, Customer], Action | None]
_sections: list[tuple[int, SectionFn]] = []
_actions: list[tuple[int, ActionFn]] = []


def section(order: int = 100) -> Callable[[SectionFn], SectionFn]:
    def register(fn: SectionFn) -> SectionFn:
        if all(f is not fn for _, f in _sections):
            _sections.append((order, fn))
        return fn

    return register


def action(order: int = 100) -> Callable[[ActionFn], ActionFn]:
    def register(fn: ActionFn) -> ActionFn:
        if all(f is not fn for _, f in _actions):
            _actions.append((order, fn))
        return fn

    return register


def customer_sections(session: Session, user: User, customer: Customer, lang: str) -> list[Section]:
    domain_modules("sections")
    found = (fn(session, user, customer, lang) for _, fn in sorted(_sections, key=lambda pair: pair[0]))
    return [s for s in found if s is not None]


def customer_actions(session: Session, user: User, customer: Customer) -> list[Action]:
    domain_modules("sections")
    found = (fn(session, user, customer) for _, fn in sorted(_actions, key=lambda pair: pair[0]))
    return [a for a in found if a is not None]
