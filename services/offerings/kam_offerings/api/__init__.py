"""HTTP interface of the offerings service: thin routes over the use cases."""

from flask import current_app

from kam_common.web import Api
from kam_offerings.services.context import Readers, Settings


def settings() -> Settings:
    """This app's settings, as the use cases take them."""
    found: Settings = current_app.extensions["kam_offerings_settings"]
    return found


def readers() -> Readers:
    """The read-throughs to the accounts and health services configured for this app."""
    found: Readers = current_app.extensions["kam_offerings_readers"]
    return found


def register_blueprints(api: Api) -> None:
    from kam_offerings.api import catalog, exchange_rates, insights, proposals

    for module in (catalog, proposals, insights, exchange_rates):
        api.register_blueprint(module.blp)
