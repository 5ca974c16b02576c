"""The portfolio that says which: its accounts worst first, filtered, per currency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

TODAY = datetime.now(UTC).date()


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


def portfolio(client, **query):
    response = client.get("/api/v1/health/portfolio", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def sink(log, account_id: str) -> None:
    """Enough trouble to leave `healthy`: a critical issue still open, a late delivery."""
    log(account_id=account_id, type="quality", severity="critical")
    log(account_id=account_id, type="delivery", promised_on=days_ago(20), delivered_on=days_ago(5))


def test_the_portfolio_lists_its_accounts_worst_first_with_what_an_executive_asks(
    client, make_account, log, deliver, accounts
):
    fine = make_account(name="Fine", segment="Retail", tier="standard", annual_revenue=1000)
    worst = make_account(
        name="Worst", segment="Energy", tier="strategic", annual_revenue=900, currency="EUR"
    )
    middle = make_account(name="Middle", segment="Energy", tier="key", annual_revenue=500)
    deliver()
    sink(log, worst["id"])
    sink(log, worst["id"])
    log(account_id=middle["id"], type="quality", severity="major")
    body = portfolio(client)
    assert [i["account_id"] for i in body["items"]] == [worst["id"], middle["id"], fine["id"]]
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 20
    first = body["items"][0]
    assert first["name"] == "Worst" and first["segment"] == "Energy"
    assert first["tier"] == "strategic" and first["currency"] == "EUR"
    assert first["annual_revenue"] == 900 and first["open_alerts"] >= 1
    assert first["band"] in ("at_risk", "critical") and first["delta_30d"] is None
    assert body["items"][2]["open_alerts"] == 0
    # Revenue per band never adds euros to dollars.
    assert body["revenue_by_band"][first["band"]] == {"EUR": 900.0}
    usd_by_band: dict[str, float] = {}
    for item in body["items"][1:]:
        usd_by_band[item["band"]] = usd_by_band.get(item["band"], 0) + item["annual_revenue"]
    for band, amount in usd_by_band.items():
        assert body["revenue_by_band"][band] == {"USD": amount}

    page_two = portfolio(client, per_page=1, page=2)
    assert [i["account_id"] for i in page_two["items"]] == [middle["id"]]
    assert page_two["total"] == 3


def test_the_portfolio_filters_by_band_segment_tier_and_owner(
    client, make_account, log, deliver, accounts
):
    fine = make_account(name="Fine", segment="Retail", tier="standard")
    worst = make_account(name="Worst", segment="Energy", tier="strategic")
    other = make_account(name="Other", segment="Energy", tier="key")
    team = accounts.client
    anna = team.post(
        f"/api/v1/accounts/{worst['id']}/team",
        json={"name": "Anna", "email": "anna@example.com", "role": "sales"},
    ).get_json()
    team.post(
        f"/api/v1/accounts/{fine['id']}/team",
        json={"name": "Anna", "email": "anna@example.com", "role": "sales"},
    )
    bob = team.post(
        f"/api/v1/accounts/{other['id']}/team", json={"name": "Bob", "role": "sales"}
    ).get_json()
    deliver()
    sink(log, worst["id"])
    band = portfolio(client)["items"][0]["band"]
    at_band = portfolio(client, band=band)
    assert [i["account_id"] for i in at_band["items"]] == [worst["id"]]
    assert at_band["accounts"] == 3  # the summary still covers the portfolio
    energy = portfolio(client, segment="Energy")
    assert {i["account_id"] for i in energy["items"]} == {worst["id"], other["id"]}
    assert energy["accounts"] == 2
    assert [i["account_id"] for i in portfolio(client, tier="key")["items"]] == [other["id"]]
    annas = portfolio(client, owner=anna["id"])
    assert {i["account_id"] for i in annas["items"]} == {worst["id"], fine["id"]}
    assert [i["account_id"] for i in portfolio(client, owner=bob["id"])["items"]] == [other["id"]]
    # Removed from the team: no longer Bob's.
    assert team.delete(f"/api/v1/accounts/{other['id']}/team/{bob['id']}").status_code == 204
    deliver()
    assert portfolio(client, owner=bob["id"])["items"] == []


def test_an_unknown_band_or_tier_on_the_portfolio_is_a_400_naming_it(client):
    for query, name in ((("band", ""),), "band"), ((("tier", "gold"),), "tier"):
        response = client.get("/api/v1/health/portfolio", query_string=dict(query))
        assert response.status_code == 400, response.get_json()
        assert list(response.get_json()["errors"]) == [name]


def test_a_partner_lists_only_its_own_accounts(client, make_account, log, deliver):
    mine = make_account(name="Mine")
    make_account(name="Theirs")
    deliver()
    body = client.get(
        "/api/v1/health/portfolio", headers={"X-KAM-Account-Scope": mine["id"]}
    ).get_json()
    assert [i["account_id"] for i in body["items"]] == [mine["id"]] and body["total"] == 1


def test_the_portfolio_reads_a_few_queries_whatever_its_size(client, make_account, log, deliver):
    from sqlalchemy import event

    for n in range(12):
        account = make_account(name=f"Account {n}")
        log(account_id=account["id"], type="quality", severity="minor")
    deliver()
    engine = client.application.extensions["kam_db"].engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def selects() -> int:
        found = len([s for s in statements if s.lstrip().upper().startswith("SELECT")])
        statements.clear()
        return found

    event.listen(engine, "before_cursor_execute", count)
    try:
        body = portfolio(client, per_page=100)
        computed = selects()
        again = portfolio(client, per_page=100)
        remembered = selects()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert body["total"] == 12 and again == body
    # The generation, the scorecards in force (two), the summary, the top declines, the page
    # of accounts and their open alerts; then, with nothing changed, the generation and the
    # open alerts only.
    assert computed <= 7
    assert remembered <= 2


def test_the_portfolio_filters_by_client_group(client, make_account, deliver):
    holding = make_account(name="Holding", annual_revenue=1000)
    steel = make_account(name="Steel", parent_id=holding["id"], annual_revenue=300)
    mills = make_account(name="Mills", parent_id=steel["id"], annual_revenue=200)
    make_account(name="Outside", annual_revenue=50)
    deliver()

    whole = portfolio(client, group_id=holding["id"])
    assert {i["account_id"] for i in whole["items"]} == {holding["id"], steel["id"], mills["id"]}
    assert whole["accounts"] == 3 and whole["total"] == 3
    below_steel = portfolio(client, group_id=steel["id"])
    assert {i["account_id"] for i in below_steel["items"]} == {steel["id"], mills["id"]}
    assert portfolio(client, group_id="no-such-group")["total"] == 0
