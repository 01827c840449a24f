"""NOTE-2 `poolcrm worker --once`: a process apart from the web app sends the outbox with the
deployment's app secret (NOTE-1a: read from the secret file every process shares)."""

from __future__ import annotations

from typer.testing import CliRunner

from poolcrm.cli import app
from poolcrm.config import persistent_secret
from poolcrm.db import Database
from poolcrm.notify import channels
from poolcrm.notify.service import notify
from poolcrm.org.models import User


def test_note2_worker_once_sends_what_is_due_with_the_shared_secret(tmp_path, monkeypatch, vendors):
    monkeypatch.delenv("POOLCRM_SECRET", raising=False)
    monkeypatch.setenv("POOLCRM_SECRET_FILE", str(tmp_path / "app.secret"))
    url = f"sqlite:///{tmp_path / 'w.db'}"
    runner = CliRunner()
    assert (
        runner.invoke(app, ["init", "--admin", "boss", "--password", "boss-pass-1", "--db", url]).exit_code
        == 0
    )
    secret = persistent_secret(url)
    assert (tmp_path / "app.secret").stat().st_mode & 0o777 == 0o600
    db = Database(url)
    with db.transaction() as s:
        boss = s.query(User).filter_by(username="boss").one()
        webhook = vendors.add("feishu", "tok", secret="fs-sec")
        channels.save_channel(
            s, boss, secret, type_="feishu", name="全员群", config={"webhook": webhook, "secret": "fs-sec"}
        )
        channels.save_settings(s, boss, channels={"recycled": ["feishu"]})
        notify(s, boss.id, "recycled", "客户已被回收", rule="POOL-6")
    db.dispose()
    result = runner.invoke(app, ["worker", "--once", "--db", url])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert vendors.refused == [] and len(vendors.messages("feishu")) == 1
