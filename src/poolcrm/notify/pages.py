"""Notification pages (NOTE-1/NOTE-2): the admin's channels — SMTP and the 企业微信/钉钉/飞书
group robots, each setting explained with the vendor's own example, a "send test" button whose
answer shows at once, department routing, each channel's health — and the delivery log; each
user's own settings: which kinds reach them by which channel, their email and IM ids, the digest."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from poolcrm.notify import channels, rules
from poolcrm.notify.models import DELIVERY_STATUSES, Delivery
from poolcrm.notify.sender import send_test
from poolcrm.org.models import Department, User
from poolcrm.web.deps import DB, CurrentUser, FormBody, Lang, get_settings
from poolcrm.web.endpoints import OneStepRoute
from poolcrm.web.forms import optional_int, run_form, text, whole_number
from poolcrm.web.render import page

router = APIRouter(route_class=OneStepRoute)
STATUS_NAMES = {
    "pending": "排队中",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "失败",
    "skipped": "已跳过",
}
OUTCOME_NAMES = {"sent": "成功", "throttled": "限流，稍后重发", "error": "失败"}
TLS_NAMES = {"ssl": "SSL（如 465 端口）", "starttls": "STARTTLS（如 587 端口）", "none": "不加密（仅内网）"}
SECRET_HELP = {
    rules.DINGTALK: "钉钉群设置 → 智能群助手 → 添加机器人 → 自定义 → 安全设置选“加签”，复制 SEC 开头的密钥",
    rules.FEISHU: "飞书群 → 设置 → 群机器人 → 添加自定义机器人 → 安全设置勾选“签名校验”，复制密钥",
}
WEBHOOK_HELP = {
    rules.WECOM: "企业微信群 → 右上角 … → 群机器人 → 添加机器人，复制 Webhook 地址（只需这一项，无需密钥）",
    rules.DINGTALK: "添加自定义机器人后复制 Webhook 地址（含 access_token）",
    rules.FEISHU: "添加自定义机器人后复制 Webhook 地址（…/open-apis/bot/v2/hook/…）",
}


def _secret(request: Request) -> str:
    return get_settings(request).secret_key


def _channels_page(
    request: Request, db: DB, user: User, flash: str | None = None, status: int = 200
) -> HTMLResponse:
    views = channels.list_channels(db, user, _secret(request))
    tested = optional_int(request.query_params.get("tested", ""))
    answer = db.get(Delivery, tested) if tested else None
    if answer is not None and answer.channel_id not in {v.id for v in views}:
        answer = None
    return page(
        request,
        "notify/channels.html",
        status,
        db=db,
        views=views,
        answer=answer,
        types=rules.CHANNEL_TYPE_NAMES,
        robots=rules.ROBOTS,
        examples=rules.WEBHOOK_EXAMPLES,
        limits=rules.VENDOR_PER_MINUTE,
        webhook_help=WEBHOOK_HELP,
        secret_help=SECRET_HELP,
        tls_names=TLS_NAMES,
        kinds=rules.KINDS,
        departments=db.execute(select(Department.id, Department.name).order_by(Department.name)).all(),
        statuses=STATUS_NAMES,
        flash=flash,
        flash_kind="error" if flash else None,
    )


@router.get("/admin/channels", response_class=HTMLResponse)
def channels_page(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    return _channels_page(request, db, user)


def _number(raw: str) -> int | str:
    """A number field: an int when it is one, else the text (the rules then name the field)."""
    number = whole_number(raw)
    return raw if number is None else number


def _config(form: Any, type_: str) -> dict[str, Any]:
    """The channel form's fields as the service's `config` (blank secrets keep the stored ones)."""
    config: dict[str, Any] = {}
    if type_ == rules.SMTP:
        for key in ("host", "tls", "user", "sender", "password"):
            config[key] = text(form, key)
        config["port"] = _number(text(form, "port"))
        return config
    config["webhook"] = text(form, "webhook")
    config["secret"] = text(form, "secret")
    if text(form, "per_minute"):
        config["per_minute"] = _number(text(form, "per_minute"))
    config["departments"] = [d for d in (optional_int(str(v)) for v in form.getlist("departments")) if d]
    config["kinds"] = [str(v) for v in form.getlist("kinds")]
    return config


def _save(request: Request, db: DB, user: User, lang: str, form: Any, channel_id: int | None) -> Response:
    existing = channels.get_channel(db, user, channel_id) if channel_id is not None else None
    type_ = existing.type if existing is not None else text(form, "type")
    return run_form(
        db,
        lang,
        lambda: channels.save_channel(
            db,
            user,
            _secret(request),
            type_=type_,
            name=text(form, "name"),
            config=_config(form, type_),
            channel=existing,
            active=form.get("active") == "on",
        ),
        lambda ch: f"/admin/channels#channel-{ch.id}",
        lambda flash, status: _channels_page(request, db, user, flash, status),
    )


@router.post("/admin/channels", response_model=None)
def create_channel(request: Request, user: CurrentUser, db: DB, lang: Lang, form: FormBody) -> Response:
    return _save(request, db, user, lang, form, None)


@router.post("/admin/channels/{channel_id}", response_model=None)
def update_channel(
    request: Request, channel_id: int, user: CurrentUser, db: DB, lang: Lang, form: FormBody
) -> Response:
    return _save(request, db, user, lang, form, channel_id)


@router.post("/admin/channels/{channel_id}/remove", response_model=None)
def remove_channel(request: Request, channel_id: int, user: CurrentUser, db: DB, lang: Lang) -> Response:
    return run_form(
        db,
        lang,
        lambda: channels.remove_channel(db, user, channel_id),
        lambda _: "/admin/channels",
        lambda flash, status: _channels_page(request, db, user, flash, status),
    )


@router.post("/admin/channels/{channel_id}/test", response_model=None)
def test_channel(request: Request, channel_id: int, user: CurrentUser, db: DB, lang: Lang) -> Response:
    """NOTE-2: send one test message now; the page then shows the vendor's answer."""
    return run_form(
        db,
        lang,
        lambda: send_test(db, user, channel_id, _secret(request)),
        lambda d: f"/admin/channels?tested={d.id}#channel-{channel_id}",
        lambda flash, status: _channels_page(request, db, user, flash, status),
    )


@router.get("/admin/deliveries", response_class=HTMLResponse)
def deliveries_page(
    request: Request,
    user: CurrentUser,
    db: DB,
    status: Annotated[str, Query(max_length=12)] = "",
    channel: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    """NOTE-2: the delivery log — every delivery and each of its attempts."""
    wanted = status if status in DELIVERY_STATUSES else None
    entries = channels.delivery_log(db, user, status=wanted, channel_id=channel, limit=200)
    views = channels.list_channels(db, user, _secret(request))
    return page(
        request,
        "notify/deliveries.html",
        db=db,
        entries=entries,
        views=views,
        status=wanted or "",
        channel=channel,
        statuses=STATUS_NAMES,
        outcomes=OUTCOME_NAMES,
        kinds=rules.KINDS,
        types=rules.CHANNEL_TYPE_NAMES,
    )


def _settings_page(
    request: Request, db: DB, user: User, flash: str | None = None, status: int = 200
) -> HTMLResponse:
    mine = channels.my_settings(db, user)
    return page(
        request,
        "notify/settings.html",
        status,
        db=db,
        mine=mine,
        picks=dict(mine.channels or {}),
        im_ids=dict(mine.im_ids or {}),
        kinds={k: v for k, v in rules.KINDS.items() if k != "channel_test"},
        choices=[p for p in rules.PREFERENCES if p != rules.INAPP],
        names=rules.PREFERENCE_NAMES,
        saved=request.query_params.get("saved") == "1",
        flash=flash,
        flash_kind="error" if flash else None,
    )


@router.get("/me/notifications", response_class=HTMLResponse)
def settings_page(request: Request, user: CurrentUser, db: DB) -> HTMLResponse:
    return _settings_page(request, db, user)


def _picks(form: FormData) -> dict[str, list[str]]:
    """Checkboxes named `pick:<kind>` with the channel as value → {kind: [channels]}."""
    out: dict[str, list[str]] = {k: [] for k in rules.KINDS if k != "channel_test"}
    for key, value in form.multi_items():
        if key.startswith("pick:"):
            out.setdefault(key[5:][:40], []).append(str(value))
    return out


@router.post("/me/notifications", response_model=None)
def save_settings(request: Request, user: CurrentUser, db: DB, lang: Lang, form: FormBody) -> Response:
    return run_form(
        db,
        lang,
        lambda: channels.save_settings(
            db,
            user,
            channels=_picks(form),
            email=text(form, "email"),
            im_ids={t: text(form, f"im_{t}") for t in rules.ROBOTS},
            digest=form.get("digest") == "on",
        ),
        lambda _: "/me/notifications?saved=1",
        lambda flash, status: _settings_page(request, db, user, flash, status),
    )
