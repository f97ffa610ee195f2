"""The AWS documentation's examples as evaluation cases (tests/engine/cases/*.json).

Each case names the IAM User Guide page it comes from ("doc") and the decision AWS documents.
They run in process through the command-line contract's `evaluate_case`, and all of them at
once through `python -m policies.engine evaluate` in a subprocess, without Django.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policies.engine.cases import evaluate_case

CASES_DIR = Path(__file__).parent / "cases"
ROOT = Path(__file__).resolve().parents[2]
DECISIONS = {"Allowed", "ExplicitlyDenied", "ImplicitlyDenied"}


def load_cases() -> list[dict]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.json")):
        for case in json.loads(path.read_text()):
            case["_file"] = path.name
            cases.append(case)
    return cases


CASES = load_cases()


def test_the_case_files_are_well_formed():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len(CASES) >= 300
    for case in CASES:
        assert case["doc"] and case["expect"]["decision"] in DECISIONS, case["id"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_decision_matches_the_aws_documentation(case):
    result = evaluate_case(case)
    assert result["decision"] == case["expect"]["decision"], (case["doc"], case["note"], result)
    if "missingContextKeys" in case["expect"]:
        assert sorted(result["missingContextKeys"]) == sorted(case["expect"]["missingContextKeys"])
    if "decidedBy" in case["expect"]:
        assert result["decidedBy"] == case["expect"]["decidedBy"], (case["note"], result)


def test_the_command_line_gives_the_same_decisions_in_order():
    lines = [json.dumps({k: v for k, v in c.items() if k not in {"expect", "_file"}}) for c in CASES]
    lines.insert(3, "{not json")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, policies.engine.__main__ as m;"
            "assert 'django' not in sys.modules; sys.argv[1:] = ['evaluate']; sys.exit(m.main())",
        ],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(results) == len(CASES) + 1
    assert results[3]["id"] is None and results[3]["error"].startswith("not valid JSON")
    del results[3]
    assert [r["id"] for r in results] == [c["id"] for c in CASES]
    assert [r["decision"] for r in results] == [c["expect"]["decision"] for c in CASES]
