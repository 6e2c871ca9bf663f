"""Names a ValueSet lists as data (extensions such as ``ingredient-name``, ``condition-name``),
read in free text as whole words or phrases, and the words that negate them ("no aspirin", "stop
warfarin", "sepsis ruled out": extensions ``negated-before``, ``negated-after``, and
``negation-reversed`` for "do not stop aspirin")."""

from __future__ import annotations

import functools
import re

from adapter.mapping.terminology import Terminology

__all__ = ["names"]


@functools.cache
def _pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """Any of the words as a whole word or phrase, any case ("heparin", not "paraheparinol"); a
    dose may follow with no space ("Clexane40mg")."""
    if not words:
        return None
    alternatives = "|".join(re.escape(w.casefold()) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![^\W\d]|-)")


# Where a clause ends: a negation before or after a name reaches no further.
_CLAUSE = re.compile(r"[,;:\n]|\.(?!\d)")
_NEAR = 3  # words between a negation and the name it negates ("avoid NSAIDs and aspirin")


def _words(term: Terminology, value_set: str, kind: str) -> re.Pattern[str] | None:
    return _pattern(term.words.get((value_set, kind), ()))


def _negated_before(term: Terminology, value_set: str, before: str) -> bool:
    """Whether the clause before a name negates it ("no", "stop", "allergic to" within a few
    words), unless the negation is itself negated ("do not stop")."""
    clause = _CLAUSE.split(before)[-1]
    negation = _words(term, value_set, "negated-before")
    found = list(negation.finditer(clause)) if negation else []
    if not found or len(clause[found[-1].end() :].split()) > _NEAR:
        return False
    reversal = _words(term, value_set, "negation-reversed")
    head = clause[: found[-1].start()].rstrip()
    return not (reversal and any(m.end() == len(head) for m in reversal.finditer(head)))


def _negated(term: Terminology, value_set: str, said: str, name: re.Match[str]) -> bool:
    if _negated_before(term, value_set, said[: name.start()]):
        return True
    after = _CLAUSE.split(said[name.end() :])[0]
    negation = _words(term, value_set, "negated-after")
    return negation is not None and negation.search(after) is not None


def names(term: Terminology, value_set: str, text: str, kind: str, veto: str | None = None) -> bool:
    """Whether ``text`` holds a name the ValueSet lists under ``kind``, not negated, and no word it
    lists under ``veto`` (a form that keeps a name from counting)."""
    said = text.casefold()
    found = _words(term, value_set, kind)
    if found is None or all(_negated(term, value_set, said, m) for m in found.finditer(said)):
        return False  # no name, or each one negated ("stop warfarin")
    local = _words(term, value_set, veto) if veto else None
    return local is None or not local.search(said)
