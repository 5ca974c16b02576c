"""The repository is self-contained: its documents link only to files inside it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)\s]+)\)|`(\.\./[^`]+)`")


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_no_document_points_outside_the_repository():
    for doc in documents():
        text = doc.read_text(encoding="utf-8")
        assert "../shared" not in text, doc
        for match in LINK.finditer(text):
            target = (match.group(1) or match.group(2)).split("#")[0]
            if not target or re.match(r"^[a-z]+:", target):
                continue  # a URL (the running product's own pages, a standard)
            resolved = (doc.parent / target).resolve()
            assert resolved.is_relative_to(ROOT), (doc.name, target)
            assert resolved.exists(), (doc.name, target)


def test_the_contract_is_in_the_repository():
    contract = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert contract.startswith("# Partner API contract (v1)")
    assert "/api/v1/admin/exchange-rates" in contract
    assert "docs/api.md" in (ROOT / "README.md").read_text(encoding="utf-8")
