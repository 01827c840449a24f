"""Organisation rules (ORG-*): pure decisions, no database."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal

from poolcrm.calendar.rules import add_months

ROLES: tuple[str, ...] = (
    "admin",
    "gm",
    "sales_manager",
    "supervisor",
    "sales",
    "cs",
    "service",
    "hr",
    "finance",
)
DEPARTMENT_KINDS: tuple[str, ...] = ("sales", "ka", "cs", "service", "other")
SEE_ALL_ROLES: frozenset[str] = frozenset({"admin", "gm", "cs"})
SALES_DEPARTMENT_KINDS: frozenset[str] = frozenset({"sales", "ka"})
MANAGING_ROLES: frozenset[str] = frozenset({"admin", "gm"})
ALLOCATION_ROLES: frozenset[str] = frozenset({"admin", "gm", "cs", "sales_manager"})
PLAN_READER_ROLES: frozenset[str] = ALLOCATION_ROLES | {"supervisor"}
REALLOCATION_PROPOSER_ROLES: frozenset[str] = frozenset({"supervisor", "sales_manager", "gm", "admin"})
VIOLATION_READER_ROLES: frozenset[str] = frozenset({"admin", "gm", "hr", "cs"})

ROLE_NAMES: dict[str, tuple[str, str]] = {
    "admin": ("系统管理员", "Administrator"),
    "gm": ("总经理", "General manager"),
    "sales_manager": ("销售经理", "Sales manager"),
    "supervisor": ("主管", "Supervisor"),
    "sales": ("销售代表", "Sales rep"),
    "cs": ("客服", "Customer service"),
    "service": ("服务人员", "Service staff"),
    "hr": ("人事", "HR"),
    "finance": ("财务", "Finance"),
}
KIND_NAMES: dict[str, tuple[str, str]] = {
    "sales": ("销售部", "Sales"),
    "ka": ("KA部", "Key accounts"),
    "cs": ("客服部", "Customer service"),
    "service": ("服务部", "Service"),
    "other": ("其他", "Other"),
}


def unknown_roles(roles: Iterable[str]) -> list[str]:
    """ORG-1: the roles that do not exist."""
    return [r for r in roles if r not in ROLES]


def sees_everyone(roles: Iterable[str]) -> bool:
    """ORG-2: admin, gm and cs see every customer; others see their own tree."""
    return any(r in SEE_ALL_ROLES for r in roles)


def holds_pool(roles: Iterable[str]) -> bool:
    """POOL-1/GOV-6: sales people hold a private pool (and apply for public customers); the pool's
    cards — usage, recycle warnings, reminders, my deals — are theirs, not CS's, the GM's or admin's."""
    return "sales" in set(roles)


def leads_team(roles: Iterable[str]) -> bool:
    """GOV-6: supervisors and sales managers see their team's activity on their dashboard."""
    return bool({"supervisor", "sales_manager"} & set(roles))


def runs_company(roles: Iterable[str]) -> bool:
    """GOV-6: the GM sees the whole company — funnel, pool health, disputes, violations."""
    return "gm" in set(roles)


def serves_customers(roles: Iterable[str]) -> bool:
    """GOV-6: customer service sees its queues (the inbox, spot checks, tickets to assign)."""
    return "cs" in set(roles)


def runs_system(roles: Iterable[str]) -> bool:
    """GOV-6/CAL-1/GOV-3: admin sees the system — the daily job, backups, calendar warnings."""
    return "admin" in set(roles)


def system_only(roles: Iterable[str]) -> bool:
    """GOV-6: a user who holds the admin role and nothing else runs the system — their dashboard
    shows its cards (daily job, backups, calendar), not the sales or service desk's."""
    held = set(roles)
    return bool(held) and held <= {"admin"}


def manages_everyone(roles: Iterable[str]) -> bool:
    """ORG-5: admin and the GM may act on every rep's records (others only on their subtree)."""
    return any(r in MANAGING_ROLES for r in roles)


def sees_allocation(roles: Iterable[str]) -> bool:
    """POOL-7/POOL-9: who sees and plans the allocation bin (GM, CS, sales manager, admin)."""
    return any(r in ALLOCATION_ROLES for r in roles)


def reads_plans(roles: Iterable[str]) -> bool:
    """POOL-7/POOL-10: allocation plans are read by the allocation roles and supervisors."""
    return any(r in PLAN_READER_ROLES for r in roles)


def proposes_reallocation(roles: Iterable[str]) -> bool:
    """POOL-9/POOL-10: supervisors, sales managers, the GM and admin may propose moving customers
    between reps (the GM and the sales manager then approve)."""
    return any(r in REALLOCATION_PROPOSER_ROLES for r in roles)


def reads_all_violations(roles: Iterable[str]) -> bool:
    """VIO-1: HR, CS, the GM and admin see every rep's violations; others their subtree."""
    return any(r in VIOLATION_READER_ROLES for r in roles)


LEVEL_SUPERVISOR, LEVEL_GM = "supervisor", "gm"


def approval_levels(amount: Decimal, gm_threshold: Decimal) -> tuple[str, ...]:
    """CTR-1/WORK-3: the supervisor approves every request with money in it; from the policy amount
    the GM approves after the supervisor."""
    return (LEVEL_SUPERVISOR, LEVEL_GM) if amount >= gm_threshold else (LEVEL_SUPERVISOR,)


def may_approve(level: str, roles: Iterable[str], supervises_owner: bool) -> bool:
    """CTR-1/WORK-3: who approves at each level — the owner's supervisor or the sales manager first,
    the GM above the policy amount; the GM and admin may approve at either level."""
    held = set(roles)
    if manages_everyone(held):
        return True
    return level == LEVEL_SUPERVISOR and (supervises_owner or "sales_manager" in held)


def may_approve_any(roles: Iterable[str], leads_anyone: bool) -> bool:
    """CTR-1/WORK-3: whether `may_approve` can hold for some request — false for a user who neither
    manages everyone, nor is a sales manager, nor has anyone below them (a rep's dashboard then
    asks for no requests to approve)."""
    held = set(roles)
    return manages_everyone(held) or "sales_manager" in held or leads_anyone


def employee_code_problem(code: str | None, pattern: str) -> str | None:
    """ORG-6: an employee code, when set, matches the configured pattern."""
    if code is None or code == "":
        return None
    if not re.fullmatch(pattern, code):
        return "员工编号格式不正确（应如 BJ0101）"
    return None


def employment_dates_problems(
    hired_on: date | None,
    probation_end_on: date | None,
    today: date,
    *,
    hire_days_ahead: int,
    probation_max_months: int,
) -> dict[str, str]:
    """ORG-4a: a hire date (ORG-4, POOL-2's tenure) at most `hire_days_ahead` days from today (an
    account opened for someone about to start); the probation end (VIO-3: who is assessed) not
    before the hire date and at most `probation_max_months` after it (PRC labour law: six)."""
    problems: dict[str, str] = {}
    if hired_on is not None and hired_on > today + timedelta(days=hire_days_ahead):
        problems["hired_on"] = "入职日期超出可提前录入的天数"
    if hired_on is not None and probation_end_on is not None:
        if probation_end_on < hired_on:
            problems["probation_end_on"] = "试用期结束日期不能早于入职日期"
        elif probation_end_on > add_months(hired_on, probation_max_months):
            problems["probation_end_on"] = "试用期超出最长月数"
    return problems


def supervisor_cycle(
    user_id: int, new_supervisor_id: int | None, supervisor_of: Mapping[int, int | None]
) -> bool:
    """ORG-2: the supervisor tree must stay a tree — True when the new edge would close a loop."""
    seen: set[int] = set()
    current = new_supervisor_id
    while current is not None:
        if current == user_id or current in seen:
            return True
        seen.add(current)
        current = supervisor_of.get(current)
    return False


def department_cycle(dept_id: int, new_parent_id: int | None, parent_of: Mapping[int, int | None]) -> bool:
    """ORG-3: departments form a tree as well — True when the new parent would close a loop."""
    return supervisor_cycle(dept_id, new_parent_id, parent_of)


def self_lockout_problem(actor_id: int | None, user_id: int, changes: Mapping[str, object]) -> str | None:
    """ORG-7a (ours): an administrator may not disable their own account nor drop their own admin
    role — the company would risk having nobody left to manage it."""
    if actor_id is None or actor_id != user_id:
        return None
    if changes.get("active") is False:
        return "不能停用自己的账号"
    roles = changes.get("roles")
    if isinstance(roles, list) and "admin" not in roles:
        return "不能取消自己的系统管理员角色"
    return None


def tree_order(parent_of: Mapping[int, int | None]) -> list[tuple[int, int]]:
    """ORG-3: (id, depth) in depth-first order, children in id order; a node whose parent is
    missing (or part of a loop) is shown as a root, so a bad row never hides a department."""
    children: dict[int | None, list[int]] = {}
    for node, parent in sorted(parent_of.items()):
        children.setdefault(parent if parent in parent_of else None, []).append(node)
    out: list[tuple[int, int]] = []
    seen: set[int] = set()

    def walk(node: int, depth: int) -> None:
        if node in seen:
            return
        seen.add(node)
        out.append((node, depth))
        for child in children.get(node, []):
            walk(child, depth + 1)

    for root in children.get(None, []):
        walk(root, 0)
    for node in sorted(parent_of):
        walk(node, 0)
    return out


def subtree(root: int, supervisor_of: Mapping[int, int | None]) -> set[int]:
    """ORG-2: root plus all its subordinates, recursively (any depth)."""
    return _below(root, _children(supervisor_of))


def scope_pairs(supervisor_of: Mapping[int, int | None]) -> set[tuple[int, int]]:
    """ORG-2 for everyone at once: (user, member of the user's subtree) for every user — what
    `org_scope` holds (org.scope)."""
    children = _children(supervisor_of)
    return {(root, member) for root in supervisor_of for member in _below(root, children)}


def _children(supervisor_of: Mapping[int, int | None]) -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for uid, sup in supervisor_of.items():
        if sup is not None:
            children.setdefault(sup, []).append(uid)
    return children


def _below(root: int, children: Mapping[int, list[int]]) -> set[int]:
    out = {root}
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in out:
                out.add(child)
                stack.append(child)
    return out


def configures_channels(roles: Iterable[str]) -> bool:
    """NOTE-1: only an admin configures notification channels and reads their delivery log."""
    return "admin" in roles


def exports_without_approval(roles: Iterable[str]) -> bool:
    """ORG-5a: the GM and admin stand at the top — no one above them approves their exports."""
    return manages_everyone(roles)


def decides_export(
    actor_id: int, roles: Iterable[str], requester_id: int, supervises_requester: bool
) -> bool:
    """ORG-5a: someone above the requester in the tree (or the GM, admin) decides a bulk export;
    never the requester, whatever roles they hold (CUS-9a)."""
    return actor_id != requester_id and (supervises_requester or manages_everyone(roles))
