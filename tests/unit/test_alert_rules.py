"""The shipped Prometheus alerting rules are well-formed and name metrics the apps serve."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from kam_common.outbox_state import METRICS

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"


def test_every_rule_has_an_expression_over_served_metrics_and_says_what_to_do() -> None:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    served = {name for name, _help in METRICS.values()}
    assert {rule["alert"] for rule in rules} >= {"KamOutboxDeadLetters", "KamOutboxBacklog"}
    for rule in rules:
        metrics = set(re.findall(r"\bkam_[a-z_]+\b", rule["expr"]))
        assert metrics and metrics <= served, rule["expr"]
        assert "kam outbox" in rule["annotations"]["description"]
        assert rule["labels"]["severity"] in ("page", "warn")
