"""Reports to the supervisor (WORK-1, 001 §1.1): filed with the seed's subject, body and attachment
name, read and commented by the supervisor, late and missing ones listed for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.db import ids_select
from poolcrm.errors import Conflict, Forbidden, InvalidInput, NotFound
from poolcrm.notify.service import notify
from poolcrm.org.models import User
from poolcrm.org.service import Person, acts_for, subordinate_rep_people, visible_owner_ids
from poolcrm.policy.service import company_date, company_today, get_policy
from poolcrm.work import files, rules
from poolcrm.work.models import READ, SUBMITTED, WorkFile, WorkReport


def file_report(
    session: Session,
    actor: User,
    kind: str,
    period_text: str,
    body: str | None,
    filename: str,
    content: bytes,
) -> WorkReport:
    """WORK-1: one report per person, kind and period, with its attachment (required)."""
    if kind not in rules.KINDS:
        raise InvalidInput({"kind": "报告类型须为 weekly/monthly/half_year/annual"}, rule="WORK-1")
    period = rules.parse_period(kind, period_text)
    today = company_today(session)
    if period is None or period.first > today:
        raise InvalidInput(
            {"period": "周期格式不正确或尚未开始（例：2026-W49、2026-12、2026-H2、2026）"}, rule="WORK-1"
        )
    if rules.before_hire(period, actor.hired_on):
        raise InvalidInput({"period": "该周期在入职日期之前已结束"}, rule="WORK-1b")
    if not content:
        raise InvalidInput({"file": "请上传报告附件（可从模板下载）"}, rule="WORK-1")
    name, kind_of_file = files.checked(session, "report", filename, content, "WORK-1")
    subject = rules.report_subject(period, actor.display_name)
    report = WorkReport(
        user_id=actor.id,
        kind=kind,
        period=period.key,
        subject=subject,
        body=(body or "").strip() or rules.report_body(subject),
        supervisor_id=actor.supervisor_id,
        status=SUBMITTED,
        due_on=rules.due_on(period, get_policy(session).report_due_days),
        submitted_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("{subject} 已提交", rule="WORK-1", code="already_filed", subject=subject) from exc
    files.store(session, "report", report.id, subject + files.suffix(name), kind_of_file, content, actor.id)
    record(
        session,
        actor_id=actor.id,
        action="report.file",
        object_type="work_report",
        object_id=report.id,
        after={"subject": subject, "kind": kind, "period": period.key, "late": today > report.due_on},
        rule="WORK-1",
    )
    if report.supervisor_id is not None:
        notify(
            session,
            report.supervisor_id,
            "report_filed",
            "收到 {subject}",
            link=f"/work/reports/{report.id}",
            rule="WORK-1",
            subject=subject,
        )
    return report


def get_report(session: Session, actor: User, report_id: int) -> WorkReport:
    """ORG-5: the author's tree sees a report; anyone else gets 404."""
    report = session.get(WorkReport, report_id)
    scope = visible_owner_ids(session, actor)
    if report is None or (scope is not None and report.user_id not in scope):
        raise NotFound()
    return report


def mark_read(session: Session, actor: User, report_id: int, comment: str | None) -> WorkReport:
    """WORK-1: the supervisor (or anyone above the author) marks it read and may comment."""
    report = get_report(session, actor, report_id)
    if actor.id == report.user_id or not acts_for(session, actor, report.user_id):
        raise Forbidden("只有主管可以批阅报告", rule="WORK-1")
    report.status, report.read_at = READ, clock.now()
    report.comment = (comment or "").strip() or report.comment
    record(
        session,
        actor_id=actor.id,
        action="report.read",
        object_type="work_report",
        object_id=report.id,
        after={"comment": report.comment},
        rule="WORK-1",
    )
    if report.comment:
        notify(
            session,
            report.user_id,
            "report_read",
            "{actor} 批阅了 {subject}：{comment}",
            link=f"/work/reports/{report.id}",
            rule="WORK-1",
            actor=actor.display_name,
            subject=report.subject,
            comment=report.comment,
        )
    session.flush()
    return report


def list_reports(
    session: Session, actor: User, user_id: int | None = None, status: str | None = None, limit: int = 100
) -> list[WorkReport]:
    q = select(WorkReport)
    scope = visible_owner_ids(session, actor)
    if scope is not None:
        q = q.where(WorkReport.user_id.in_(sorted(scope)))
    if user_id is not None:
        q = q.where(WorkReport.user_id == user_id)
    if status:
        q = q.where(WorkReport.status == status)
    return list(
        session.scalars(q.order_by(WorkReport.submitted_at.desc(), WorkReport.id.desc()).limit(limit))
    )


@dataclass(frozen=True)
class Lateness:
    user: Person
    kind: str
    period: str
    due_on: date
    report: WorkReport | None

    @property
    def state(self) -> str:
        return "missing" if self.report is None else "late"


def late_reports(session: Session, actor: User, today: date | None = None) -> list[Lateness]:
    """WORK-1a: for each rep under the actor, each kind's last ended period past its due day —
    missing, or filed after the due day."""
    today = today or company_today(session)
    due_days = get_policy(session).report_due_days
    reps = subordinate_rep_people(session, actor.id)
    if not reps:
        return []
    periods = {kind: rules.previous_period(kind, today) for kind in rules.KINDS}
    filed = {
        (r.user_id, r.kind, r.period): r
        for r in session.scalars(
            select(WorkReport).where(
                WorkReport.user_id.in_(ids_select(session, [u.id for u in reps])),
                WorkReport.period.in_([p.key for p in periods.values()]),
            )
        )
    }
    out = []
    for user in reps:
        for kind, period in periods.items():
            due = rules.due_on(period, due_days)
            if today <= due:
                continue
            report = filed.get((user.id, kind, period.key))
            if report is None or (company_date(session, report.submitted_at) or today) > due:
                out.append(Lateness(user, kind, period.key, due, report))
    return out


def report_out(session: Session, report: WorkReport) -> dict[str, Any]:
    return reports_out(session, [report])[0]


def reports_out(session: Session, items: list[WorkReport]) -> list[dict[str, Any]]:
    """WORK-1: reports as read, their attachments found in one query."""
    attached: dict[int, WorkFile] = {}
    if items:
        rows = session.scalars(
            select(WorkFile).where(
                WorkFile.owner_type == "report", WorkFile.owner_id.in_([r.id for r in items])
            )
        )
        for f in rows:
            attached.setdefault(f.owner_id, f)
    zone = get_policy(session).timezone
    out = []
    for report in items:
        attachment = attached.get(report.id)
        out.append(
            {
                "id": report.id,
                "user_id": report.user_id,
                "kind": report.kind,
                "period": report.period,
                "subject": report.subject,
                "body": report.body,
                "status": report.status,
                "due_on": report.due_on.isoformat(),
                "late": clock.local_date(report.submitted_at, zone) > report.due_on,
                "submitted_at": report.submitted_at.isoformat(),
                "read_at": report.read_at.isoformat() if report.read_at else None,
                "comment": report.comment,
                "attachment": {"id": attachment.id, "filename": attachment.filename} if attachment else None,
            }
        )
    return out
