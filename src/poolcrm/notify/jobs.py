"""Daily step of the notify domain (JOB-1): NOTE-3's optional daily digest."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poolcrm.jobs.registry import daily_step
from poolcrm.notify.models import Notification, NotifySettings
from poolcrm.notify.service import notify_many
from poolcrm.org.models import User
from poolcrm.policy.service import company_day_start, company_moment, get_policy


@daily_step("notify.digest", order=90)
def digest(session: Session, as_of: date) -> dict[str, list[Any]]:
    """NOTE-3: each user who asked for it gets one digest a day at `digest_time`: how many
    notifications of the past day they have not read yet (nothing unread, no digest)."""
    since = company_day_start(session, as_of - timedelta(days=1))
    rows = session.execute(
        select(Notification.user_id, func.count())
        .join(NotifySettings, NotifySettings.user_id == Notification.user_id)
        .join(User, User.id == Notification.user_id)
        .where(
            NotifySettings.digest.is_(True),
            User.active.is_(True),
            Notification.read_at.is_(None),
            Notification.created_at >= since,
            Notification.kind != "digest",
        )
        .group_by(Notification.user_id)
    ).all()
    sent = notify_many(
        session,
        {uid: {"count": count} for uid, count in rows},
        "digest",
        "每日摘要：过去一天有 {count} 条未读通知",
        link="/notifications",
        rule="NOTE-3",
        dedupe_key=f"NOTE-3:digest:{as_of}",
        due_at=company_moment(session, as_of, get_policy(session).digest_time),
    )
    return {"digests": sent}
