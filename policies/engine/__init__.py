"""The policy engine: parse, validate, evaluate and explain AWS policy documents (standard library only).

policy = parse_policy(text, kind="identity")          # raises PolicyError with located findings
decision = PolicySet([policy]).evaluate(Request(principal, action, resource, context))
findings = lint_policy(text)                          # Access Analyzer-style findings
"""

from .document import Finding, Policy, PolicyError, parse_policy
from .evaluate import (
    ALLOWED,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Decision,
    MatchedStatement,
    PolicySet,
    Request,
    evaluate,
)
from .lint import lint_policy

__all__ = [
    "ALLOWED",
    "EXPLICIT_DENY",
    "IMPLICIT_DENY",
    "Decision",
    "Finding",
    "MatchedStatement",
    "Policy",
    "PolicyError",
    "PolicySet",
    "Request",
    "evaluate",
    "lint_policy",
    "parse_policy",
]
