"""Policy validation in the spirit of IAM Access Analyzer: errors, security warnings, warnings, suggestions."""

from __future__ import annotations

from .document import Finding, read_document, validate_tree


def lint_policy(document: object, *, kind: str = "identity") -> list[Finding]:
    tree, _, findings = read_document(document)
    if tree is None:
        return findings
    return findings + validate_tree(tree, kind)
