"""NOTE-1: the admin's channels (SMTP server, 企业微信/钉钉/飞书 group robots, department routes)
and each user's notification settings. Secrets are sealed with the app secret (NOTE-1a)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.db import ids_select
from poolcrm.errors import Forbidden, InvalidInput, NotFound
from poolcrm.notify import rules, vault
from poolcrm.notify.models import (
    FAILED,
    PENDING,
    SENDING,
    Channel,
    ChannelRoute,
    Delivery,
    DeliveryAttempt,
    Notification,
    NotifySettings,
)
from poolcrm.org.models import Department, User
from poolcrm.org.rules import configures_channels

SECRET_FIELDS = ("password", "webhook", "secret")
"""Settings stored sealed: the SMTP password, a robot's webhook address (it carries the robot's
credential), and the 加签 / signature secret."""
SHOWN_FIELDS = {
    rules.SMTP: ("host", "port", "tls", "user", "sender"),
    rules.WECOM: ("per_minute",),
    rules.DINGTALK: ("per_minute",),
    rules.FEISHU: ("per_minute",),
}


def _require_admin(actor: User) -> None:
    if not configures_channels(actor.roles):
        raise Forbidden(rule="NOTE-1")


@dataclass(frozen=True)
class ChannelView:
    """A channel as the admin sees it: settings, secrets masked, routes, and whether the stored
    secrets can still be read (they cannot after the app secret changed)."""

    id: int
    type: str
    name: str
    active: bool
    config: dict[str, Any]
    secrets: dict[str, str]
    departments: list[int]
    kinds: list[str]
    readable: bool
    health: Health | None = None


@dataclass(frozen=True)
class Health:
    """NOTE-2: how a channel is doing, on the admin's channel page: messages waiting (queued or
    retrying), messages given up, and the latest failure with the vendor's code."""

    queued: int
    failed: int
    last_code: str | None
    last_error: str | None
    last_error_at: datetime | None


def health(session: Session, channel_id: int) -> Health:
    counts = dict(
        session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.channel_id == channel_id, Delivery.status.in_([PENDING, SENDING, FAILED]))
            .group_by(Delivery.status)
        ).all()
    )
    latest = session.execute(
        select(Delivery.id, Delivery.vendor_code, Delivery.last_error)
        .where(
            Delivery.channel_id == channel_id,
            Delivery.status.in_([PENDING, FAILED]),
            Delivery.last_error.is_not(None),
        )
        .order_by(Delivery.id.desc())
        .limit(1)
    ).first()
    code = detail = at = None
    if latest is not None:
        _, code, detail = latest
        at = session.scalar(
            select(func.max(DeliveryAttempt.attempted_at)).where(DeliveryAttempt.delivery_id == latest[0])
        )
    return Health(
        queued=counts.get(PENDING, 0) + counts.get(SENDING, 0),
        failed=counts.get(FAILED, 0),
        last_code=code,
        last_error=detail,
        last_error_at=at,
    )


def view(session: Session, channel: Channel, app_secret: str) -> ChannelView:
    try:
        secrets = {k: rules.mask(v) for k, v in vault.unseal(app_secret, channel.secrets).items()}
        readable = True
    except vault.SecretUnreadable:
        secrets, readable = {}, False
    routes = session.execute(
        select(ChannelRoute.department_id, ChannelRoute.kind).where(ChannelRoute.channel_id == channel.id)
    ).all()
    return ChannelView(
        id=channel.id,
        type=channel.type,
        name=channel.name,
        active=channel.active,
        config=dict(channel.config or {}),
        secrets=secrets,
        departments=sorted({d for d, _ in routes}),
        kinds=sorted({k for _, k in routes}),
        readable=readable,
        health=health(session, channel.id),
    )


def list_channels(session: Session, actor: User, app_secret: str) -> list[ChannelView]:
    _require_admin(actor)
    rows = session.scalars(select(Channel).where(Channel.removed_at.is_(None)).order_by(Channel.id))
    return [view(session, c, app_secret) for c in rows]


def get_channel(session: Session, actor: User, channel_id: int) -> Channel:
    _require_admin(actor)
    channel = session.get(Channel, channel_id)
    if channel is None or channel.removed_at is not None:
        raise NotFound()
    return channel


def _split(type_: str, config: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    shown = {k: config[k] for k in SHOWN_FIELDS.get(type_, ()) if k in config and config[k] not in (None, "")}
    secrets = {
        k: str(config[k]).strip()
        for k in SECRET_FIELDS
        if isinstance(config.get(k), str) and config[k].strip()
    }
    for key in ("host", "user", "sender"):
        if isinstance(shown.get(key), str):
            shown[key] = shown[key].strip()
    return shown, secrets


def _routes(session: Session, config: Mapping[str, Any]) -> tuple[list[int], list[str], dict[str, str]]:
    """NOTE-1: a robot's department routing — `departments` (ids) × `kinds` (or "*": every kind)."""
    departments, kinds = config.get("departments") or [], config.get("kinds") or []
    errors: dict[str, str] = {}
    if not isinstance(departments, list) or not all(
        isinstance(d, int) and 0 < d < 2**31 for d in departments
    ):
        errors["config.departments"] = "部门应为部门编号列表"
        departments = []
    elif departments:
        known = set(session.scalars(select(Department.id).where(Department.id.in_(departments))))
        if set(departments) - known:
            errors["config.departments"] = "部门不存在"
    if not isinstance(kinds, list) or any(k != "*" and k not in rules.KINDS for k in kinds):
        errors["config.kinds"] = "未知的通知类型"
        kinds = []
    if bool(departments) != bool(kinds):
        errors["config.kinds" if departments else "config.departments"] = "部门和通知类型需同时填写"
    return sorted(set(departments)), sorted(set(kinds)), errors


def save_channel(
    session: Session,
    actor: User,
    app_secret: str,
    *,
    type_: str,
    name: str,
    config: Mapping[str, Any],
    channel: Channel | None = None,
    active: bool = True,
) -> Channel:
    """NOTE-1: add a channel, or change one (a blank secret keeps the stored one)."""
    _require_admin(actor)
    if type_ not in rules.CHANNEL_TYPES:
        raise InvalidInput({"type": "渠道类型应为 smtp、wecom、dingtalk 或 feishu"}, rule="NOTE-1")
    name = (name or "").strip()
    shown, secrets = _split(type_, config)
    if channel is not None:
        try:
            kept = vault.unseal(app_secret, channel.secrets)
        except vault.SecretUnreadable:
            kept = {}
        secrets = {**kept, **secrets}
    errors = rules.check_channel(type_, shown, secrets)
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        errors["name"] = "请填写渠道名称（100 字以内）"
    departments, kinds, route_errors = _routes(session, config) if type_ != rules.SMTP else ([], [], {})
    errors.update(route_errors)
    if errors:
        raise InvalidInput(errors, rule="NOTE-1")
    before = None if channel is None else {"name": channel.name, "config": channel.config}
    if channel is None:
        channel = Channel(type=type_, created_at=clock.now(), created_by=actor.id)
        session.add(channel)
    channel.name, channel.config, channel.active = name, shown, active
    channel.secrets = vault.seal(app_secret, secrets)
    session.flush()
    session.execute(delete(ChannelRoute).where(ChannelRoute.channel_id == channel.id))
    for dept in departments:
        for kind in kinds:
            session.add(ChannelRoute(channel_id=channel.id, department_id=dept, kind=kind))
    record(
        session,
        actor_id=actor.id,
        action="notify.channel.save",
        object_type="notify_channel",
        object_id=channel.id,
        before=before,
        after={
            "name": name,
            "type": type_,
            "config": shown,
            "secrets": sorted(secrets),
            "routes": len(departments) * len(kinds),
        },
        rule="NOTE-1",
    )
    return channel


def remove_channel(session: Session, actor: User, channel_id: int) -> None:
    """NOTE-1: a channel is switched off and hidden, never deleted: its delivery log stays."""
    channel = get_channel(session, actor, channel_id)
    channel.active = False
    channel.removed_at = clock.now()
    record(
        session,
        actor_id=actor.id,
        action="notify.channel.remove",
        object_type="notify_channel",
        object_id=channel.id,
        before={"name": channel.name},
        rule="NOTE-1",
    )


def my_settings(session: Session, user: User) -> NotifySettings:
    found = session.get(NotifySettings, user.id)
    return found or NotifySettings(user_id=user.id, channels={}, email=user.email, im_ids={}, digest=False)


def save_settings(
    session: Session,
    user: User,
    *,
    channels: Any,
    email: Any = None,
    im_ids: Any = None,
    digest: Any = False,
) -> NotifySettings:
    """NOTE-1: a user's own choices — kinds → channel types, their email and IM ids, the digest."""
    errors = rules.check_preferences(channels)
    email = (email or "").strip() if isinstance(email, str) or email is None else email
    if not isinstance(email, str) or (email and not rules.valid_email(email)):
        errors["email"] = "邮箱格式不对，例如 zhang@example.com"
    im_ids = im_ids if im_ids is not None else {}
    if not isinstance(im_ids, dict) or any(
        k not in rules.ROBOTS or not isinstance(v, str) or len(v) > 100 or any(ord(c) < 33 for c in v)
        for k, v in im_ids.items()
    ):
        errors["im_ids"] = "IM 账号应为 {wecom|dingtalk|feishu: 账号}，不含空格"
    if not isinstance(digest, bool):
        errors["digest"] = "应为 true 或 false"
    if errors:
        raise InvalidInput(errors, rule="NOTE-1")
    settings = session.get(NotifySettings, user.id)
    if settings is None:
        settings = NotifySettings(user_id=user.id)
        session.add(settings)
    settings.channels = {
        k: [p for p in rules.PREFERENCES if p in v and p != rules.INAPP] for k, v in channels.items()
    }
    settings.email = email or None
    settings.im_ids = {k: v for k, v in im_ids.items() if v}
    settings.digest = digest
    settings.updated_at = clock.now()
    record(
        session,
        actor_id=user.id,
        action="notify.settings",
        object_type="user",
        object_id=user.id,
        after={"channels": settings.channels, "digest": digest},
        rule="NOTE-1",
    )
    return settings


@dataclass(frozen=True)
class LogEntry:
    """NOTE-2: one delivery in the admin's log, with its attempts (newest first)."""

    delivery: Delivery
    kind: str
    channel_name: str
    channel_type: str
    attempts: list[DeliveryAttempt]


def delivery_log(
    session: Session,
    actor: User,
    *,
    status: str | None = None,
    channel_id: int | None = None,
    limit: int = 100,
) -> list[LogEntry]:
    """NOTE-2: the latest deliveries (optionally of one status or channel) and every attempt."""
    _require_admin(actor)
    query = (
        select(Delivery, Notification.kind, Channel.name, Channel.type)
        .join(Notification, Notification.id == Delivery.notification_id)
        .join(Channel, Channel.id == Delivery.channel_id)
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(Delivery.status == status)
    if channel_id is not None:
        query = query.where(Delivery.channel_id == channel_id)
    rows = session.execute(query).all()
    attempts: dict[int, list[DeliveryAttempt]] = defaultdict(list)
    if rows:
        ids = ids_select(session, [d.id for d, *_ in rows])
        found = select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(ids))
        for attempt in session.scalars(found.order_by(DeliveryAttempt.id.desc())):
            attempts[attempt.delivery_id].append(attempt)
    return [LogEntry(d, kind, name, type_, attempts[d.id]) for d, kind, name, type_ in rows]
