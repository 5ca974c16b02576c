"""Cross-sell and up-sell suggestions, and when to hold them back.

Cross-sell: the similar accounts are the other active accounts of the same segment (all
active accounts when the account has none, or is alone in it: the reason says so). Its
neighbours are the similar accounts that bought at least one product line it bought (all
similar accounts when it has bought nothing yet). For each line it has not bought, propensity =
neighbours who bought that line / neighbours. A line that an active catalog item is sold as
(`product_line`) names that item, so the suggestion can become a proposal line.

Up-sell: for each family of the active agreement's services, every active catalog service of
the same family at a higher level. Propensity = (K + 1) / (N + 2), where N is the number of
other active agreements holding that family and K those holding it at this level or higher:
the share of peers who moved up, smoothed so one agreement does not make a certainty and no
history gives an even 0.5.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from kam_offerings.domain.catalog import Service
from kam_offerings.domain.vocabulary import UNHAPPY_BANDS


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
    `whole_portfolio`: they are every active account, the segment having no other."""
    if account_lines:
        neighbours = [lines for lines in similar.values() if lines & account_lines]
        who = "that buy what this account buys"
    else:
        neighbours = list(similar.values())
        who = "(the account has no purchases yet, so all of them count)"
    if not neighbours:
        return []
    counts: dict[str, int] = {}
    for lines in neighbours:
        for line in lines - account_lines:
            counts[line] = counts.get(line, 0) + 1
    if whole_portfolio:
        where = (
            f"in the whole portfolio (no other active account is in segment {segment}, so "
            "peers are taken from every segment)"
        )
    else:
        where = f"in segment {segment}" if segment else "in the portfolio"
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    found = []
    for line, count in ranked:
        item = (catalog_by_line or {}).get(line)
        offer = f" Catalog item: {item.name} ({item.code})." if item else ""
        found.append(
            Suggestion(
                kind="cross_sell",
                propensity=round(count / len(neighbours), 4),
                reason=f"{count} of {len(neighbours)} similar accounts {where} {who} also "
                f"bought {line}.{offer}",
                product_line=line,
                catalog_item_id=item.id if item else None,
                name=item.name if item else None,
            )
        )
    return found


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
