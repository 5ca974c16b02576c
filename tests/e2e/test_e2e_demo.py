"""The demo portfolio, seeded by `kam seed` as `make run` does, read through the gateway.

The stack is this module's own, on SQLite in a fresh folder (like the resilience stack): the
demo adds forty accounts, which the session's shared stack must not see.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests
from e2e_stack import (
    APPS,
    BIN,
    Stack,
    free_ports,
    kam,
    migrate,
    stack_env,
    start_mail_sink,
    wait_until_ready,
)

from kam_accounts.domain.vocabulary import TEAM_ROLES

Api = Callable[..., Any]
BANDS = {"healthy", "watch", "at_risk", "critical"}
NORTHWIND, HELIOS, SEPAHAN, TOKYO, GULF = (
    "Northwind Logistics",
    "Helios Pharma AG",
    "فولاد سپاهان",
    "東京精密工業株式会社",
    "مجموعة الخليج للطاقة",
)


def seed(stack: Stack) -> str:
    # Forty accounts told to five services, on a machine that may be busy with other work.
    return kam(stack, "seed", timeout=900)


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, str]]:
    data_dir = tmp_path_factory.mktemp("e2e-demo")
    ports = free_ports((*APPS, "mail"))
    env = stack_env(data_dir, ports, "kam_e2e_" + secrets.token_urlsafe(24))
    env.update(
        {f"{app.upper()}_DATABASE_URL": f"sqlite:///{data_dir / (app + '.db')}" for app in APPS}
    )
    env["KAM_WORKERS"] = "1"  # one worker per app: the gateway's rate limits need no Redis
    stack = Stack(data_dir, env, ports, env["KAM_BOOTSTRAP_ADMIN_KEY"])
    migrate(stack)
    first_seed = seed(stack)  # before the apps start, as `make run` does
    try:
        for app in APPS:
            stack.start(app)
        stack.launch("worker", [str(BIN / "kam"), "worker"])
        start_mail_sink(stack)  # as `make run` does: the demo's campaign is sent once it is up
        wait_until_ready(stack)
    except Exception as exc:  # noqa: BLE001 - any start-up failure fails the module the same way
        stack.stop()
        pytest.fail(f"the demo stack did not come up: {exc}\n{stack.diagnostics()}")
    try:
        yield stack, first_seed
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def api(demo_stack: tuple[Stack, str]) -> Api:
    stack, _ = demo_stack
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {stack.admin_key}"

    def call(path: str, **params: Any) -> Any:
        response = session.get(f"{stack.url('gateway')}/api/v1{path}", params=params, timeout=30)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        return response.json()

    return call


@pytest.fixture(scope="module")
def accounts(api: Api) -> dict[str, dict[str, Any]]:
    listed = api("/accounts", per_page=100)
    return {account["name"]: account for account in listed["items"]}


def test_the_portfolio_shows_every_band_and_revenue_at_risk(
    api: Api, accounts: dict[str, dict[str, Any]]
) -> None:
    portfolio = api("/health/portfolio")
    assert portfolio["accounts"] == len(accounts) >= 38
    assert set(portfolio["by_band"]) == BANDS
    assert all(portfolio["by_band"][band] > 0 for band in BANDS), portfolio["by_band"]
    assert portfolio["revenue_at_risk"] > 0
    assert len({a["segment"] for a in accounts.values()}) >= 4
    assert {a["tier"] for a in accounts.values()} == {"strategic", "key", "standard"}
    assert {a["orientation"] for a in accounts.values()} == {"transactional", "relational", "mixed"}
    assert len({a["currency"] for a in accounts.values()}) >= 2


def test_the_champion_who_left_is_on_record_and_the_account_is_critical(
    api: Api, accounts: dict[str, dict[str, Any]]
) -> None:
    account_id = accounts[NORTHWIND]["id"]
    contacts = api(f"/accounts/{account_id}/contacts", per_page=100)["items"]
    gone = [c for c in contacts if not c["active"]]
    assert [(c["name"], c["buying_role"]) for c in gone] == [("Maya Okafor", "champion")]
    assert date.fromisoformat(gone[0]["left_on"]) < datetime.now(UTC).date()
    assert any(c["stance"] == "detractor" for c in contacts)
    chart = api(f"/accounts/{account_id}/org-chart")
    assert len(chart["roots"]) == 1 and chart["roots"][0]["reports"]
    score = api(f"/health/accounts/{account_id}")
    assert score["band"] == "critical"
    evidence = " ".join(score["components"]["commitment"]["evidence"])
    assert "Maya Okafor" in evidence
    team = api(f"/accounts/{account_id}/team")["items"]
    assert {m["role"] for m in team} == set(TEAM_ROLES)


def test_a_guaranteed_delivery_was_broken(api: Api, accounts: dict[str, dict[str, Any]]) -> None:
    account_id = accounts[HELIOS]["id"]
    agreements = api("/offerings/agreements", account_id=account_id, status="active")["items"]
    assert agreements and agreements[0]["commitments"]["max_delivery_delay_days"] > 0
    delivery = api(f"/health/accounts/{account_id}")["components"]["delivery"]
    assert any("broke the guaranteed" in line for line in delivery["evidence"]), delivery


def test_an_executive_override_stands_beside_the_computed_score(
    api: Api, accounts: dict[str, dict[str, Any]]
) -> None:
    score = api(f"/health/accounts/{accounts[GULF]['id']}")
    assert score["override"] is not None
    assert score["override"]["score"] > score["score"]
    assert score["band"] in ("at_risk", "critical")


def test_alerts_are_open_acknowledged_and_resolved(api: Api) -> None:
    alerts = api("/health/alerts", per_page=100)["items"]
    statuses = Counter(alert["status"] for alert in alerts)
    assert statuses["open"] and statuses["resolved"] and statuses["acknowledged"], statuses


def test_eighteen_months_of_history_with_quiet_accounts(
    api: Api, accounts: dict[str, dict[str, Any]]
) -> None:
    today = datetime.now(UTC)
    events = api("/health/events", account_id=accounts[HELIOS]["id"], per_page=100)["items"]
    assert {e["type"] for e in events} >= {"delivery", "quality", "support", "warning"}
    oldest = min(datetime.fromisoformat(e["occurred_at"]) for e in events)
    assert (today - oldest).days > 450
    quiet = api(f"/accounts/{accounts[SEPAHAN]['id']}/interactions", per_page=1)["items"]
    assert (today - datetime.fromisoformat(quiet[0]["occurred_at"])).days >= 150
    busy = api(f"/accounts/{accounts[TOKYO]['id']}/interactions", per_page=100)
    assert busy["total"] >= 20


def test_history_and_declines_show_from_the_first_minute(
    api: Api, accounts: dict[str, dict[str, Any]]
) -> None:
    # Back-dated events make the history the account would have had: weekly points for more
    # than a year, each under a scorecard version, and declines the portfolio names at once.
    northwind = accounts[NORTHWIND]["id"]
    points = api(f"/health/accounts/{northwind}/history")["points"]
    moments = [datetime.fromisoformat(p["at"]) for p in points]
    assert moments == sorted(moments)
    assert (moments[-1] - moments[0]).days >= 365, (moments[0], moments[-1])
    gaps = [(b - a).days for a, b in zip(moments, moments[1:], strict=False)]
    assert max(gaps) <= 7, max(gaps)
    assert len({p["band"] for p in points}) >= 2, "Northwind's decline shows in its bands"
    declines = api("/health/portfolio")["top_declines"]
    assert declines, "top declines are empty on the first day"
    assert northwind in {d["account_id"] for d in declines}


def test_revenue_over_five_currencies_is_also_one_figure_with_its_rates_named(
    api: Api, accounts: dict[str, dict[str, Any]]
) -> None:
    economics = api("/offerings/economics")
    per_currency = {c["currency"] for c in economics["currencies"]}
    assert len(per_currency) >= 2
    converted = economics["converted"]
    assert converted["currency"] == "USD"
    assert converted["missing_rates"] == []
    assert converted["revenue"] is not None and float(converted["revenue"]) > 0
    assert {r["currency"] for r in converted["rates"]} == per_currency - {"USD"}


def test_the_growing_account_gets_cross_sell_suggestions(
    api: Api, accounts: dict[str, dict[str, Any]]
) -> None:
    advice = api("/offerings/recommendations", account_id=accounts[TOKYO]["id"])
    assert advice["suppressed"] is False
    lines = {i.get("product_line") for i in advice["items"] if i["kind"] == "cross_sell"}
    assert "spare parts" in lines


def test_seeding_again_adds_nothing(demo_stack: tuple[Stack, str], api: Api) -> None:
    stack, first = demo_stack
    assert "40 accounts" in first
    before = (
        api("/accounts", per_page=1)["total"],
        api("/health/events", per_page=1)["total"],
        api("/health/alerts", per_page=1)["total"],
        api("/offerings/proposals", per_page=1)["total"],
    )
    again = seed(stack)
    assert "nothing to add" in again, again
    after = (
        api("/accounts", per_page=1)["total"],
        api("/health/events", per_page=1)["total"],
        api("/health/alerts", per_page=1)["total"],
        api("/offerings/proposals", per_page=1)["total"],
    )
    assert after == before


def test_the_default_triggers_opened_tasks_for_the_right_roles_on_troubled_accounts(
    api: Api, accounts: dict[str, dict[str, Any]]
) -> None:
    northwind = accounts[NORTHWIND]["id"]
    tasks = api("/tasks", account_id=northwind, status="open", per_page=100)["items"]
    roles = {task["assignee_role"] for task in tasks if task["source"]["type"] == "trigger"}
    # Maya, the champion, left; a critical quality issue; the account is critical.
    assert {"executive_sponsor", "quality_engineer", "account_manager"} <= roles, roles
    team = {m["id"]: m["role"] for m in api(f"/accounts/{northwind}/team")["items"]}
    for task in tasks:
        if task["assignee_id"] is not None:
            assert team[task["assignee_id"]] == task["assignee_role"]
    # Healthy accounts have no recovery plan to write.
    tokyo = accounts[TOKYO]["id"]
    titles = {t["title"] for t in api("/tasks", account_id=tokyo, per_page=100)["items"]}
    assert "Write and agree a recovery plan" not in titles


def test_the_strategic_accounts_coverage_map_names_its_gaps(
    api: Api, accounts: dict[str, dict[str, Any]]
) -> None:
    northwind = accounts[NORTHWIND]["id"]
    people = {c["id"]: c for c in api(f"/accounts/{northwind}/contacts", per_page=100)["items"]}
    cover = api(f"/accounts/{northwind}/coverage")
    gaps = {(people[g["contact_id"]]["name"], g["code"]) for g in cover["gaps"] if g["contact_id"]}
    assert ("Greg Hollis", "uncovered_decision_maker") in gaps
    assert ("Rosa Delgado", "uncovered_decision_maker") in gaps
    assert ("Maya Okafor", "champion_left") in gaps
    assert len(cover["links"]) == 2 and 0 <= cover["score"] < 50


def test_the_promotional_campaign_reached_the_mail_sink_for_healthy_accounts_only(
    demo_stack: tuple[Stack, str], api: Api, accounts: dict[str, dict[str, Any]]
) -> None:
    import email
    import re
    import time

    stack, _ = demo_stack
    [campaign] = api("/campaigns")["items"]
    deadline = time.monotonic() + 60  # the worker sends it once the mail sink answers
    while campaign["status"] != "sent" and time.monotonic() < deadline:
        time.sleep(0.5)
        campaign = api(f"/campaigns/{campaign['id']}")
    campaign = api(f"/campaigns/{campaign['id']}")
    assert campaign["status"] == "sent", campaign
    bands = {a["id"]: a for a in accounts.values()}
    manufacturing = [a["id"] for a in accounts.values() if a["segment"] == "manufacturing"]
    scores = {a: api(f"/health/accounts/{a}")["band"] for a in manufacturing}
    assert campaign["suppressed"], "some manufacturing client is unhappy in the story"
    for held in campaign["suppressed"]:
        assert held["code"] == "account_unhappy" and held["reason"]
        assert scores[held["account_id"]] in ("at_risk", "critical")
    reached = {row["account_id"] for row in campaign["by_account"] if row["delivered"]}
    assert reached and all(scores[a] in ("healthy", "watch") for a in reached)
    assert all(bands[a]["segment"] == "manufacturing" for a in reached)
    files = sorted((stack.data_dir / "mail").glob("*.eml"))
    assert len(files) == campaign["stats"]["delivered"] > 0
    message = email.message_from_bytes(files[0].read_bytes())
    text = next(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )
    html = next(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/html"
    )
    gateway = stack.url("gateway")
    [click] = re.findall(re.escape(gateway) + r"/t/c/[\w-]+\.[\w-]+", text)
    [pixel] = re.findall(re.escape(gateway) + r"/t/o/[\w-]+\.[\w-]+", html)
    before = campaign["stats"]
    assert requests.get(pixel, timeout=10).status_code == 200
    assert requests.get(click, allow_redirects=False, timeout=10).status_code == 302
    after = api(f"/campaigns/{campaign['id']}")["stats"]
    assert after["opened"] == before["opened"] + 1 and after["clicked"] == before["clicked"] + 1


def test_months_later_seeding_adds_nothing_not_even_the_expired_override(
    demo_stack: tuple[Stack, str],
    api: Api,
    accounts: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The override lasts 90 days: a start 120 days on must not give it back."""
    from kam_cli.demo import seed_demo

    stack, _ = demo_stack
    for name, value in stack.env.items():
        monkeypatch.setenv(name, value)
    later = datetime.now(UTC).date() + timedelta(days=120)
    assert seed_demo(today=later, say=lambda _line: None) == {}
    assert api(f"/health/accounts/{accounts[GULF]['id']}")["override"] is not None


def test_each_demo_person_signs_in_and_the_partner_sees_only_its_accounts(
    demo_stack: tuple[Stack, str], accounts: dict[str, dict[str, Any]]
) -> None:
    import re

    from kam_cli.demo.people import DEMO_PASSWORD, PEOPLE

    stack, _ = demo_stack
    base = stack.url("gateway")
    for email, _name, role, _stories in PEOPLE:
        client = requests.Session()
        page = client.get(f"{base}/signin", timeout=30).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        signed = client.post(
            f"{base}/signin",
            data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
            allow_redirects=False,
            timeout=30,
        )
        assert signed.status_code == 303, (email, signed.status_code)
        listed = client.get(f"{base}/api/v1/accounts", params={"per_page": 100}, timeout=30)
        assert listed.status_code == 200
        names = {a["name"] for a in listed.json()["items"]}
        if role == "partner":
            assert names == {"فولاد سپاهان", "مجموعة الخليج للطاقة"}
        else:
            assert len(names) == len(accounts)


def test_the_executives_alert_inbox_pages_through_every_open_alert(
    demo_stack: tuple[Stack, str], api: Api
) -> None:
    import re

    from kam_cli.demo.people import DEMO_PASSWORD, PEOPLE

    stack, _ = demo_stack
    base = stack.url("gateway")
    email = next(e for e, _name, role, _stories in PEOPLE if role == "executive")
    client = requests.Session()
    page = client.get(f"{base}/signin", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    client.post(
        f"{base}/signin",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        timeout=30,
    )
    total = api("/health/alerts", status="open")["total"]
    assert total > 10, "the demo has more open alerts than one page shows"
    pages = -(-total // 10)
    seen: list[str] = []
    for number in range(1, pages + 1):
        html = client.get(f"{base}/", params={"alerts_page": number}, timeout=30).text
        inbox = html[html.index('id="alerts"') :]
        seen += re.findall(r'action="/alerts/([^"]+)"', inbox)
        assert f"Page {number} of {pages}" in inbox
    assert len(seen) == len(set(seen)) == total


def test_the_holding_and_its_subsidiaries_roll_up_to_the_groups_worst_band(
    api: Api, accounts: dict[str, dict[str, Any]]
) -> None:
    holding = accounts["Hanseatic Shipping KG"]
    group = api(f"/accounts/{accounts['Iberia Cargo S.L.']['id']}/group")
    assert group["root_id"] == holding["id"] and group["degraded"] == []
    (top,) = group["members"]
    assert sorted(c["name"] for c in top["children"]) == [
        "Channel Link Haulage",
        "Iberia Cargo S.L.",
    ]
    rollup = group["rollup"]
    assert rollup["accounts"] == 3 and set(rollup["annual_revenue"]) == {"EUR", "GBP"}
    order = ["critical", "at_risk", "watch", "healthy"]
    bands = [group["health"][a["id"]]["band"] for a in (top, *top["children"])]
    assert rollup["worst_band"] == min(bands, key=order.index) != bands[0]
    assert 0 < rollup["revenue_weighted_score"] < group["health"][holding["id"]]["score"]
    assert rollup["converted"]["base"] == "USD"
    assert api("/health/portfolio", group_id=holding["id"])["accounts"] == 3
