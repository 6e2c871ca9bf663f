"""``spinemets questionnaire populate NAME FILE|-`` and ``spinemets questionnaire extract
FILE|-``: the forms of contract §7 on the command line.

``populate`` prints a QuestionnaireResponse prefilled from the patient in FILE; ``extract`` prints
the transaction Bundle of finding Observations a completed response records. A response that
cannot be read as its form ends with exit 2 and one line naming the item.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from adapter.cli import output
from adapter.cli.options import computation_time
from adapter.errors import InputError
from adapter.fhir.read.issues import Issue
from adapter.mapping.rules import rules_of
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import read_patients
from adapter.questionnaire.extract import extract
from adapter.questionnaire.populate import populate
from adapter.settings import load
from adapter.vocabulary.forms import FORMS

__all__ = ["add_arguments", "run"]


def add_arguments(command: argparse.ArgumentParser) -> None:
    # Subcommands are of the command's own parser class: its one-line errors.
    actions = command.add_subparsers(dest="action", required=True)
    pop = actions.add_parser("populate", help="a response prefilled from the patient's record")
    pop.add_argument("name", choices=tuple(FORMS), help="the form")
    pop.add_argument("file", help="the patient's record: a FHIR Bundle or NDJSON, or -")
    pop.add_argument("--patient", help="the patient's id, when FILE holds several")
    pop.add_argument("--now", help="the time the record is read as of (default: now)")
    ext = actions.add_parser("extract", help="finding Observations from a completed response")
    ext.add_argument("file", help="a QuestionnaireResponse (JSON), or -")


def _print(resource: dict[str, Any]) -> None:
    output.write(orjson.dumps(resource, option=orjson.OPT_INDENT_2) + b"\n")


def _populate(args: argparse.Namespace) -> int:
    rules = rules_of(load())  # the deployment's, as ``score`` reads the record
    now = computation_time(args.now)
    loose: list[Issue] = []
    patients = [
        data
        for data in read_patients(args.file, loose)
        if args.patient is None or data.patient == args.patient
    ]
    if len(patients) != 1:
        which = f"patient {args.patient!r}" if args.patient else "one patient"
        found = ", ".join(sorted(p.patient for p in patients)) or "none"
        raise InputError(f"populate needs {which} in the input; found: {found}")
    _print(populate(args.name, patients[0], default_terminology(), now, rules=rules))
    return 0


def _read_json(path: str) -> Any:
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"the input is not JSON ({exc.msg})") from None


def run(args: argparse.Namespace) -> int:
    if args.action == "populate":
        return _populate(args)
    _print(extract(_read_json(args.file), default_terminology()))
    return 0
