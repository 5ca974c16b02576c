"""A client generated from the served OpenAPI document drives the whole API.

`openapi-python-client` generates a client from `GET /api/v1/openapi.json` of a gateway in
front of the three real services (real databases, real HTTP). A scenario from accounts to
agreements then runs through that client alone, as a partner's developer would write it. The
test fails when the generator cannot read part of the document, when an answer does not parse
into its model, or when the server sends a field the model does not know (it would be dropped
into `additional_properties`): the document must promise exactly what the server sends.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import attrs
import pytest
import requests
from support import TEST_TOKEN, empty_tables, serve, serve_asgi

from kam_accounts import create_app as create_accounts
from kam_accounts.models import Base as AccountsBase
from kam_gateway import create_app as create_gateway
from kam_gateway.keys import create_key
from kam_gateway.models import Base as GatewayBase
from kam_health import create_app as create_health
from kam_health.models import Base as HealthBase
from kam_offerings import create_app as create_offerings
from kam_offerings.models import Base as OfferingsBase
from kam_plays import create_app as create_plays
from kam_plays.models import Base as PlaysBase

BIN = Path(sys.executable).parent


@pytest.fixture
def gateway(service_client, database_url) -> Iterator[SimpleNamespace]:
    accounts = service_client("accounts", create_accounts, AccountsBase.metadata)
    with serve(accounts.application) as accounts_url:
        health = service_client(
            "health", create_health, HealthBase.metadata, ACCOUNTS_URL=accounts_url
        )
        with serve(health.application) as health_url:
            offerings = service_client(
                "offerings",
                create_offerings,
                OfferingsBase.metadata,
                ACCOUNTS_URL=accounts_url,
                HEALTH_URL=health_url,
            )
            plays = service_client(
                "plays", create_plays, PlaysBase.metadata, ACCOUNTS_URL=accounts_url
            )
            with (
                serve(offerings.application) as offerings_url,
                serve(plays.application) as plays_url,
            ):
                url = database_url("gateway")
                empty_tables(url, GatewayBase.metadata)
                app = create_gateway(
                    {
                        "DATABASE_URL": url,
                        "INTERNAL_TOKEN": TEST_TOKEN,
                        "ACCOUNTS_URL": accounts_url,
                        "HEALTH_URL": health_url,
                        "OFFERINGS_URL": offerings_url,
                        "PLAYS_URL": plays_url,
                    }
                )
                with app.db.session() as session:
                    _key, secret = create_key(session=session, name="setup", role="admin")
                with serve_asgi(app) as url:
                    yield SimpleNamespace(url=url, admin_key=secret)


def generate(document: dict[str, Any], folder: Path) -> ModuleType:
    spec = folder / "openapi.json"
    spec.write_text(json.dumps(document))
    config = folder / "config.json"
    # A CSV upload is a file like any other to the generator (its documented override).
    settings = {
        "package_name_override": "kam_client",
        "post_hooks": [],
        "content_type_overrides": {"text/csv": "application/octet-stream"},
    }
    config.write_text(json.dumps(settings))
    done = subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(spec), "--meta", "none"]
        + ["--config", str(config), "--output-path", str(folder / "kam_client")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    assert "Warning" not in said and "WARNING" not in said, said  # a part it could not read
    sys.path.insert(0, str(folder))
    for name in [m for m in sys.modules if m == "kam_client" or m.startswith("kam_client.")]:
        del sys.modules[name]
    return importlib.import_module("kam_client")


class Api:
    """The generated client's operations by name (`post_api_v1_accounts`), each call checked:
    the expected status, a parsed model, and no field the model does not know."""

    def __init__(self, package: ModuleType, base_url: str):
        self.package = package
        self.base_url = base_url
        self.operations: dict[str, ModuleType] = {}
        api = importlib.import_module("kam_client.api")
        for group in pkgutil.iter_modules(api.__path__):
            tag = importlib.import_module(f"kam_client.api.{group.name}")
            for op in pkgutil.iter_modules(tag.__path__):
                self.operations[op.name] = importlib.import_module(
                    f"kam_client.api.{group.name}.{op.name}"
                )
        self.models = importlib.import_module("kam_client.models")

    def client(self, token: str) -> Any:
        return self.package.AuthenticatedClient(
            base_url=self.base_url, token=token, raise_on_unexpected_status=True, timeout=30
        )

    def __call__(self, client: Any, operation: str, status: int = 200, **kwargs: Any) -> Any:
        answer = self.operations[operation].sync_detailed(client=client, **kwargs)
        assert answer.status_code == status, (operation, answer.status_code, answer.content)
        if status == 204:
            return None
        parsed = answer.parsed
        assert parsed is not None, (operation, answer.content)
        assert type(parsed).__name__ != "Problem" or status >= 400, answer.content
        assert_nothing_dropped(parsed, operation)
        return parsed


def assert_nothing_dropped(value: Any, where: str) -> None:
    """Every field the server sent landed in a declared attribute of its model. Models of
    free-form objects (no declared attributes) keep their content as additional properties."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            assert_nothing_dropped(item, f"{where}[{index}]")
        return
    if not attrs.has(type(value)):
        return
    declared = [f.name for f in attrs.fields(type(value)) if f.name != "additional_properties"]
    extra = getattr(value, "additional_properties", {})
    if declared:
        assert not extra, f"{where}: {type(value).__name__} dropped {sorted(extra)}"
    for name in declared:
        assert_nothing_dropped(getattr(value, name), f"{where}.{name}")
    for key, item in extra.items():
        assert_nothing_dropped(item, f"{where}[{key!r}]")


def test_a_generated_client_drives_accounts_to_agreements(gateway, tmp_path):
    document = requests.get(
        gateway.url + "/api/v1/openapi.json",
        headers={"Authorization": f"Bearer {gateway.admin_key}"},
        timeout=30,
    ).json()
    assert "x-degraded" not in document
    package = generate(document, tmp_path)
    api, m = Api(package, gateway.url), None
    m = api.models
    admin = api.client(gateway.admin_key)

    def key(role: str, **extra: Any) -> Any:
        made = api(
            admin,
            "post_api_v1_admin_keys",
            201,
            body=m.KeyCreate(name=f"{role} tool", role=m.KeyCreateRole(role), **extra),
        )
        return api.client(made.key)

    sales, executive, engineer = key("sales"), key("executive"), key("engineer")

    # Accounts: create, read, a PATCH that changes one field and only that one.
    account = api(
        sales,
        "post_api_v1_accounts",
        201,
        body=m.AccountCreate(
            name="Sepahan Steel",
            tier=m.AccountCreateTier.STRATEGIC,
            orientation=m.AccountCreateOrientation.RELATIONAL,
            currency="EUR",
            contact_cadence_days=14,
            annual_revenue=250000.0,
            needs=["faster deliveries"],
        ),
    )
    patched = api(
        sales,
        "patch_api_v1_accounts_account_id",
        account_id=account.id,
        body=m.AccountPatch(industry="chemicals"),
    )
    assert (patched.tier.value, patched.orientation.value, patched.currency) == (
        "strategic",
        "relational",
        "EUR",
    )
    assert patched.contact_cadence_days == 14 and patched.version == account.version + 1
    listed = api(sales, "get_api_v1_accounts", q="sepahan")
    assert [a.id for a in listed.items] == [account.id]

    # Decision-makers, the org chart, the team and the history.
    boss = api(
        sales,
        "post_api_v1_accounts_account_id_contacts",
        201,
        account_id=account.id,
        body=m.ContactCreate(
            name="Dr. Rahimi", buying_role=m.BuyingRole.DECISION_MAKER, influence=5,
            stance=m.ContactCreateStance.SUPPORTER, notes="Prefers calls",
        ),
    )  # fmt: skip
    buyer = api(
        sales,
        "post_api_v1_accounts_account_id_contacts",
        201,
        account_id=account.id,
        body=m.ContactCreate(name="Sara", reports_to_id=boss.id),
    )
    retitled = api(
        sales,
        "patch_api_v1_accounts_account_id_contacts_contact_id",
        account_id=account.id,
        contact_id=boss.id,
        body=m.ContactPatch(title="CEO"),
    )
    assert (retitled.influence, retitled.stance.value) == (5, "supporter")
    chart = api(sales, "get_api_v1_accounts_account_id_org_chart", account_id=account.id)
    assert chart.roots[0].reports[0].id == buyer.id
    api(
        sales,
        "post_api_v1_accounts_account_id_team",
        201,
        account_id=account.id,
        body=m.TeamMemberCreate(name="Dana", role=m.TeamMemberCreateRole.ACCOUNT_MANAGER),
    )
    api(
        sales,
        "post_api_v1_accounts_account_id_interactions",
        201,
        account_id=account.id,
        body=m.InteractionCreate(
            kind=m.InteractionCreateKind.MEETING, summary="Review", contact_ids=[boss.id]
        ),
    )
    api(
        sales,
        "post_api_v1_accounts_account_id_purchases",
        201,
        account_id=account.id,
        body=m.PurchaseCreate(product_line="coating", amount=1200.5),
    )
    api(sales, "get_api_v1_accounts_account_id_purchases", account_id=account.id)
    api(sales, "get_api_v1_accounts_account_id_interactions", account_id=account.id)
    api(sales, "get_api_v1_accounts_account_id_team", account_id=account.id)

    # Health: events one by one and in a batch, their updates, the score and its history.
    late = api(
        engineer,
        "post_api_v1_health_events",
        201,
        body=m.DeliveryEventCreate(
            account_id=account.id,
            type_=m.DeliveryEventCreateType.DELIVERY,
            promised_on=_days_ago(5),
        ),
    )
    api(
        engineer,
        "post_api_v1_health_events_batch",
        201,
        body=m.EventBatch(
            events=[
                m.QualityEventCreate(
                    account_id=account.id, type_=m.QualityEventCreateType.QUALITY,
                    severity=m.QualityEventCreateSeverity.CRITICAL, note="Cracked coils",
                ),
                m.SupportEventCreate(
                    account_id=account.id, type_=m.SupportEventCreateType.SUPPORT,
                    severity=m.SupportEventCreateSeverity.LOW, sla_hours=24.0,
                ),
            ]
        ),
    )  # fmt: skip
    delivered = api(
        engineer,
        "patch_api_v1_health_events_event_id",
        event_id=late.id,
        body=m.EventPatch(delivered_on=_days_ago(1)),
    )
    assert delivered.source.role == "engineer"
    api(engineer, "get_api_v1_health_events", account_id=account.id)
    score = api(sales, "get_api_v1_health_accounts_account_id", account_id=account.id)
    assert score.components.delivery.score < 100
    api(
        executive,
        "post_api_v1_health_accounts_account_id_override",
        201,
        account_id=account.id,
        body=m.OverrideCreate(score=60.0, reason="Strong sponsor"),
    )
    api(sales, "get_api_v1_health_accounts_account_id_history", account_id=account.id)
    api(sales, "get_api_v1_health_portfolio")
    alerts = api(sales, "get_api_v1_health_alerts", account_id=account.id)
    assert alerts.items, "a critical quality issue raises an alert"
    api(
        sales,
        "patch_api_v1_health_alerts_alert_id",
        alert_id=alerts.items[0].id,
        body=m.AlertPatch(status=m.AlertPatchStatus.ACKNOWLEDGED),
    )
    card = api(executive, "get_api_v1_health_scorecard")
    api(
        executive,
        "put_api_v1_health_scorecard",
        body=m.ScorecardInput(
            weights=m.Weights(delivery=0.4, quality=0.2, support=0.2, commitment=0.2),
            window_days=card.window_days,
            half_life_days=card.half_life_days,
            thresholds=m.Thresholds(healthy=75.0, watch=55.0, at_risk=35.0),
        ),
    )

    # Offerings: the catalog, a proposal with three options, an agreement.
    def item(code: str, kind: str, price: float, cost: float, **extra: Any) -> Any:
        return api(
            admin,
            "post_api_v1_offerings_catalog",
            201,
            body=m.CatalogItemCreate(
                code=code, name=code.title(), kind=m.CatalogItemCreateKind(kind),
                list_price=price, unit_cost=cost, **extra,
            ),
        )  # fmt: skip

    item("CORE", "core", 100000.0, 70000.0)
    desk = item("DESK", "support", 1000.0, 600.0, billing=m.CatalogItemCreateBilling.MONTHLY)
    item(
        "FAST",
        "value_added",
        9000.0,
        4000.0,
        commitment=m.Commitment(max_delivery_delay_days=2),
        value_driver=m.CatalogItemCreateValueDriver.ASSURANCE,
    )
    api(admin, "patch_api_v1_offerings_catalog_item_id", item_id=desk.id, body=m.CatalogPatch(
        description="Phone and e-mail"))  # fmt: skip
    api(sales, "get_api_v1_offerings_catalog")
    proposal = api(
        sales,
        "post_api_v1_offerings_proposals",
        201,
        body=m.ProposalCreate(account_id=account.id),
    )
    assert {o.strategy.value for o in proposal.options} == {
        "unbundled",
        "collaborative",
        "flexible",
    }
    agreement = api(
        sales,
        "post_api_v1_offerings_proposals_proposal_id_accept",
        201,
        proposal_id=proposal.id,
        body=m.Accept(strategy=m.AcceptStrategy.COLLABORATIVE),
    )
    assert agreement.status.value == "active"
    api(sales, "get_api_v1_offerings_agreements", account_id=account.id)
    api(sales, "get_api_v1_offerings_proposals_proposal_id", proposal_id=proposal.id)
    api(sales, "get_api_v1_offerings_economics_account_id", account_id=account.id)
    api(sales, "get_api_v1_offerings_recommendations", account_id=account.id)

    # The composites, and what a partner sees of it all.
    overview = api(sales, "get_api_v1_accounts_account_id_overview", account_id=account.id)
    assert overview.account.id == account.id and overview.agreement.id == agreement.id
    api(sales, "get_api_v1_accounts_account_id_timeline", account_id=account.id)
    partner = key("partner", account_ids=[account.id])
    seen = api(partner, "get_api_v1_accounts_account_id_contacts", account_id=account.id)
    assert {c.name for c in seen.items} == {"Dr. Rahimi", "Sara"}
    api(partner, "get_api_v1_accounts_account_id_overview", account_id=account.id)
    api(partner, "get_api_v1_offerings_agreements")
    api(partner, "get_api_v1_health_accounts_account_id", account_id=account.id)
    reported = api(
        partner,
        "post_api_v1_health_events",
        201,
        body=m.SupportEventCreate(
            account_id=account.id,
            type_=m.SupportEventCreateType.SUPPORT,
            severity=m.SupportEventCreateSeverity.MEDIUM,
        ),
    )
    assert reported.reported_by == "partner tool"
    api(admin, "get_api_v1_admin_keys")
    api(api.package.Client(base_url=gateway.url), "get_healthz")


def _days_ago(days: int) -> Any:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(days=days)).date()
