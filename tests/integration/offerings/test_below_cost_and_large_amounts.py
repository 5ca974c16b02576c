"""A service priced below our cost is allowed and shown as it is: the option's margin is
negative and flagged, and the document promises no minimum it would break; yearly prices and
sums beyond one price's bound stay inside what the document declares."""

from __future__ import annotations

from conftest import add_catalog

from kam_common.fields import MAX_MONEY


def test_a_loss_leading_core_gives_a_negative_flagged_margin(client, make_account, propose):
    add_catalog(
        client,
        [{"code": "CORE", "name": "Core at a loss", "kind": "core", "list_price": 900,
          "unit_cost": 1000}],
    )  # fmt: skip
    proposal = propose(make_account()["id"])
    unbundled = next(o for o in proposal["options"] if o["strategy"] == "unbundled")
    assert unbundled["margin"] == -100.0 and unbundled["below_cost"] is True
    assert "unbundled" in proposal["below_cost"]

    spec = client.get("/openapi.json").get_json()["components"]["schemas"]
    assert "minimum" not in spec["Option"]["properties"]["margin"]
    assert spec["Option"]["properties"]["margin"]["x-kam-visibility"] == "internal"


def test_yearly_prices_beyond_one_price_bound_are_within_the_document(
    client, make_account, propose
):
    top = float(MAX_MONEY)
    add_catalog(
        client,
        [{"code": "CORE", "name": "Core", "kind": "core", "list_price": top, "unit_cost": 1,
          "billing": "monthly"},
         {"code": "BIG", "name": "Big extra", "kind": "support", "list_price": top,
          "unit_cost": 1}],
    )  # fmt: skip
    proposal = propose(make_account()["id"])
    flexible = next(o for o in proposal["options"] if o["strategy"] == "flexible")
    assert flexible["price"] > top  # twelve months of the largest price, plus more

    spec = client.get("/openapi.json").get_json()["components"]["schemas"]
    for schema, name in (("Option", "price"), ("ProposalItem", "price"), ("Agreement", "price")):
        assert "maximum" not in spec[schema]["properties"][name]
