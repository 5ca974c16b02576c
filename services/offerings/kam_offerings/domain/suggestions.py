"""Cross-sell and up-sell suggestions, and when to hold them back.

Cross-sell: the similar accounts are the other active accounts of the same segment (all
active accounts when the account has none, or is alone in it: the reason says so). What they
bought together says what goes with what (item to item, combined as a noisy-OR: see
`cross_sell`). Measured by `hold_out` against the popularity baseline (`popular`):
`bench/learning.py`. A line that an active catalog item is sold as (`product_line`) names that
item, so the suggestion can become a proposal line.

Up-sell: for each family of the active agreement's services, every active catalog service of
the same family at a higher level. Propensity = (K + 1) / (N + 2), where N is the number of
other active agreements holding that family and K those holding it at this level or higher:
the share of peers who moved up, smoothed so one agreement does not make a certainty and no
history gives an even 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kam_offerings.domain.catalog import Service
from kam_offerings.domain.vocabulary import UNHAPPY_BANDS

# How many accounts' worth of popularity each line's evidence starts from: one purchase seen
# together is not yet a certainty.
SMOOTHING = 1.0


@dataclass(frozen=True)
class Suggestion:
    kind: str
    propensity: float
    reason: str
    product_line: str | None = None
    catalog_item_id: str | None = None
    name: str | None = None


def suppression(
    *, band: str | None, last_offer_at: datetime | None, now: datetime, cooldown_days: int = 30
) -> str | None:
    """Why suggestions are held back for this account now, or None."""
    reasons = []
    if band in UNHAPPY_BANDS:
        reasons.append(
            f"The account's health band is {band}: pushing offers at an unhappy client "
            "damages trust; fix the relationship first."
        )
    if last_offer_at is not None and now - last_offer_at < timedelta(days=cooldown_days):
        reasons.append(
            f"A proposal was made to the account on {last_offer_at.date().isoformat()}, within "
            f"the last {cooldown_days} days: give the client time before offering more."
        )
    return " ".join(reasons) or None


def cross_sell(
    *,
    account_lines: set[str],
    similar: Mapping[str, set[str]],
    segment: str | None,
    limit: int = 10,
    catalog_by_line: Mapping[str, Service] | None = None,
    whole_portfolio: bool = False,
) -> list[Suggestion]:
    """`similar`: each similar account's product lines (the account itself excluded);
    `whole_portfolio`: they are every active account, the segment having no other.

    Item to item: each line the account holds is evidence for the lines bought with it,
    `P(j | i) = (bought both + SMOOTHING × share buying j) / (bought i + SMOOTHING)`, and the
    evidence of all its lines combines as a noisy-OR, `1 - Π (1 - P(j | i))`: a line bought
    with several of the account's lines ranks above one bought with a single one, and a line
    merely popular with everyone ranks below one that goes with what this account buys. Only
    lines bought together with at least one of the account's lines are suggested; an account
    with no purchases yet gets the share of similar accounts buying each line."""
    peers = list(similar.values())
    if not peers:
        return []
    holders: dict[str, int] = {}
    together: dict[tuple[str, str], int] = {}
    for lines in peers:
        for line in lines:
            holders[line] = holders.get(line, 0) + 1
        for held in lines & account_lines:
            for line in lines - account_lines:
                together[(held, line)] = together.get((held, line), 0) + 1
    if whole_portfolio:
        where = (
            f"in the whole portfolio (no other active account is in segment {segment}, so "
            "peers are taken from every segment)"
        )
    else:
        where = f"in segment {segment}" if segment else "in the portfolio"
    scored: list[tuple[float, str, str]] = []
    for line, count in holders.items():
        if line in account_lines:
            continue
        if not account_lines:
            scored.append(
                (
                    count / len(peers),
                    line,
                    f"{count} of {len(peers)} similar accounts {where} (the account has no "
                    f"purchases yet, so all of them count) bought {line}.",
                )
            )
            continue
        evidence = [
            (
                (together.get((held, line), 0) + SMOOTHING * count / len(peers))
                / (holders.get(held, 0) + SMOOTHING),
                held,
            )
            for held in sorted(account_lines)
            if together.get((held, line), 0)
        ]
        if not evidence:
            continue
        propensity = 1.0 - math.prod(1.0 - p for p, _ in evidence)
        _, strongest = max(evidence)
        others = len(evidence) - 1
        also = f" (and with {others} more of its lines)" if others else ""
        scored.append(
            (
                propensity,
                line,
                f"{together[(strongest, line)]} of {holders[strongest]} similar accounts "
                f"{where} that buy {strongest} also bought {line}{also}.",
            )
        )
    scored.sort(key=lambda item: (-round(item[0], 4), item[1]))
    found = []
    for propensity, line, reason in scored[:limit]:
        item = (catalog_by_line or {}).get(line)
        offer = f" Catalog item: {item.name} ({item.code})." if item else ""
        found.append(
            Suggestion(
                kind="cross_sell",
                propensity=round(min(1.0, propensity), 4),
                reason=reason + offer,
                product_line=line,
                catalog_item_id=item.id if item else None,
                name=item.name if item else None,
            )
        )
    return found


def popular(*, account_lines: set[str], similar: Mapping[str, set[str]]) -> list[str]:
    """The baseline cross-sell is judged against: the lines the most similar accounts bought,
    whatever this account holds."""
    counts: dict[str, int] = {}
    for lines in similar.values():
        for line in lines - account_lines:
            counts[line] = counts.get(line, 0) + 1
    return [line for line, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


@dataclass(frozen=True)
class HoldOut:
    accounts: int  # accounts judged (two purchases or more)
    hits: int  # whose hidden line was among the top `k` suggestions
    k: int

    @property
    def rate(self) -> float:
        return self.hits / self.accounts if self.accounts else 0.0


def hold_out(
    histories: Mapping[str, Sequence[tuple[date, str]]],
    rank: Callable[[set[str], Mapping[str, set[str]]], list[str]],
    *,
    hide: int = 1,
    k: int = 3,
) -> HoldOut:
    """Hide each account's last `hide` purchases, rank suggestions from the rest (and every
    other account's purchases), and count the accounts where a hidden line is in the top k."""
    lines = {account: {line for _, line in bought} for account, bought in histories.items()}
    accounts = hits = 0
    for account, bought in histories.items():
        ordered = sorted(bought)
        if len(ordered) <= hide:
            continue
        kept = {line for _, line in ordered[:-hide]}
        hidden = {line for _, line in ordered[-hide:]} - kept
        if not hidden:
            continue
        peers = {other: held for other, held in lines.items() if other != account}
        accounts += 1
        hits += bool(hidden & set(rank(kept, peers)[:k]))
    return HoldOut(accounts, hits, k)


def ranked_lines(account_lines: set[str], similar: Mapping[str, set[str]]) -> list[str]:
    """The product lines `cross_sell` suggests, best first (what the hold-out ranks)."""
    found = cross_sell(account_lines=account_lines, similar=similar, segment=None, limit=100)
    return [s.product_line for s in found if s.product_line]


def why_none(
    *,
    account_lines: set[str],
    similar: Mapping[str, set[str]],
    has_agreement: bool,
    segment: str | None,
) -> str:
    """Why there is nothing to suggest, in plain words (cross-sell, then up-sell)."""
    if not similar:
        cross = "No other active account has bought anything yet to learn from"
    elif account_lines and not any(lines & account_lines for lines in similar.values()):
        cross = (
            "No similar account buys any of the product lines this account buys "
            f"({', '.join(sorted(account_lines))})"
        )
    else:
        cross = "Similar accounts buy nothing this account does not already buy"
    where = f" (peers: segment {segment})" if segment else ""
    up = (
        "its agreement already holds the highest tier the catalog offers of each service"
        if has_agreement
        else "it has no active agreement to move up from"
    )
    return f"{cross}{where}; and {up}."


def up_sell(
    *,
    held: Iterable[Service],
    catalog: Iterable[Service],
    peer_levels: Mapping[str, list[int]],
    limit: int = 10,
) -> list[Suggestion]:
    """`peer_levels`: per family, the highest level each other active agreement holds."""
    top_held: dict[str, Service] = {}
    for service in held:
        current = top_held.get(service.family_key)
        if current is None or service.level > current.level:
            top_held[service.family_key] = service
    suggestions = []
    for service in catalog:
        current = top_held.get(service.family_key)
        if current is None or service.level <= current.level:
            continue
        levels = peer_levels.get(service.family_key, [])
        higher = sum(level >= service.level for level in levels)
        propensity = round((higher + 1) / (len(levels) + 2), 4)
        suggestions.append(
            Suggestion(
                kind="up_sell",
                propensity=propensity,
                reason=f"The agreement includes {current.name} (level {current.level} of "
                f"{service.family_key}); {service.name} is level {service.level}. {higher} of "
                f"{len(levels)} other active agreements with {service.family_key} hold level "
                f"{service.level} or higher.",
                catalog_item_id=service.id,
                name=service.name,
            )
        )
    suggestions.sort(key=lambda s: (-s.propensity, s.name or ""))
    return suggestions[:limit]
