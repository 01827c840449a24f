from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from poolcrm.notify import channels, service
from poolcrm.notify.models import DELIVERY_STATUSES
from poolcrm.notify.schemas import ChannelIn, ChannelPatch, NotificationSettingsIn
from poolcrm.notify.sender import send_test
from poolcrm.web.deps import DB, CurrentUser, Lang, get_settings
from poolcrm.web.endpoints import OneStepRoute

router = APIRouter(route_class=OneStepRoute, tags=["notifications"])
Status = Literal[DELIVERY_STATUSES]  # type: ignore[valid-type]


@router.get("/notifications")
def list_notifications(user: CurrentUser, db: DB, lang: Lang, unread: bool = False) -> dict[str, Any]:
    notes = service.list_for(db, user.id, unread_only=unread)
    return {
        "unread": service.unread_count(db, user.id),
        "items": [
            {
                "id": n.id,
                "kind": n.kind,
                "message": service.render(n, lang),
                "link": n.link,
                "rule": n.rule,
                "created_at": n.created_at.isoformat(),
                "read": n.read_at is not None,
            }
            for n in notes
        ],
    }


@router.post("/notifications/{note_id}/read")
def mark_read(note_id: int, user: CurrentUser, db: DB) -> dict[str, int]:
    return {"marked": service.mark_read(db, user.id, note_id)}


@router.post("/notifications/read-all")
def mark_all_read(user: CurrentUser, db: DB) -> dict[str, int]:
    return {"marked": service.mark_read(db, user.id)}


def _settings_out(db: DB, user: CurrentUser) -> dict[str, Any]:
    mine = channels.my_settings(db, user)
    return {
        "channels": dict(mine.channels or {}),
        "email": mine.email,
        "im_ids": dict(mine.im_ids or {}),
        "digest": bool(mine.digest),
    }


@router.get("/me/notification-settings")
def get_notification_settings(user: CurrentUser, db: DB) -> dict[str, Any]:
    """NOTE-1: which kinds reach me by which channel (in-app is always on)."""
    return _settings_out(db, user)


@router.put("/me/notification-settings")
def put_notification_settings(body: NotificationSettingsIn, user: CurrentUser, db: DB) -> dict[str, Any]:
    channels.save_settings(
        db, user, channels=body.channels, email=body.email, im_ids=body.im_ids, digest=body.digest
    )
    return _settings_out(db, user)


def _channel_out(view: channels.ChannelView) -> dict[str, Any]:
    return {
        "id": view.id,
        "type": view.type,
        "name": view.name,
        "active": view.active,
        "config": {**view.config, **view.secrets, "departments": view.departments, "kinds": view.kinds},
        "secrets_readable": view.readable,
        "health": None
        if view.health is None
        else {
            "queued": view.health.queued,
            "failed": view.health.failed,
            "last_code": view.health.last_code,
            "last_error": view.health.last_error,
            "last_error_at": view.health.last_error_at.isoformat() if view.health.last_error_at else None,
        },
    }


@router.get("/admin/channels")
def list_channels(request: Request, user: CurrentUser, db: DB) -> dict[str, Any]:
    secret = get_settings(request).secret_key
    return {"items": [_channel_out(v) for v in channels.list_channels(db, user, secret)]}


@router.post("/admin/channels", status_code=201)
def create_channel(body: ChannelIn, request: Request, user: CurrentUser, db: DB) -> dict[str, Any]:
    secret = get_settings(request).secret_key
    channel = channels.save_channel(
        db, user, secret, type_=body.type, name=body.name, config=body.config, active=body.active
    )
    return _channel_out(channels.view(db, channel, secret))


@router.patch("/admin/channels/{channel_id}")
def update_channel(
    channel_id: int, body: ChannelPatch, request: Request, user: CurrentUser, db: DB
) -> dict[str, Any]:
    secret = get_settings(request).secret_key
    channel = channels.get_channel(db, user, channel_id)
    current = channels.view(db, channel, secret)
    config = (
        body.config
        if body.config is not None
        else {**current.config, "departments": current.departments, "kinds": current.kinds}
    )
    channel = channels.save_channel(
        db,
        user,
        secret,
        type_=channel.type,
        name=body.name if body.name is not None else channel.name,
        config=config,
        channel=channel,
        active=body.active if body.active is not None else channel.active,
    )
    return _channel_out(channels.view(db, channel, secret))


@router.delete("/admin/channels/{channel_id}", status_code=204)
def remove_channel(channel_id: int, user: CurrentUser, db: DB) -> None:
    channels.remove_channel(db, user, channel_id)


@router.post("/admin/channels/{channel_id}/test")
def test_channel(channel_id: int, request: Request, user: CurrentUser, db: DB) -> dict[str, Any]:
    """NOTE-2: send one test message now and answer with the vendor's reply."""
    delivery = send_test(db, user, channel_id, get_settings(request).secret_key)
    return {
        "delivery_id": delivery.id,
        "status": delivery.status,
        "vendor_code": delivery.vendor_code,
        "detail": delivery.last_error,
    }


@router.get("/admin/deliveries")
def list_deliveries(
    user: CurrentUser,
    db: DB,
    status: Status | None = None,
    channel_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """NOTE-2: the delivery log — every delivery, its attempts and outcomes."""
    entries = channels.delivery_log(db, user, status=status, channel_id=channel_id, limit=limit)
    return {
        "items": [
            {
                "id": e.delivery.id,
                "channel": {"id": e.delivery.channel_id, "name": e.channel_name, "type": e.channel_type},
                "kind": e.kind,
                "status": e.delivery.status,
                "attempts": e.delivery.attempts,
                "next_attempt_at": e.delivery.next_attempt_at.isoformat(),
                "sent_at": e.delivery.sent_at.isoformat() if e.delivery.sent_at else None,
                "vendor_code": e.delivery.vendor_code,
                "last_error": e.delivery.last_error,
                "log": [
                    {
                        "at": a.attempted_at.isoformat(),
                        "outcome": a.outcome,
                        "vendor_code": a.vendor_code,
                        "detail": a.detail,
                    }
                    for a in e.attempts
                ],
            }
            for e in entries
        ]
    }
