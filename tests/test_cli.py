from typer.testing import CliRunner

from poolcrm.cli import app


def test_cli_init_is_safe_to_run_twice(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    first = runner.invoke(app, ["init", "--admin", "boss", "--password", "boss-pass-1", "--db", url])
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    second = runner.invoke(app, ["init", "--admin", "boss", "--password", "boss-pass-1", "--db", url])
    assert second.exit_code == 0, second.output
    assert "already exists" in second.output


def test_cli_jobs_run_daily_rejects_a_bad_date(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--db", url]).exit_code == 0
    bad = runner.invoke(app, ["jobs", "run-daily", "--as-of", "2026-13-01", "--db", url])
    assert bad.exit_code == 2
    good = runner.invoke(app, ["jobs", "run-daily", "--as-of", "2026-11-10", "--db", url])
    assert good.exit_code == 0, good.output
