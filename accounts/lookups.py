"""Internal fetches of the target of a request, without authorization (services authorize).

Each raises NoSuchEntityError with AWS's message when the entity does not exist in the account.
"""

from __future__ import annotations

from django.db.models import Q

from iam_portal.errors import NoSuchEntityError
from iam_portal.prepared import PreparedQuery, lock_row
from policies.models import ManagedPolicy

from .models import Account, Group, Role, User

# The targets of most requests, looked up by name: compiled once (iam_portal/prepared.py), and
# matched through the Lower(name) unique indexes.
_user_named = PreparedQuery(
    lambda account_id, name: User.objects.select_related("account").filter(
        account_id=account_id, is_root=False, user_name__lower=name
    )[:1],
    account_id=int,
    name=str,
)
_group_named = PreparedQuery(
    lambda account_id, name: Group.objects.select_related("account").filter(
        account_id=account_id, group_name__lower=name
    )[:1],
    account_id=int,
    name=str,
)
_role_named = PreparedQuery(
    lambda account_id, name: Role.objects.select_related("account").filter(
        account_id=account_id, role_name__lower=name
    )[:1],
    account_id=int,
    name=str,
)

_policy_with_arn = PreparedQuery(  # a customer managed policy of the account, or an AWS managed one
    lambda account_id, arn: ManagedPolicy.objects.filter(
        Q(account_id=account_id) | Q(account__isnull=True), arn=arn
    )[:1],
    account_id=int,
    arn=str,
)


def user_by_name(account: Account, user_name: str) -> User:
    user = _user_named.first(account_id=account.pk, name=user_name.lower())
    if user is None:
        raise NoSuchEntityError(f"The user with name {user_name} cannot be found.")
    return user


def group_by_name(account: Account, group_name: str) -> Group:
    group = _group_named.first(account_id=account.pk, name=group_name.lower())
    if group is None:
        raise NoSuchEntityError(f"The group with name {group_name} cannot be found.")
    return group


def role_by_name(account: Account, role_name: str) -> Role:
    role = _role_named.first(account_id=account.pk, name=role_name.lower())
    if role is None:
        raise NoSuchEntityError(f"The role with name {role_name} cannot be found.")
    return role


def boundary_by_arn(account: Account, arn: str) -> ManagedPolicy:
    """A managed policy of this account, or an AWS managed one, usable as a permissions boundary."""
    policy = _policy_with_arn.first(account_id=account.pk, arn=arn)
    if policy is None:
        raise NoSuchEntityError(f"Scope ARN: {arn} does not exist or is not attachable.")
    return policy


def managed_policy_by_arn(account: Account, arn: str) -> ManagedPolicy:
    """A customer managed policy of this account or an AWS managed policy, by ARN."""
    policy = _policy_with_arn.first(account_id=account.pk, arn=arn)
    if policy is None:
        raise NoSuchEntityError(f"Policy {arn} does not exist or is not attachable.")
    return policy


def lock_boundary(policy: ManagedPolicy) -> None:
    """Lock a permissions boundary's row for the rest of the transaction, so that a racing
    DeletePolicy cannot remove it under a new user or role (it may have gone already)."""
    if not lock_row(ManagedPolicy, policy.pk):
        raise NoSuchEntityError(f"Scope ARN: {policy.arn} does not exist or is not attachable.")
