"""NOTE-2: the outbox sender. It claims due deliveries (committed), sends them outside any
transaction — email through SMTP, robots through their webhooks, signed as each vendor documents —
and records every outcome: sent, retried with exponential backoff, throttled (queued again, not
counted), or failed for good. A failing channel never touches the business change that caused the
message; a sender that dies mid-send leaves its claim to expire and be taken again."""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

import urllib3
from sqlalchemy import select
from sqlalchemy.orm import Session

from poolcrm import clock
from poolcrm.audit.service import record
from poolcrm.db import Database, ids_select
from poolcrm.errors import InvalidInput
from poolcrm.i18n import translate
from poolcrm.notify import channels, outbox, rules, vault
from poolcrm.notify.models import SENDING, Channel, Delivery, Notification
from poolcrm.org.models import User
from poolcrm.policy.service import get_policy

log = logging.getLogger("poolcrm.notify")
BATCH = 500
THREADS = 16
HTTP_TIMEOUT = urllib3.Timeout(connect=5.0, read=10.0)
TEST_TIMEOUT = urllib3.Timeout(connect=5.0, read=5.0)
SMTP_TIMEOUT = 15.0


@dataclass(frozen=True)
class Job:
    """One delivery ready to send: where, what, and the secrets to reach it."""

    delivery_id: int
    key: str
    channel_id: int
    channel_type: str
    channel_name: str
    config: dict[str, Any]
    secrets: dict[str, str]
    address: str
    message: rules.Message
    open_label: str
    attempts: int
    unreadable: bool = False


def _jobs(session: Session, taken: list[tuple[int, int]], app_secret: str) -> list[Job]:
    ids = [did for did, _ in taken]
    base = get_policy(session).app_base_url.rstrip("/")
    rows = session.execute(
        select(Delivery, Notification, Channel, User.language)
        .join(Notification, Notification.id == Delivery.notification_id)
        .join(Channel, Channel.id == Delivery.channel_id)
        .join(User, User.id == Notification.user_id)
        .where(Delivery.id.in_(ids_select(session, ids)))
    ).all()
    sealed: dict[int, dict[str, str] | None] = {}
    jobs: list[Job] = []
    for delivery, note, channel, lang in rows:
        if channel.id not in sealed:
            try:
                sealed[channel.id] = vault.unseal(app_secret, channel.secrets)
            except vault.SecretUnreadable:
                sealed[channel.id] = None
        secrets = sealed[channel.id]
        lang = lang or "zh"
        message = rules.Message(
            title=translate(rules.kind_name(note.kind), lang),
            body=translate(note.message, lang, **(note.params or {})),
            link=f"{base}{note.link}" if note.link else None,
            rule=note.rule,
            mention=delivery.address if channel.type in rules.ROBOTS else "",
        )
        jobs.append(
            Job(
                delivery_id=delivery.id,
                key=delivery.idempotency_key,
                channel_id=channel.id,
                channel_type=channel.type,
                channel_name=channel.name,
                config=dict(channel.config or {}),
                secrets=secrets or {},
                address=delivery.address,
                message=message,
                open_label=translate("在 poolcrm 中打开", lang),
                attempts=delivery.attempts,
                unreadable=secrets is None or channel.removed_at is not None,
            )
        )
    return jobs


def _scrub(text: str, secrets: dict[str, str]) -> str:
    """NOTE-1a: an error text never carries a secret (a webhook's key can appear in a URL)."""
    for value in secrets.values():
        if value:
            text = text.replace(value, "••••")
    return text[:300]


def http_pool(threads: int, timeout: urllib3.Timeout = HTTP_TIMEOUT) -> urllib3.PoolManager:
    """Keep-alive connections to the robots' hosts; no retries of its own (NOTE-2 decides)."""
    return urllib3.PoolManager(num_pools=64, maxsize=threads, block=False, timeout=timeout, retries=False)


def post_robot(http: urllib3.PoolManager, job: Job, now_s: float) -> rules.Outcome:
    """Send one robot message exactly as its vendor documents; read the answer (NOTE-2)."""
    webhook = job.secrets.get("webhook", "")
    secret = job.secrets.get("secret", "")
    url = webhook
    if job.channel_type == rules.WECOM:
        payload = rules.wecom_payload(job.message, job.open_label)
    elif job.channel_type == rules.DINGTALK:
        payload = rules.dingtalk_payload(job.message, job.open_label)
        if secret:
            ms = int(now_s * 1000)
            url = f"{webhook}&timestamp={ms}&sign={rules.dingtalk_sign(secret, ms)}"
    else:
        ts = int(now_s)
        payload = rules.feishu_payload(
            job.message, job.open_label, ts, rules.feishu_sign(secret, ts) if secret else None
        )
    try:
        answer = http.request(
            "POST",
            url,
            body=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8", "X-Poolcrm-Delivery": job.key},
        )
    except urllib3.exceptions.HTTPError as exc:
        return rules.Outcome(False, type(exc).__name__, _scrub(f"无法连接：{exc}", job.secrets), retry=True)
    try:
        body = json.loads(answer.data)
    except ValueError:
        body = None
    return rules.read_robot_answer(job.channel_type, answer.status, body)


def _email(job: Job) -> EmailMessage:
    """NOTE-1: the mail — a one-line subject, the body, the link back, the rule in small print;
    UTF-8 throughout (the Chinese subject is RFC 2047-encoded by the email package)."""
    mail = EmailMessage()
    mail["Subject"] = f"[poolcrm] {job.message.title}：{job.message.body}"[:200]
    mail["From"] = formataddr(("poolcrm", job.config["sender"]))
    mail["To"] = job.address
    mail["Message-ID"] = f"<{job.key}@poolcrm>"
    mail["X-Poolcrm-Delivery"] = job.key
    lines = [job.message.body]
    if job.message.link:
        lines += ["", f"{job.open_label}: {job.message.link}"]
    if job.message.rule:
        lines += ["", f"-- {job.message.rule}"]
    mail.set_content("\n".join(lines), charset="utf-8")
    return mail


def send_emails(jobs: list[Job]) -> dict[int, rules.Outcome]:
    """One SMTP connection per channel per batch; each message's outcome on its own."""
    out: dict[int, rules.Outcome] = {}
    if not jobs:
        return out
    first = jobs[0]
    config, secrets = first.config, first.secrets
    try:
        smtp: smtplib.SMTP
        if config.get("tls") == "ssl":
            smtp = smtplib.SMTP_SSL(
                config["host"], config["port"], timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(config["host"], config["port"], timeout=SMTP_TIMEOUT)
            if config.get("tls") == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        with smtp:
            if config.get("user"):
                smtp.login(config["user"], secrets.get("password", ""))
            for job in jobs:
                out[job.delivery_id] = _send_one_mail(smtp, job)
    except smtplib.SMTPAuthenticationError as exc:
        return {
            j.delivery_id: rules.Outcome(False, str(exc.smtp_code), "邮件服务器拒绝登录（用户名或密码不对）")
            for j in jobs
        }
    except (OSError, smtplib.SMTPException) as exc:
        detail = _scrub(f"邮件服务器无法连接：{type(exc).__name__} {exc}", secrets)
        for job in jobs:
            out.setdefault(job.delivery_id, rules.Outcome(False, type(exc).__name__, detail, retry=True))
    return out


def _send_one_mail(smtp: smtplib.SMTP, job: Job) -> rules.Outcome:
    try:
        smtp.send_message(_email(job))
    except smtplib.SMTPRecipientsRefused as exc:
        code = next(iter(exc.recipients.values()))[0]
        return rules.Outcome(False, str(code), "收件地址被拒", retry=400 <= code < 500)
    except smtplib.SMTPResponseException as exc:
        return rules.Outcome(False, str(exc.smtp_code), "邮件服务器拒收", retry=400 <= exc.smtp_code < 500)
    return rules.Outcome(True, "250")


def _send(jobs: list[Job], http: urllib3.PoolManager, pool: ThreadPoolExecutor) -> dict[int, rules.Outcome]:
    out: dict[int, rules.Outcome] = {}
    robots = []
    mail: dict[int, list[Job]] = defaultdict(list)
    for job in jobs:
        if job.unreadable:
            out[job.delivery_id] = rules.Outcome(
                False, "secret", "渠道已删除或密钥无法解密（应用密钥已更换），请重新填写"
            )
        elif job.channel_type == rules.SMTP:
            mail[job.channel_id].append(job)
        else:
            robots.append(job)
    now_s = time.time()
    futures = [pool.submit(send_emails, group) for group in mail.values()]
    for job, outcome in zip(robots, pool.map(lambda j: post_robot(http, j, now_s), robots), strict=True):
        out[job.delivery_id] = outcome
    for future in futures:
        out.update(future.result())
    return out


def _retry_at(outcome: rules.Outcome, attempts: int, policy: Any) -> Any:
    """NOTE-2: when to try again, or None when the delivery is finished."""
    if outcome.ok:
        return None
    if outcome.throttled:
        return clock.now() + timedelta(seconds=60)
    if not outcome.retry or attempts + 1 >= policy.notify_max_attempts:
        return None
    wait = rules.backoff_seconds(
        attempts + 1, policy.notify_retry_base_seconds, policy.notify_retry_cap_seconds
    )
    return clock.now() + timedelta(seconds=wait)


class Sender:
    """Sends the outbox: `send_due` does one pass; `start` runs passes in a thread (inside
    `poolcrm serve`, or `poolcrm worker`). Several senders on PostgreSQL share the work."""

    def __init__(
        self, db: Database, app_secret: str, *, poll_seconds: float = 1.0, threads: int = THREADS
    ) -> None:
        self.db = db
        self.app_secret = app_secret
        self.poll = poll_seconds
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="notify-send")
        self._http = http_pool(threads)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def send_due(self, limit: int = BATCH, only: list[int] | None = None) -> int:
        """Claim, send, record — one batch. Returns how many deliveries were attempted."""
        with self.db.transaction() as session:
            taken = outbox.claim(session, limit, only=only)
        if not taken:
            return 0
        with self.db.transaction(write=False) as session:
            jobs = _jobs(session, taken, self.app_secret)
            policy = get_policy(session)
        outcomes = _send(jobs, self._http, self._pool)
        results = [
            outbox.Result(
                j.delivery_id, outcomes[j.delivery_id], _retry_at(outcomes[j.delivery_id], j.attempts, policy)
            )
            for j in jobs
        ]
        with self.db.transaction() as session:
            outbox.record(session, results)
        for job in jobs:
            outcome = outcomes[job.delivery_id]
            if not outcome.ok:
                log.warning(
                    "delivery %s via %s: %s %s",
                    job.delivery_id,
                    job.channel_type,
                    outcome.code,
                    outcome.detail,
                )
        return len(taken)

    def drain(self, max_rounds: int = 1_000_000) -> int:
        """Send everything due now (tests, `poolcrm worker --once`)."""
        total = 0
        for _ in range(max_rounds):
            sent = self.send_due()
            if not sent:
                break
            total += sent
        return total

    def start(self) -> Sender:
        self._thread = threading.Thread(target=self._loop, name="poolcrm-sender", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._pool.shutdown(wait=False)
        self._http.clear()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.send_due()
            except Exception:  # the sender must outlive a failed pass; the rows stay in the outbox
                log.exception("notification sender pass failed")
                busy = 0
            if not busy:
                self._stop.wait(self.poll)


def send_test(session: Session, actor: User, channel_id: int, app_secret: str) -> Delivery:
    """NOTE-2: the admin's "send test" — one message to the channel, sent now (not queued) so the
    answer shows at once; the attempt is logged like any other and not retried."""
    channel = channels.get_channel(session, actor, channel_id)
    mine = channels.my_settings(session, actor)
    if channel.type == rules.SMTP:
        address = mine.email or actor.email or ""
        if not address:
            raise InvalidInput({"to": "请先在“我的通知设置”里填写邮箱，测试邮件发往该地址"}, rule="NOTE-1")
    else:
        address = dict(mine.im_ids or {}).get(channel.type, "")
    now = clock.now()
    note = Notification(
        user_id=actor.id,
        kind="channel_test",
        message="测试消息：渠道“{name}”已连通",
        params={"name": channel.name},
        link="/admin/channels",
        rule="NOTE-2",
        created_at=now,
        read_at=now,
    )
    session.add(note)
    session.flush()
    delivery = Delivery(
        notification_id=note.id,
        channel_id=channel.id,
        address=address,
        idempotency_key=f"t{note.id}-c{channel.id}",
        status=SENDING,
        attempts=0,
        next_attempt_at=now,
        claimed_until=now + outbox.CLAIM_LEASE,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    jobs = _jobs(session, [(delivery.id, channel.id)], app_secret)
    with (
        http_pool(1, TEST_TIMEOUT) as http,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        outcome = _send(jobs, http, pool)[delivery.id]
    outbox.record(session, [outbox.Result(delivery.id, outcome, None)])
    record(
        session,
        actor_id=actor.id,
        action="notify.channel.test",
        object_type="notify_channel",
        object_id=channel.id,
        after={"sent": outcome.ok, "code": outcome.code},
        rule="NOTE-2",
    )
    session.refresh(delivery)
    return delivery
