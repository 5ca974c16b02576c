"""Reporting lines between a client's decision-makers, and the org chart they form."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kam_accounts.domain.errors import ReportingLoop


class Person(Protocol):
    id: str
    name: str
    reports_to_id: str | None


def loop_through(
    node_id: str | None, parent_id: str, parent_of: Callable[[str], str | None]
) -> list[str] | None:
    """The loop that `node_id` under `parent_id` would close (`node_id`, `parent_id`, … back to
    `node_id`), or None. `parent_of` says whom each node is under now; a new node (None)
    cannot close one."""
    if node_id is None:
        return None
    chain = [node_id, parent_id]
    seen = {node_id}
    current: str | None = parent_id
    while current is not None:
        if current in seen:
            return chain
        seen.add(current)
        current = parent_of(current)
        if current is not None:
            chain.append(current)
    return None


def check_reporting_line(
    contact_id: str | None, manager_id: str, manager_of: Mapping[str, str | None]
) -> None:
    """Refuse `contact_id` reporting to `manager_id` when the manager's chain leads back.

    `manager_of` maps every contact of the account to whom they report now.
    """
    chain = loop_through(contact_id, manager_id, manager_of.get)
    if chain is not None:
        raise ReportingLoop(chain)


@dataclass
class OrgNode:
    """A person in the chart; reads like the person (node.name), plus who reports to them."""

    contact: Any
    reports: list[OrgNode] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        if name == "contact":  # not set yet (copying, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.contact, name)


def org_chart(people: Iterable[Person]) -> list[OrgNode]:
    """Roots are those who report to nobody in the account; everyone appears exactly once."""
    nodes = {p.id: OrgNode(p) for p in sorted(people, key=lambda p: (p.name.casefold(), p.id))}
    roots: list[OrgNode] = []
    for node in nodes.values():
        manager = nodes.get(node.contact.reports_to_id or "")
        if manager is None or manager is node:
            roots.append(node)
        else:
            manager.reports.append(node)
    # Stored lines are loop-free (check_reporting_line), but stay total if one ever is not.
    placed: set[str] = set()

    def mark(node: OrgNode) -> None:
        placed.add(node.contact.id)
        node.reports = [c for c in node.reports if c.contact.id not in placed]
        for child in node.reports:
            mark(child)

    for root in roots:
        mark(root)
    for node_id, node in nodes.items():
        if node_id not in placed:
            roots.append(node)
            mark(node)
    return roots
