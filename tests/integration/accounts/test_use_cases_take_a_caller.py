"""Use cases are told who calls and on which version a change is based: no request needed."""

from __future__ import annotations

import pytest
from support import emptied

from kam_accounts.domain.errors import AccountNotFound
from kam_accounts.models import Base
from kam_accounts.services import accounts, contacts
from kam_common.concurrency import parse_if_match
from kam_common.context import SYSTEM, Caller
from kam_common.db import Database
from kam_common.errors import PreconditionFailed


@pytest.fixture
def db(database_url):
    database = Database(database_url("accounts"))
    emptied(database, Base.metadata)
    yield database
    database.engine.dispose()


def test_a_partner_caller_sees_only_its_accounts(db):
    with db.session() as session:
        mine = accounts.create_account(session=session, data={"name": "Mine"})
        other = accounts.create_account(session=session, data={"name": "Other"})
    partner = Caller(client_id="key-1", role="partner", scope=frozenset({mine.id}))
    with db.session(write=False) as session:
        listed = accounts.list_accounts(session=session, caller=partner, page=1, per_page=20)
        assert [a.id for a in listed["items"]] == [mine.id]
        with pytest.raises(AccountNotFound):
            contacts.list_contacts(
                session=session, caller=partner, account_id=other.id, page=1, per_page=20
            )
        everyone = accounts.list_accounts(session=session, caller=SYSTEM, page=1, per_page=20)
        assert {a.id for a in everyone["items"]} == {mine.id, other.id}


def test_a_change_based_on_another_version_is_refused_and_changes_nothing(db):
    with db.session() as session:
        account = accounts.create_account(session=session, data={"name": "Acme"})
        accounts.update_account(
            session=session, caller=SYSTEM, account_id=account.id, changes={"tier": "strategic"}
        )
    with db.session() as session, pytest.raises(PreconditionFailed):
        accounts.update_account(
            session=session,
            caller=SYSTEM,
            account_id=account.id,
            changes={"tier": "standard"},
            precondition=parse_if_match('W/"1"'),
        )
    with db.session(write=False) as session:
        assert session.get(type(account), account.id).tier == "strategic"
