"""The service's routes, one module per resource: discovery, service calls, feedback, docs."""

from __future__ import annotations

from adapter.cds.routes import discovery, docs, feedback, health, questionnaire, services

__all__ = ["discovery", "docs", "feedback", "health", "questionnaire", "services"]
