"""NOTE-1: a notification's link opens a page its reader may see. Over the demo company and a
Monday's daily job (which writes the week's reminders and shortfalls), every distinct kind of link
written is opened as its recipient in the browser's way (cookie session, no redirect followed)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from poolcrm import clock
from poolcrm.demo import DEMO_PASSWORD, run_demo
from poolcrm.jobs.service import run_daily
from poolcrm.notify.models import Notification
from poolcrm.org.models import User
from poolcrm.policy.service import company_today

SAMPLES_PER_SHAPE = 3


def test_note1_every_notification_link_opens_a_page_for_its_recipient(app, database):
    run_demo(database)
    with database.transaction(write=False) as s:
        today = company_today(s)
    monday = today + timedelta(days=7 - today.weekday())
    clock.set_now(clock.start_of_local_day(monday) + timedelta(hours=1))  # JOB-1b: Monday has come
    run_daily(database, as_of=monday)
    with database.transaction(write=False) as s:
        rows = s.execute(
            select(Notification.link, Notification.kind, User.username)
            .join(User, User.id == Notification.user_id)
            .where(Notification.link.is_not(None))
            .order_by(Notification.id)
        ).all()
    shapes: dict[str, list[tuple[str, str]]] = {}
    kinds = set()
    for link, kind, username in rows:
        kinds.add(kind)
        shape = re.sub(r"\d+", "N", link.split("?")[0])
        if len(shapes.setdefault(shape, [])) < SAMPLES_PER_SHAPE:
            shapes[shape].append((link, username))
    assert "weekly_activity_short" in kinds  # WORK-4's Monday note is among them
    assert len(shapes) >= 10
    clients: dict[str, TestClient] = {}
    failed = []
    for samples in shapes.values():
        for link, username in samples:
            if username not in clients:
                clients[username] = TestClient(app)
                signed_in = clients[username].post(
                    "/login", data={"username": username, "password": DEMO_PASSWORD}, follow_redirects=False
                )
                assert signed_in.status_code == 303, username
            answer = clients[username].get(link, follow_redirects=False)
            if answer.status_code != 200:
                failed.append((link, username, answer.status_code))
    assert failed == []
