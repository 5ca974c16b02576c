"""Client groups: a holding and its subsidiaries, as accounts under a `parent_id`.

Plain Python: the tree of a group as a caller may see it, and what it adds up to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol


class Member(Protocol):
    id: str
    name: str
    parent_id: str | None
    annual_revenue: Decimal
    currency: str


@dataclass
class GroupNode:
    """An account of the group; reads like the account (node.name), plus its children."""

    account: Any
    children: list[GroupNode] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        if name == "account":  # not set yet (copying, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.account, name)


def group_tree(
    root_id: str, accounts: Iterable[Member], visible: Callable[[str], bool]
) -> list[GroupNode]:
    """The group under `root_id` as nested nodes, children by name. An account the caller may
    not see is left out and its visible children take its place under its own parent, so a
    partner sees its accounts of the group, and no other."""
    by_parent: dict[str | None, list[Member]] = {}
    for account in sorted(accounts, key=lambda a: (a.name.casefold(), a.id)):
        by_parent.setdefault(account.parent_id, []).append(account)

    def nodes(account: Member, seen: set[str]) -> list[GroupNode]:
        if account.id in seen:  # stored groups are loop-free, but stay total if one is not
            return []
        seen.add(account.id)
        below = [n for child in by_parent.get(account.id, []) for n in nodes(child, seen)]
        if visible(account.id):
            return [GroupNode(account, below)]
        return below

    root = next((a for group in by_parent.values() for a in group if a.id == root_id), None)
    return nodes(root, set()) if root is not None else []


def flatten(nodes: Iterable[GroupNode]) -> list[Any]:
    found = []
    for node in nodes:
        found.append(node.account)
        found.extend(flatten(node.children))
    return found


def revenue_by_currency(accounts: Iterable[Member]) -> dict[str, Decimal]:
    """Revenue per currency, never added across currencies."""
    sums: dict[str, Decimal] = {}
    for account in accounts:
        sums[account.currency] = sums.get(account.currency, Decimal(0)) + account.annual_revenue
    return dict(sorted(sums.items()))
