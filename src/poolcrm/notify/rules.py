"""NOTE-1..3: pure decisions about notifications — which channel types a kind reaches, what a
channel's settings must hold, how each vendor's request is built and signed, how an answer is
read, and when a failed delivery is tried again. No database, no clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlsplit

SMTP, WECOM, DINGTALK, FEISHU = "smtp", "wecom", "dingtalk", "feishu"
CHANNEL_TYPES = (SMTP, WECOM, DINGTALK, FEISHU)
ROBOTS = (WECOM, DINGTALK, FEISHU)
INAPP, EMAIL = "inapp", "email"
PREFERENCES = (INAPP, EMAIL, WECOM, DINGTALK, FEISHU)
"""What a user may pick per kind: in-app (always on), email, or one of the group robots."""
CHANNEL_OF_PREFERENCE = {EMAIL: SMTP, WECOM: WECOM, DINGTALK: DINGTALK, FEISHU: FEISHU}

CHANNEL_TYPE_NAMES = {
    SMTP: "邮件（SMTP）",
    WECOM: "企业微信群机器人",
    DINGTALK: "钉钉自定义机器人",
    FEISHU: "飞书自定义机器人",
}
PREFERENCE_NAMES = {INAPP: "站内", EMAIL: "邮件", WECOM: "企业微信", DINGTALK: "钉钉", FEISHU: "飞书"}

KINDS: dict[str, str] = {
    "approval_waiting": "待审批",
    "approval_decided": "审批结果",
    "recycle_warning": "回收预警",
    "recycled": "客户回收",
    "allocated": "客户分配",
    "followup_reminder": "跟进提醒",
    "first_contact": "首次联系超期",
    "deal_reminder": "跟单提醒",
    "deal_signed_by_other": "他人签单",
    "contract_to_approve": "合同待审批",
    "contract_decided": "合同审批结果",
    "installment_overdue": "回款逾期",
    "service.ticket": "新工单",
    "service.assigned": "工单分配",
    "service.complaint": "客户投诉",
    "service.sla_breach": "工单超时",
    "report_filed": "工作报告提交",
    "report_read": "工作报告已阅",
    "weekly_activity_short": "周活动不足",
    "expense_to_approve": "报销待审批",
    "expense_decided": "报销审批结果",
    "trip_to_approve": "出差待审批",
    "trip_decided": "出差审批结果",
    "violation": "违规",
    "spot_check": "抽查",
    "assessment": "考核",
    "inbound": "来电分配",
    "dispute": "撞单争议",
    "departure": "离职交接",
    "duty_reinstated": "值班恢复",
    "member_open": "会员客户开放",
    "verification": "联系方式核实",
    "export_to_approve": "导出待审批",
    "export_decided": "导出审批结果",
    "digest": "每日摘要",
    "channel_test": "渠道测试",
}
"""NOTE-1: the kinds a user can route, with their names (a kind not listed still reaches in-app)."""

_EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[^@\s<>\"]{1,190}\.[^@\s<>\".]{2,}$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$")


def kind_name(kind: str) -> str:
    return KINDS.get(kind, kind)


def chosen_channels(kind: str, preferences: Mapping[str, Any] | None) -> list[str]:
    """NOTE-1: the outside channel types (email, robots) a user picked for `kind`; in-app is always
    on and never listed here. Unknown names in stored settings are ignored."""
    picked = (preferences or {}).get(kind) or []
    return [p for p in PREFERENCES if p != INAPP and p in picked]


def check_preferences(channels: Any) -> dict[str, str]:
    """NOTE-1: a user's settings `{kind: [channel types]}` name known kinds and channel types."""
    if not isinstance(channels, dict):
        return {"channels": "应为 {类型: [渠道]} 的对象"}
    errors: dict[str, str] = {}
    for kind, picked in channels.items():
        if kind not in KINDS:
            errors[f"channels.{str(kind)[:40]}"] = "未知的通知类型"
        elif not isinstance(picked, list) or any(p not in PREFERENCES for p in picked):
            errors[f"channels.{kind}"] = "渠道只能是 inapp、email、wecom、dingtalk、feishu"
    return errors


def valid_email(value: str) -> bool:
    return bool(_EMAIL.match(value)) and len(value) <= 200


def check_channel(type_: str, config: Mapping[str, Any], secrets: Mapping[str, str]) -> dict[str, str]:
    """NOTE-1: what each channel type needs. SMTP: host, port, TLS mode, sender (user and password
    optional); a robot: its webhook address as the vendor shows it (钉钉/飞书: an optional 加签
    secret). Returns the fields that are wrong, named for a 422."""
    errors: dict[str, str] = {}
    if type_ == SMTP:
        host = str(config.get("host") or "")
        if not _HOSTNAME.match(host):
            errors["config.host"] = "请填写邮件服务器地址，例如 smtp.exmail.qq.com"
        port = config.get("port")
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            errors["config.port"] = "端口应为 1–65535，例如 465"
        if config.get("tls") not in ("ssl", "starttls", "none"):
            errors["config.tls"] = "加密方式应为 ssl、starttls 或 none"
        if not valid_email(str(config.get("sender") or "")):
            errors["config.sender"] = "请填写发件地址，例如 crm@example.com"
        return errors
    if type_ not in ROBOTS:
        return {"type": "渠道类型应为 smtp、wecom、dingtalk 或 feishu"}
    webhook = secrets.get("webhook", "")
    problem = webhook_problem(type_, webhook)
    if problem:
        errors["config.webhook"] = problem
    if type_ == WECOM and secrets.get("secret"):
        errors["config.secret"] = "企业微信群机器人没有加签密钥，只需 webhook 地址"
    per_minute = config.get("per_minute", VENDOR_PER_MINUTE[type_])
    if not isinstance(per_minute, int) or isinstance(per_minute, bool) or not 0 <= per_minute <= 100_000:
        errors["config.per_minute"] = "每分钟条数应为 0–100000（0 为不限）"
    return errors


WEBHOOK_EXAMPLES = {
    WECOM: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa",
    DINGTALK: "https://oapi.dingtalk.com/robot/send?access_token=XXXXXX",
    FEISHU: "https://open.feishu.cn/open-apis/bot/v2/hook/xxxxxxxxxxxxxxxxx",
}
_WEBHOOK_MARKS = {WECOM: ("query", "key"), DINGTALK: ("query", "access_token"), FEISHU: ("path", "/hook/")}


def webhook_problem(type_: str, webhook: str) -> str | None:
    """NOTE-1: a robot's address must be an http(s) URL carrying the vendor's credential (企业微信
    `key=`, 钉钉 `access_token=`, 飞书 `/hook/<token>`) — the address the vendor's page shows."""
    example = WEBHOOK_EXAMPLES[type_]
    if not webhook or len(webhook) > 500 or any(ord(c) < 33 for c in webhook):
        return f"请粘贴机器人的 webhook 地址，例如 {example}"
    parts = urlsplit(webhook)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"地址应以 https:// 开头，例如 {example}"
    where, mark = _WEBHOOK_MARKS[type_]
    present = f"{mark}=" in parts.query if where == "query" else mark in parts.path
    if not present:
        return f"地址里缺少机器人的凭证，例如 {example}"
    return None


def mask(secret: str) -> str:
    """NOTE-1a: a secret is never shown back in full — only enough to recognise it."""
    if not secret:
        return ""
    return "••••" + secret[-4:] if len(secret) > 8 else "••••"


# NOTE-2: vendors' documented limits — 20 messages a minute per robot (企业微信, 钉钉); 飞书 allows
# 100 a minute. SMTP has none of its own (0: no limit).
VENDOR_PER_MINUTE = {SMTP: 0, WECOM: 20, DINGTALK: 20, FEISHU: 100}


def backoff_seconds(attempts: int, base: int, cap: int) -> int:
    """NOTE-2: exponential backoff — base, 2×base, 4×base… after the 1st, 2nd, 3rd failure, capped."""
    return int(min(cap, base * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Outcome:
    """NOTE-2: how one attempt ended. `retry`: worth trying again later; `throttled`: the vendor's
    rate limit — queued again without using up an attempt."""

    ok: bool
    code: str | None = None
    detail: str = ""
    retry: bool = False
    throttled: bool = False


# Vendors' error codes (their documentation): what each means for a retry.
_THROTTLED = {WECOM: {45009}, DINGTALK: {130101, 45009}, FEISHU: {11232, 11233}}
_FOR_GOOD = {
    WECOM: {93000: "webhook key 无效", 40008: "消息格式错误", 93017: "webhook 已停用"},
    DINGTALK: {310000: "签名或关键词或 IP 校验失败", 300001: "access_token 无效", 400102: "机器人已停用"},
    FEISHU: {
        19021: "签名校验失败或时间戳过期",
        19024: "关键词校验失败",
        19022: "IP 不在白名单",
        9499: "请求格式错误",
    },
}


def read_robot_answer(type_: str, status: int, body: Any) -> Outcome:
    """NOTE-2: a robot's HTTP answer. 2xx with code 0 is sent; the vendor's rate-limit codes (and
    HTTP 429) are throttled; a refusal that will not change (wrong key, wrong signature) fails
    for good; 5xx and unknown codes are retried."""
    code: Any = None
    message = ""
    if isinstance(body, dict):
        if type_ == FEISHU:
            code = body.get("code", body.get("StatusCode"))
            message = str(body.get("msg") or body.get("StatusMessage") or "")
        else:
            code = body.get("errcode")
            message = str(body.get("errmsg") or "")
    label = None if code is None else str(code)
    if status == 429 or (isinstance(code, int) and code in _THROTTLED[type_]):
        return Outcome(False, label or "429", f"限流：{message}"[:200], retry=True, throttled=True)
    if 200 <= status < 300 and code in (0, "0"):
        return Outcome(True, label)
    if isinstance(code, int) and code in _FOR_GOOD[type_]:
        return Outcome(False, label, f"{_FOR_GOOD[type_][code]}：{message}"[:200])
    if status >= 500 or status in (408, 425):
        return Outcome(False, label or f"HTTP {status}", f"服务暂不可用：{message}"[:200], retry=True)
    if 400 <= status < 500:
        return Outcome(False, label or f"HTTP {status}", f"请求被拒：{message}"[:200])
    return Outcome(False, label, f"未知应答：{message}"[:200], retry=True)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """NOTE-1 (钉钉 加签): HMAC-SHA256 keyed with the secret over `timestamp + "\\n" + secret`,
    base64, then URL-encoded — sent as `&timestamp=…&sign=…` on the webhook address."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """NOTE-1 (飞书 签名校验): HMAC-SHA256 keyed with `timestamp + "\\n" + secret` over an empty
    message, base64 — sent in the body beside `timestamp` (seconds)."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class Message:
    """NOTE-1: one message written for a medium: a one-line title, a short body in the reader's
    language, a link back into the app, the rule ID in small print, and whom to @mention."""

    title: str
    body: str
    link: str | None
    rule: str | None
    mention: str = ""


def _markdown(message: Message, open_label: str) -> str:
    lines = [f"**{message.title}**", message.body]
    if message.link:
        lines.append(f"[{open_label}]({message.link})")
    if message.rule:
        lines.append(f'<font color="comment">{message.rule}</font>')
    return "\n".join(lines)


def wecom_payload(message: Message, open_label: str) -> dict[str, Any]:
    """企业微信 group robot: `{"msgtype": "markdown", "markdown": {"content": …}}`; a member is
    @mentioned in markdown as `<@userid>`."""
    content = _markdown(message, open_label)
    if message.mention:
        content += f"\n<@{message.mention}>"
    return {"msgtype": "markdown", "markdown": {"content": content[:4000]}}


def dingtalk_payload(message: Message, open_label: str) -> dict[str, Any]:
    """钉钉 custom robot: markdown with a title, and `at` naming the member's mobile or user id
    (the text must carry `@<id>` for the mention to show)."""
    text = _markdown(message, open_label).replace('<font color="comment">', "").replace("</font>", "")
    at: dict[str, Any] = {"isAtAll": False}
    if message.mention:
        text += f"\n@{message.mention}"
        key = "atMobiles" if message.mention.isdigit() else "atUserIds"
        at[key] = [message.mention]
    return {"msgtype": "markdown", "markdown": {"title": message.title[:100], "text": text[:4000]}, "at": at}


def feishu_payload(message: Message, open_label: str, timestamp_s: int, sign: str | None) -> dict[str, Any]:
    """飞书 custom bot: a rich-text `post` (title + paragraphs, a link tag, an `at` tag for the
    member's open_id); with signing on, `timestamp` and `sign` travel in the body."""
    lines: list[list[dict[str, Any]]] = [[{"tag": "text", "text": message.body}]]
    if message.link:
        lines.append([{"tag": "a", "text": open_label, "href": message.link}])
    if message.rule:
        lines.append([{"tag": "text", "text": message.rule}])
    if message.mention:
        lines[0].append({"tag": "at", "user_id": message.mention})
    payload: dict[str, Any] = {
        "msg_type": "post",
        "content": {"post": {"zh_cn": {"title": message.title[:100], "content": lines}}},
    }
    if sign is not None:
        payload = {"timestamp": str(timestamp_s), "sign": sign, **payload}
    return payload


def per_minute(type_: str, config: Mapping[str, Any]) -> int:
    """NOTE-2: the most messages a channel may send in a minute (0: no limit)."""
    value = config.get("per_minute", VENDOR_PER_MINUTE.get(type_, 0))
    return value if isinstance(value, int) and value > 0 else 0
