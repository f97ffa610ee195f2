"""ARNs of IAM entities (pure functions; paths appear in ARNs, as in AWS)."""

from __future__ import annotations


def root(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def user(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:user{path}{name}"


def group(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:group{path}{name}"


def role(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:role{path}{name}"


def assumed_role(account_id: str, role_name: str, session_name: str) -> str:
    """A role session (the role's path is not part of it, as in AWS)."""
    return f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"


def policy(account_id: str, path: str, name: str) -> str:
    """A customer managed policy (account id) or an AWS managed one (account "aws")."""
    return f"arn:aws:iam::{account_id}:policy{path}{name}"


def all_in(account_id: str, kind: str) -> str:
    """The resource a List* action is authorized on, e.g. arn:aws:iam::123456789012:user/."""
    return f"arn:aws:iam::{account_id}:{kind}/"
