"""authorize(): every action from every channel is decided here by the policy engine.

The root user may do anything in its own account. An IAM user is evaluated against its inline
and attached policies, its groups' inline and attached policies, and its permissions boundary; a
role session against the role's inline and attached policies, its boundary and the session policies.
A denial is audited (outside any transaction, so it is never rolled back) and raises
AccessDeniedError in AWS's wording.

Speed and correctness across processes: a principal's compiled PolicySet is cached in this
process under (user or session, the account's authorization generation, the user's or role's own).
Every write that feeds authorization bumps a generation in its own transaction: the identity's
(`bump_principal_generation`: its own policies, boundary and groups; a group's policies bump each
member) or, for what feeds many identities at once (a managed policy's default version), the
account's (`bump_generation`). Both are read once per request, with the caller's row, so a cache
entry made stale by any process's write is never used, and a write about one user leaves the other
users' cached policies alone.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from functools import lru_cache
from typing import NoReturn

from django.db.models import F, Q

from iam_portal import metrics, validation
from iam_portal.errors import AccessDeniedError
from iam_portal.prepared import PreparedQuery, PreparedStatement
from policies.engine import IMPLICIT_DENY, Policy, PolicySet, Request, parse_policy
from policies.engine.matching import arn_account
from policies.models import GroupPolicy, PolicyVersion, RolePolicy, UserPolicy

from . import audit
from .context import AssumedRole, RequestContext
from .models import Account, Group, Role, SessionCredential, User

_POLICY_SETS: OrderedDict[tuple[str, int, int], PolicySet] = OrderedDict()
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
        metrics.ALLOWED.inc()
        return
    deny(ctx, action, resource_arn, f"{not_authorized(ctx, action, resource_arn)} {reason}")


def not_authorized(ctx: RequestContext, action: str, resource_arn: str) -> str:
    """AWS's AccessDenied sentence, without the "because …" tail."""
    return f"User: {ctx.caller.arn} is not authorized to perform: {action} on resource: {resource_arn}"


def deny(ctx: RequestContext, action: str, target: str, message: str, **parameters: object) -> NoReturn:
    """Audit a denial (outside any transaction, so it stays) and raise AccessDenied with the message."""
    metrics.DENIED.inc()
    audit.record(
        ctx,
        action,
        target=target,
        outcome=audit.DENIED,
        error_code=AccessDeniedError.code,
        error_message=message,
        **parameters,
    )
    raise AccessDeniedError(message)


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
        "aws:PrincipalAccount": ctx.account.account_id,
        "aws:SecureTransport": "true" if ctx.secure_transport else "false",
        "aws:CurrentTime": _iso(ctx.now),
        "aws:EpochTime": str(int(ctx.now.timestamp())),
    }
    if isinstance(caller, AssumedRole):
        # A role session: aws:PrincipalArn is the role's ARN, not the session's (AWS's key reference).
        keys["aws:PrincipalArn"] = caller.role.arn
        keys["aws:PrincipalType"] = "AssumedRole"
        keys["aws:userid"] = caller.user_id
        if caller.session.source_identity:
            keys["aws:SourceIdentity"] = caller.session.source_identity
    else:
        keys["aws:PrincipalArn"] = caller.arn
        keys["aws:PrincipalType"] = "Account" if caller.is_root else "User"
        keys["aws:userid"] = ctx.account.account_id if caller.is_root else caller.user_id
        if not caller.is_root:
            keys["aws:username"] = caller.user_name
    if not caller.is_root:
        keys.update({f"aws:PrincipalTag/{k}": v for k, v in caller.tags.items()})
    if ctx.session is not None:
        keys["aws:TokenIssueTime"] = _iso(ctx.session.created)
    if ctx.source_ip:
        keys["aws:SourceIp"] = ctx.source_ip
    if ctx.user_agent:
        keys["aws:UserAgent"] = ctx.user_agent
    if ctx.mfa_authenticated_at is not None:
        keys["aws:MultiFactorAuthPresent"] = "true"
        keys["aws:MultiFactorAuthAge"] = str(
            max(0, int((ctx.now - ctx.mfa_authenticated_at).total_seconds()))
        )
    elif not ctx.access_key_id or ctx.session is not None:
        # Long-term access keys send no MFA key at all; a console session or temporary credentials
        # without MFA send "false".
        keys["aws:MultiFactorAuthPresent"] = "false"
    if extra:
        keys.update(extra)
    return keys


def _iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def authorize_assume_role(
    ctx: RequestContext, role: Role, actions: Iterable[str], extra: dict[str, object]
) -> None:
    """AssumeRole's decision: each action (sts:AssumeRole, and sts:TagSession or sts:SetSourceIdentity
    when the request asks for them) must be allowed by the role's trust policy, and by the caller's
    identity policies unless the trust policy names the caller itself (AWS's evaluation logic).

    The denial is audited; AWS's message for it has no "because …" tail.
    """
    trust = _compiled(role.assume_role_policy_document, "trust", role.arn)
    own = policy_set_for(ctx)
    policy_set = PolicySet(own.identity_policies, own.permission_boundaries, trust, own.session_policies)
    context = request_context(ctx, extra)
    for action in actions:
        if not policy_set.evaluate(Request(ctx.caller.arn, action, role.arn, context)).allowed:
            deny(ctx, action, role.arn, not_authorized(ctx, action, role.arn))


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


_bump = PreparedStatement(
    lambda account_id: Account.objects.filter(pk=account_id).update(
        authz_generation=F("authz_generation") + 1
    ),
    account_id=int,
)


def bump_generation(account: Account) -> None:
    """Mark every cached policy set of the account stale (a managed policy's default version changed,
    say); call inside the write's transaction."""
    _bump.execute(account_id=account.pk)


_bump_user = PreparedStatement(
    lambda pk: User.objects.filter(pk=pk).update(authz_generation=F("authz_generation") + 1), pk=int
)
_bump_role = PreparedStatement(
    lambda pk: Role.objects.filter(pk=pk).update(authz_generation=F("authz_generation") + 1), pk=int
)
_bump_members = PreparedStatement(
    lambda group_id: User.objects.filter(memberships__group_id=group_id).update(
        authz_generation=F("authz_generation") + 1
    ),
    group_id=int,
)


def bump_principal_generation(entity: User | Group | Role) -> None:
    """Mark stale the cached policy sets that this identity's policies feed: the user's, the role's
    sessions', or each member's of the group. Call inside the write's transaction; a group's writes
    and its membership changes both lock the group's row, so none of them misses a member."""
    if isinstance(entity, User):
        _bump_user.execute(pk=entity.pk)
    elif isinstance(entity, Role):
        _bump_role.execute(pk=entity.pk)
    else:
        _bump_members.execute(group_id=entity.pk)


def note_generation(ctx: RequestContext) -> None:
    """Take the authorization generations from the caller's rows as this request has just read them
    (the signer's user or role and its account, loaded with the key), instead of reading them again."""
    principal = ctx.caller.role if isinstance(ctx.caller, AssumedRole) else ctx.caller
    ctx.memo["authz_generation"] = (principal.account.authz_generation, principal.authz_generation)


_user_generations = PreparedQuery(
    lambda pk: User.objects.filter(pk=pk).values_list("account__authz_generation", "authz_generation"),
    pk=int,
)
_role_generations = PreparedQuery(
    lambda pk: Role.objects.filter(pk=pk).values_list("account__authz_generation", "authz_generation"),
    pk=int,
)


def _generation(ctx: RequestContext) -> tuple[int, int]:
    """(the account's generation, the caller's own), read once per request."""
    if "authz_generation" not in ctx.memo:
        caller = ctx.caller
        if isinstance(caller, AssumedRole):
            found = _role_generations.first(pk=caller.role.pk)
        else:
            found = _user_generations.first(pk=caller.pk)
        ctx.memo["authz_generation"] = found or (-1, -1)  # gone: its policies are loaded (as none)
    return ctx.memo["authz_generation"]


def policy_set_for(ctx: RequestContext) -> PolicySet:
    """The caller's compiled policies; a warm call costs one primary-key read per request."""
    caller = ctx.caller
    # User ids and session key ids are random and never reused (a primary key can be, after a
    # delete on SQLite). A role session has its own set: its session policies are its own.
    if isinstance(caller, AssumedRole):
        key = (caller.session.access_key_id, *_generation(ctx))
    else:
        key = (caller.user_id, *_generation(ctx))
    found = _POLICY_SETS.get(key)
    if found is None:
        found = (
            _load_role_policy_set(caller.role, caller.session)
            if isinstance(caller, AssumedRole)
            else _load_policy_set(caller)
        )
        _POLICY_SETS[key] = found
        if len(_POLICY_SETS) > _POLICY_SET_LIMIT:
            _POLICY_SETS.popitem(last=False)
    return found


# The loaders' queries, compiled once (iam_portal/prepared.py): a policy set is loaded again after
# every write that bumps the account's generation.
_DEFAULT_VERSIONS = PolicyVersion.objects.filter(is_default=True)
_user_inline = PreparedQuery(
    lambda user_id: UserPolicy.objects.filter(user_id=user_id).values_list("policy_name", "document"),
    user_id=int,
)
_user_groups_inline = PreparedQuery(
    lambda user_id: GroupPolicy.objects.filter(group__memberships__user_id=user_id).values_list(
        "group__group_name", "policy_name", "document"
    ),
    user_id=int,
)
_user_attached = PreparedQuery(  # attached to the user, or to one of the user's groups
    lambda user_id: (
        _DEFAULT_VERSIONS.filter(policy__user_attachments__user_id=user_id)
        | _DEFAULT_VERSIONS.filter(policy__group_attachments__group__memberships__user_id=user_id)
    )
    .distinct()
    .values_list("policy__arn", "document"),
    user_id=int,
)
_role_inline = PreparedQuery(
    lambda role_id: RolePolicy.objects.filter(role_id=role_id).values_list("policy_name", "document"),
    role_id=int,
)
_role_attached = PreparedQuery(
    lambda role_id: _DEFAULT_VERSIONS.filter(policy__role_attachments__role_id=role_id).values_list(
        "policy__arn", "document"
    ),
    role_id=int,
)
_default_version = PreparedQuery(
    lambda policy_id: _DEFAULT_VERSIONS.filter(policy_id=policy_id).values_list("policy__arn", "document"),
    policy_id=int,
)


def _load_policy_set(user: User) -> PolicySet:
    """Read a user's policies: inline, attached, their groups', and the permissions boundary."""
    identity: list[Policy] = []
    for name, document in _user_inline.all(user_id=user.pk):
        identity.append(_compiled(document, "identity", f"{user.user_name}/{name}"))
    for group, name, document in _user_groups_inline.all(user_id=user.pk):
        identity.append(_compiled(document, "identity", f"{group}/{name}"))
    for arn, document in _user_attached.all(user_id=user.pk):
        identity.append(_compiled(document, "identity", arn))
    return PolicySet(identity, _boundary(user.permissions_boundary_id))


def _load_role_policy_set(role: Role, session: SessionCredential) -> PolicySet:
    """A role session's policies: the role's inline and attached ones, its boundary, and the session
    policies given to AssumeRole (the managed ones read by ARN, at their current default version)."""
    identity: list[Policy] = []
    for name, document in _role_inline.all(role_id=role.pk):
        identity.append(_compiled(document, "identity", f"{role.role_name}/{name}"))
    for arn, document in _role_attached.all(role_id=role.pk):
        identity.append(_compiled(document, "identity", arn))
    sessions: list[Policy] | None = None
    if session.session_policy or session.session_policy_arns:
        sessions = [
            _compiled(document, "identity", arn)
            for arn, document in _DEFAULT_VERSIONS.filter(
                Q(policy__account__isnull=True) | Q(policy__account=role.account_id),
                policy__arn__in=session.session_policy_arns,
            ).values_list("policy__arn", "document")
        ]
        if session.session_policy:
            sessions.append(_compiled(session.session_policy, "identity", "session policy"))
    return PolicySet(identity, _boundary(role.permissions_boundary_id), session_policies=sessions)


def _boundary(policy_id: int | None) -> list[Policy] | None:
    """The permissions boundary (at its default version), if one is set."""
    if policy_id is None:
        return None
    ((arn, document),) = _default_version.all(policy_id=policy_id)  # a boundary always has one
    return [_compiled(document, "identity", arn)]


@lru_cache(maxsize=4096)
def _compiled(document: str, kind: str, name: str) -> Policy:
    """Stored documents were validated when written, and never change once stored."""
    return parse_policy(document, kind=kind, name=name)
