"""The set-based SQL tallies agree with the plain-Python reference on random events."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from kam_health.domain import points as pts
from kam_health.domain.tally import AccountFacts as View
from kam_health.domain.tally import DepartedContact as Departed
from kam_health.domain.tally import EventFacts, tally_events
from kam_health.models import AccountFacts, DepartedContact, Event
from kam_health.services.events import numeric_columns
from kam_health.services.tallies import tally_accounts

NOW = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)


def random_event(rng: random.Random, account_id: str) -> dict:
    kind = rng.choice(["delivery", "quality", "support", "warning"])
    occurred = NOW - timedelta(days=rng.uniform(-0.5, 260))
    event = {"account_id": account_id, "type": kind, "occurred_at": occurred}
    maybe_resolved = occurred + timedelta(hours=rng.uniform(0.1, 200))
    if kind == "delivery":
        promised = (occurred + timedelta(days=rng.randint(-10, 5))).date()
        event["promised_on"] = promised
        if rng.random() < 0.7:
            event["delivered_on"] = promised + timedelta(days=rng.randint(-3, 12))
    elif kind == "quality":
        event["severity"] = rng.choice(["minor", "major", "critical"])
        if rng.random() < 0.6:
            event["resolved_at"] = maybe_resolved
    elif kind == "support":
        event["severity"] = rng.choice(["low", "medium", "high", "critical"])
        if rng.random() < 0.5:
            event["opened_at"] = occurred - timedelta(hours=rng.uniform(0, 30))
        if rng.random() < 0.6:
            event["resolved_at"] = maybe_resolved
        if rng.random() < 0.5:
            event["sla_hours"] = rng.choice([2.0, 8.0, 48.0])
    else:
        event["signal"] = rng.choice(["new_competitor", "cost_pressure", "champion_left"])
        event["severity"] = rng.choice(["low", "medium", "high"])
    return event


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_tallies_equal_the_reference(client, seed):
    rng = random.Random(seed)
    db = client.application.extensions["kam_db"]
    with db.session() as session:
        facts = []
        for n in range(12):
            account = AccountFacts(
                account_id=f"acc-{n}",
                name=f"A{n}",
                status="active",
                annual_revenue=Decimal(1000),
                currency="USD",
                contact_cadence_days=rng.choice([7, 30, 90]),
                created_at=NOW - timedelta(days=400),
                last_contact_at=rng.choice([None, NOW - timedelta(days=rng.randint(0, 120))]),
                breach_limit_days=rng.choice([None, 1, 3]),
            )
            session.add(account)
            facts.append(account)
            if rng.random() < 0.5:
                session.add(
                    DepartedContact(
                        contact_id=f"c-{n}",
                        account_id=account.account_id,
                        name=f"P{n}",
                        buying_role=rng.choice(["champion", "user", None]),
                        left_on=(NOW - timedelta(days=rng.randint(0, 250))).date(),
                    )
                )
        session.flush()
        raw = [random_event(rng, f"acc-{rng.randrange(12)}") for _ in range(400)]
        for data in raw:
            session.add(Event(**data, **numeric_columns(data)))
        session.commit()

        sql = tally_accounts(session, facts, now=NOW, window_days=180, half_life_days=60)
        departed = {p.account_id: p for p in session.scalars(select(DepartedContact))}

    window = pts.Window(NOW, 180, 60)
    for account in facts:
        person = departed.get(account.account_id)
        view = View(
            created_at=account.created_at,
            cadence_days=account.contact_cadence_days,
            last_contact_at=account.last_contact_at,
            breach_limit_days=account.breach_limit_days,
            departed=(Departed(person.name, person.buying_role, person.left_on),) if person else (),
        )
        mine = [
            EventFacts(**{k: v for k, v in e.items() if k != "account_id"})
            for e in raw
            if e["account_id"] == account.account_id
        ]
        expected = tally_events(mine, view, window)
        got = sql[account.account_id]
        for part in ("delivery", "quality", "support", "commitment"):
            want, have = getattr(expected, part), getattr(got, part)
            for name, value in vars(want).items():
                actual = getattr(have, name)
                if isinstance(value, float):
                    assert actual == pytest.approx(value, rel=1e-9, abs=1e-9), (part, name)
                else:
                    assert actual == value, (account.account_id, part, name)
