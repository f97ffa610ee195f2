"""Account reads: ListAccountAliases, GetAccountSummary."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import is_password_usable
from django.db.models import Exists, F, Func, IntegerField, OuterRef, QuerySet, Subquery

from iam_portal.pagination import Page, paginate
from policies.models import (
    GroupPolicyAttachment,
    ManagedPolicy,
    RolePolicyAttachment,
    UserPolicyAttachment,
)

from .. import quotas
from ..authz import authorize
from ..context import RequestContext
from ..models import AccessKey, Account, Group, MFADevice, PasswordPolicy, Role, User


def list_account_aliases(
    ctx: RequestContext, *, marker: str | None = None, max_items: int | None = None
) -> Page[str]:
    """ListAccountAliases: the account's alias, if it has one (an account has at most one)."""
    authorize(ctx, "iam:ListAccountAliases", "*")  # no resource type in IAM: always "*"
    # Read from the database, not ctx.account: the alias may have changed since the request began.
    aliases = (
        Account.objects.filter(pk=ctx.account.pk, alias__isnull=False)
        .order_by("alias")
        .values_list("alias", flat=True)
    )
    return paginate(aliases, marker, max_items)


def _count(queryset: QuerySet) -> Subquery:
    """SELECT COUNT(*) of a queryset correlated with the outer account row, as a scalar subquery."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


def _usable(encoded: str | None) -> bool:
    # Django's is_password_usable() says yes to None and "", which mean "no password" here.
    return bool(encoded) and is_password_usable(encoded)


def get_account_summary(ctx: RequestContext) -> dict[str, int]:
    """GetAccountSummary: entity usage and quotas (all 34 SummaryMap keys), in one query."""
    authorize(ctx, "iam:GetAccountSummary", "*")
    account = OuterRef("pk")
    row = (
        Account.objects.filter(pk=ctx.account.pk)
        .values(
            n_users=_count(User.objects.filter(account=account, is_root=False)),
            n_groups=_count(Group.objects.filter(account=account)),
            n_roles=_count(Role.objects.filter(account=account)),
            n_policies=_count(ManagedPolicy.objects.filter(account=account)),
            n_user_attachments=_count(UserPolicyAttachment.objects.filter(user__account=account)),
            n_group_attachments=_count(GroupPolicyAttachment.objects.filter(group__account=account)),
            n_role_attachments=_count(RolePolicyAttachment.objects.filter(role__account=account)),
            root_password=Subquery(User.objects.filter(account=account, is_root=True).values("password")[:1]),
            root_access_keys=Exists(AccessKey.objects.filter(user__account=account, user__is_root=True)),
            n_mfa_devices=_count(MFADevice.objects.filter(account=account)),
            n_mfa_in_use=_count(MFADevice.objects.filter(account=account, user__isnull=False)),
            root_mfa=Exists(MFADevice.objects.filter(account=account, user__is_root=True)),
        )
        .get()
    )
    attachments = row["n_user_attachments"] + row["n_group_attachments"] + row["n_role_attachments"]
    return {
        "Users": row["n_users"],
        "Groups": row["n_groups"],
        "Roles": row["n_roles"],
        "Policies": row["n_policies"],  # customer managed policies of the account
        # Attachments of managed policies (customer and AWS managed) to users, groups and roles.
        "PolicyVersionsInUse": attachments,
        "AccountPasswordPresent": int(_usable(row["root_password"])),
        # 1 when the root user has an access key, Active or Inactive (AWS: "an access key").
        "AccountAccessKeysPresent": int(row["root_access_keys"]),
        "MFADevices": row["n_mfa_devices"],  # virtual devices of the account, assigned or not
        "MFADevicesInUse": row["n_mfa_in_use"],  # the assigned ones
        "AccountMFAEnabled": int(row["root_mfa"]),  # 1 when the root user has an enabled device
        # The portal has no server certificates, signing certificates, instance profiles or identity
        # providers, so those stay 0 until the entities exist.
        "AccountSigningCertificatesPresent": 0,
        "ServerCertificates": 0,
        "InstanceProfiles": 0,
        "Providers": 0,
        # AWS's default for an account that never called SetSecurityTokenServicePreferences.
        "GlobalEndpointTokenVersion": 1,
        **quotas.SUMMARY_QUOTAS,
    }


@dataclass(frozen=True)
class AccountSettings:
    """What the console's Account settings page shows."""

    account_id: str
    password_policy: PasswordPolicy | None  # None: the account uses AWS's default policy
    account_alias: str | None
    require_root_mfa: bool


def get_account_settings(ctx: RequestContext) -> AccountSettings:
    """The console's Account settings: the password policy (as GetAccountPasswordPolicy, but None
    instead of NoSuchEntity when the account has none), the alias and the root MFA requirement; one query.

    Authorized as GetAccountPasswordPolicy (AllowUsersToChangePassword lets every IAM user read it);
    the alias is public to the account's users anyway (it is in their sign-in URL).
    """
    # Read the row afresh, not ctx.account: another request may have changed the alias or the policy.
    account = Account.objects.select_related("password_policy").get(pk=ctx.account.pk)
    policy = getattr(account, "password_policy", None)  # reverse one-to-one: raises when absent
    authorize(
        ctx,
        "iam:GetAccountPasswordPolicy",
        "*",  # no resource type in IAM: always "*"
        granted=policy is not None and policy.allow_users_to_change_password,
    )
    return AccountSettings(account.account_id, policy, account.alias, account.require_root_mfa)
