"""`kam synthetic-outcomes` loads a portfolio with known truth that the backtest can judge."""

from __future__ import annotations

from kam_cli.main import main
from kam_common.db import Database
from kam_common.migrations import upgrade
from kam_health.services.learning import backtest


def test_the_command_loads_accounts_with_outcomes_and_scores(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'health.db'}"
    monkeypatch.setenv("HEALTH_DATABASE_URL", url)
    upgrade("kam_health", url)
    assert main(["synthetic-outcomes", "--accounts", "40"]) == 0
    assert "40 synthetic accounts, 40 outcomes" in capsys.readouterr().out
    db = Database(url)
    with db.session(write=False) as session:
        judged = backtest(session=session, horizon_days=90)
    db.engine.dispose()
    assert judged["outcomes"] == 40 and judged["auc"] is not None
