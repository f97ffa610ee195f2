"""authorize(): every action from every channel is decided here by the policy engine.

The root user may do anything in its own account. An IAM user is evaluated against its inline
and attached policies, its groups' inline and attached policies, and its permissions boundary.
A denial is audited (outside any transaction, so it is never rolled back) and raises
AccessDeniedError in AWS's wording.

Speed and correctness across processes: a principal's compiled PolicySet is cached in this
process under (user, account authorization generation). Every write that feeds authorization bumps
the generation in its own transaction (`bump_generation`), and the generation is read once per
request, so a cache entry made stale by any process's write is never used.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache

from django.db.models import F

from iam_portal import validation
from iam_portal.errors import AccessDeniedError
from policies.engine import IMPLICIT_DENY, Policy, PolicySet, Request, parse_policy
from policies.engine.matching import arn_account
from policies.models import GroupPolicy, PolicyVersion, UserPolicy

from . import audit
from .context import RequestContext
from .models import Account, User

_POLICY_SETS: OrderedDict[tuple[str, int], PolicySet] = OrderedDict()
_POLICY_SET_LIMIT = 2048


def authorize(
    ctx: RequestContext,
    action: str,
    resource_arn: str,
    extra_context: dict[str, object] | None = None,
    *,
    granted: bool = False,
) -> None:
    """Allow the request or raise AccessDeniedError (audited with outcome `denied`).

    `granted`: the account grants the action without a policy (AllowUsersToChangePassword), so
    only an explicit deny refuses it.
    """
    reason = _denial_reason(ctx, action, resource_arn, extra_context, granted)
    if reason is None:
        return
    audit.record(ctx, action, target=resource_arn, outcome=audit.DENIED, error_code=AccessDeniedError.code)
    raise AccessDeniedError(
        f"User: {ctx.caller.arn} is not authorized to perform: {action} on resource: {resource_arn} {reason}"
    )


def authorize_on(
    ctx: RequestContext,
    action: str,
    target: object,
    extra_context: dict[str, object] | None = None,
    *,
    granted: bool = False,
) -> None:
    """authorize() on an entity (user, role, …): its ARN, with its tags as aws:ResourceTag/*."""
    tags = getattr(target, "tags", None) or {}
    authorize(
        ctx,
        action,
        target.arn,
        {**resource_tag_context(tags), **(extra_context or {})},  # type: ignore[attr-defined]
        granted=granted,
    )


def is_allowed(
    ctx: RequestContext, action: str, resource_arn: str, extra_context: dict[str, object] | None = None
) -> bool:
    """The decision without raising or auditing (for pages that show what the caller may do)."""
    return _denial_reason(ctx, action, resource_arn, extra_context, False) is None


def _denial_reason(
    ctx: RequestContext, action: str, resource_arn: str, extra: dict[str, object] | None, granted: bool
) -> str | None:
    """None when the request is allowed; otherwise AWS's "because …" tail of the denial."""
    if ctx.caller.is_root:
        if resource_arn == "*" or arn_account(resource_arn) in (None, ctx.account.account_id):
            return None
        return f"because no resource-based policy allows the {action} action"
    request = Request(ctx.caller.arn, action, resource_arn, request_context(ctx, extra))
    decision = policy_set_for(ctx).evaluate(request)
    if decision.allowed or (granted and decision.decision == IMPLICIT_DENY):
        return None
    return decision.reason(action)


def request_context(ctx: RequestContext, extra: dict[str, object] | None = None) -> dict[str, object]:
    """The global condition keys AWS would send for this caller and request."""
    caller = ctx.caller
    keys: dict[str, object] = {
        "aws:PrincipalArn": caller.arn,
        "aws:PrincipalAccount": ctx.account.account_id,
        "aws:PrincipalType": "Account" if caller.is_root else "User",
        "aws:userid": ctx.account.account_id if caller.is_root else caller.user_id,
        "aws:SecureTransport": "true" if ctx.secure_transport else "false",
        "aws:CurrentTime": ctx.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(ctx.now.timestamp())),
    }
    if not caller.is_root:
        keys["aws:username"] = caller.user_name
        keys.update({f"aws:PrincipalTag/{k}": v for k, v in caller.tags.items()})
    if ctx.source_ip:
        keys["aws:SourceIp"] = ctx.source_ip
    if ctx.user_agent:
        keys["aws:UserAgent"] = ctx.user_agent
    if ctx.mfa_authenticated_at is not None:
        keys["aws:MultiFactorAuthPresent"] = "true"
        keys["aws:MultiFactorAuthAge"] = str(
            max(0, int((ctx.now - ctx.mfa_authenticated_at).total_seconds()))
        )
    elif not ctx.access_key_id:
        # Long-term access keys send no MFA key at all; a console session without MFA sends "false".
        keys["aws:MultiFactorAuthPresent"] = "false"
    if extra:
        keys.update(extra)
    return keys


def creation_context(tags: dict[str, str], boundary: object | None) -> dict[str, object]:
    """The condition keys of a Create* request: aws:RequestTag/*, aws:TagKeys, iam:PermissionsBoundary."""
    out = validation.tag_context(tags) if tags else {}
    if boundary is not None:
        out["iam:PermissionsBoundary"] = boundary.arn  # type: ignore[attr-defined]
    return out


def resource_tag_context(tags: dict[str, str]) -> dict[str, object]:
    """aws:ResourceTag/* (and IAM's iam:ResourceTag/*) for a tagged target."""
    out: dict[str, object] = {}
    for key, value in tags.items():
        out[f"aws:ResourceTag/{key}"] = value
        out[f"iam:ResourceTag/{key}"] = value
    return out


def bump_generation(account: Account) -> None:
    """Mark every cached policy set of the account stale; call inside the write's transaction."""
    Account.objects.filter(pk=account.pk).update(authz_generation=F("authz_generation") + 1)


def _generation(ctx: RequestContext) -> int:
    if "authz_generation" not in ctx.memo:
        ctx.memo["authz_generation"] = (
            Account.objects.filter(pk=ctx.account.pk).values_list("authz_generation", flat=True).get()
        )
    return ctx.memo["authz_generation"]


def policy_set_for(ctx: RequestContext) -> PolicySet:
    """The caller's compiled policies; a warm call costs one primary-key read per request."""
    # The user id is random and never reused (a primary key can be, after a delete on SQLite).
    key = (ctx.caller.user_id, _generation(ctx))
    found = _POLICY_SETS.get(key)
    if found is None:
        found = _load_policy_set(ctx.caller)
        _POLICY_SETS[key] = found
        if len(_POLICY_SETS) > _POLICY_SET_LIMIT:
            _POLICY_SETS.popitem(last=False)
    return found


def _load_policy_set(user: User) -> PolicySet:
    """Read a user's policies: inline, attached, their groups', and the permissions boundary."""
    identity: list[Policy] = []
    for name, document in UserPolicy.objects.filter(user=user).values_list("policy_name", "document"):
        identity.append(_compiled(document, "identity", f"{user.user_name}/{name}"))
    for group, name, document in GroupPolicy.objects.filter(group__memberships__user=user).values_list(
        "group__group_name", "policy_name", "document"
    ):
        identity.append(_compiled(document, "identity", f"{group}/{name}"))
    defaults = PolicyVersion.objects.filter(is_default=True)
    attached = defaults.filter(policy__user_attachments__user=user) | defaults.filter(
        policy__group_attachments__group__memberships__user=user
    )
    for arn, document in attached.distinct().values_list("policy__arn", "document"):
        identity.append(_compiled(document, "identity", arn))
    boundaries = None
    if user.permissions_boundary_id is not None:
        arn, document = (
            defaults.filter(policy=user.permissions_boundary_id).values_list("policy__arn", "document").get()
        )
        boundaries = [_compiled(document, "identity", arn)]
    return PolicySet(identity, boundaries)


@lru_cache(maxsize=4096)
def _compiled(document: str, kind: str, name: str) -> Policy:
    """Stored documents were validated when written, and never change once stored."""
    return parse_policy(document, kind=kind, name=name)
