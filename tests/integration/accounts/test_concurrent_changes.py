"""Without If-Match a PATCH applies, however many arrive at once (API.md, Concurrency): on
PostgreSQL the row is held for the change, so concurrent patches queue instead of failing on
each other's version with a 412."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from support import serve

TOKEN = {"X-Internal-Token": "test-internal-token"}
WRITERS = 8
EACH = 10


def patch_many(url: str, path: str, field: str) -> list[int]:
    def one(writer: int) -> list[int]:
        with requests.Session() as http:
            return [
                http.patch(
                    url + path, json={field: f"w{writer}-{n}"}, headers=TOKEN, timeout=30
                ).status_code
                for n in range(EACH)
            ]

    with ThreadPoolExecutor(WRITERS) as pool:
        return [status for statuses in pool.map(one, range(WRITERS)) for status in statuses]


def test_concurrent_patches_without_if_match_all_apply(client, make_account, make_contact):
    account = make_account()
    contact = make_contact(account["id"])
    with serve(client.application) as url:
        base = f"/api/v1/accounts/{account['id']}"
        assert set(patch_many(url, base, "industry")) == {200}
        assert set(patch_many(url, f"{base}/contacts/{contact['id']}", "title")) == {200}

    assert (
        client.get(f"/api/v1/accounts/{account['id']}").get_json()["version"] == 1 + WRITERS * EACH
    )
    changed = client.get(f"/api/v1/accounts/{account['id']}/contacts/{contact['id']}").get_json()
    assert changed["version"] == 1 + WRITERS * EACH
