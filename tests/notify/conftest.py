"""Fixtures of the notification tests: the local fake vendors (企业微信/钉钉/飞书 robots), a real
SMTP server (aiosmtpd), an admin, and a sender working the outbox of the test's database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from poolcrm.db import Database
from poolcrm.notify import channels
from poolcrm.notify.sender import Sender
from poolcrm.org.models import User
from tests.notify.fakes import FakeVendors, Mailbox, start_smtp, start_vendors

APP_SECRET = "test-secret"  # the app fixture's secret_key: pages/API and the sender agree


@pytest.fixture
def vendors() -> Iterator[FakeVendors]:
    fake, server = start_vendors()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, controller = start_smtp()
    yield box, controller.port
    controller.stop()


@pytest.fixture
def admin_id(make_user: Callable[..., int]) -> int:
    return make_user("admin", ["admin"], dept="总经办", kind="other")


@pytest.fixture
def add_channel(database: Database, admin_id: int) -> Callable[..., int]:
    """Configure a channel as the admin would; returns its id."""

    def _add(type_: str, name: str = "", **config: Any) -> int:
        with database.transaction() as s:
            admin = s.get(User, admin_id)
            assert admin is not None
            channel = channels.save_channel(
                s, admin, APP_SECRET, type_=type_, name=name or f"{type_} 渠道", config=config
            )
            return channel.id

    return _add


@pytest.fixture
def choose(database: Database) -> Callable[..., None]:
    """Save one user's own notification settings."""

    def _choose(user_id: int, picks: dict[str, list[str]], **extra: Any) -> None:
        with database.transaction() as s:
            user = s.get(User, user_id)
            assert user is not None
            channels.save_settings(s, user, channels=picks, **extra)

    return _choose


@pytest.fixture
def sender(database: Database) -> Iterator[Sender]:
    worker = Sender(database, APP_SECRET)
    yield worker
    worker.stop()
