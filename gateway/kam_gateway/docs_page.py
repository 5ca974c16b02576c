"""Interactive API docs at /api/v1/docs: Swagger UI reading the served /api/v1/openapi.json.

The page and its assets need no key (a browser cannot send one on navigation); the document
itself does, so the page asks for the key once, keeps it in the tab's session storage, and sends
it with every call it makes, the document's fetch included. Swagger UI's files come from the
`swagger-ui-bundle` package, served from this process: no CDN, nothing fetched from outside.
"""

from __future__ import annotations

import functools
import mimetypes
from pathlib import Path

from kam_gateway.exchange import Answer, Refusal

DOCS_PATH = "/api/v1/docs"
SPEC_PATH = "/api/v1/openapi.json"
# The package's files the page uses; nothing else of its folder is served.
VENDORED = (
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-16x16.png",
    "favicon-32x32.png",
)
INIT_SCRIPT = "kam-docs.js"
# Same origin only; Swagger UI needs inline styles and data: images, no inline script.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
)

PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>KAM API v1 — interactive docs</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="{DOCS_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{DOCS_PATH}/favicon-32x32.png" sizes="32x32">
  <style>
    body {{ margin: 0; font-family: sans-serif; }}
    #key-form {{ padding: 12px 20px; background: #1b1b1b; color: #fff; display: flex;
                 gap: 8px; align-items: center; }}
    #key-form input {{ flex: 0 1 420px; padding: 6px; }}
    #key-status {{ color: #ccc; }}
  </style>
</head>
<body>
  <form id="key-form">
    <label for="api-key">API key</label>
    <input id="api-key" name="api-key" type="password" autocomplete="off"
           placeholder="the key's secret (kept in this tab only)">
    <button type="submit">Use key</button>
    <span id="key-status" role="status"></span>
  </form>
  <div id="swagger-ui"></div>
  <script src="{DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script src="{DOCS_PATH}/swagger-ui-standalone-preset.js"></script>
  <script src="{DOCS_PATH}/{INIT_SCRIPT}"></script>
</body>
</html>
"""

SCRIPT = f"""(function () {{
  "use strict";
  var STORE = "kam-api-key";
  function key() {{ return window.sessionStorage.getItem(STORE) || ""; }}
  function show() {{
    var status = document.getElementById("key-status");
    if (!key()) {{
      status.textContent = "Enter an API key to load the document.";
      return;
    }}
    status.textContent = "Using the key you gave.";
    window.ui = SwaggerUIBundle({{
      url: "{SPEC_PATH}",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "BaseLayout",
      requestInterceptor: function (request) {{
        request.headers.Authorization = "Bearer " + key();
        return request;
      }}
    }});
  }}
  document.getElementById("key-form").addEventListener("submit", function (event) {{
    event.preventDefault();
    var given = document.getElementById("api-key").value.trim();
    if (given) {{ window.sessionStorage.setItem(STORE, given); }}
    document.getElementById("api-key").value = "";
    show();
  }});
  show();
}})();
"""


def is_docs_path(path: str) -> bool:
    return path == DOCS_PATH or path.startswith(DOCS_PATH + "/")


def docs_answer(method: str, path: str) -> Answer:
    if method not in ("GET", "HEAD"):
        raise Refusal(405, "This method is not allowed here.", headers={"Allow": "GET"})
    name = path.removeprefix(DOCS_PATH).strip("/")
    if name in ("", "index.html"):
        return Answer(200, PAGE.encode(), _headers("text/html; charset=utf-8"))
    if name == INIT_SCRIPT:
        return Answer(200, SCRIPT.encode(), _headers("text/javascript; charset=utf-8"))
    if name in VENDORED:
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if kind.startswith("text/"):
            kind += "; charset=utf-8"
        return Answer(200, _vendored(name), _headers(kind))
    raise Refusal(404, "No such resource.")


def _headers(kind: str) -> list[tuple[str, str]]:
    return [("Content-Type", kind), ("Content-Security-Policy", CSP)]


@functools.cache
def _vendored(name: str) -> bytes:
    import swagger_ui_bundle

    return (Path(swagger_ui_bundle.swagger_ui_path) / name).read_bytes()
