"""Console password reads: GetLoginProfile, GetAccountPasswordPolicy.

Neither ever returns a password or a hash: a LoginProfile says only that a password exists.
"""

from __future__ import annotations

from iam_portal import validation
from iam_portal.errors import NoSuchEntityError, ValidationError

from .. import lookups
from ..authz import authorize, authorize_on
from ..context import RequestContext
from ..models import LoginProfile, PasswordPolicy, User

USER_NAME_MAX = 64  # userNameType: the login profile operations take at most 64 characters


def login_profile_user(ctx: RequestContext, user_name: str | None) -> User:
    """The named IAM user, or the calling IAM user when no name is given (as AWS's model says).

    The root user must name a user: AWS lets root omit it only in an AssumeRoot session.
    """
    if user_name is not None:
        validation.name(user_name, "userName", USER_NAME_MAX)
        return lookups.user_by_name(ctx.account, user_name)
    if ctx.caller.is_root:
        raise ValidationError(
            "1 validation error detected: Value null at 'userName' failed to satisfy constraint: "
            "Member must not be null"
        )
    return ctx.calling_user()


def no_login_profile(user_name: str) -> NoSuchEntityError:
    return NoSuchEntityError(f"Login Profile for User {user_name} cannot be found.")


def no_password_policy(account_id: str) -> NoSuchEntityError:
    return NoSuchEntityError(f"The Password Policy with domain name {account_id} cannot be found.")


def get_login_profile(ctx: RequestContext, *, user_name: str | None = None) -> LoginProfile:
    """GetLoginProfile: when the user's password was created and whether it must be reset."""
    user = login_profile_user(ctx, user_name)
    authorize_on(ctx, "iam:GetLoginProfile", user)
    profile = LoginProfile.objects.filter(user=user).first()
    if profile is None:
        raise no_login_profile(user_name or user.user_name)
    profile.user = user  # the looked-up instance, with its account: no query for the ARN
    return profile


def get_account_password_policy(ctx: RequestContext) -> PasswordPolicy:
    """GetAccountPasswordPolicy. AllowUsersToChangePassword lets every IAM user read it, as in AWS."""
    policy = PasswordPolicy.objects.filter(account=ctx.account).first()
    authorize(
        ctx,
        "iam:GetAccountPasswordPolicy",
        "*",  # no resource type in IAM: always "*"
        granted=policy is not None and policy.allow_users_to_change_password,
    )
    if policy is None:
        raise no_password_policy(ctx.account.account_id)
    return policy


def login_profile_exists(user: User) -> bool:
    """Whether the user still has console access (checked while a sign-in is in progress)."""
    return LoginProfile.objects.filter(user=user).exists()
