"""Follow-up use cases (FU-1..6, MEM-1): record, list, export, reminders, first contact."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, and_, exists, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.customers.access import can_see_private, lock_customers
from poolcrm.customers.grading import refresh_grades
from poolcrm.customers.models import POOL_PRIVATE, Contact, Customer
from poolcrm.customers.names import to_simplified
from poolcrm.db import UTCDateTime
from poolcrm.errors import Forbidden, InvalidInput, NotFound
from poolcrm.followups import rules
from poolcrm.followups.models import METHOD_LENGTH, SUBJECT_LENGTH, FollowUp, FollowUpReminder
from poolcrm.i18n import translate
from poolcrm.notify.service import notify_many
from poolcrm.org.models import User
from poolcrm.org.service import visible_owner_ids
from poolcrm.policy.service import company_day_start, company_moment, company_today, get_policy
from poolcrm.pools.rules import is_active_member
from poolcrm.sheets import workbook_bytes


def _simplify(text: str) -> str:
    return to_simplified(text)


def _invalid_reasons(
    session: Session, policy: Any, customer_id: int | None, subject: str | None, content: str | None
) -> list[rules.Reason]:
    """FU-1: why a follow-up would be invalid (the same verdict for the live preview and the save)."""
    duplicate = False
    if customer_id is not None and content:
        key = rules.content_key(content, _simplify)
        duplicate = (
            session.scalar(
                select(FollowUp.id)
                .where(FollowUp.customer_id == customer_id, FollowUp.content_key == key)
                .limit(1)
            )
            is not None
        )
    return rules.followup_validity(
        subject=subject,
        content=content,
        min_chars=policy.followup_min_chars,
        noncontact_phrases=policy.followup_noncontact_phrases,
        duplicate=duplicate,
        simplify=_simplify,
    )


def validity_preview(
    session: Session, user: User, customer_id: int | None, subject: str | None, content: str | None
) -> dict[str, Any]:
    """FU-1 live check for the form: counted characters and the reasons it would be invalid. Checked
    against a customer's history (FU-1c) only for a customer whose whole history the user reads —
    anyone else gets 404, so the preview cannot tell whether a text matches another rep's notes."""
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None or not reads_whole_history(session, user, customer):
            raise NotFound()
    policy = get_policy(session)
    reasons = _invalid_reasons(session, policy, customer_id, subject, content)
    count = rules.counted_chars(content) - rules.template_chars(content)
    return {"count": count, "min": policy.followup_min_chars, "valid": not reasons, "reasons": reasons}


def _check_writer(session: Session, user: User, customer: Customer | None) -> Customer:
    """Who may write (MEM-1): the owner and the owner's managers; other reps on an active member
    customer opened for redevelopment. Cannot see → 404; sees but may not → 403."""
    if customer is None:
        raise NotFound()
    today = company_today(session)
    is_private = customer.pool == POOL_PRIVATE
    visible = is_private and can_see_private(session, user, customer.owner_id)
    open_member = (
        is_private and customer.open_for_redevelopment and is_active_member(customer.member_until, today)
    )
    if not visible and not open_member:
        if visible_owner_ids(session, user) is None or customer.pool == "public":
            raise Forbidden("只有客户负责人及其主管可以填写跟进记录", rule="FU-3")
        raise NotFound()
    allowed = rules.may_write(
        is_owner=customer.owner_id == user.id,
        manages_owner=visible
        and customer.owner_id != user.id
        and user.has_role("supervisor", "sales_manager", "gm", "admin"),
        is_sales=user.has_role("sales"),
        open_for_redevelopment=customer.open_for_redevelopment,
        active_member=is_active_member(customer.member_until, today),
    )
    if not allowed:
        raise Forbidden("只有客户负责人及其主管可以填写跟进记录", rule="FU-3")
    return customer


def _check_lengths(subject: str | None, method: str | None) -> None:
    """SEC-1: a subject or method longer than its column is refused naming the field, from every
    caller (the API's schemas say so first; a page's form reaches here as typed)."""
    errors: dict[str, str] = {}
    if len((subject or "").strip()) > SUBJECT_LENGTH:  # stored trimmed
        errors["subject"] = "太长"
    if method is not None and len(method) > METHOD_LENGTH:
        errors["method"] = "太长"
    if errors:
        raise InvalidInput(errors, rule="SEC-1")


def _check_fields(
    session: Session,
    customer_id: int,
    attitude: str | None,
    result_status: str | None,
    contact_id: int | None,
    contact_at: datetime | None,
) -> None:
    """FU-3: the chosen attitude and result exist, the contact is the customer's, and the contact
    time carries its zone and is not in the future (it may be earlier than the record, FU-3b: by
    `followup_backdate_days` at most)."""
    errors: dict[str, str] = {}
    if attitude is not None and attitude not in rules.ATTITUDES:
        errors["attitude"] = "客户态度必须是：" + "、".join(rules.ATTITUDES)
    if result_status is not None and result_status not in rules.RESULT_STATUSES:
        errors["result_status"] = "结果状态必须是：" + "、".join(rules.RESULT_STATUSES)
    if (
        contact_id is not None
        and session.scalar(
            select(Contact.id).where(Contact.id == contact_id, Contact.customer_id == customer_id)
        )
        is None
    ):
        errors["contact_id"] = "联系人不属于该客户"
    rule = "FU-3"
    if contact_at is not None and contact_at.tzinfo is None:
        errors["contact_at"] = "时间需要带时区"
    elif contact_at is not None:
        backdate_days = get_policy(session).followup_backdate_days
        when = rules.contact_time_problem(contact_at, clock.now(), backdate_days)
        if when:
            when_rule, errors["contact_at"] = when
            rule = when_rule if len(errors) == 1 else rule
    if errors:
        raise InvalidInput(errors, rule=rule)


def record_followup(
    session: Session,
    *,
    customer_id: int,
    author_id: int,
    subject: str,
    content: str,
    method: str | None = None,
    contact_id: int | None = None,
    attitude: str | None = None,
    next_followup_on: date | None = None,
    contact_at: datetime | None = None,
    result_status: str | None = None,
    source: str = "followup",
    source_id: int | None = None,
) -> FollowUp:
    """FU-1..4: store a follow-up with its validity (invalid ones too, with their reasons). A valid
    one by the owner moves the POOL-6 anchor (customers.last_valid_followup_at) and closes MEM-1
    redevelopment. The creation time is the server's (FU-3). Permission checks are the caller's
    (the API checks them with `check_writer`); deals call this for progress records (DEAL-6)."""
    _check_lengths(subject, method)
    customer = lock_customers(session, [customer_id]).get(customer_id)
    if customer is None:
        raise NotFound()
    _check_fields(session, customer_id, attitude, result_status, contact_id, contact_at)
    policy = get_policy(session)
    key = rules.content_key(content, _simplify)
    reasons = _invalid_reasons(session, policy, customer_id, subject, content)
    now = clock.now()
    followup = FollowUp(
        customer_id=customer_id,
        author_id=author_id,
        subject=(subject or "").strip(),
        content=content or "",
        content_key=key,
        method=method,
        contact_id=contact_id,
        contact_at=contact_at,
        attitude=attitude,
        result_status=result_status,
        next_followup_on=next_followup_on,
        valid=not reasons,
        invalid_reasons=[
            {"rule": r.rule, "clause": r.clause, "message": r.message, "params": r.params} for r in reasons
        ],
        source=source,
        source_id=source_id,
        created_at=now,
        remind_user_id=author_id if next_followup_on is not None else None,
    )
    session.add(followup)
    if customer.next_followup_on != next_followup_on:
        customer.next_followup_on = next_followup_on  # FU-4: the latest follow-up's plan
        customer.updated_at = now
    if followup.valid and customer.pool == POOL_PRIVATE and customer.owner_id == author_id:
        customer.last_valid_followup_at = now
        customer.last_business_at = now
        if customer.open_for_redevelopment:
            customer.open_for_redevelopment = False
        customer.updated_at = now
        refresh_grades(session, [customer_id])  # CUS-11: a substantive contact is a grade fact
    session.flush()
    record(
        session,
        actor_id=author_id,
        action="followup.create",
        object_type="followup",
        object_id=followup.id,
        after={
            "customer_id": customer_id,
            "valid": followup.valid,
            "subject": followup.subject,
            "reasons": [f"{r.rule}({r.clause})" for r in reasons],
            "source": source,
        },
        rule="FU-1",
    )
    return followup


def check_writer(session: Session, user: User, customer_id: int) -> Customer:
    return _check_writer(session, user, session.get(Customer, customer_id))


def may_write(session: Session, user: User, customer: Customer) -> bool:
    """FU-3/MEM-1: whether `user` may write a follow-up on `customer` — the check the write runs."""
    try:
        _check_writer(session, user, customer)
    except (Forbidden, NotFound):
        return False
    return True


def reason_list(followup: FollowUp, lang: str) -> list[dict[str, str]]:
    return [
        {
            "rule": r["rule"],
            "clause": r.get("clause", ""),
            "message": translate(r["message"], lang, **(r.get("params") or {})),
        }
        for r in followup.invalid_reasons or []
    ]


def reads_whole_history(session: Session, user: User, customer: Customer) -> bool:
    """FU-6: the see-all roles, the owner's tree, and sales on a member open for redevelopment."""
    scope = visible_owner_ids(session, user)
    return (
        scope is None
        or (customer.pool == POOL_PRIVATE and customer.owner_id in scope)
        or (customer.pool == POOL_PRIVATE and customer.open_for_redevelopment and user.has_role("sales"))
    )


def readable_query(session: Session, user: User, customer_id: int) -> Select[Any]:
    """FU-6 with POOL-15: who can see the customer reads its history; a former owner reads only
    their own past follow-ups; anyone else gets 404."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound()
    q = select(FollowUp).where(FollowUp.customer_id == customer_id)
    if reads_whole_history(session, user, customer):
        return q
    own = session.scalar(
        select(FollowUp.id).where(FollowUp.customer_id == customer_id, FollowUp.author_id == user.id).limit(1)
    )
    if own is None:
        raise NotFound()
    return q.where(FollowUp.author_id == user.id)


def followup_customer(session: Session, user: User, customer_id: int) -> Customer:
    """The customer whose follow-ups `user` reads (FU-6/POOL-15; 404 when they may read none)."""
    readable_query(session, user, customer_id)
    customer = session.get(Customer, customer_id)
    assert customer is not None
    return customer


def list_followups(
    session: Session,
    user: User,
    customer_id: int,
    *,
    valid: bool | None = None,
    subject: str | None = None,
    author_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    q: str | None = None,
    limit: int | None = None,
) -> list[FollowUp]:
    query = readable_query(session, user, customer_id)
    if valid is not None:
        query = query.where(FollowUp.valid.is_(valid))
    if subject:
        query = query.where(FollowUp.subject == subject)
    if author_id:
        query = query.where(FollowUp.author_id == author_id)
    if since:
        query = query.where(FollowUp.created_at >= company_day_start(session, since))
    if until:
        query = query.where(FollowUp.created_at < company_day_start(session, until + timedelta(days=1)))
    if q:
        query = query.where(FollowUp.content.contains(q))
    return list(session.scalars(query.order_by(FollowUp.created_at.desc(), FollowUp.id.desc()).limit(limit)))


def followup_out(session: Session, f: FollowUp, lang: str = "zh") -> dict[str, Any]:
    author = session.get(User, f.author_id)
    return {
        "id": f.id,
        "customer_id": f.customer_id,
        "author": {"id": f.author_id, "display_name": author.display_name if author else None},
        "subject": f.subject,
        "content": f.content,
        "method": f.method,
        "contact_id": f.contact_id,
        "contact_at": f.contact_at,
        "attitude": f.attitude,
        "result_status": f.result_status,
        "next_followup_on": f.next_followup_on,
        "valid": f.valid,
        "invalid_reasons": reason_list(f, lang),
        "source": f.source,
        "created_at": f.created_at,
    }


def export_xlsx(
    session: Session, user: User, customer_id: int, rows: list[FollowUp], lang: str = "zh"
) -> bytes:
    """FU-6: the filtered history as an Excel file; exports are audited (ORG-5)."""

    head = ["时间", "作者", "主题", "方式", "内容", "客户态度", "结果状态", "下次跟进", "有效", "无效原因"]
    tz = get_policy(session).timezone
    table = []
    for f in rows:
        out = followup_out(session, f, lang)
        table.append(
            [
                clock.local(f.created_at, tz).strftime("%Y-%m-%d %H:%M"),
                out["author"]["display_name"] or "",
                f.subject,
                f.method or "",
                f.content,
                f.attitude or "",
                f.result_status or "",
                f.next_followup_on.isoformat() if f.next_followup_on else "",
                translate("是" if f.valid else "否", lang),
                "；".join(f"{r['rule']}: {r['message']}" for r in out["invalid_reasons"]),
            ]
        )
    data = workbook_bytes([translate(h, lang) for h in head], table, translate("跟进记录", lang))
    record(
        session,
        actor_id=user.id,
        action="followup.export",
        object_type="customer",
        object_id=customer_id,
        after={"rows": len(rows)},
        rule="FU-6",
    )
    return data


def _reminder_pending() -> ColumnElement[bool]:
    """FU-4: the follow-up has a reminder to send — a recipient and no reminder row yet."""
    return and_(
        FollowUp.remind_user_id.is_not(None),
        ~exists().where(FollowUpReminder.followup_id == FollowUp.id),
    )


def reminder_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """FU-4: on the next follow-up date each recipient gets one reminder note for the day; the
    nightly run writes it, due at the configured reminder time (NOTE-3: it shows and goes out to
    the recipient's channels at 09:00, not when the job runs); the follow-ups are marked reminded."""
    policy = get_policy(session)
    window = and_(
        FollowUp.next_followup_on <= run_date,
        FollowUp.next_followup_on > run_date - timedelta(days=get_policy(session).reminder_lookback_days),
        _reminder_pending(),
    )
    # One INSERT … SELECT … RETURNING records the reminders and says whom they go to.
    rows = sorted(
        session.execute(
            insert(FollowUpReminder)
            .from_select(
                ["followup_id", "user_id", "run_date", "sent_at"],
                select(
                    FollowUp.id,
                    FollowUp.remind_user_id,
                    literal(run_date, Date),
                    literal(clock.now(), UTCDateTime),
                ).where(window),
            )
            .returning(FollowUpReminder.followup_id, FollowUpReminder.user_id)
        ).all()
    )
    if not rows:
        return {"reminded": []}
    counts = Counter(uid for _, uid in rows)
    notify_many(
        session,
        {uid: {"time": policy.reminder_time, "count": count} for uid, count in counts.items()},
        "followup_reminder",
        "今天 {time} 有 {count} 条计划跟进，请及时联系客户",
        link="/",
        rule="FU-4",
        dedupe_key=f"FU-4:{run_date}",
        due_at=company_moment(session, run_date, policy.reminder_time),
    )
    ids = [fid for fid, _ in rows]
    return {"reminded": ids}


def first_contact_step(session: Session, run_date: date) -> dict[str, list[Any]]:
    """FU-5: customers that entered a private pool more than `first_contact_hours` before the run
    without a valid follow-up since are flagged to their owner (one note per owner per day)."""
    policy = get_policy(session)
    start = company_day_start(session, run_date)
    condition = and_(
        Customer.pool == POOL_PRIVATE,
        Customer.owner_id.is_not(None),
        Customer.protected_since <= start - timedelta(hours=policy.first_contact_hours),
        Customer.protected_since > start - timedelta(days=policy.first_contact_flag_days),
        or_(
            Customer.last_valid_followup_at.is_(None),
            Customer.last_valid_followup_at < Customer.protected_since,
        ),
    )
    rows = list(session.execute(select(Customer.id, Customer.owner_id).where(condition)))
    counts: dict[int, int] = {}
    for _, owner in rows:
        assert owner is not None  # the condition selects owned customers only
        counts[owner] = counts.get(owner, 0) + 1
    notify_many(
        session,
        {owner: {"count": count, "hours": policy.first_contact_hours} for owner, count in counts.items()},
        "first_contact",
        "{count} 个新客户超过 {hours} 小时未首次联系",
        link="/pools/mine",
        rule="FU-5",
        dedupe_key=f"FU-5:{run_date}",
    )
    return {"first_contact_overdue": [cid for cid, _ in rows]}


def due_today(session: Session, user: User, day: date | None = None) -> list[tuple[FollowUp, Customer]]:
    """FU-4 dashboard: the follow-ups planned for today whose reminder goes to `user`."""
    day = day or company_today(session)
    q = (
        select(FollowUp, Customer)
        .join(Customer, Customer.id == FollowUp.customer_id)
        .where(FollowUp.next_followup_on == day, FollowUp.remind_user_id == user.id)
        .order_by(FollowUp.id)
        .limit(20)
    )
    return [(f, c) for f, c in session.execute(q)]


def count_valid_since(session: Session, user_id: int, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                FollowUp.author_id == user_id, FollowUp.valid.is_(True), FollowUp.created_at >= since
            )
        )
        or 0
    )


def refresh_next_planned(session: Session, customer_ids: Any = None) -> None:
    """FU-4: set each customer's next follow-up date to what its latest follow-up planned (for
    follow-ups written in bulk, like the demo's back-dated ones); when no ids are given, every
    customer with a follow-up (not every customer: beside 10,000,000 synthetic ones the demo's
    update rewrote all of them, with each of their indexes, for the few hundred followed up)."""
    latest = (
        select(FollowUp.next_followup_on)
        .where(FollowUp.customer_id == Customer.id)
        .order_by(FollowUp.created_at.desc(), FollowUp.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = update(Customer).values(next_followup_on=latest).execution_options(synchronize_session=False)
    if customer_ids is None:
        customer_ids = select(FollowUp.customer_id).distinct()
    session.execute(query.where(Customer.id.in_(customer_ids)))


def refresh_last_valid(session: Session) -> None:
    """FU-1/POOL-6: each private customer's anchor is its owner's latest valid follow-up — for
    follow-ups written out of time order (the demo's back-dated history), where the last one
    written is not the latest. Customers without such a follow-up keep theirs."""
    session.flush()
    owners_valid = and_(
        FollowUp.customer_id == Customer.id, FollowUp.valid.is_(True), FollowUp.author_id == Customer.owner_id
    )
    latest = select(func.max(FollowUp.created_at)).where(owners_valid).scalar_subquery()
    session.execute(
        update(Customer)
        .where(Customer.pool == POOL_PRIVATE, exists(select(FollowUp.id).where(owners_valid)))
        .values(last_valid_followup_at=latest)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def move_pending_reminders(session: Session, customer_id: int, to_owner: int | None) -> None:
    """POOL-15: pending reminders of the customer follow it to the new owner (or lapse)."""
    session.execute(
        update(FollowUp)
        .where(FollowUp.customer_id == customer_id, _reminder_pending())
        .values(remind_user_id=to_owner)
        .execution_options(synchronize_session=False)
    )


def drop_pending_reminders(session: Session, moved: Any) -> None:
    """POOL-15: customers taken from their owners at once (a SELECT of ids) lose their reminders."""
    session.execute(
        update(FollowUp)
        .where(FollowUp.customer_id.in_(moved), _reminder_pending())
        .values(remind_user_id=None)
        .execution_options(synchronize_session=False)
    )
