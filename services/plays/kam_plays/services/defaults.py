"""The triggers that ship with the product (docs/plays.md explains each).

Installed by `kam migrate` once each (by `builtin_key`): one an admin changed keeps its
changes, one an admin deleted stays deleted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kam_plays.domain.triggers import condition_kind
from kam_plays.models import Trigger

DEFAULT_TRIGGERS: list[dict[str, Any]] = [
    {
        "key": "critical-quality-visit",
        "name": "Critical quality issue: a quality engineer visits within 3 days",
        "when": {"event_logged": {"type": "quality", "severity": "critical"}},
        "then": {
            "create_task": {
                "title": "Visit the client about the critical quality issue",
                "assignee_role": "quality_engineer",
                "due_in_days": 3,
                "steps": [
                    "Call the client's quality contact today",
                    "Visit the site and find the root cause",
                    "Agree a corrective action plan and its dates",
                ],
            }
        },
    },
    {
        "key": "critical-support-escalation",
        "name": "Critical support ticket: a service engineer takes it within a day",
        "when": {"event_logged": {"type": "support", "severity": "critical"}},
        "then": {
            "create_task": {
                "title": "Take over the critical support ticket",
                "assignee_role": "service_engineer",
                "due_in_days": 1,
                "steps": ["Call the client", "Agree a fix date", "Confirm the fix with them"],
            }
        },
    },
    {
        "key": "champion-left-sponsor",
        "name": "Champion left: the executive sponsor re-anchors the relationship",
        "when": {"contact_left": {"buying_roles": ["champion"]}},
        "then": {
            "create_task": {
                "title": "Meet the client's leadership: our champion has left",
                "assignee_role": "executive_sponsor",
                "due_in_days": 7,
                "steps": [
                    "Find out who takes over the champion's work",
                    "Meet them with the account manager",
                    "Name a new champion on the coverage map",
                ],
            }
        },
    },
    {
        "key": "decision-maker-left",
        "name": "Decision-maker or economic buyer left: the account manager covers the gap",
        "when": {"contact_left": {"buying_roles": ["decision_maker", "economic_buyer"]}},
        "then": {
            "create_task": {
                "title": "Meet the successor of the decision-maker who left",
                "assignee_role": "account_manager",
                "due_in_days": 10,
                "steps": ["Identify the successor", "Introduce our team", "Update the contacts"],
            }
        },
    },
    {
        "key": "at-risk-recovery",
        "name": "Account at risk or critical: a recovery plan within 5 days",
        "when": {"band_entered": ["at_risk", "critical"]},
        "then": {
            "create_task": {
                "title": "Write and agree a recovery plan",
                "assignee_role": "account_manager",
                "due_in_days": 5,
                "steps": [
                    "Read the health drivers and open alerts",
                    "Call the client's decision-maker",
                    "Agree the plan with the executive sponsor",
                ],
            }
        },
    },
    {
        "key": "delivery-trouble",
        "name": "Deliveries slipping (delivery below 50): review the schedule",
        "when": {"component_below": {"component": "delivery", "score": 50}},
        "then": {
            "create_task": {
                "title": "Review the delivery schedule with the client",
                "assignee_role": "implementation_engineer",
                "due_in_days": 5,
                "steps": ["List the late deliveries", "Agree new dates", "Report to the client"],
            }
        },
    },
    {
        "key": "renewal-prep",
        "name": "Renewal within 90 days: prepare it",
        "when": {"renewal_within": {"days": 90}},
        "then": {
            "create_task": {
                "title": "Prepare the renewal",
                "assignee_role": "account_manager",
                "due_in_days": 14,
                "steps": ["Review the agreement's results", "Draft the proposal", "Book a review"],
            }
        },
    },
    {
        "key": "contact-overdue",
        "name": "No contact for two weeks past the cadence: get back in touch",
        "when": {"no_contact_for": {"days_past_cadence": 14}},
        "then": {
            "create_task": {
                "title": "Get back in touch with the client",
                "assignee_role": "account_manager",
                "due_in_days": 3,
                "steps": ["Call the main contact", "Log the interaction"],
            }
        },
    },
]


def install_defaults(session: Session) -> int:
    """Add the shipped triggers not installed before; how many were added."""
    present = set(
        session.scalars(select(Trigger.builtin_key).where(Trigger.builtin_key.is_not(None)))
    )
    added = 0
    for spec in DEFAULT_TRIGGERS:
        if spec["key"] in present:
            continue
        session.add(
            Trigger(
                name=spec["name"],
                kind=condition_kind(spec["when"]),
                when=spec["when"],
                then=spec["then"],
                active=True,
                builtin_key=spec["key"],
            )
        )
        added += 1
    session.commit()
    return added
