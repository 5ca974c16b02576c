"""Which of the catalog's services answer which of the account's stated needs.

Needs are free text ("guaranteed delivery", "cost reduction"). A need matches a service when at
least half of the need's significant words occur among the service's words (its name,
description, code, family and value driver), comparing case- and accent-insensitively.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from kam_offerings.domain.catalog import Service

_STOP_WORDS = frozenset(
    {"and", "the", "for", "with", "our", "their", "from", "into", "per", "service"}
    | {"services", "programme", "program", "support"}
)


def words(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return {
        _stem(word)
        for word in re.findall(r"\w+", folded.replace("_", " "))
        if len(word) >= 3 and word not in _STOP_WORDS
    }


def _stem(word: str) -> str:
    # "deliveries" ~ "delivery", "reductions" ~ "reduction": enough for catalog vocabulary.
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def service_words(service: Service) -> set[str]:
    return words(
        " ".join(
            (
                service.name,
                service.description,
                service.code,
                service.family,
                service.value_driver if service.value_driver != "none" else "",
            )
        )
    )


def matches(need: str, service: Service) -> bool:
    wanted = words(need)
    if not wanted:
        return False
    return 2 * len(wanted & service_words(service)) >= len(wanted)


def match_needs(needs: Iterable[str], services: Iterable[Service]) -> dict[str, list[Service]]:
    """Each need (in the order given) with the non-core services that answer it."""
    candidates = [s for s in services if s.kind != "core"]
    return {need: [s for s in candidates if matches(need, s)] for need in dict.fromkeys(needs)}
