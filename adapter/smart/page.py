"""The SMART app's pages: the patient's header, the page of contract §4, the forms.

The body of the patient's page is the static page's (adapter.render.patient), so the app and
``spinemets score --format html`` show one page; the app adds its navigation, the forms and what
a save did.
"""

from __future__ import annotations

from html import escape

from adapter.decision import Decisions
from adapter.render.header import computed_text, patient_header
from adapter.render.html import page
from adapter.render.patient import patient_body
from adapter.vocabulary.forms import FORMS

__all__ = ["app_page", "message_page"]

_CSS = (
    "nav ul{display:flex;flex-wrap:wrap;gap:.5rem 1rem;list-style:none;padding:0}"
    "fieldset{border:1px solid var(--line);border-radius:.4rem;margin:.6rem 0;min-width:0}"
    "fieldset.level>legend{font-weight:600;font-size:1.1rem}"
    "label.opt{display:block;padding:.2rem 0}"
    "label.confirm{display:block;padding:.3rem 0 .1rem;font-size:.95rem}"
    ".report{display:block;font-weight:400;color:#8a1c1c}"
    "input[type=radio]{width:1.1rem;height:1.1rem;vertical-align:-.15rem}"
    "button{font:inherit;padding:.45rem 1.1rem;border-radius:.4rem;border:1px solid var(--accent);"
    "background:var(--accent);color:#fff}"
    ":focus-visible{outline:3px solid #b35c00;outline-offset:2px}"
    ".notice{border-left:4px solid var(--accent);padding:.4rem .8rem;background:#eef4fb}"
    ".notice.error{border-color:#a4262c;background:#fbeeee}"
)


def _nav(current: str | None, root: str) -> str:
    links = [(f"{root}/", "Scores", current is None)]
    links += [(f"{root}/form/{n}", f.title, current == n) for n, f in FORMS.items()]
    here_mark = ' aria-current="page"'
    items = "".join(
        f'<li><a href="{escape(href)}"{here_mark if here else ""}>{escape(text)}</a></li>'
        for href, text, here in links
    )
    return f'<nav aria-label="Pages"><ul>{items}</ul></nav>'


def _notice(message: str | None, error: bool) -> str:
    if not message:
        return ""
    role = "alert" if error else "status"
    kind = "notice error" if error else "notice"
    return f'<p class="{kind}" role="{role}">{escape(message)}</p>'


def app_page(
    decisions: Decisions, *, form: str | None = None, form_html: str = "",
    message: str | None = None, error: bool = False, root: str = "/smart",
) -> str:  # fmt: skip
    """The app's page: the header, the pages, what happened, then a form or the scores."""
    result = decisions.result
    if form is not None:
        title = FORMS[form].title
        body = f"<h2>{escape(title)}</h2><p>{escape(FORMS[form].description)}</p>{form_html}"
    else:
        body = patient_body(decisions)
    record = result.assessment.record
    head = patient_header(record, result.patient) + _nav(form, root) + _notice(message, error)
    name = (record.name if record else None) or f"Patient {result.patient}"
    return page(
        f"Spinal metastases: {name}", head + body, css=_CSS,
        subtitle=f"Computed {computed_text(result.now)} by spinemets, from the record as it was.",
    )  # fmt: skip


def message_page(title: str, message: str, root: str = "/smart") -> str:
    """A page that only says what went wrong and what to do."""
    return page(
        title,
        _notice(message, True) + f'<p><a href="{escape(root)}/launch">Start again</a></p>',
        css=_CSS,
    )
