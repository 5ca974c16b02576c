"""A batch naming an account health has not heard of reads it through once, not per event
(a thousand such events used to make a thousand calls, and the gateway timed out)."""

from __future__ import annotations

import pytest
from support import emptied

from kam_common.context import SYSTEM
from kam_common.db import Database
from kam_health.models import Base
from kam_health.services.events import BatchInvalid, log_batch


def test_one_read_through_per_unknown_account_in_a_batch(database_url):
    db = emptied(Database(database_url("health")), Base.metadata)
    calls: list[str] = []

    def lookup(account_id: str) -> None:
        calls.append(account_id)
        return None  # the accounts service does not know it either

    items = [{"account_id": "nobody", "type": "support", "severity": "low"}] * 300
    with db.session() as session, pytest.raises(BatchInvalid) as refused:
        log_batch(session=session, caller=SYSTEM, items=items, errors={}, lookup=lookup)
    db.engine.dispose()

    assert calls == ["nobody"]
    assert len(refused.value.errors) == 300 and "events.299.account_id" in refused.value.errors
