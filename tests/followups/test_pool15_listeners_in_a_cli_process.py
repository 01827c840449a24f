"""POOL-15 through signals: the follow-ups domain's listener runs in a process that imported only the
CLI — listeners are discovered when the first signal is sent, not registered by the side effect of
some other module's import."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from poolcrm.customers.models import Customer
from poolcrm.followups.models import FollowUp

CLI_ONLY = """
import sys
import poolcrm.cli
loaded = [m for m in sys.modules if m.startswith("poolcrm.followups") or m.endswith(".listeners")]
assert not loaded, loaded
sys.argv = ["poolcrm", "jobs", "run-daily", "--as-of", "2026-11-10", "--db", sys.argv[1]]
poolcrm.cli.main()
"""


def test_pool15_recycle_from_a_cli_only_process_lapses_pending_reminders(database, make_user):
    rep = make_user("rep15", ["sales"])
    anchor = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday: recycled by the run of Tue 2026-11-10
    with database.transaction() as s:
        customer = Customer(
            code="ABC2026915",
            name="北京信号测试科技有限公司",
            name_key="信号测试",
            address="北京市海淀区中关村大街1号",
            contact_name="王经理",
            phone="+861062345678",
            customer_type="direct",
            status="potential",
            pool="private",
            owner_id=rep,
            protected_since=anchor,
            pool_entered_at=anchor,
            created_at=anchor,
            updated_at=anchor,
            tags=[],
        )
        s.add(customer)
        s.flush()
        followup = FollowUp(
            customer_id=customer.id,
            author_id=rep,
            subject="致电",
            content="电话未接通",
            content_key="k915",
            valid=False,
            invalid_reasons=["non_contact"],
            created_at=anchor,
            next_followup_on=(anchor + timedelta(days=20)).date(),
            remind_user_id=rep,
        )
        s.add(followup)
        s.flush()
        customer_id, followup_id = customer.id, followup.id

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    done = subprocess.run(
        [sys.executable, "-c", CLI_ONLY, database.url], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr

    with database.transaction(write=False) as s:
        assert s.get(Customer, customer_id).owner_id is None
        assert s.get(FollowUp, followup_id).remind_user_id is None
