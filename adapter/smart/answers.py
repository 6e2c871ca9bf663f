"""The app's answers: a page with the headers every answer carries, a page that only says what
went wrong, and a FHIR server's refusal in the same words on every page (never its own text)."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from adapter.errors import FhirServerError
from adapter.smart.page import message_page

__all__ = ["HEADERS", "fhir_problem", "html", "problem", "refusal"]

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the callback's URL carries the code
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'self'; base-uri 'none'",
}


def html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=HEADERS)


def problem(root: str, status: int, title: str, message: str) -> HTMLResponse:
    return html(message_page(title, message, root), status)


def refusal(exc: FhirServerError) -> tuple[int, str, str]:
    """A FHIR server's refusal as every page says it: status, title, what to do."""
    if exc.status == 401:
        return (
            401,
            "Sign-in expired",
            "The FHIR server no longer accepts this sign-in: launch again.",
        )
    if exc.status == 403:
        return 403, "Not allowed", "The FHIR server refused: the granted scopes do not allow it."
    return (
        502,
        "FHIR server unavailable",
        "The patient's record could not be read or written: try again.",
    )


def fhir_problem(exc: FhirServerError, root: str) -> HTMLResponse:
    return problem(root, *refusal(exc))
