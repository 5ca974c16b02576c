"""The offerings' side of the story: proposals made, and the agreements some accounts signed."""

from __future__ import annotations

from kam_cli.demo.registry import DEMO
from kam_cli.demo.scenario import PORTFOLIO
from kam_cli.demo.wiring import Demo, DemoError

PROPOSALS = "/api/v1/offerings/proposals"


@DEMO.step("agreements", after=("accounts", "purchases"))
def seed_agreements(demo: Demo) -> str:
    """A proposal for each account whose story has one; the strategy named is accepted.

    An account that has any proposal already is left as it is.
    """
    proposals = agreements = 0
    for story in PORTFOLIO:
        if story.agreement is None and not story.proposal_only:
            continue
        account_id = demo.account_ids[story.key]
        listed = demo.call("offerings", "GET", PROPOSALS, params={"account_id": account_id})
        if listed["total"]:
            continue
        proposal = demo.call("offerings", "POST", PROPOSALS, json={"account_id": account_id})
        proposals += 1
        if story.agreement is None:
            continue
        option = next(o for o in proposal["options"] if o["strategy"] == story.agreement)
        # A flexible deal: the client takes the first optional service of the menu that is not
        # another tier of a service the option already includes (one tier per agreement).
        held = {i["family"] for i in option["items"] if i["included"]}
        chosen = [
            i["catalog_item_id"]
            for i in option["items"]
            if not i["included"] and i["family"] not in held
        ][:1]
        agreement = demo.call(
            "offerings",
            "POST",
            f"{PROPOSALS}/{proposal['id']}/accept",
            json={"strategy": story.agreement, "optional_item_ids": chosen},
        )
        agreements += 1
        if story.key == "helios" and not (agreement.get("commitments") or {}).get(
            "max_delivery_delay_days"
        ):
            raise DemoError(f"Helios's agreement guarantees no delivery delay: {agreement}")
    demo.count("proposals", proposals)
    demo.count("agreements", agreements)
    return f"{proposals} proposals, {agreements} agreements"


# What one unit of each of the demo's other currencies was worth in US dollars, so the
# portfolio's 80/20 curve and economics can be read as one figure beside the per-currency ones.
RATES_INTO_USD = {"EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "AED": 0.2723}
EXCHANGE_RATES = "/api/v1/admin/exchange-rates"


@DEMO.step("exchange-rates", after=("accounts",))
def seed_exchange_rates(demo: Demo) -> str:
    """Rates into US dollars for every other currency the portfolio bills in, dated today;
    rates an admin has set already are left as they are."""
    if demo.call("offerings", "GET", EXCHANGE_RATES)["rates"]:
        return "rates already set"
    billed = {story.currency for story in PORTFOLIO} - {"USD"}
    missing = billed - set(RATES_INTO_USD)
    if missing:
        raise DemoError(f"the demo has no rate into USD for {sorted(missing)}")
    rates = [
        {"currency": code, "rate": RATES_INTO_USD[code], "as_of": demo.today.isoformat()}
        for code in sorted(billed)
    ]
    demo.call("offerings", "PUT", EXCHANGE_RATES, json={"base": "USD", "rates": rates})
    demo.count("exchange rates", len(rates))
    return f"{len(rates)} rates into USD"
