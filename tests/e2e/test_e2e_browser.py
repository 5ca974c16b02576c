"""The web app in a real browser: Debian's Chromium, driven by Playwright, through the gateway of
the real stack. Each person signs in with a fresh browser profile and sees what their role may
see; accessibility is checked on the pages they use (labels, visible focus, WCAG AA contrast).

`KAM_SCREENSHOTS=<folder>` keeps the portfolio and account screenshots there (docs/ holds the
README's).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import BrowserContext, Page, Playwright, expect, sync_playwright

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a long browser password"
TODAY = datetime.now(UTC).date()


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (Debian package chromium)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def api(gateway_url: str, admin_headers: dict[str, str]) -> Callable[..., requests.Response]:
    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", admin_headers)
        return requests.request(
            method, f"{gateway_url}/api/v1{path}", headers=headers, timeout=15, **kwargs
        )

    return call


@pytest.fixture(scope="module")
def world(api: Callable[..., requests.Response]) -> dict[str, Any]:
    """Two accounts (names in Persian and Chinese beside Latin), decision-makers with a
    reporting line and one who left, a small catalog, and one person per role."""
    tag = uuid.uuid4().hex[:6]

    def made(response: requests.Response) -> dict[str, Any]:
        assert response.status_code == 201, response.text
        return dict(response.json())

    ours = made(
        api(
            "POST",
            "/accounts",
            json={"name": f"فولاد سپاهان Steel {tag}", "annual_revenue": 900000,
                  "currency": "EUR", "segment": "manufacturing", "tier": "strategic",
                  "orientation": "relational"},
        )
    )  # fmt: skip
    other = made(
        api(
            "POST",
            "/accounts",
            json={"name": f"北风物流 Northwind {tag}", "annual_revenue": 500000},
        )
    )
    boss = made(
        api(
            "POST",
            f"/accounts/{ours['id']}/contacts",
            json={"name": "مریم احمدی", "title": "مدیر عامل", "buying_role": "decision_maker",
                  "influence": 5, "stance": "supporter"},
        )
    )  # fmt: skip
    made(
        api(
            "POST",
            f"/accounts/{ours['id']}/contacts",
            json={"name": "Li Wei 李伟", "buying_role": "technical_buyer", "influence": 3,
                  "stance": "neutral", "reports_to_id": boss["id"]},
        )
    )  # fmt: skip
    left = made(
        api(
            "POST",
            f"/accounts/{ours['id']}/contacts",
            json={"name": "Tom Gone", "buying_role": "champion", "reports_to_id": boss["id"]},
        )
    )
    gone = api(
        "PATCH",
        f"/accounts/{ours['id']}/contacts/{left['id']}",
        json={"active": False, "left_on": days_ago(3)},
    )
    assert gone.status_code == 200, gone.text
    for item in (
        {"code": f"CORE-{tag}", "name": "Core supply", "kind": "core", "list_price": 100000,
         "unit_cost": 70000},
        {"code": f"DESK-{tag}", "name": "Help desk", "kind": "support", "billing": "monthly",
         "list_price": 1000, "unit_cost": 600, "value_driver": "performance"},
        {"code": f"COST-{tag}", "name": "Cost-reduction programme", "kind": "value_added",
         "list_price": 20000, "unit_cost": 9000, "value_driver": "cost_reduction"},
    ):  # fmt: skip
        made(api("POST", "/offerings/catalog", json=item))
    people = {}
    for role in ("admin", "executive", "sales", "engineer", "partner"):
        body: dict[str, Any] = {
            "email": f"{role}-{tag}@example.com",
            "name": {"executive": "Sara Exec", "partner": "شریک Partner"}.get(role, role.title()),
            "role": role,
            "password": PASSWORD,
        }
        if role == "partner":
            body["account_ids"] = [ours["id"]]
        made(api("POST", "/admin/users", json=body))
        people[role] = body["email"]
    return {"ours": ours, "other": other, "people": people}


@contextmanager
def browser(playwright: Playwright, width: int = 1280) -> Iterator[BrowserContext]:
    """A fresh profile each time: nothing carried from one person to the next."""
    profile = tempfile.mkdtemp(prefix="kam-chromium-")
    context = playwright.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        args=ARGS,
        headless=True,
        viewport={"width": width, "height": 900},
        locale="en-US",
    )
    try:
        yield context
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def sign_in(context: BrowserContext, base: str, email: str) -> Page:
    page = context.new_page()
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/signin"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


_A11Y = "\n".join(
    line
    for line in (Path(__file__).parent / "a11y.js").read_text(encoding="utf-8").splitlines()
    if not line.startswith("//")
)


def check_accessibility(page: Page) -> None:
    assert page.evaluate(_A11Y) == []
    # Keyboard focus is visible: the first focusable control gets an outline.
    page.locator("body").press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "BODY" and outline[1] != "none" and outline[2] >= 2, outline


def screenshot(page: Page, name: str) -> None:
    folder = Path(os.environ.get("KAM_SCREENSHOTS") or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=False)


def test_sign_in_refuses_a_wrong_password_alike_and_keeps_the_email(
    playwright: Playwright, gateway_url: str, world: dict[str, Any]
) -> None:
    with browser(playwright) as context:
        page = context.new_page()
        page.goto(gateway_url + "/signin")
        check_accessibility(page)
        page.get_by_label("Email").fill(world["people"]["sales"])
        page.get_by_label("Password").fill("not the right one")
        page.get_by_role("button", name="Sign in").click()
        wrong_password = page.get_by_role("alert").inner_text()
        assert page.get_by_label("Email").input_value() == world["people"]["sales"]
        page.get_by_label("Email").fill("nobody-at-all@example.com")
        page.get_by_label("Password").fill("not the right one")
        page.get_by_role("button", name="Sign in").click()
        assert page.get_by_role("alert").inner_text() == wrong_password


def test_an_executive_finds_the_accounts_at_risk_and_why(
    playwright: Playwright, gateway_url: str, world: dict[str, Any]
) -> None:
    ours = world["ours"]
    with browser(playwright) as context:
        page = sign_in(context, gateway_url, world["people"]["executive"])
        expect(page.get_by_role("heading", name="Portfolio", exact=True)).to_be_visible()
        link = page.get_by_role("link", name=ours["name"])
        expect(link).to_be_visible()
        # Names in another script sit in their own bidi isolate beside Latin text.
        assert link.locator("bdi").count() == 1
        expect(page.get_by_role("heading", name="Open alerts")).to_be_visible()
        screenshot(page, "screenshot-portfolio.png")
        check_accessibility(page)
        link.click()
        expect(page.get_by_role("heading", name=ours["name"])).to_be_visible()
        expect(page.get_by_text("Why this score")).to_be_visible()
        org = page.locator(".org")
        expect(org.get_by_text("مریم احمدی")).to_be_visible()
        # The reporting line: Li Wei is drawn under Maryam, and the one who left is greyed.
        assert org.locator("li.person:has-text('مریم احمدی') li.person", has_text="Li Wei").count()
        assert org.locator("li.person.departed", has_text="Tom Gone").count() == 1
        expect(page.locator("svg.chart")).to_be_visible()
        # An executive cannot log events: no quick log.
        assert page.get_by_role("heading", name="Quick log").count() == 0
        screenshot(page, "screenshot-account.png")
        check_accessibility(page)


def test_an_engineer_logs_a_late_delivery_by_keyboard_and_sees_the_score_fall(
    playwright: Playwright, gateway_url: str, world: dict[str, Any]
) -> None:
    ours = world["ours"]
    with browser(playwright) as context:
        page = sign_in(context, gateway_url, world["people"]["engineer"])
        page.get_by_role("link", name="Log event").click()
        page.get_by_label("Account name").fill("سپاهان")
        page.keyboard.press("Enter")
        page.get_by_role("link", name=ours["name"]).click()
        before = float(page.locator(".score").inner_text())
        check_accessibility(page)
        # Keyboard only: the type is a radio group, the promised date a field, Enter submits.
        page.get_by_role("radio", name="delivery").focus()
        page.keyboard.press("Space")
        page.get_by_label("Promised on").focus()
        page.get_by_label("Promised on").fill(days_ago(20))
        page.get_by_label("Note").focus()
        page.keyboard.type("Pallets still not here")
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_be_visible()
        after = float(page.locator(".score").inner_text())
        assert after < before
        expect(page.locator(".components")).to_contain_text("outstanding")
        # One step: record the delivery from the open items.
        item = page.locator(".open-events li", has_text="Pallets still not here")
        item.get_by_role("button", name="Record delivery").click()
        expect(page.get_by_role("status")).to_be_visible()
        assert page.locator(".open-events li", has_text="Pallets still not here").count() == 0

        # A bad date is refused beside its field, with what was typed kept.
        page.get_by_role("radio", name="delivery").check()
        page.get_by_label("Promised on").fill("")
        page.get_by_label("Note").fill("no date given")
        page.get_by_role("button", name="Log it").click()
        expect(page.locator("#promised_on-error")).to_be_visible()
        assert page.get_by_label("Note").input_value() == "no date given"


def test_sales_builds_compares_and_accepts_a_proposal(
    playwright: Playwright, gateway_url: str, world: dict[str, Any]
) -> None:
    ours = world["ours"]
    with browser(playwright) as context:
        page = sign_in(context, gateway_url, world["people"]["sales"])
        page.goto(f"{gateway_url}/accounts/{ours['id']}")
        page.get_by_role("button", name="Build a proposal").click()
        options = page.locator("fieldset.option")
        expect(options).to_have_count(3)
        for strategy in ("unbundled", "collaborative", "flexible"):
            expect(page.get_by_label(strategy, exact=True)).to_be_visible()
        # Side by side at 1280 px: the three options share one row.
        tops = {round(box["y"]) for box in (o.bounding_box() for o in options.all()) if box}
        assert len(tops) == 1
        expect(page.get_by_text("Cost to serve").first).to_be_visible()
        expect(page.get_by_text("Margin").first).to_be_visible()
        check_accessibility(page)
        page.get_by_label("flexible", exact=True).check()
        optional = page.locator("input[name=optional_flexible]")
        if optional.count():
            optional.first.check()
        page.get_by_role("button", name="Accept the chosen option").click()
        expect(page.get_by_role("status")).to_contain_text("accepted")
        expect(page.get_by_role("heading", name="Active agreement")).to_be_visible()
        expect(page.locator("section", has_text="Active agreement")).to_contain_text("flexible")


def test_sales_adds_a_task_finds_it_among_their_own_and_maps_who_covers_whom(
    playwright: Playwright,
    gateway_url: str,
    world: dict[str, Any],
    api: Callable[..., requests.Response],
) -> None:
    import time

    ours = world["ours"]
    email = world["people"]["sales"]
    member = api(
        "POST",
        f"/accounts/{ours['id']}/team",
        json={"name": "Sam Seller", "email": email, "role": "sales"},
    )
    assert member.status_code == 201, member.text
    # Plays hears of the new member through the worker: a task for the role goes to them then.
    probe = api(
        "POST",
        "/tasks",
        json={"account_id": ours["id"], "title": "Probe", "due_on": days_ago(-30),
              "assignee_role": "sales"},
    )  # fmt: skip
    assert probe.status_code == 201, probe.text
    deadline = time.monotonic() + 30
    while api("GET", f"/tasks/{probe.json()['id']}").json()["assignee_id"] != member.json()["id"]:
        assert time.monotonic() < deadline, "plays never heard of the new team member"
        time.sleep(0.2)
    api("PATCH", f"/tasks/{probe.json()['id']}", json={"status": "dismissed"})

    with browser(playwright) as context:
        page = sign_in(context, gateway_url, email)
        page.goto(f"{gateway_url}/accounts/{ours['id']}")
        tasks = page.locator("section#tasks")
        # No title: refused beside the field, the rest kept, nothing saved.
        tasks.get_by_label("For the team's").select_option("sales")
        tasks.get_by_label("Steps (one a line)").fill("Book the visit\nBring the quality report")
        tasks.get_by_role("button", name="Add task").click()
        expect(page.locator("#title-error")).to_be_visible()
        assert page.get_by_label("Steps (one a line)").input_value().startswith("Book the visit")
        check_accessibility(page)
        page.get_by_label("What to do").fill("Visit the plant 工厂")
        page.get_by_role("button", name="Add task").click()
        expect(page.get_by_role("status")).to_contain_text("Task added")
        expect(page.locator("section#tasks")).to_contain_text("Visit the plant 工厂")
        expect(page.locator("section#tasks")).to_contain_text("Sam Seller")

        page.get_by_role("link", name="Tasks").click()
        row = page.locator("tr", has_text="Visit the plant 工厂")
        expect(row).to_contain_text(ours["name"])
        check_accessibility(page)
        row.get_by_role("button", name="Done: Visit the plant 工厂").click()
        expect(page.locator("tr", has_text="Visit the plant 工厂")).to_have_count(0)

        page.goto(f"{gateway_url}/accounts/{ours['id']}#coverage")
        coverage = page.locator("section#coverage")
        coverage.get_by_label("Ours").select_option(label="Sam Seller · sales")
        coverage.get_by_label("Theirs").select_option(index=0)
        coverage.get_by_role("button", name="Cover").click()
        expect(page.locator("section#coverage tbody")).to_contain_text("Sam Seller")


def test_a_partner_sees_only_its_accounts_and_a_guessed_url_reveals_nothing(
    playwright: Playwright, gateway_url: str, world: dict[str, Any]
) -> None:
    ours, other = world["ours"], world["other"]
    with browser(playwright) as context:
        page = sign_in(context, gateway_url, world["people"]["partner"])
        expect(page.get_by_role("link", name=ours["name"])).to_be_visible()
        assert page.get_by_role("link", name=other["name"]).count() == 0
        assert page.get_by_role("heading", name="Open alerts").count() == 0
        foreign = page.goto(f"{gateway_url}/accounts/{other['id']}")
        assert foreign is not None and foreign.status == 404
        foreign_text = page.locator("main").inner_text()
        missing = page.goto(f"{gateway_url}/accounts/{uuid.uuid4()}")
        assert missing is not None and missing.status == 404
        assert page.locator("main").inner_text() == foreign_text
        assert other["name"] not in page.content()
        own = page.goto(f"{gateway_url}/accounts/{ours['id']}")
        assert own is not None and own.status == 200
        # No internal team, timeline or proposals for partners.
        assert page.get_by_role("heading", name="Our account team").count() == 0
        assert page.get_by_role("heading", name="Proposals").count() == 0


def test_after_sign_out_the_session_is_dead(
    playwright: Playwright, gateway_url: str, world: dict[str, Any]
) -> None:
    with browser(playwright) as context:
        page = sign_in(context, gateway_url, world["people"]["sales"])
        cookie = next(c for c in context.cookies() if c["name"] == "kam_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    replay = requests.get(
        gateway_url + "/", cookies={"kam_session": cookie["value"]}, allow_redirects=False,
        timeout=10,
    )  # fmt: skip
    assert replay.status_code == 303 and "/signin" in replay.headers["Location"]


def test_an_admin_adds_a_person_and_bad_input_is_named_beside_its_field(
    playwright: Playwright, gateway_url: str, world: dict[str, Any]
) -> None:
    email = f"new-{uuid.uuid4().hex[:6]}@example.com"
    with browser(playwright) as context:
        page = sign_in(context, gateway_url, world["people"]["admin"])
        page.get_by_role("link", name="Admin").click()
        check_accessibility(page)
        page.get_by_label("Name", exact=True).first.fill("رضا Rezaei")
        page.get_by_label("Email").fill(email)
        page.locator("#u-role").select_option("engineer")
        page.get_by_label("Password (at least 12 characters)").fill("short")
        page.get_by_role("button", name="Add person").click()
        expect(page.locator("#password-error")).to_be_visible()
        assert page.locator("#u-name").input_value() == "رضا Rezaei"
        assert page.locator("#u-email").input_value() == email
        assert page.get_by_role("cell", name=email, exact=True).count() == 0
        page.get_by_label("Password (at least 12 characters)").fill("a much longer password")
        page.get_by_role("button", name="Add person").click()
        expect(page.get_by_role("cell", name=email, exact=True)).to_be_visible()


def stored(api: Callable[..., requests.Response], email: str) -> dict[str, Any]:
    listed = api("GET", "/admin/users", params={"per_page": 100})
    assert listed.status_code == 200, listed.text
    return next(u for u in listed.json()["items"] if u["email"] == email)


def test_an_admin_changes_a_persons_role_and_scope_with_errors_beside_the_field(
    playwright: Playwright,
    gateway_url: str,
    world: dict[str, Any],
    api: Callable[..., requests.Response],
) -> None:
    email = f"moved-{uuid.uuid4().hex[:6]}@example.com"
    person = api(
        "POST",
        "/admin/users",
        json={"email": email, "name": "Nima Moved", "role": "engineer", "password": PASSWORD},
    )
    assert person.status_code == 201, person.text
    ours = world["ours"]["id"]
    with browser(playwright) as context:
        page = sign_in(context, gateway_url, world["people"]["admin"])
        page.get_by_role("link", name="Admin").click()
        row = page.locator("tr", has=page.get_by_role("cell", name=email, exact=True))
        row.locator("summary").click()
        # A partner needs accounts: refused beside the field, the choice kept, nothing saved.
        row.get_by_label("Role").select_option("partner")
        row.get_by_role("button", name=f"Save changes {email}").click()
        row = page.locator("tr", has=page.get_by_role("cell", name=email, exact=True))
        expect(row.locator("[id$='-error']").first).to_be_visible()
        assert row.get_by_label("Role").input_value() == "partner"
        check_accessibility(page)
        assert stored(api, email)["role"] == "engineer"
        row.get_by_label("Accounts (partners only; ids, comma-separated)").fill(ours)
        row.get_by_role("button", name=f"Save changes {email}").click()
        expect(page.get_by_role("heading", name="Admin")).to_be_visible()
    changed = stored(api, email)
    assert changed["role"] == "partner" and changed["account_ids"] == [ours]


def test_persian_turns_the_layout_right_to_left_and_a_phone_screen_works(
    playwright: Playwright, gateway_url: str, world: dict[str, Any]
) -> None:
    with browser(playwright, width=390) as context:
        page = sign_in(context, gateway_url, world["people"]["executive"])
        page.get_by_role("link", name="فارسی").click()
        html = page.locator("html")
        expect(html).to_have_attribute("dir", "rtl")
        expect(html).to_have_attribute("lang", "fa")
        expect(page.get_by_role("heading", name="سبد حساب‌ها")).to_be_visible()
        expect(page.get_by_role("button", name="خروج")).to_be_visible()
        # Numbers in Persian digits; nothing wider than the phone's screen.
        assert re.search("[۰-۹]", page.locator(".tiles").inner_text())
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390
        check_accessibility(page)
        # The choice is kept on the next page.
        page.get_by_role("link", name=world["ours"]["name"]).click()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")


def test_the_scorecard_form_refuses_bad_input_beside_the_field_and_saves_nothing(
    playwright: Playwright,
    gateway_url: str,
    world: dict[str, Any],
    api: Callable[..., requests.Response],
) -> None:
    before = api("GET", "/health/scorecard").json()
    with browser(playwright) as context:
        page = sign_in(context, gateway_url, world["people"]["executive"])
        page.get_by_role("link", name="Scorecard").click()
        # The tab's title is the page's name, nothing of its content.
        expect(page).to_have_title("Scorecard · Key accounts")
        check_accessibility(page)
        page.get_by_label("delivery", exact=True).fill("lots")
        page.get_by_label("quality", exact=True).fill("0.9")
        page.get_by_role("button", name="Save").click()
        expect(page.locator('[id="weights.delivery-error"]')).to_be_visible()
        assert page.get_by_label("delivery", exact=True).input_value() == "lots"
        assert page.get_by_label("quality", exact=True).input_value() == "0.9"
        # Numbers, but weights that do not add up to 1: the service's own words, kept input.
        page.get_by_label("delivery", exact=True).fill("0.5")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("alert")).to_be_visible()
        assert page.get_by_label("quality", exact=True).input_value() == "0.9"
    assert api("GET", "/health/scorecard").json()["version"] == before["version"]


def test_an_executive_sees_how_well_the_scorecard_foretold_churn_and_fits_a_proposal(
    playwright: Playwright,
    gateway_url: str,
    world: dict[str, Any],
    api: Callable[..., requests.Response],
) -> None:
    judged = api("GET", "/health/scorecard/backtest").json()
    with browser(playwright) as context:
        page = sign_in(context, gateway_url, world["people"]["executive"])
        page.get_by_role("link", name="Scorecard").click()
        section = page.get_by_role("region", name="How well it foretold churn")
        expect(section).to_be_visible()
        expect(section.get_by_role("row")).to_have_count(5)  # a header and the four bands
        check_accessibility(page)
        page.get_by_role("button", name="Fit a scorecard to the outcomes").click()
        enough = judged["outcomes"] >= 20 and judged["churns"] >= 5
        if enough:  # the proposal, its verdict and the button that adopts it
            proposal = page.get_by_role("region", name="Fitted proposal")
            expect(proposal).to_contain_text("On held-out accounts")
            expect(proposal.get_by_role("button", name=re.compile("^Adopt"))).to_be_visible()
        else:  # too few outcomes: the reason, and nothing proposed
            expect(page.get_by_role("alert")).to_contain_text("Nothing is proposed")
            expect(page.get_by_role("region", name="Fitted proposal")).to_have_count(0)
        check_accessibility(page)


def test_sales_writes_a_campaign_sends_it_and_sees_how_it_did(
    playwright: Playwright,
    gateway_url: str,
    world: dict[str, Any],
    api: Callable[..., requests.Response],
) -> None:
    import time

    segment = f"camp-{uuid.uuid4().hex[:6]}"
    client = api("POST", "/accounts", json={"name": "شرکت Campaign Co", "segment": segment})
    assert client.status_code == 201, client.text
    account = client.json()
    person = api(
        "POST",
        f"/accounts/{account['id']}/contacts",
        json={"name": "Nasrin Karimi", "email": f"{segment}@mail.example"},
    )
    assert person.status_code == 201, person.text
    # Plays hears of the person through the worker; the audience fills once it has.
    touches = f"/accounts/{account['id']}/contacts/{person.json()['id']}/touches"
    deadline = time.monotonic() + 30
    while api("GET", touches).status_code != 200:
        assert time.monotonic() < deadline, "plays never heard of the contact"
        time.sleep(0.3)

    with browser(playwright) as context:
        page = sign_in(context, gateway_url, world["people"]["sales"])
        page.get_by_role("link", name="Campaigns").click()
        form = page.locator("section#new")
        form.get_by_label("Name").fill("Spring launch")
        form.get_by_label("Subject").fill("Hello {{first_name}}")
        form.get_by_label("Message").fill("Dear {{nickname}}, see https://example.com/new")
        form.get_by_label("Segment").fill(segment)
        form.get_by_role("button", name="Save as draft").click()
        # An unknown placeholder: refused beside the message, everything typed kept.
        expect(page.locator("#body-error")).to_contain_text("nickname")
        assert page.get_by_label("Subject").input_value() == "Hello {{first_name}}"
        assert page.get_by_label("Segment").input_value() == segment
        check_accessibility(page)
        page.get_by_label("Message").fill("Dear {{first_name}}, see https://example.com/new")
        page.get_by_role("button", name="Save as draft").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Spring launch")
        expect(page.locator("main")).to_contain_text("People the audience names: 1")
        check_accessibility(page)
        page.get_by_role("button", name="Send now").click()
        deadline = time.monotonic() + 30
        while "Delivered1" not in page.locator("dl.figures").inner_text().replace("\n", ""):
            assert time.monotonic() < deadline, page.locator("main").inner_text()
            time.sleep(0.5)
            page.reload()
        expect(page.locator("main")).to_contain_text("شرکت Campaign Co")
        page.get_by_role("link", name="Campaigns").first.click()
        expect(page.locator("tr", has_text="Spring launch")).to_contain_text("sent")


def test_an_executive_writes_and_pauses_a_trigger_and_sales_only_read_them(
    playwright: Playwright, gateway_url: str, world: dict[str, Any]
) -> None:
    name = f"Strategic and critical {uuid.uuid4().hex[:6]}"
    with browser(playwright) as context:
        page = sign_in(context, gateway_url, world["people"]["executive"])
        page.get_by_role("link", name="Triggers").click()
        form = page.locator("section#new")
        form.get_by_label("Name").fill(name)
        form.get_by_label("When (a condition)").fill('{"band_entered": ["critical"]')
        form.get_by_role("button", name="Save trigger").click()
        # Not JSON: said beside the field, what was typed kept, nothing saved.
        expect(page.locator("#when-error")).to_contain_text("Not JSON")
        assert page.get_by_label("Name").input_value() == name
        assert page.get_by_label("When (a condition)").input_value().startswith('{"band_entered"')
        check_accessibility(page)
        # JSON the API refuses: its reason beside the field.
        page.get_by_label("When (a condition)").fill('{"band_entered": ["purple"]}')
        page.get_by_role("button", name="Save trigger").click()
        expect(page.locator("#when-error")).to_be_visible()
        page.get_by_label("When (a condition)").fill(
            '{"band_entered": ["critical"], "segment": "nobody-is-here"}'
        )
        page.get_by_role("button", name="Save trigger").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        expect(page.locator("section#firings")).to_contain_text("It has not fired yet.")

        page.get_by_role("link", name="Triggers").first.click()
        row = page.locator("tr", has_text=name)
        row.get_by_role("button", name=f"Pause: {name}").click()
        expect(page.locator("tr", has_text=name)).to_contain_text("paused")
        expect(page.locator("tr", has_text="Critical quality issue")).to_contain_text("active")

    with browser(playwright) as context:
        page = sign_in(context, gateway_url, world["people"]["sales"])
        page.get_by_role("link", name="Triggers").click()
        expect(page.locator("tr", has_text=name)).to_contain_text("paused")
        expect(page.get_by_role("button", name=f"Resume: {name}")).to_have_count(0)
        expect(page.locator("section#new")).to_have_count(0)
