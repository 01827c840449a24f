"""NOTE-3: the optional daily digest — one a day at the policy's digest_time (company zone), for
those who asked, counting what they left unread the day before."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from poolcrm import clock
from poolcrm.notify.jobs import digest
from poolcrm.notify.models import Notification
from poolcrm.notify.service import notify


def test_note3_digest_counts_yesterdays_unread_and_is_due_at_the_digest_time(database, make_user, choose):
    wants, skips = make_user("wants"), make_user("skips")
    choose(wants, {}, digest=True)
    clock.set_now(datetime(2026, 11, 10, 6, 0, tzinfo=UTC), frozen=True)  # 14:00 Beijing, 11-10
    with database.transaction() as s:
        for uid in (wants, skips):
            notify(s, uid, "recycled", "客户已被回收")
            notify(s, uid, "allocated", "分配了客户")
    clock.set_now(datetime(2026, 11, 10, 17, 0, tzinfo=UTC), frozen=True)  # 01:00 Beijing, 11-11
    with database.transaction() as s:
        assert digest(s, date(2026, 11, 11)) == {"digests": [wants]}
        assert digest(s, date(2026, 11, 11)) == {"digests": []}  # once a day
        note = s.scalars(select(Notification).where(Notification.kind == "digest")).one()
    assert note.user_id == wants and note.params == {"count": 2}
    assert note.due_at == datetime(2026, 11, 11, 0, 30, tzinfo=UTC)  # 08:30 Beijing
