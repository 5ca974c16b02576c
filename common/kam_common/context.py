"""Who is calling: what every use case is told explicitly instead of reading a request.

Routes build a `Caller` from the identity headers the gateway sets (`kam_common.scope`);
background work and the CLI act as `SYSTEM`; tests make one directly. Plain Python: the use
cases and their tests need no web framework to know whom they serve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PARTNER = "partner"
INTERNAL_CLIENT = "internal"


@dataclass(frozen=True)
class Caller:
    """The API key or person (or the system itself) a use case acts for.

    `scope` is the set of account ids a partner key may see; None means every account.
    """

    client_id: str = INTERNAL_CLIENT
    role: str | None = None
    name: str | None = None
    scope: frozenset[str] | None = None
    kind: str = "key"  # or "user": a person signed in to the web app

    @property
    def is_partner(self) -> bool:
        return self.role == PARTNER

    @property
    def is_system(self) -> bool:
        return self.client_id == INTERNAL_CLIENT and self.role is None

    def may_see(self, account_id: str) -> bool:
        return self.scope is None or account_id in self.scope

    def scoped(self, stmt: Any, account_column: Any) -> Any:
        """Limit a query to the accounts this caller may see (no limit when unscoped)."""
        return stmt if self.scope is None else stmt.where(account_column.in_(self.scope))

    def source(self) -> dict[str, str | None]:
        """Who did something, as records keep it (an event's `source`, an override's author)."""
        if self.is_system:
            return {"type": "system", "id": None, "name": None, "role": None}
        return {"type": self.kind, "id": self.client_id, "name": self.name, "role": self.role}


SYSTEM = Caller()
