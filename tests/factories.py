"""Plain factory functions for tests; they go through the services where invariants matter."""

from __future__ import annotations

import itertools
import json

from accounts.context import RequestContext, system_context
from accounts.models import Account, AuditEvent, Group, Role, User, unique_id
from accounts.services.account import create_account
from policies.models import GroupPolicy, GroupPolicyAttachment, ManagedPolicy, PolicyVersion, UserPolicy

_serial = itertools.count(1)
PASSWORD = "correct horse battery staple"


def root_user(email: str | None = None) -> User:
    """A new account; returns its root user."""
    return create_account(email=email or f"owner{next(_serial)}@example.com", password=PASSWORD)


def root_context(account_root: User | None = None, **kwargs) -> RequestContext:
    return system_context(account_root or root_user(), **kwargs)


def context_for(user: User, **kwargs) -> RequestContext:
    """A request by an IAM user (fresh from the database, as each real request is)."""
    return system_context(User.objects.select_related("account").get(pk=user.pk), **kwargs)


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str] = "*", resource: str | list[str] = "*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str] = "*", resource: str | list[str] = "*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


# Tests of other areas store policies directly (the policy services have their own tests).
def managed_policy(account: Account | None, name: str, *statements: dict, path: str = "/") -> ManagedPolicy:
    """A policy of the account, or (account None) an AWS managed one standing in for the shipped one."""
    owner = account.account_id if account else "aws"
    if account is None:  # the migration ships real AWS managed policies; the test states its own
        ManagedPolicy.objects.filter(arn=f"arn:aws:iam::aws:policy{path}{name}").delete()
    policy = ManagedPolicy.objects.create(
        account=account,
        policy_name=name,
        path=path,
        policy_id=unique_id("ANPA"),
        arn=f"arn:aws:iam::{owner}:policy{path}{name}",
    )
    PolicyVersion.objects.create(
        policy=policy, version_id="v1", document=document(*statements), is_default=True
    )
    return policy


def attach_to_group(group: Group, policy: ManagedPolicy) -> None:
    GroupPolicyAttachment.objects.create(group=group, policy=policy)
    _bump(group.account)


def put_group_policy(group: Group, name: str, *statements: dict) -> None:
    GroupPolicy.objects.create(group=group, policy_name=name, document=document(*statements))
    _bump(group.account)


def put_user_policy(user: User, name: str, *statements: dict) -> None:
    UserPolicy.objects.create(user=user, policy_name=name, document=document(*statements))
    _bump(user.account)


def _bump(account: Account) -> None:
    from accounts.authz import bump_generation

    bump_generation(account)


def events(action: str) -> list[tuple[str, str]]:
    """(outcome, error code) of the audit events of one action, oldest first."""
    return list(AuditEvent.objects.filter(action=action).values_list("outcome", "error_code"))


def generation(ctx: RequestContext) -> int:
    """How many times cached authorization state of the account was marked stale: the account's
    generation plus each user's and role's own (accounts/authz.py)."""
    from django.db.models import Sum

    account = Account.objects.values_list("authz_generation", flat=True).get(pk=ctx.account.pk)
    users = User.objects.filter(account=ctx.account).aggregate(n=Sum("authz_generation"))["n"] or 0
    roles = Role.objects.filter(account=ctx.account).aggregate(n=Sum("authz_generation"))["n"] or 0
    return account + users + roles


def denial(acct: str, caller: str, action: str, resource: str) -> str:
    """AWS's AccessDenied message for an IAM user that no policy allows."""
    return (
        f"User: arn:aws:iam::{acct}:user/{caller} is not authorized to perform: {action} on resource: "
        f"{resource} because no identity-based policy allows the {action} action"
    )
