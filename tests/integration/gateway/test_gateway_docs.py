"""Interactive API docs at /api/v1/docs: Swagger UI served by the gateway itself, with its
assets from this process (no CDN), reading the served /api/v1/openapi.json."""

from __future__ import annotations

import re

import swagger_ui_bundle

from kam_gateway.docs_page import VENDORED


def test_the_docs_page_needs_no_key_and_loads_only_local_assets(gateway):
    page = gateway.get("/api/v1/docs")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(src.startswith("/api/v1/docs/") for src in sources), sources
    assert "//" not in "".join(src.removeprefix("/") for src in sources)  # no other host
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    script = gateway.get("/api/v1/docs/kam-docs.js")
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    assert '"/api/v1/openapi.json"' in script.get_data(as_text=True)
    assert "Authorization" in script.get_data(as_text=True)


def test_swagger_ui_files_come_from_the_installed_package(gateway):
    from pathlib import Path

    for name in VENDORED:
        served = gateway.get(f"/api/v1/docs/{name}")
        assert served.status_code == 200, name
        on_disk = (Path(swagger_ui_bundle.swagger_ui_path) / name).read_bytes()
        assert served.get_data() == on_disk
    assert "javascript" in gateway.get("/api/v1/docs/swagger-ui-bundle.js").headers["Content-Type"]
    assert gateway.get("/api/v1/docs/swagger-ui.css").headers["Content-Type"].startswith("text/css")


def test_only_the_page_and_its_files_are_served(gateway):
    for path in ("/api/v1/docs/index.j2", "/api/v1/docs/%2e%2e/openapi.json", "/api/v1/docs/x.js"):
        refused = gateway.get(path)
        assert refused.status_code == 404, path
        assert refused.content_type == "application/problem+json"
    posted = gateway.post("/api/v1/docs", json={})
    assert posted.status_code == 405 and posted.headers["Allow"] == "GET"


def test_the_document_the_page_reads_still_needs_a_key(gateway, auth):
    assert gateway.get("/api/v1/openapi.json").status_code == 401
    assert gateway.get("/api/v1/openapi.json", headers=auth("engineer")).status_code == 200
