"""``GET /docs``: a small local page (Swagger UI and ReDoc would load assets from a CDN)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

__all__ = ["router"]

router = APIRouter()

_DOCS = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>spinemets CDS Hooks service</title></head><body>
<h1>spinemets CDS Hooks 2.0 service</h1>
<p>Machine-readable API description: <a href="openapi.json">openapi.json</a>.
Discovery: <a href="cds-services">cds-services</a>.</p>
<ul><li><code>GET /cds-services</code>: discovery</li>
<li><code>POST /cds-services/{id}</code>: call a service (ids in discovery)</li>
<li><code>POST /cds-services/{id}/feedback</code>: card feedback</li></ul>
</body></html>"""


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    return HTMLResponse(_DOCS)
