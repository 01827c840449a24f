"""Service desk rules (SVC-1..8): pure decisions — names, numbers, deadlines, documents, the state
machine and who may do what. No database, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from poolcrm.customers.models import IN_THE_CRM

KINDS: dict[str, tuple[str, str]] = {
    "in_warranty": ("保内维修", "In-warranty repair"),
    "out_warranty": ("保外维修", "Out-of-warranty repair"),
    "installation": ("初始安装", "Installation"),
    "online": ("在线支持", "Online support"),
    "return_visit": ("回访", "Return visit"),
    "training": ("培训", "Training"),
}
REQUEST_TYPES: dict[str, tuple[str, str]] = {
    "consultation": ("咨询", "Consultation"),
    "complaint": ("投诉", "Complaint"),
    "suggestion": ("建议", "Suggestion"),
    "tech_support": ("技术支持", "Technical support"),
}
PRIORITIES: dict[str, tuple[str, str]] = {
    "high": ("高", "High"),
    "medium": ("中", "Medium"),
    "low": ("低", "Low"),
}
EMOTIONS: dict[str, tuple[str, str]] = {
    "agitated": ("激动", "Agitated"),
    "calm": ("平和", "Calm"),
    "disappointed": ("失望", "Disappointed"),
}
DOC_TYPES: dict[str, tuple[str, str]] = {
    "service_sheet": ("服务单", "Service sheet"),
    "acceptance": ("验收报告", "Acceptance report"),
    "commissioning": ("调试记录", "Commissioning record"),
    "other": ("其他附件", "Other"),
}
STATUS_NAMES: dict[str, tuple[str, str]] = {
    "pending": ("待分配", "Pending"),
    "processing": ("处理中", "Processing"),
    "resolved": ("已解决", "Resolved"),
    "closed": ("已关闭", "Closed"),
    "abandoned": ("放弃", "Abandoned"),
}
LOG_NAMES: dict[str, str] = {
    "open": "创建",
    "assign": "分配给",
    "auto_assign": "高优先级自动分配给",
    "accept": "确认处理",
    "log": "处理",
    "attach": "上传附件",
    "resolve": "解决",
    "close": "关闭",
    "close_confirmed": "关闭（客户已确认）",
    "abandon": "放弃",
    "breach": "超时",
    "rate": "客户评价",
    "review": "投诉复盘",
}
REPAIRS = frozenset({"in_warranty", "out_warranty"})
COMPLAINT = "complaint"
ALL_TICKETS_ROLES = frozenset({"admin", "gm", "cs"})
RESOLVED_FOLLOWUP = "投诉已解决"

# SVC-2: the state machine — which statuses each action starts from.
ACTION_FROM: dict[str, tuple[str, ...]] = {
    "assign": ("pending", "processing"),
    "accept": ("pending",),
    "log": ("pending", "processing"),
    "resolve": ("processing",),
    "close": ("resolved",),
    "abandon": ("pending", "processing"),
    "attach": ("pending", "processing", "resolved"),
}
ACTION_NAMES: dict[str, str] = {
    "assign": "分配",
    "accept": "确认处理",
    "log": "记录处理过程",
    "resolve": "解决",
    "close": "关闭",
    "abandon": "放弃",
    "attach": "上传附件",
}


def ticket_number(year: int, seq: int) -> str:
    """SVC-2: `FW` + year + a sequence of at least three digits (FW2026001, …, FW20261000)."""
    return f"FW{year}{seq:03d}"


def ticket_subject(day: date, kind: str) -> str:
    """SVC-2 (001 §5.7.1): `YYYY年M月D日 <kind>服务`, e.g. 2026年12月2日 保内维修服务."""
    return f"{day.year}年{day.month}月{day.day}日 {KINDS[kind][0]}服务"


def effective_priority(request_type: str, priority: str) -> tuple[str, bool]:
    """SVC-5: a complaint is high priority and marked urgent, whatever was chosen."""
    if request_type == COMPLAINT:
        return "high", True
    return priority, False


def auto_assigns_to_supervisor(priority: str) -> bool:
    """SVC-3: high priority lands on the service supervisor at once."""
    return priority == "high"


def ticket_problems(
    kind: str, request_type: str, priority: str, description: str, emotion: str | None
) -> dict[str, str]:
    """SVC-1/SVC-2/SVC-5: known kind, request type and priority; a description (time, symptom,
    scope); a complaint records the customer's emotional state."""
    problems: dict[str, str] = {}
    if kind not in KINDS:
        problems["kind"] = "未知的服务类型"
    if request_type not in REQUEST_TYPES:
        problems["request_type"] = "未知的请求类型"
    if priority not in PRIORITIES:
        problems["priority"] = "优先级须为 high/medium/low"
    if not description.strip():
        problems["description"] = "请描述问题（时间、现象、范围）"
    if emotion is not None and emotion not in EMOTIONS:
        problems["emotion"] = "未知的情绪状态"
    if request_type == COMPLAINT and emotion is None:
        problems["emotion"] = "投诉须记录客户情绪（激动/平和/失望）"
    return problems


def required_documents(kind: str) -> tuple[str, ...]:
    """SVC-2 (001 §5.1–5.3): repairs need the scanned service sheet; an installation also the
    acceptance report and the commissioning record."""
    if kind in REPAIRS:
        return ("service_sheet",)
    if kind == "installation":
        return ("service_sheet", "acceptance", "commissioning")
    return ()


def missing_documents(kind: str, present: Iterable[str]) -> list[str]:
    """SVC-2: the required documents not yet uploaded, in the order the seeds list them."""
    have = set(present)
    return [d for d in required_documents(kind) if d not in have]


def allowed_actions(status: str) -> frozenset[str]:
    """SVC-2: the actions a ticket in `status` allows (what its page offers)."""
    return frozenset(action for action, starts in ACTION_FROM.items() if status in starts)


def action_problem(action: str, status: str) -> dict[str, str] | None:
    """SVC-2: an action is allowed only from the statuses it starts from; otherwise the refusal's
    parameters (the status and the action, by name)."""
    if status in ACTION_FROM[action]:
        return None
    return {"state": STATUS_NAMES[status][0], "action": ACTION_NAMES[action]}


ACTION_REFUSED = "工单{state}，不能{action}"


@dataclass(frozen=True)
class SlaTargets:
    """SVC-4 policy numbers, in minutes."""

    response: Mapping[str, int]
    resolve: Mapping[str, int]
    complaint_assign: int
    complaint_contact: int
    complaint_resolve: int


def sla_minutes(request_type: str, priority: str, targets: SlaTargets) -> dict[str, int]:
    """SVC-4: the deadlines a ticket gets, as minutes from opening. Every ticket has a first
    response and a resolution deadline by priority; a complaint instead must be assigned within
    10 minutes, contacted within 30 (its first response) and resolved within 24 hours."""
    if request_type == COMPLAINT:
        return {
            "assign_by": targets.complaint_assign,
            "contact_by": targets.complaint_contact,
            "resolve_by": targets.complaint_resolve,
        }
    return {"respond_by": targets.response[priority], "resolve_by": targets.resolve[priority]}


def milestone_of(deadline: str) -> str:
    """SVC-4a (ours): what meets each deadline — a person assigning it (or its assignee confirming
    it) meets `assign_by`; the assignee's confirmation (确认处理, the first contact) meets
    `respond_by` and `contact_by`; the resolution meets `resolve_by`. The automatic hand-over
    of a high-priority ticket to the supervisor (SVC-3) does not count as an assignment."""
    return {
        "assign_by": "dispatched_at",
        "respond_by": "accepted_at",
        "contact_by": "accepted_at",
        "resolve_by": "resolved_at",
    }[deadline]


def newly_breached(
    deadlines: Mapping[str, datetime | None],
    met: Mapping[str, bool],
    breached: Iterable[str],
    now: datetime,
) -> list[str]:
    """SVC-4: the deadlines passed, unmet and not yet counted — each breach is counted once."""
    seen = set(breached)
    return [
        name
        for name, due in deadlines.items()
        if due is not None and due <= now and not met.get(name) and name not in seen
    ]


def next_deadline(
    deadlines: Mapping[str, datetime | None], met: Mapping[str, bool], breached: Iterable[str]
) -> datetime | None:
    """SVC-4: the earliest deadline still to watch (None: nothing left to breach)."""
    seen = set(breached)
    pending = [
        due for name, due in deadlines.items() if due is not None and not met.get(name) and name not in seen
    ]
    return min(pending, default=None)


def is_service_supervisor(roles: Iterable[str]) -> bool:
    """SVC-3: the service supervisor holds the service and the supervisor roles."""
    held = set(roles)
    return "service" in held and "supervisor" in held


def sees_all_tickets(roles: Iterable[str]) -> bool:
    """SVC-8: the service supervisor, CS, the GM and admin see every ticket."""
    held = set(roles)
    return bool(held & ALL_TICKETS_ROLES) or is_service_supervisor(held)


def dispatches_tickets(roles: Iterable[str]) -> bool:
    """SVC-3: the service supervisor assigns tickets (the GM and admin may stand in)."""
    held = set(roles)
    return is_service_supervisor(held) or bool(held & {"admin", "gm"})


def takes_tickets(roles: Iterable[str]) -> bool:
    """SVC-3: tickets are assigned to service staff (the supervisor included)."""
    return "service" in set(roles)


def ticket_customer_problem(pool: str) -> bool:
    """SVC-1: a ticket is on a customer the company has in its CRM — not a pending, rejected,
    merged or deleted record (True: refused)."""
    return pool not in IN_THE_CRM


def reviews_complaints(roles: Iterable[str]) -> bool:
    """SVC-5: the weekly complaint review is kept by the service supervisor (the GM, admin stand
    in) and CS, who hear from the customer."""
    return dispatches_tickets(roles) or "cs" in set(roles)


def opens_tickets_on_any_customer(roles: Iterable[str]) -> bool:
    """SVC-8a (ours): CS and service staff open tickets on any customer in the CRM — a customer
    calls the service desk, not their rep; others only on customers they can see."""
    return bool(set(roles) & {"cs", "service", "admin", "gm"})


def works_ticket(roles: Iterable[str], is_assignee: bool) -> bool:
    """SVC-2/SVC-3: the assignee works the ticket (resolves, abandons); the service supervisor (and
    the GM, admin) may step in."""
    return is_assignee or dispatches_tickets(roles)


def follows_ticket(roles: Iterable[str], is_assignee: bool) -> bool:
    """SVC-2/SVC-5: who may add to the log and close a resolved ticket on the customer's word —
    those who work it, and CS, who hear from the customer."""
    return works_ticket(roles, is_assignee) or "cs" in set(roles)


def rating_problem(score: int | None, comment: str) -> dict[str, str]:
    """SVC-6: a score from 1 to 5, a comment of reasonable length."""
    problems: dict[str, str] = {}
    if score is None or not 1 <= score <= 5:
        problems["score"] = "请选择 1–5 分"
    if len(comment) > 1000:
        problems["comment"] = "评价内容过长（最多 1000 字）"
    return problems
