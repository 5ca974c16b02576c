"""/api/v1/admin/exchange-rates: the rates that convert sums over several currencies."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from kam_common.db import request_session
from kam_common.web import Blueprint
from kam_offerings.api.schemas import ExchangeRatesPutSchema, ExchangeRatesSchema
from kam_offerings.services import exchange_rates

blp = Blueprint(
    "exchange_rates",
    __name__,
    url_prefix="/api/v1/admin/exchange-rates",
    description="Exchange rates: how a figure over several currencies becomes one",
)


@blp.route("")
class ExchangeRates(MethodView):
    @blp.response(200, ExchangeRatesSchema)
    def get(self) -> dict[str, Any]:
        """The rates in force: one base, and each other currency's rate into it with its date."""
        return exchange_rates.get_rates(session=request_session())

    @blp.arguments(ExchangeRatesPutSchema)
    @blp.response(200, ExchangeRatesSchema)
    def put(self, data: dict[str, Any]) -> dict[str, Any]:
        """Replace the rates (admin): `{"base", "rates": [{"currency", "rate", "as_of"}]}`,
        one unit of `currency` being worth `rate` units of `base`."""
        return exchange_rates.put_rates(session=request_session(), data=data)
