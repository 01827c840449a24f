"""Follow-up rules (FU-1..5): pure decisions, no database, no clock."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# FU-2: subjects (001 §3.3.4 plus 004) and the A/B/C/D content template.
SUBJECTS: tuple[str, ...] = ("来访", "去访", "致电", "来电", "邮件", "微信", "会议")
ATTITUDES: tuple[str, ...] = ("积极", "中性", "消极")  # FU-3
RESULT_STATUSES: tuple[str, ...] = ("持续跟进", "需重点跟进", "暂缓跟进", "成交", "无效")  # FU-3
TEMPLATE_PARTS: tuple[str, ...] = ("A 对象姓名及职位：", "B 目的：", "C 结果：", "D 下一步计划：")
TEMPLATE = "\n".join(TEMPLATE_PARTS)


@dataclass(frozen=True)
class Reason:
    """Why a follow-up is invalid: rule ID, clause (a–d, or subject), Chinese message + params."""

    rule: str
    clause: str
    message: str
    params: dict[str, object]


def counted_chars(text: str | None) -> int:
    """FU-1(b): the characters that count — Unicode letters and digits (categories L and N);
    punctuation, symbols, emoji and whitespace do not."""
    return sum(1 for ch in text or "" if unicodedata.category(ch)[0] in "LN")


def template_chars(text: str | None) -> int:
    """FU-2: the letters of the template's own labels left in the content do not count."""
    body = text or ""
    return sum(counted_chars(part) for part in TEMPLATE_PARTS if part in body)


def normalised_content(text: str | None, simplify: Callable[[str], str] = str) -> str:
    """FU-1(c): the content with whitespace and punctuation removed, full-width folded (NFKC),
    lower-cased and Traditional turned into Simplified — two notes equal here are duplicates."""
    folded = simplify(unicodedata.normalize("NFKC", text or "")).lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def content_key(text: str | None, simplify: Callable[[str], str] = str) -> str:
    """FU-1(c): a fixed-size key of the normalised content (indexed per customer)."""
    return hashlib.sha256(normalised_content(text, simplify).encode()).hexdigest()


def followup_validity(
    *,
    subject: str | None,
    content: str | None,
    min_chars: int,
    noncontact_phrases: Iterable[str],
    duplicate: bool,
    subjects: Iterable[str] = SUBJECTS,
    simplify: Callable[[str], str] = str,
) -> list[Reason]:
    """FU-1 (with FU-2's subject list): the reasons a follow-up is invalid — empty means valid.
    (a) subject and content present; (b) ≥ min_chars letters/digits, template labels not
    counted; (c) not the same as another follow-up of this customer after normalising;
    (d) not a non-contact note (电话未接通, 无人接听, …)."""
    reasons: list[Reason] = []
    subject = (subject or "").strip()
    body = (content or "").strip()
    if not subject:
        reasons.append(Reason("FU-1", "a", "缺少跟进主题", {}))
    elif subject not in set(subjects):
        reasons.append(Reason("FU-2", "subject", "主题必须是：{subjects}", {"subjects": "、".join(subjects)}))
    if not body:
        reasons.append(Reason("FU-1", "a", "缺少跟进内容", {}))
        return reasons
    count = counted_chars(body) - template_chars(body)
    if count < min_chars:
        reasons.append(
            Reason(
                "FU-1",
                "b",
                "有效字数 {count}，少于 {min} 个（不含标点、空格和符号）",
                {"count": count, "min": min_chars},
            )
        )
    if duplicate:
        reasons.append(Reason("FU-1", "c", "与该客户已有的跟进记录内容相同", {}))
    simplified = normalised_content(body, simplify)
    for phrase in noncontact_phrases:
        key = normalised_content(phrase, simplify)
        if key and key in simplified:
            reasons.append(Reason("FU-1", "d", "未实际接触客户（含“{phrase}”）", {"phrase": phrase}))
            break
    return reasons


def contact_time_problem(contact_at: datetime, now: datetime, backdate_days: int) -> tuple[str, str] | None:
    """(rule, message) when the contact time cannot be: FU-3, in the future (it may be earlier than
    the record); FU-3b, more than `backdate_days` before now — a contact "in 1900" is no contact
    the record can vouch for (the creation time, the server's, is what protects: POOL-6)."""
    if contact_at > now:
        return "FU-3", "联系时间不能晚于现在"
    if contact_at < now - timedelta(days=backdate_days):
        return "FU-3b", "联系时间早于可补录的期限"
    return None


def first_contact_overdue(
    protected_since: datetime | None, last_valid_followup_at: datetime | None, now: datetime, hours: int
) -> bool:
    """FU-5: a customer newly entered in a private pool needs a valid follow-up within `hours`."""
    if protected_since is None:
        return False
    if last_valid_followup_at is not None and last_valid_followup_at >= protected_since:
        return False
    return now > protected_since + timedelta(hours=hours)


def may_write(
    *, is_owner: bool, manages_owner: bool, is_sales: bool, open_for_redevelopment: bool, active_member: bool
) -> bool:
    """FU-3/MEM-1: the owner and the owner's managers write follow-ups; other reps only on an
    active member customer opened for redevelopment."""
    if is_owner or manages_owner:
        return True
    return is_sales and open_for_redevelopment and active_member


def author_change_problem(
    current_department: int | None, new_department: int | None, new_active: bool, unchanged: bool
) -> str | None:
    """FU-3 (revised): the new author is another active member of the same team (the author's
    department)."""
    if unchanged:
        return "作者未改变"
    if not new_active:
        return "找不到该用户或已停用"
    if current_department is None or current_department != new_department:
        return "只能改为同一团队（部门）的成员"
    return None
