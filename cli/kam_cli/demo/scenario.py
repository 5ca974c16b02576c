"""The demo portfolio's story, as data: who the accounts are and what happened to them.

Forty accounts over eighteen months. Eight of them carry the story the README's tour walks
through (a champion who left, a guaranteed delivery broken, a client gone quiet, a healthy one
growing that buys one product line of the four its peers buy, an executive's override, a recall
whose alert was resolved); the other thirty-two fill a portfolio an executive would recognise,
each following one of a few profiles (thriving, steady, bumpy, strained, in crisis, quiet).

Everything is relative to the day the demo runs ("days ago"), so the story reads the same
whenever it is seeded; the small irregularities (which day of the month a delivery falls on, how
many days a call slips) come from a random generator seeded with the account's key, never from
the clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

HISTORY_DAYS = 540  # eighteen months


@dataclass(frozen=True)
class Person:
    """A contact at the client. `left_days_ago`: the person has left (that many days ago)."""

    key: str
    name: str
    title: str
    role: str | None
    influence: int = 3
    stance: str = "neutral"
    reports_to: str | None = None
    left_days_ago: int | None = None
    joined_days_ago: int | None = None  # arrived after the account began (a successor)
    notes: str | None = None


@dataclass(frozen=True)
class Trouble:
    """One health event. Days are counted back from the demo's today.

    delivery: promised `days_ago`, delivered `late` days after the promise (None: outstanding).
    quality / support: opened `days_ago`, resolved after `resolved_after` days (None: open).
    warning: `signal` and `severity`, noticed `days_ago`.
    """

    type: str
    days_ago: int
    severity: str | None = None
    signal: str | None = None
    late: int | None = 0
    resolved_after: float | None = None
    sla_hours: float | None = None
    note: str | None = None


def late(days_ago: int, days: int | None, note: str | None = None) -> Trouble:
    return Trouble("delivery", days_ago, late=days, note=note)


def quality(
    days_ago: int, severity: str, resolved_after: float | None, note: str | None = None
) -> Trouble:
    return Trouble("quality", days_ago, severity=severity, resolved_after=resolved_after, note=note)


def ticket(
    days_ago: int,
    severity: str,
    resolved_after_hours: float | None,
    sla_hours: float,
    note: str | None = None,
) -> Trouble:
    resolved = None if resolved_after_hours is None else resolved_after_hours / 24
    return Trouble(
        "support",
        days_ago,
        severity=severity,
        resolved_after=resolved,
        sla_hours=sla_hours,
        note=note,
    )


def warning(days_ago: int, signal: str, severity: str, note: str | None = None) -> Trouble:
    return Trouble("warning", days_ago, severity=severity, signal=signal, note=note)


@dataclass(frozen=True)
class Line:
    """A product line the client buys every quarter, `share` of its annual revenue, changing
    by `growth` a quarter, from `since_days_ago` on."""

    product_line: str
    share: float
    growth: float = 0.0
    since_days_ago: int = HISTORY_DAYS


@dataclass(frozen=True)
class Override:
    score: float
    reason: str
    expires_in_days: int | None
    by: tuple[str, str]  # (name, role)


@dataclass(frozen=True)
class Story:
    key: str
    name: str
    segment: str
    industry: str
    country: str
    tier: str
    orientation: str
    revenue: int
    currency: str
    needs: tuple[str, ...]
    people: tuple[Person, ...]
    team: tuple[tuple[str, str], ...]
    lines: tuple[Line, ...]
    trouble: tuple[Trouble, ...] = ()
    cadence_days: int = 30
    quiet_days: int = 7  # days since the last interaction
    agreement: str | None = None  # strategy accepted from the account's proposal
    proposal_only: bool = False  # a proposal made, not yet accepted
    override: Override | None = None
    alert_outcome: tuple[str, str] | None = None  # (status, note) given to its alerts
    profile: str = "story"
    tour: str | None = None
    parent: str | None = None  # the key of the account this one belongs to (a client group)

    def rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.key}:{purpose}")

    def events(self) -> tuple[Trouble, ...]:
        """What happened to this account. A profile's account lives its profile a few days
        earlier or later, a day more or less late, so no two read the same."""
        if self.profile == "story":
            return self.trouble
        rng = self.rng("trouble")
        return tuple(
            replace(
                t,
                days_ago=max(1, t.days_ago + rng.randint(-4, 4)),
                late=t.late if not t.late else max(1, t.late + rng.randint(-1, 2)),
            )
            for t in self.trouble
        )


# --- who works the accounts on our side ----------------------------------------------------

MANAGERS = ("Dana Reyes", "Lena Vogel", "Omid Rahimi", "Hiro Tanaka")
SALES = ("Marcus Bell", "Sofia Marín")
IMPLEMENTATION = ("Kai Lund", "Priya Nair")
QUALITY = ("Jonas Berg", "Amina Yusuf")
SERVICE = ("Tomás Ruiz", "Mei Chen")
SPONSORS = ("Farah Haddad", "Robert Kline")
EXECUTIVE = ("Farah Haddad", "executive")  # our COO, who overrides a score once in the story


def team_for(index: int, tier: str) -> tuple[tuple[str, str], ...]:
    """Every account has a manager, a salesperson and a service engineer; key accounts add an
    implementation and a quality engineer; strategic ones an executive sponsor as well."""
    team = [
        (MANAGERS[index % len(MANAGERS)], "account_manager"),
        (SALES[index % len(SALES)], "sales"),
        (SERVICE[index % len(SERVICE)], "service_engineer"),
    ]
    if tier in ("key", "strategic"):
        team.append((IMPLEMENTATION[index % len(IMPLEMENTATION)], "implementation_engineer"))
        team.append((QUALITY[index % len(QUALITY)], "quality_engineer"))
    if tier == "strategic":
        team.append((SPONSORS[index % len(SPONSORS)], "executive_sponsor"))
    return tuple(team)


# --- the eight accounts of the tour ---------------------------------------------------------

STORIES: tuple[Story, ...] = (
    Story(
        key="northwind",
        name="Northwind Logistics",
        segment="logistics",
        industry="Freight",
        country="US",
        tier="strategic",
        orientation="relational",
        revenue=4_200_000,
        currency="USD",
        needs=("guaranteed delivery", "cost reduction"),
        people=(
            Person(
                "ceo",
                "Harold Lindqvist",
                "Chief Executive Officer",
                "decision_maker",
                5,
                "neutral",
            ),
            Person(
                "maya",
                "Maya Okafor",
                "VP Operations",
                "champion",
                5,
                "supporter",
                "ceo",
                left_days_ago=48,
                notes="Our sponsor for six years; left for a competitor.",
            ),
            Person(
                "greg",
                "Greg Hollis",
                "VP Operations",
                "decision_maker",
                4,
                "detractor",
                "ceo",
                joined_days_ago=40,
                notes="Maya's successor; brought his previous supplier along.",
            ),
            Person(
                "buyer",
                "Rosa Delgado",
                "Head of Procurement",
                "economic_buyer",
                4,
                "detractor",
                "greg",
                notes="Asked for a price review twice this quarter.",
            ),
            Person(
                "planner", "Kevin O'Neill", "Transport Planner", "user", 2, "supporter", "buyer"
            ),
        ),
        team=team_for(0, "strategic"),
        lines=(
            Line("core supply", 0.55),
            Line("tracking analytics", 0.25, -0.08),
            Line("spare parts", 0.20, -0.05),
        ),
        trouble=(
            late(420, 3),
            ticket(380, "medium", 20, 24),
            warning(48, "champion_left", "high", "Maya Okafor, our champion, left the company."),
            warning(30, "new_competitor", "high", "A rival carrier pilots two of the lanes."),
            warning(18, "engagement_drop", "medium", "The monthly review was cancelled twice."),
            late(40, 9),
            late(26, None, "Quarter-end shipment still not delivered."),
            late(12, None),
            quality(22, "critical", None, "Temperature excursion on a pharma load."),
            ticket(9, "critical", None, 4, "Tracking portal down for their planners."),
            ticket(35, "high", 30, 8),
        ),
        quiet_days=44,
        alert_outcome=("acknowledged", "Farah called their CEO; recovery plan in progress."),
        tour="The champion left and it went critical: open alerts, a detractor in her place.",
    ),
    Story(
        key="helios",
        name="Helios Pharma AG",
        segment="life sciences",
        industry="Pharmaceuticals",
        country="DE",
        tier="strategic",
        orientation="relational",
        revenue=3_100_000,
        currency="EUR",
        needs=("guaranteed delivery", "quality assurance", "technical assistance"),
        people=(
            Person(
                "cfo",
                "Dr. Katrin Schäfer",
                "Chief Financial Officer",
                "economic_buyer",
                5,
                "neutral",
            ),
            Person(
                "coo",
                "Jürgen Wolff",
                "Chief Operating Officer",
                "decision_maker",
                5,
                "supporter",
                "cfo",
            ),
            Person(
                "qa",
                "Anja Krüger",
                "Head of Quality Assurance",
                "technical_buyer",
                4,
                "detractor",
                "coo",
                notes="Escalated every late batch since the summer.",
            ),
            Person(
                "lab", "Matthias Brandt", "Lab Operations Lead", "champion", 3, "supporter", "qa"
            ),
        ),
        team=team_for(1, "strategic"),
        lines=(
            Line("core supply", 0.6, 0.02),
            Line("validation services", 0.25),
            Line("training", 0.15),
        ),
        trouble=(
            late(500, 1),
            quality(300, "minor", 2),
            late(75, 7, "Batch held at customs."),
            late(47, 9, "Carrier capacity shortfall."),
            late(21, 6),
            late(8, 5, "Third breach this quarter."),
            quality(33, "major", None, "Certificate of analysis missing on two lots."),
            ticket(28, "high", 20, 8),
            ticket(4, "high", None, 8, "Their QA cannot open the batch records."),
            warning(14, "new_competitor", "medium", "A rival offered next-day delivery."),
            warning(30, "cost_pressure", "medium", "Their procurement is benchmarking us."),
            warning(60, "needs_change", "low"),
        ),
        agreement="collaborative",
        tour="The agreement guarantees delivery within 2 days; four deliveries broke it.",
    ),
    Story(
        key="sepahan",
        name="فولاد سپاهان",
        segment="manufacturing",
        industry="Steel",
        country="IR",
        tier="key",
        orientation="mixed",
        revenue=1_750_000,
        currency="USD",
        needs=("cost reduction",),
        people=(
            Person("md", "مهندس رضا کریمی", "مدیرعامل", "decision_maker", 5, "supporter"),
            Person("buyer", "سارا احمدی", "مدیر خرید", "economic_buyer", 4, "neutral", "md"),
            Person(
                "plant", "علی رضایی", "مدیر کارخانه", "technical_buyer", 3, "supporter", "buyer"
            ),
            Person("ops", "نگار موسوی", "کارشناس برنامه‌ریزی", "user", 2, "unknown", "plant"),
        ),
        team=team_for(2, "key"),
        lines=(Line("core supply", 0.7), Line("spare parts", 0.3, -0.1)),
        trouble=(
            late(260, 2),
            warning(75, "engagement_drop", "medium", "No answer to the last three emails."),
            warning(40, "market_change", "medium", "Export quotas cut their output."),
            late(55, 5),
            late(25, 4),
            ticket(20, "medium", 40, 24),
        ),
        quiet_days=160,
        tour="Gone quiet: nobody has spoken to them in five months; the score is slipping.",
    ),
    Story(
        key="tokyo",
        name="東京精密工業株式会社",
        segment="manufacturing",
        industry="Precision machining",
        country="JP",
        tier="key",
        orientation="relational",
        revenue=345_000_000,
        currency="JPY",
        needs=("technical assistance",),
        people=(
            Person("ceo", "田中 健一", "代表取締役社長", "decision_maker", 5, "supporter"),
            Person("buyer", "佐藤 美咲", "購買部長", "economic_buyer", 4, "supporter", "ceo"),
            Person("eng", "鈴木 大輔", "生産技術課長", "champion", 4, "supporter", "buyer"),
            Person("ops", "高橋 由美", "品質管理主任", "user", 2, "neutral", "eng"),
        ),
        team=team_for(3, "key"),
        lines=(Line("core supply", 1.0, 0.09),),
        trouble=(late(330, 1), ticket(90, "low", 6, 72)),
        cadence_days=21,
        quiet_days=5,
        tour="Healthy and growing; buys only core supply where its peers buy four lines.",
    ),
    Story(
        key="gulf",
        name="مجموعة الخليج للطاقة",
        segment="energy",
        industry="Energy",
        country="AE",
        tier="strategic",
        orientation="mixed",
        revenue=10_300_000,
        currency="AED",
        needs=("guaranteed delivery", "technical assistance"),
        people=(
            Person("ceo", "خالد المنصوري", "الرئيس التنفيذي", "decision_maker", 5, "supporter"),
            Person(
                "cpo", "فاطمة الزهراء", "مديرة المشتريات", "economic_buyer", 4, "neutral", "ceo"
            ),
            Person(
                "eng",
                "عمر الحربي",
                "مدير الصيانة",
                "technical_buyer",
                4,
                "detractor",
                "cpo",
                notes="Blames us for the valve recall.",
            ),
            Person("ops", "ليلى الشمري", "مهندسة العمليات", "champion", 3, "supporter", "eng"),
        ),
        team=team_for(4, "strategic"),
        lines=(
            Line("core supply", 0.5),
            Line("maintenance services", 0.3),
            Line("spare parts", 0.2),
        ),
        trouble=(
            quality(400, "major", 12),
            quality(27, "critical", 9, "Valve recall on the Ruwais site."),
            late(30, 11),
            late(14, 8),
            late(5, None, "Replacement valves not yet shipped."),
            ticket(16, "high", None, 8, "Recall follow-up still open."),
            warning(20, "market_change", "medium"),
            warning(45, "new_technology", "low", "Piloting sensor-based maintenance in-house."),
        ),
        agreement="flexible",
        override=Override(
            72,
            "The recall is closed and their CEO renewed in person on our visit; the computed "
            "score still carries the recall.",
            90,
            EXECUTIVE,
        ),
        alert_outcome=("resolved", "Renewal confirmed with their CEO; see the override."),
        tour="An executive override: computed at risk, judged watch by our COO, until it expires.",
    ),
    Story(
        key="atlas",
        name="Atlas Retail Group",
        segment="retail",
        industry="Retail",
        country="GB",
        tier="key",
        orientation="transactional",
        revenue=950_000,
        currency="GBP",
        needs=("low price",),
        people=(
            Person("md", "Oliver Bennett", "Managing Director", "decision_maker", 5, "neutral"),
            Person(
                "buyer",
                "Charlotte Hughes",
                "Category Buyer",
                "economic_buyer",
                4,
                "supporter",
                "md",
            ),
            Person("gate", "Arjun Patel", "Executive Assistant", "gatekeeper", 2, "neutral", "md"),
            Person("store", "Fiona MacLeod", "Store Operations", "user", 2, "supporter", "buyer"),
        ),
        team=team_for(5, "key"),
        lines=(Line("core supply", 0.7), Line("promotions", 0.3, 0.03)),
        trouble=(
            quality(130, "critical", 6, "Mislabelled allergen batch, recalled in 48 hours."),
            ticket(125, "high", 12, 8),
            late(60, 3),
            ticket(20, "low", 30, 72),
            warning(50, "cost_pressure", "low", "Asked for a price freeze."),
        ),
        proposal_only=True,
        alert_outcome=("resolved", "Recall closed; root cause fixed at the packing line."),
        tour="A recall four months ago, its alert resolved; recovering, a proposal open.",
    ),
    Story(
        key="cafe",
        name="Café Crème Distribution",
        segment="retail",
        industry="Food distribution",
        country="FR",
        tier="standard",
        orientation="transactional",
        revenue=420_000,
        currency="EUR",
        needs=("low price",),
        people=(
            Person("ceo", "Élodie Garnier", "Présidente", "decision_maker", 5, "supporter"),
            Person(
                "buyer",
                "Thierry Lefèvre",
                "Responsable achats",
                "economic_buyer",
                4,
                "neutral",
                "ceo",
            ),
            Person("log", "Camille Rousseau", "Logistique", "user", 2, "supporter", "buyer"),
        ),
        team=team_for(6, "standard"),
        lines=(Line("core supply", 0.8), Line("promotions", 0.2)),
        trouble=(late(90, 1), ticket(40, "low", 10, 72)),
        cadence_days=45,
        quiet_days=12,
        agreement="unbundled",
        tour="A transactional client on an unbundled agreement; a timeline of everything.",
    ),
    Story(
        key="orbital",
        name="Orbital Components 🚀",
        segment="manufacturing",
        industry="Aerospace parts",
        country="US",
        tier="key",
        orientation="mixed",
        revenue=1_200_000,
        currency="USD",
        needs=("quality assurance",),
        people=(
            Person("ceo", "Hannah Brooks", "CEO", "decision_maker", 5, "neutral"),
            Person(
                "proc",
                "Marcus Nguyen",
                "Director of Procurement",
                "economic_buyer",
                4,
                "detractor",
                "ceo",
                notes="Runs a dual-sourcing programme against us.",
            ),
            Person(
                "eng",
                "Grace Foster",
                "Manufacturing Engineer",
                "technical_buyer",
                3,
                "supporter",
                "proc",
            ),
            Person("inf", "Daniel Ramirez", "Quality Lead", "influencer", 3, "supporter", "eng"),
        ),
        team=team_for(7, "key"),
        lines=(
            Line("core supply", 0.6),
            Line("spare parts", 0.25),
            Line("training", 0.15, since_days_ago=270),
        ),
        trouble=(
            ticket(70, "high", 14, 8),
            ticket(45, "medium", 36, 24),
            ticket(18, "high", 20, 8, "Portal outage during their audit."),
            ticket(6, "medium", None, 24),
            quality(55, "major", 8),
            late(33, 4),
            warning(25, "new_competitor", "medium", "Dual-sourcing RFQ sent to two rivals."),
            warning(12, "cost_pressure", "medium", "Asked for 8% off at renewal."),
        ),
        alert_outcome=("acknowledged", "Service review booked with their procurement."),
        tour="Support strain and a detractor in procurement: on watch.",
    ),
)

# --- the rest of the portfolio, by profile ---------------------------------------------------

PROFILES: dict[str, tuple[Trouble, ...]] = {
    "thriving": (late(400, 1), ticket(60, "low", 5, 72)),
    "steady": (
        late(120, 2),
        quality(200, "minor", 3),
        ticket(45, "low", 20, 72),
        ticket(300, "medium", 30, 24),
    ),
    "bumpy": (
        quality(380, "major", 5),
        late(80, 5),
        late(50, 8),
        late(20, 6),
        quality(35, "major", 10),
        ticket(15, "medium", 40, 24),
        warning(25, "cost_pressure", "medium"),
    ),
    "strained": (
        late(360, 6),
        late(70, 10),
        late(40, 7),
        late(10, 9),
        quality(30, "major", None),
        ticket(12, "high", None, 8),
        ticket(50, "medium", 60, 24),
        warning(20, "new_competitor", "high"),
    ),
    "crisis": (
        late(50, 14),
        late(25, None),
        late(15, 12),
        quality(20, "critical", None),
        ticket(8, "critical", None, 4),
        ticket(30, "high", 30, 8),
        warning(10, "new_competitor", "high"),
        warning(35, "cost_pressure", "high"),
    ),
    "quiet": (
        late(150, 3),
        warning(45, "engagement_drop", "medium"),
        ticket(70, "medium", 30, 24),
        warning(100, "other", "low", "Reorganisation announced."),
    ),
}
QUIET_DAYS = {"thriving": 8, "steady": 14, "bumpy": 20, "strained": 50, "crisis": 70, "quiet": 140}

# Product lines each segment's clients buy besides core supply (peers make cross-sell).
SEGMENT_LINES: dict[str, tuple[str, ...]] = {
    "manufacturing": ("spare parts", "maintenance services", "training"),
    "logistics": ("tracking analytics", "spare parts"),
    "life sciences": ("validation services", "training"),
    "retail": ("promotions", "analytics"),
    "energy": ("maintenance services", "spare parts", "training"),
}
SEGMENT_NEEDS: dict[str, tuple[str, ...]] = {
    "manufacturing": ("cost reduction", "technical assistance"),
    "logistics": ("guaranteed delivery",),
    "life sciences": ("quality assurance", "guaranteed delivery"),
    "retail": ("low price",),
    "energy": ("technical assistance", "guaranteed delivery"),
}

Row = tuple[str, str, str, str, str, str, str, int, str, str]
# key, name, segment, industry, country, tier, orientation, annual revenue, currency, profile
# fmt: off
_PORTFOLIO: tuple[Row, ...] = (
    ("baltic", "Baltic Steelworks", "manufacturing", "Steel", "LV",
     "key", "transactional", 880_000, "EUR", "steady"),
    ("rhein", "Rhein Präzisionsteile GmbH", "manufacturing", "Machined parts", "DE",
     "key", "mixed", 1_420_000, "EUR", "thriving"),
    ("kaveh", "گروه صنعتی کاوه", "manufacturing", "Industrial chemicals", "IR",
     "standard", "mixed", 610_000, "USD", "bumpy"),
    ("shanghai", "上海精工机械有限公司", "manufacturing", "Machinery", "CN",
     "key", "transactional", 1_980_000, "USD", "steady"),
    ("hanbit", "한빛정밀", "manufacturing", "Electronics", "KR",
     "standard", "transactional", 540_000, "USD", "thriving"),
    ("greatlakes", "Great Lakes Fabrication", "manufacturing", "Metal fabrication", "US",
     "standard", "transactional", 470_000, "USD", "steady"),
    ("nordic", "Nordic Composites AB", "manufacturing", "Composites", "SE",
     "standard", "mixed", 690_000, "EUR", "strained"),
    ("andes", "Andes Metalúrgica S.A.", "manufacturing", "Metallurgy", "CL",
     "standard", "transactional", 520_000, "USD", "steady"),
    ("pacific", "Pacific Rim Freight", "logistics", "Freight", "US",
     "key", "mixed", 1_650_000, "USD", "steady"),
    ("hanse", "Hanseatic Shipping KG", "logistics", "Shipping", "DE",
     "key", "relational", 2_100_000, "EUR", "thriving"),
    ("gulfexpress", "النقل السريع للخليج", "logistics", "Courier", "AE",
     "standard", "transactional", 2_300_000, "AED", "bumpy"),
    ("channel", "Channel Link Haulage", "logistics", "Road haulage", "GB",
     "standard", "transactional", 380_000, "GBP", "quiet"),
    ("kyushu", "九州海運株式会社", "logistics", "Coastal shipping", "JP",
     "standard", "mixed", 96_000_000, "JPY", "steady"),
    ("iberia", "Iberia Cargo S.L.", "logistics", "Air cargo", "ES",
     "key", "transactional", 1_150_000, "EUR", "crisis"),
    ("medica", "Medica Nord Oy", "life sciences", "Medical devices", "FI",
     "key", "relational", 1_300_000, "EUR", "steady"),
    ("biogenix", "BioGenix Labs", "life sciences", "Biotech", "US",
     "strategic", "relational", 3_600_000, "USD", "thriving"),
    ("lumiere", "Lumière Santé SA", "life sciences", "Generics", "FR",
     "key", "relational", 1_250_000, "EUR", "bumpy"),
    ("sakura", "桜バイオ株式会社", "life sciences", "Biotech", "JP",
     "key", "relational", 210_000_000, "JPY", "steady"),
    ("alborz", "داروسازی البرز", "life sciences", "Pharmaceuticals", "IR",
     "key", "mixed", 900_000, "USD", "steady"),
    ("cambridge", "Cambridge Diagnostics Ltd", "life sciences", "Diagnostics", "GB",
     "standard", "relational", 640_000, "GBP", "strained"),
    ("maple", "Maple Leaf Grocers", "retail", "Grocery", "CA",
     "key", "transactional", 1_100_000, "USD", "steady"),
    ("marche", "Marché Frais SA", "retail", "Fresh food", "FR",
     "standard", "transactional", 450_000, "EUR", "steady"),
    ("highstreet", "Highstreet Fashion plc", "retail", "Apparel", "GB",
     "key", "transactional", 820_000, "GBP", "bumpy"),
    ("souq", "سوق المدينة", "retail", "Department stores", "AE",
     "standard", "transactional", 1_900_000, "AED", "thriving"),
    ("berliner", "Berliner Kaufhaus AG", "retail", "Department stores", "DE",
     "key", "mixed", 980_000, "EUR", "steady"),
    ("sunrise", "サンライズマート", "retail", "Convenience stores", "JP",
     "standard", "transactional", 72_000_000, "JPY", "quiet"),
    ("northsea", "North Sea Offshore Ltd", "energy", "Offshore oil and gas", "GB",
     "strategic", "relational", 2_900_000, "GBP", "bumpy"),
    ("solarpeak", "SolarPeak Energy", "energy", "Solar", "US",
     "key", "mixed", 1_700_000, "USD", "thriving"),
    ("andina", "Energía Andina", "energy", "Hydro power", "CL",
     "standard", "transactional", 560_000, "USD", "steady"),
    ("riyadh", "شركة الرياض للطاقة", "energy", "Power generation", "SA",
     "strategic", "relational", 3_300_000, "USD", "steady"),
    ("windpark", "Windpark Nordsee GmbH", "energy", "Wind", "DE",
     "key", "relational", 1_380_000, "EUR", "strained"),
    ("alpine", "Alpine Hydro AG", "energy", "Hydro power", "CH",
     "standard", "mixed", 610_000, "EUR", "steady"),
)
# fmt: on

# Agreements accepted on some of the portfolio's accounts (most have none yet: their
# suggestions stay visible, as offers made in the last 30 days hold them back).
_AGREEMENTS = {"biogenix": "collaborative", "riyadh": "collaborative", "northsea": "flexible"}
# A client group: Hanseatic Shipping, the holding, thriving, owns the Spanish air-cargo arm in
# crisis and the British haulier gone quiet. The holding's own band says all is well; the
# group's worst band (GET /api/v1/accounts/{id}/group) says otherwise, and its revenue-weighted
# score shows how much of the group's business is in trouble (euros and pounds, converted).
_GROUPS = {"iberia": "hanse", "channel": "hanse"}

# First and family names by the client's country, so contacts sound like who they are.
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "en": (
        ("Emily", "James", "Laura", "Michael", "Sarah", "David", "Olivia", "Thomas"),
        ("Carter", "Whitfield", "Hughes", "Morgan", "Reid", "Sullivan", "Price", "Walsh"),
        " ",
    ),
    "de": (
        ("Stefan", "Claudia", "Markus", "Sabine", "Tobias", "Julia"),
        ("Becker", "Hoffmann", "Neumann", "Schulz", "Zimmermann", "Lange"),
        " ",
    ),
    "fr": (
        ("Camille", "Julien", "Manon", "Antoine", "Chloé", "Mathieu"),
        ("Dubois", "Lefèvre", "Moreau", "Girard", "Bonnet", "Mercier"),
        " ",
    ),
    "es": (
        ("Javier", "Lucía", "Andrés", "Carmen", "Diego", "Valentina"),
        ("Morales", "Fernández", "Pérez", "Ortega", "Núñez", "Castillo"),
        " ",
    ),
    "nordic": (
        ("Erik", "Sanna", "Lars", "Ieva", "Mikko", "Ingrid"),
        ("Lindqvist", "Virtanen", "Nilsson", "Ozola", "Korhonen", "Berg"),
        " ",
    ),
    "ja": (
        ("健一", "美咲", "大輔", "由美", "翔太", "愛"),
        ("伊藤", "渡辺", "山本", "中村", "小林", "加藤"),
        " ",
    ),
    "zh": (("伟", "娜", "强", "洋", "静", "磊"), ("王", "李", "张", "刘", "陈", "杨"), ""),
    "ko": (
        ("민준", "서연", "지훈", "유나", "도윤", "하은"),
        ("김", "이", "박", "최", "정", "강"),
        "",
    ),
    "fa": (
        ("محمد", "مریم", "حسین", "زهرا", "امیر", "نگار"),
        ("حسینی", "کاظمی", "موسوی", "جعفری", "صادقی", "نوری"),
        " ",
    ),
    "ar": (
        ("يوسف", "نورة", "سلمان", "ليلى", "عبدالله", "ريم"),
        ("العتيبي", "القحطاني", "الزهراني", "الشمري", "الدوسري", "المطيري"),
        " ",
    ),
}
_CULTURE = {
    "US": "en",
    "GB": "en",
    "CA": "en",
    "DE": "de",
    "CH": "de",
    "FR": "fr",
    "ES": "es",
    "CL": "es",
    "SE": "nordic",
    "FI": "nordic",
    "LV": "nordic",
    "JP": "ja",
    "CN": "zh",
    "KR": "ko",
    "IR": "fa",
    "AE": "ar",
    "SA": "ar",
}
_FAMILY_FIRST = {"ja", "zh", "ko"}

# (key, title, buying role, influence, reports to)
_ORG = (
    ("head", "Managing Director", "decision_maker", 5, None),
    ("buyer", "Head of Procurement", "economic_buyer", 4, "head"),
    ("tech", "Operations Manager", "technical_buyer", 3, "buyer"),
    ("champ", "Plant Engineer", "champion", 3, "tech"),
)
# How each profile's people stand towards us: the troubled ones have a detractor.
_STANCES = {
    "thriving": ("supporter", "supporter", "supporter", "supporter"),
    "steady": ("supporter", "neutral", "supporter", "supporter"),
    "bumpy": ("neutral", "neutral", "detractor", "supporter"),
    "strained": ("neutral", "detractor", "detractor", "supporter"),
    "crisis": ("detractor", "detractor", "neutral", "neutral"),
    "quiet": ("unknown", "neutral", "neutral", "supporter"),
}


def _person_name(culture: str, index: int, slot: int) -> str:
    firsts, lasts, sep = _NAMES[culture]
    first = firsts[(index * 3 + slot) % len(firsts)]
    last = lasts[(index * 5 + slot * 2) % len(lasts)]
    return f"{last}{sep}{first}" if culture in _FAMILY_FIRST else f"{first}{sep}{last}"


def _portfolio_story(
    index: int, row: tuple[str, str, str, str, str, str, str, int, str, str]
) -> Story:
    key, name, segment, industry, country, tier, orientation, revenue, currency, profile = row
    culture = _CULTURE[country]
    stances = _STANCES[profile]
    people = tuple(
        Person(
            slot_key,
            _person_name(culture, index, slot),
            title,
            role,
            influence,
            stances[slot],
            boss,
        )
        for slot, (slot_key, title, role, influence, boss) in enumerate(_ORG)
    )
    extra = SEGMENT_LINES[segment]
    # Healthy clients buy more of the segment's lines; the third line is bought by few.
    bought = extra[: 2 if profile in ("thriving", "steady") else 1]
    growth = {"thriving": 0.06, "steady": 0.01, "quiet": -0.06, "crisis": -0.08}.get(profile, 0)
    lines = (
        Line("core supply", 0.6, growth),
        *(Line(line, 0.4 / len(bought), growth) for line in bought),
    )
    return Story(
        key=key,
        name=name,
        segment=segment,
        industry=industry,
        country=country,
        tier=tier,
        orientation=orientation,
        revenue=revenue,
        currency=currency,
        needs=SEGMENT_NEEDS[segment],
        people=people,
        team=team_for(index + len(STORIES), tier),
        lines=lines,
        trouble=PROFILES[profile],
        cadence_days=30 if tier != "standard" else 45,
        quiet_days=QUIET_DAYS[profile],
        agreement=_AGREEMENTS.get(key),
        profile=profile,
        parent=_GROUPS.get(key),
    )


PORTFOLIO: tuple[Story, ...] = STORIES + tuple(
    _portfolio_story(index, row) for index, row in enumerate(_PORTFOLIO)
)
BY_KEY: dict[str, Story] = {story.key: story for story in PORTFOLIO}
TOUR: tuple[Story, ...] = tuple(story for story in STORIES if story.tour)

INTERACTION_KINDS = (
    ("meeting", "Monthly account review"),
    ("call", "Call on open orders and forecasts"),
    ("email", "Sent the delivery plan for next month"),
    ("visit", "Site visit with the plant team"),
    ("review", "Quarterly business review"),
)


def check(portfolio: tuple[Story, ...] = PORTFOLIO) -> None:
    """The scenario's own consistency (a typo here would seed a story that is not told)."""
    keys = [story.key for story in portfolio]
    names = [story.name for story in portfolio]
    if len(set(keys)) != len(keys) or len(set(names)) != len(names):
        raise ValueError("demo accounts need unique keys and names")
    seeded: set[str] = set()
    for story in portfolio:  # a holding is seeded before its subsidiaries
        if story.parent is not None and story.parent not in seeded:
            raise ValueError(f"{story.key}: its parent {story.parent} comes later or not at all")
        seeded.add(story.key)
    for story in portfolio:
        earlier: set[str] = set()
        for person in story.people:  # a boss comes before the people who report to them
            if person.reports_to is not None and person.reports_to not in earlier:
                raise ValueError(
                    f"{story.key}: {person.key} reports to {person.reports_to}, not before"
                )
            earlier.add(person.key)
