"""An API reference page rendered from the OpenAPI schema, with no external resources.

FastAPI's Swagger UI and ReDoc pages load their JavaScript from a CDN; Pilah must work offline, so ``/docs``
is this plain page instead (the machine-readable schema stays at ``/openapi.json``).
"""

from __future__ import annotations

import html
import json
from typing import Any

__all__ = ["render_docs"]


def _schema_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return "-"
    ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
    if ref:
        return ref.rsplit("/", 1)[-1]
    return str(schema.get("type", "object"))


def render_docs(spec: dict[str, Any]) -> str:
    e = html.escape
    rows = []
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
            ok = ((op.get("responses") or {}).get("200") or {}).get("content", {}).get("application/json", {})
            rows.append(
                f"<tr><td><code>{e(method.upper())}</code></td><td><code>{e(path)}</code></td>"
                f"<td>{e(op.get('summary', ''))}</td><td>{e(_schema_name(body))}</td>"
                f"<td>{e(_schema_name(ok.get('schema')))}</td></tr>"
            )
    schemas = spec.get("components", {}).get("schemas", {})
    blocks = [
        f"<details><summary><code>{e(name)}</code></summary><pre>{e(json.dumps(s, indent=2))}</pre></details>"
        for name, s in sorted(schemas.items())
    ]
    info = spec.get("info", {})
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(info.get('title', 'API'))} API</title>
<link rel="icon" href="data:,">
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#1d2330}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccd;padding:.3rem .6rem;text-align:left;vertical-align:top}}pre{{background:#f4f5f7;
padding:.6rem;overflow:auto}}</style></head>
<body><h1>{e(info.get('title', 'API'))} {e(str(info.get('version', '')))}</h1>
<p>{e(info.get('description', ''))} Machine-readable schema: <a href="/openapi.json">/openapi.json</a>.
Errors are <code>application/problem+json</code> with a stable <code>code</code>; see the README.</p>
<table><tr><th>method</th><th>path</th><th>what</th><th>request body</th><th>response</th></tr>
{''.join(rows)}</table>
<h2>Schemas</h2>{''.join(blocks)}
</body></html>"""
