"""Rules of the accounts service, with no database."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from kam_accounts.domain.errors import ReportingLoop
from kam_accounts.domain.reporting import check_reporting_line, org_chart
from kam_accounts.domain.text import fold, like_contains
from kam_accounts.domain.timeline import describe_contact_change, describe_purchase


@dataclass
class P:
    id: str
    name: str
    reports_to_id: str | None = None


def test_a_manager_chain_that_leads_back_is_a_loop():
    manager_of = {"ceo": None, "cfo": "ceo", "buyer": "cfo"}
    with pytest.raises(ReportingLoop) as caught:
        check_reporting_line("ceo", "buyer", manager_of)
    assert caught.value.errors == {"reports_to_id": ["This reporting line would make a loop."]}
    assert "ceo → buyer → cfo → ceo" in caught.value.detail


def test_a_chain_that_does_not_lead_back_is_fine():
    check_reporting_line("buyer", "ceo", {"ceo": None, "cfo": "ceo", "buyer": "cfo"})
    check_reporting_line(None, "buyer", {"ceo": None, "buyer": "ceo"})


def test_org_chart_nests_reports_under_managers_and_keeps_everyone_once():
    people = [P("b", "Buyer", "c"), P("c", "CFO", "a"), P("a", "Ann CEO"), P("x", "Outsider")]
    roots = org_chart(people)
    assert [r.id for r in roots] == ["a", "x"]
    assert [n.id for n in roots[0].reports] == ["c"]
    assert [n.id for n in roots[0].reports[0].reports] == ["b"]
    assert roots[0].name == "Ann CEO"  # nodes read like the person


def test_org_chart_stays_total_even_if_stored_lines_loop():
    roots = org_chart([P("a", "A", "b"), P("b", "B", "a")])
    seen = []

    def walk(nodes):
        for n in nodes:
            seen.append(n.id)
            walk(n.reports)

    walk(roots)
    assert sorted(seen) == ["a", "b"]


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("ÉCOLE Polytechnique", "école"),
        ("ＡＢＣ Trading", "abc"),
        ("Straße AG", "STRASSE"),
        ("فولاد سپاهان", "سپاهان"),
        ("東京精密工業", "精密"),
        ("Orbital 🚀", "🚀"),
    ],
)
def test_folding_finds_names_in_any_script(name, query):
    assert fold(query) in fold(name)


def test_like_pattern_takes_wildcards_literally():
    assert like_contains("100%_off") == "%100\\%\\_off%"


def test_timeline_sentences_carry_the_facts():
    assert describe_purchase("spare parts", Decimal("1234.5"), "EUR") == (
        "Bought spare parts for 1,234.50 EUR"
    )
    line = describe_contact_change(
        "Mina",
        "updated",
        {"stance": ["neutral", "supporter"], "reports_to_id": [None, "c1"]},
        {"c1": "Omid"},
    )
    assert line == "Mina updated: stance neutral → supporter; manager nobody → Omid"


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("Café Central", "cafe"),
        ("CAFÉ", "Cafe"),
        ("كيميا پارس", "کیمیا پارس"),  # Arabic kaf and yeh, typed on a Persian keyboard
        ("کیمیا پارس", "كيميا پارس"),  # and the other way round
        ("مدرسة النور", "مدرسه النور"),  # teh marbuta
        ("خانۀ صنعت", "خانه صنعت"),
        ("فـــولاد", "فولاد"),  # tatweel
        ("پارس ۱۴۰۲", "1402"),
        ("بنك ٢٠٢٤", "۲۰۲۴"),
        ("می‌خواهم", "میخواهم"),  # zero-width non-joiner
    ],
)
def test_folding_matches_what_users_type_interchangeably(name, query):
    assert fold(query) in fold(name)


def test_folding_keeps_different_words_apart():
    assert fold("cafe") not in fold("Coffee")
    assert fold("کتاب") != fold("کباب")
