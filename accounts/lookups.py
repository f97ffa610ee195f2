"""Internal fetches of the target of a request, without authorization (services authorize).

Each raises NoSuchEntityError with AWS's message when the entity does not exist in the account.
"""

from __future__ import annotations

from django.db.models import Q

from iam_portal.errors import NoSuchEntityError
from policies.models import ManagedPolicy

from .models import Account, Group, Role, User


def user_by_name(account: Account, user_name: str) -> User:
    user = (
        User.objects.select_related("account")
        .filter(account=account, is_root=False, user_name__lower=user_name.lower())
        .first()
    )
    if user is None:
        raise NoSuchEntityError(f"The user with name {user_name} cannot be found.")
    return user


def group_by_name(account: Account, group_name: str) -> Group:
    group = (
        Group.objects.select_related("account")
        .filter(account=account, group_name__lower=group_name.lower())
        .first()
    )
    if group is None:
        raise NoSuchEntityError(f"The group with name {group_name} cannot be found.")
    return group


def role_by_name(account: Account, role_name: str) -> Role:
    role = (
        Role.objects.select_related("account")
        .filter(account=account, role_name__lower=role_name.lower())
        .first()
    )
    if role is None:
        raise NoSuchEntityError(f"The role with name {role_name} cannot be found.")
    return role


def boundary_by_arn(account: Account, arn: str) -> ManagedPolicy:
    """A managed policy of this account, or an AWS managed one, usable as a permissions boundary."""
    policy = ManagedPolicy.objects.filter(Q(account=account) | Q(account__isnull=True), arn=arn).first()
    if policy is None:
        raise NoSuchEntityError(f"Scope ARN: {arn} does not exist or is not attachable.")
    return policy


def managed_policy_by_arn(account: Account, arn: str) -> ManagedPolicy:
    """A customer managed policy of this account or an AWS managed policy, by ARN."""
    policy = ManagedPolicy.objects.filter(Q(account=account) | Q(account__isnull=True), arn=arn).first()
    if policy is None:
        raise NoSuchEntityError(f"Policy {arn} does not exist or is not attachable.")
    return policy


def lock_boundary(policy: ManagedPolicy) -> None:
    """Lock a permissions boundary's row for the rest of the transaction, so that a racing
    DeletePolicy cannot remove it under a new user or role (it may have gone already)."""
    if not ManagedPolicy.objects.select_for_update().filter(pk=policy.pk).exists():
        raise NoSuchEntityError(f"Scope ARN: {policy.arn} does not exist or is not attachable.")
