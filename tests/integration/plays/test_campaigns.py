"""Campaigns through a real SMTP server (the mail sink `make run` starts): personalised, tracked
by signed links, held back from unhappy and recently solicited people, retried while the mail
server is down and never counted for what did not happen."""

from __future__ import annotations

import email
import re
import uuid
from email.message import Message
from pathlib import Path

import pytest
from sqlalchemy import select
from support import TEST_TOKEN, closed_port_url

from kam_cli.mailsink import start_sink
from kam_plays import create_app
from kam_plays.models import Base
from kam_plays.services.campaigns import deliver_due

PUBLIC = "http://kam.example"


def free_port() -> int:
    return int(closed_port_url().rsplit(":", 1)[1])


@pytest.fixture
def sink(tmp_path: Path):
    port = free_port()
    folder = tmp_path / "mail"
    controller = start_sink(folder, "127.0.0.1", port)
    yield folder, f"smtp://127.0.0.1:{port}"
    controller.stop()


@pytest.fixture
def plays(service_client, accounts, sink):
    return service_client(
        "plays",
        create_app,
        Base.metadata,
        ACCOUNTS_URL=accounts.url,
        SMTP_URL=sink[1],
        PUBLIC_URL=PUBLIC,
        SMTP_TIMEOUT=2.0,
    )


def messages(folder: Path) -> list[Message]:
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def html_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no html part")


def path_of(url: str) -> str:
    assert url.startswith(PUBLIC + "/t/"), url
    return url[len(PUBLIC) :]


def band(plays, account_id: str, name: str) -> None:
    """Health's score for the account, through the inbox as health publishes it."""
    event = {
        "id": str(uuid.uuid4()),
        "type": "health.scored",
        "source": "health",
        "payload": {
            "account_id": account_id,
            "score": 30.0,
            "band": name,
            "components": {"delivery": 30, "quality": 30, "support": 30, "commitment": 30},
            "at": "2026-12-01T00:00:00+00:00",
        },
    }
    assert plays.post("/internal/events", json={"events": [event]}).status_code == 200


@pytest.fixture
def segment(make_account, add_contact, add_member, plays, deliver):
    healthy = make_account(name="Pars Steel", segment="Steel")
    unhappy = make_account(name="Kish Steel", segment="Steel")
    make_account(name="Elsewhere", segment="Food")
    add_member(healthy["id"], "account_manager", name="Omid Karimi")
    people = {
        "anahita": add_contact(
            healthy["id"], name="آناهیتا Rahimi", email="anahita@pars.example", title="CFO"
        ),
        "noemail": add_contact(healthy["id"], name="Farid"),
        "bounce": add_contact(healthy["id"], name="Gone", email="gone@nowhere.invalid"),
        "unhappy": add_contact(unhappy["id"], name="Sima", email="sima@kish.example"),
    }
    deliver()
    band(plays, unhappy["id"], "at_risk")
    return {"healthy": healthy, "unhappy": unhappy, "people": people}


BODY = (
    "Dear {{first_name}},\n\nAs {{title}} at {{account_name}} you may like our new recycling "
    "service: https://example.com/offer?x=1&y=2.\nMore: https://example.com/more\n\n{{sender_name}}"
)


def campaign(plays, **changes):
    body = {
        "name": "Recycling launch",
        "kind": "promotional",
        "subject": "Something new for {{account_name}}",
        "body": BODY,
        "audience": {"segment": "Steel"},
        **changes,
    }
    return plays.post("/api/v1/campaigns", json=body)


def test_a_promotional_campaign_reaches_healthy_accounts_only_and_its_links_move_its_stats(
    plays, segment, sink
):
    people = segment["people"]
    draft = campaign(plays)
    assert draft.status_code == 201, draft.get_json()
    assert draft.get_json()["status"] == "draft" and draft.get_json()["audience_size"] == 4
    sent = plays.post(f"/api/v1/campaigns/{draft.get_json()['id']}/send")
    assert sent.status_code == 202, sent.get_json()
    body = plays.get(f"/api/v1/campaigns/{draft.get_json()['id']}").get_json()
    assert body["status"] == "sent"
    assert body["stats"] == {
        "sent": 2,
        "delivered": 1,
        "bounced": 1,
        "opened": 0,
        "clicked": 0,
        "unsubscribed": 0,
    }
    held = {s["contact_id"]: s for s in body["suppressed"]}
    assert held[people["unhappy"]["id"]]["code"] == "account_unhappy"
    assert "at_risk" in held[people["unhappy"]["id"]]["reason"]
    assert held[people["noemail"]["id"]]["code"] == "no_email"
    # Named, so a person reading the list need not look the ids up.
    assert held[people["unhappy"]["id"]]["contact_name"] == "Sima"
    assert held[people["unhappy"]["id"]]["account_name"] == segment["unhappy"]["name"]
    by_account = {row["account_id"]: row for row in body["by_account"]}
    assert by_account[segment["healthy"]["id"]]["delivered"] == 1
    assert by_account[segment["healthy"]["id"]]["account_name"] == segment["healthy"]["name"]
    assert by_account[segment["unhappy"]["id"]]["suppressed"] == 1

    [mail] = messages(sink[0])
    assert "anahita@pars.example" in mail["To"]
    assert mail["Subject"] == "Something new for Pars Steel"
    text = text_of(mail)
    assert text.startswith("Dear آناهیتا,") and "As CFO at Pars Steel" in text
    assert "Omid Karimi" in text  # signed by the account manager
    assert "example.com/offer" not in text  # every link is tracked
    clicks = re.findall(re.escape(PUBLIC) + r"/t/c/[\w-]+\.[\w-]+", text)
    [unsubscribe] = re.findall(re.escape(PUBLIC) + r"/t/u/[\w-]+\.[\w-]+", text)
    [pixel] = re.findall(re.escape(PUBLIC) + r"/t/o/[\w-]+\.[\w-]+", html_of(mail))
    assert len(clicks) == 2 and mail["List-Unsubscribe"] == f"<{unsubscribe}>"

    stats = lambda: plays.get(f"/api/v1/campaigns/{body['id']}").get_json()["stats"]  # noqa: E731
    # A tampered link records nothing.
    tampered = clicks[0][:-3] + ("AAA" if not clicks[0].endswith("AAA") else "BBB")
    assert plays.get(path_of(tampered)).status_code == 404
    assert plays.get(path_of(clicks[0]).replace("/t/c/", "/t/o/")).status_code == 404
    assert stats()["opened"] == 0 and stats()["clicked"] == 0
    # A HEAD (a mail scanner) records nothing either.
    assert plays.head(path_of(clicks[0])).status_code == 302
    assert stats()["clicked"] == 0

    opened = plays.get(path_of(pixel))
    assert opened.status_code == 200 and opened.mimetype == "image/gif"
    assert stats()["opened"] == 1
    followed = plays.get(path_of(clicks[0]))
    assert followed.status_code == 302
    assert followed.headers["Location"] == "https://example.com/offer?x=1&y=2"
    assert plays.get(path_of(clicks[1])).headers["Location"] == "https://example.com/more"
    assert stats()["clicked"] == 1 and stats()["opened"] == 1

    # The mail reached the person: a touch of theirs.
    touches = plays.get(
        f"/api/v1/accounts/{segment['healthy']['id']}/contacts/{people['anahita']['id']}/touches"
    ).get_json()
    assert [t["kind"] for t in touches["touches"]] == ["campaign_email"]

    # Unsubscribed for ever: an informational campaign later holds the person back too.
    assert plays.get(path_of(unsubscribe)).status_code == 200
    assert stats()["unsubscribed"] == 1
    later = campaign(plays, name="Notice", kind="informational", subject="Notice", body="Hi")
    later_sent = plays.post(f"/api/v1/campaigns/{later.get_json()['id']}/send").get_json()
    held = {s["contact_id"]: s["code"] for s in later_sent["suppressed"]}
    assert held[people["anahita"]["id"]] == "unsubscribed"
    # Informational mail is no offer: the unhappy account's person gets it.
    assert people["unhappy"]["id"] not in held
    assert later_sent["stats"]["delivered"] == 1

    account_view = plays.get(f"/api/v1/accounts/{segment['healthy']['id']}/campaigns").get_json()
    assert {c["name"]: c["clicked"] for c in account_view["items"]} == {
        "Recycling launch": 1,
        "Notice": 0,
    }


def test_a_person_solicited_in_the_last_30_days_is_held_back(plays, segment, sink):
    first = campaign(plays, audience={"account_ids": [segment["healthy"]["id"]]}).get_json()
    plays.post(f"/api/v1/campaigns/{first['id']}/send")
    second = campaign(plays, name="Again").get_json()
    body = plays.post(f"/api/v1/campaigns/{second['id']}/send").get_json()
    held = {s["contact_id"]: s for s in body["suppressed"]}
    person = held[segment["people"]["anahita"]["id"]]
    assert person["code"] == "recently_solicited" and "within 30 days" in person["reason"]
    assert body["stats"]["delivered"] == 0
    assert len(messages(sink[0])) == 1


def test_bad_campaigns_are_refused_naming_the_field(plays, segment):
    for changes, field in (
        ({"audience": {"segment": "Nowhere"}}, "audience"),
        ({"body": "Hello {{nickname}}"}, "body"),
        ({"subject": "For {{ boss }}"}, "subject"),
        ({"body": "x" * 100_001}, "body"),
        ({"kind": "spam"}, "kind"),
        ({"audience": {"bands": ["sad"]}}, "audience.bands.0"),
    ):
        refused = campaign(plays, **changes)
        assert refused.status_code == 422, (changes, refused.get_json())
        assert field in refused.get_json()["errors"], refused.get_json()
    assert plays.get("/api/v1/campaigns").get_json()["total"] == 0
    draft = campaign(plays).get_json()
    assert plays.post(f"/api/v1/campaigns/{draft['id']}/send").status_code == 202
    assert plays.post(f"/api/v1/campaigns/{draft['id']}/send").status_code == 409
    assert plays.post("/api/v1/campaigns/nope/send").status_code == 404


def test_with_the_mail_server_down_a_campaign_stays_sending_and_is_sent_once_it_is_back(
    service_client, accounts, make_account, add_contact, deliver, tmp_path
):
    port = free_port()
    down = service_client(
        "plays",
        create_app,
        Base.metadata,
        ACCOUNTS_URL=accounts.url,
        SMTP_URL=f"smtp://127.0.0.1:{port}",
        PUBLIC_URL=PUBLIC,
        SMTP_TIMEOUT=2.0,
    )
    account = make_account(segment="Steel")
    for name in ("Ana", "Bo"):
        add_contact(account["id"], name=name, email=f"{name.lower()}@example.com")
    from support import serve

    from kam_accounts.events import OUTBOX
    from kam_common.http import ServiceClient
    from kam_common.relay import Relay

    with serve(down.application) as url:
        Relay(
            OUTBOX,
            accounts.client.application.extensions["kam_db"],
            {"plays": ServiceClient("plays", url, TEST_TOKEN)},
        ).run_once()
    draft = down.post(
        "/api/v1/campaigns",
        json={
            "name": "Launch",
            "kind": "promotional",
            "subject": "Hi",
            "body": "Hello {{name}}",
            "audience": {"segment": "Steel"},
        },
    ).get_json()
    sending = down.post(f"/api/v1/campaigns/{draft['id']}/send").get_json()
    assert sending["status"] == "sending" and sending["pending"] == 2
    assert sending["stats"]["sent"] == 0 and sending["last_error"]

    app = down.application
    folder = tmp_path / "late-mail"
    controller = start_sink(folder, "127.0.0.1", port)
    try:
        from kam_plays.models import Campaign

        with app.extensions["kam_db"].session() as session:
            # Due again now (the back-off has not run out in a test).
            session.get(Campaign, draft["id"]).next_attempt_at = None
            session.commit()
            done = deliver_due(
                session,
                mailer=app.extensions["kam_mailer"],
                tracking=app.extensions["kam_tracking"],
            )
        assert done["delivered"] == 2
    finally:
        controller.stop()
    after = down.get(f"/api/v1/campaigns/{draft['id']}").get_json()
    assert after["status"] == "sent" and after["stats"]["delivered"] == 2 and after["pending"] == 0
    assert len(list(folder.glob("*.eml"))) == 2
    with app.extensions["kam_db"].session() as session:
        again = deliver_due(
            session, mailer=app.extensions["kam_mailer"], tracking=app.extensions["kam_tracking"]
        )
        assert again["delivered"] == 0
        assert session.scalars(select(Campaign.status)).all() == ["sent"]


def test_tracking_links_work_through_the_gateway_without_a_key(plays, segment, sink, database_url):
    import requests
    from support import empty_tables, serve, serve_asgi

    from kam_gateway import create_app as create_gateway
    from kam_gateway.models import Base as GatewayBase

    draft = campaign(plays, audience={"account_ids": [segment["healthy"]["id"]]}).get_json()
    plays.post(f"/api/v1/campaigns/{draft['id']}/send")
    [mail] = messages(sink[0])
    [click, _more] = re.findall(re.escape(PUBLIC) + r"/t/c/[\w-]+\.[\w-]+", text_of(mail))
    [pixel] = re.findall(re.escape(PUBLIC) + r"/t/o/[\w-]+\.[\w-]+", html_of(mail))
    url = database_url("gateway")
    empty_tables(url, GatewayBase.metadata)
    closed = closed_port_url()
    with serve(plays.application) as plays_url:
        gateway = create_gateway(
            {
                "DATABASE_URL": url,
                "INTERNAL_TOKEN": TEST_TOKEN,
                "PLAYS_URL": plays_url,
                "ACCOUNTS_URL": closed,
                "HEALTH_URL": closed,
                "OFFERINGS_URL": closed,
            }
        )
        with serve_asgi(gateway) as base:
            followed = requests.get(base + path_of(click), allow_redirects=False, timeout=10)
            assert followed.status_code == 302
            assert followed.headers["Location"] == "https://example.com/offer?x=1&y=2"
            assert requests.head(base + path_of(pixel), timeout=10).status_code == 200
            tampered = base + path_of(pixel)[:-2] + "xx"
            refused = requests.get(tampered, timeout=10)
            assert refused.status_code == 404
            assert refused.headers["Content-Type"].startswith("application/problem+json")
            # Only the three links' reads are public: anything else is not forwarded to plays
            # (outside /api/v1 it is the web app's, which has no such page).
            assert requests.post(base + path_of(pixel), timeout=10).status_code in (401, 404)
            assert requests.get(base + "/t/x/abc", timeout=10).status_code in (401, 404)
    stats = plays.get(f"/api/v1/campaigns/{draft['id']}").get_json()["stats"]
    assert stats["clicked"] == 1 and stats["opened"] == 1
