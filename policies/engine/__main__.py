"""Command line: `python -m policies.engine evaluate` (JSON lines) and `validate FILE`.

evaluate: one JSON case a line on stdin, one JSON result a line on stdout, in order; a bad line
gets {"id": ..., "error": "..."} and the command goes on. validate: print the findings of a policy
file (or - for stdin); exit 1 when there are errors. Django is never imported.
"""

from __future__ import annotations

import argparse
import json
import sys

from .cases import evaluate_line
from .lint import lint_policy


def _evaluate(args: argparse.Namespace) -> int:
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        out.write(json.dumps(evaluate_line(line)) + "\n")
        out.flush()
    return 0


def _validate(args: argparse.Namespace) -> int:
    if args.file == "-":
        text = sys.stdin.read()
    else:
        with open(args.file, encoding="utf-8") as handle:
            text = handle.read()
    findings = lint_policy(text, kind=args.kind)
    if args.json:
        print(json.dumps([f.as_dict() for f in findings], indent=2))
    else:
        for f in findings:
            print(f"{f.severity}: {f}")
        if not findings:
            print("No findings.")
    return 1 if any(f.severity == "ERROR" for f in findings) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m policies.engine", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("evaluate", help="evaluate JSON-lines cases from stdin").set_defaults(run=_evaluate)
    validate = commands.add_parser("validate", help="validate and lint a policy document")
    validate.add_argument("file", help="policy file, or - for stdin")
    validate.add_argument("--kind", choices=("identity", "resource", "trust"), default="identity")
    validate.add_argument("--json", action="store_true", help="print the findings as JSON")
    validate.set_defaults(run=_validate)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
