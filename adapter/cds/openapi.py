"""The OpenAPI description: bodies the routes parse themselves, 400 rather than FastAPI's 422."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from adapter.cds.models import CdsRequest, FeedbackRequest

__all__ = ["install_openapi"]


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that documents the request bodies and no 422."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (CdsRequest, FeedbackRequest):
                body = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(body.pop("$defs", {}))
                components[model.__name__] = body
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    # FastAPI documents 422 for body errors; this service answers 400.
                    operation.get("responses", {}).pop("422", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
