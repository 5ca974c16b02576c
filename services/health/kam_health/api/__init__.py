"""HTTP interface of the health service: thin routes over the use cases."""

from flask import current_app

from kam_common.web import Api
from kam_health.services.facts import AccountLookup


def lookup() -> AccountLookup:
    """The read-through to the accounts service configured for this app."""
    reader: AccountLookup = current_app.extensions["kam_accounts_reader"]
    return reader


def register_blueprints(api: Api) -> None:
    from kam_health.api import alerts, events, imports, learning, scores

    for module in (events, scores, learning, alerts, imports):
        api.register_blueprint(module.blp)
