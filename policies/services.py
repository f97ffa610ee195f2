"""Managed policy writes: CreatePolicy, DeletePolicy, CreatePolicyVersion, DeletePolicyVersion,
SetDefaultPolicyVersion, TagPolicy, UntagPolicy; and the console's Delete, which detaches the policy
and deletes its other versions first.

A version's document never changes once stored. Which version is the default decides what every
attached principal may do, so a write that changes it bumps the account's authorization generation
in its own transaction (a customer managed policy can only be attached in its own account). Version
writes lock the policy row: racing requests cannot pass the five-version limit together, nor pick
the same version id. AWS managed policies (account NULL) can be read and attached, never changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts import audit
from accounts.authz import authorize, bump_generation, resource_tag_context
from accounts.context import RequestContext
from iam_portal import validation
from iam_portal.errors import (
    DeleteConflictError,
    EntityAlreadyExistsError,
    InvalidInputError,
    LimitExceededError,
    NoSuchEntityError,
)

from .documents import check_document
from .managed import new_policy_id, version_number
from .models import (
    GroupPolicyAttachment,
    ManagedPolicy,
    PolicyVersion,
    RolePolicyAttachment,
    UserPolicyAttachment,
)
from .selectors import (
    POLICY_NAME_MAX,
    _check_bool,
    _entity_model,
    attached_entities,
    authorize_on_policy,
    boundary_entities,
    check_policy_arn,
    check_policy_path,
    check_version_id,
    missing_version,
    policy_by_arn,
)

# accounts.quotas holds these; policies may import only the accounts kernel, so they are mirrored
# here (tests/policies/test_services.py checks that they agree).
MAX_POLICIES_PER_ACCOUNT = 1500  # quotas.POLICIES_QUOTA
MAX_VERSIONS_PER_POLICY = 5  # quotas.VERSIONS_PER_POLICY_QUOTA
MAX_POLICY_SIZE = 6144  # quotas.POLICY_SIZE_QUOTA, characters other than white space


def _document(document: object) -> str:
    check_document(
        document,
        kind="identity",
        max_size=MAX_POLICY_SIZE,
        too_large=f"Cannot exceed quota for PolicySize: {MAX_POLICY_SIZE}",
    )
    return document  # type: ignore[return-value]


def _refuse_aws_managed(policy: ManagedPolicy) -> None:
    if policy.account_id is None:
        raise InvalidInputError("Cannot modify an AWS managed policy.")


def _lock(policy: ManagedPolicy) -> ManagedPolicy:
    """The policy's row, locked for the rest of the transaction (it may have gone since the lookup)."""
    locked = ManagedPolicy.objects.select_for_update().filter(pk=policy.pk).first()
    if locked is None:
        raise NoSuchEntityError(f"Policy {policy.arn} was not found.")
    return locked


def _name_taken(ctx: RequestContext, policy_name: str) -> bool:
    return ManagedPolicy.objects.filter(account=ctx.account, policy_name__lower=policy_name.lower()).exists()


def create_policy(
    ctx: RequestContext,
    *,
    policy_name: str,
    policy_document: str,
    path: str = "/",
    description: str | None = None,
    tags: list[dict] | None = None,
) -> ManagedPolicy:
    """CreatePolicy: a customer managed policy whose v1 is the default version."""
    validation.name(policy_name, "policyName", POLICY_NAME_MAX)
    check_policy_path(path)
    if description is not None:
        validation.description(description)
    tag_values = validation.tags(tags or [])
    _document(policy_document)
    arn = f"arn:aws:iam::{ctx.account.account_id}:policy{path}{policy_name}"
    authorize(ctx, "iam:CreatePolicy", arn, validation.tag_context(tag_values) if tag_values else None)
    already = EntityAlreadyExistsError(
        f"A policy called {policy_name} already exists. Duplicate names are not allowed."
    )
    with audit.write(
        ctx,
        "iam:CreatePolicy",
        arn,
        on_integrity_error=already,
        policy_name=policy_name,
        path=path,
        description=description,
        policy_document=policy_document,
        tags=tag_values or None,
    ):
        # The account row serializes creations, so the quota and the name check cannot race
        # (the Account model is reached through the context: policies may not import it).
        type(ctx.account).objects.select_for_update().get(pk=ctx.account.pk)
        if _name_taken(ctx, policy_name):
            raise already
        if ManagedPolicy.objects.filter(account=ctx.account).count() >= MAX_POLICIES_PER_ACCOUNT:
            raise LimitExceededError(
                f"Cannot exceed quota for PoliciesPerAccount: {MAX_POLICIES_PER_ACCOUNT}"
            )
        policy = ManagedPolicy.objects.create(
            account=ctx.account,
            policy_name=policy_name,
            path=path,
            policy_id=new_policy_id(),
            arn=arn,
            description=description or "",
            tags=tag_values,
        )
        PolicyVersion.objects.create(
            policy=policy, version_id="v1", document=policy_document, is_default=True
        )
    # What GetPolicy would compute: a new policy is attached nowhere.
    policy.default_version_id, policy.is_attachable = "v1", True
    policy.attachment_count = policy.permissions_boundary_usage_count = 0
    return policy


def _in_use(policy: ManagedPolicy) -> bool:
    """Attached to a user, group or role, or the permissions boundary of a user or role."""
    if any(
        model.objects.filter(policy=policy).exists()
        for model in (UserPolicyAttachment, GroupPolicyAttachment, RolePolicyAttachment)
    ):
        return True
    return any(
        _entity_model(attachment, field).objects.filter(permissions_boundary=policy).exists()
        for attachment, field in ((UserPolicyAttachment, "user"), (RolePolicyAttachment, "role"))
    )


def delete_policy(ctx: RequestContext, *, policy_arn: str) -> None:
    """DeletePolicy: only once it is attached nowhere and has no version but the default one."""
    check_policy_arn(policy_arn)
    policy = policy_by_arn(ctx, policy_arn)
    authorize_on_policy(ctx, "iam:DeletePolicy", policy)
    with audit.write(ctx, "iam:DeletePolicy", policy.arn, policy_arn=policy_arn):
        _refuse_aws_managed(policy)
        locked = _lock(policy)  # a racing attach either committed (we see it) or waits and then fails
        if _in_use(locked):
            raise DeleteConflictError("Cannot delete a policy attached to entities.")
        if PolicyVersion.objects.filter(policy=locked, is_default=False).exists():
            raise DeleteConflictError(
                "This policy has more than one version. Before you delete a policy, you must delete the "
                "policy's non-default versions."
            )
        locked.delete()


def create_policy_version(
    ctx: RequestContext, *, policy_arn: str, policy_document: str, set_as_default: bool = False
) -> PolicyVersion:
    """CreatePolicyVersion: at most five versions; ids v1, v2, … in order of creation."""
    check_policy_arn(policy_arn)
    _check_bool(set_as_default, "setAsDefault")
    _document(policy_document)
    policy = policy_by_arn(ctx, policy_arn)
    authorize_on_policy(ctx, "iam:CreatePolicyVersion", policy)
    with audit.write(
        ctx,
        "iam:CreatePolicyVersion",
        policy.arn,
        policy_arn=policy_arn,
        policy_document=policy_document,
        set_as_default=set_as_default,
    ):
        _refuse_aws_managed(policy)
        locked = _lock(policy)  # racing creations count and number versions one at a time
        existing = list(PolicyVersion.objects.filter(policy=locked).values_list("version_id", flat=True))
        if len(existing) >= MAX_VERSIONS_PER_POLICY:
            raise LimitExceededError(
                f"A managed policy can have up to {MAX_VERSIONS_PER_POLICY} versions. Before you create a "
                "new version, you must delete an existing version."
            )
        number = max(max(map(version_number, existing), default=0), locked.last_version_number) + 1
        if set_as_default:
            PolicyVersion.objects.filter(policy=locked, is_default=True).update(is_default=False)
        version = PolicyVersion.objects.create(
            policy=locked, version_id=f"v{number}", document=policy_document, is_default=set_as_default
        )
        locked.updated = version.created  # UpdateDate: when the newest version was created
        locked.last_version_number = number
        locked.save(update_fields=["updated", "last_version_number"])
        if set_as_default:
            bump_generation(ctx.account)  # attached principals may now do other things
    return version


def _version(policy: ManagedPolicy, policy_arn: str, version_id: str) -> PolicyVersion:
    version = PolicyVersion.objects.filter(policy=policy, version_id=version_id).first()
    if version is None:
        raise missing_version(policy_arn, version_id)
    return version


def delete_policy_version(ctx: RequestContext, *, policy_arn: str, version_id: str) -> None:
    """DeletePolicyVersion: any version but the default one."""
    check_policy_arn(policy_arn)
    check_version_id(version_id)
    policy = policy_by_arn(ctx, policy_arn)
    authorize_on_policy(ctx, "iam:DeletePolicyVersion", policy)
    with audit.write(
        ctx, "iam:DeletePolicyVersion", policy.arn, policy_arn=policy_arn, version_id=version_id
    ):
        _refuse_aws_managed(policy)
        version = _version(_lock(policy), policy_arn, version_id)
        if version.is_default:
            raise DeleteConflictError("Cannot delete the default version of a policy.")
        version.delete()


def set_default_policy_version(ctx: RequestContext, *, policy_arn: str, version_id: str) -> None:
    """SetDefaultPolicyVersion: the operative version for every principal the policy is attached to."""
    check_policy_arn(policy_arn)
    check_version_id(version_id)
    policy = policy_by_arn(ctx, policy_arn)
    authorize_on_policy(ctx, "iam:SetDefaultPolicyVersion", policy)
    with audit.write(
        ctx, "iam:SetDefaultPolicyVersion", policy.arn, policy_arn=policy_arn, version_id=version_id
    ):
        _refuse_aws_managed(policy)
        locked = _lock(policy)
        version = _version(locked, policy_arn, version_id)
        if version.is_default:
            return
        # The old default first: at most one default version per policy (a database constraint).
        PolicyVersion.objects.filter(policy=locked, is_default=True).update(is_default=False)
        PolicyVersion.objects.filter(pk=version.pk).update(is_default=True)
        bump_generation(ctx.account)  # attached principals may now do other things


def tag_policy(ctx: RequestContext, *, policy_arn: str, tags: list[dict]) -> None:
    """TagPolicy: a key that exists (in any case) gets the new value; at most 50 tags."""
    check_policy_arn(policy_arn)
    tag_values = validation.tags(tags)
    policy = policy_by_arn(ctx, policy_arn)
    authorize_on_policy(ctx, "iam:TagPolicy", policy, validation.tag_context(tag_values))
    with audit.write(ctx, "iam:TagPolicy", policy.arn, policy_arn=policy_arn, tags=tag_values):
        _refuse_aws_managed(policy)
        locked = _lock(policy)
        locked.tags = validation.merge_tags(locked.tags, tag_values)
        locked.save(update_fields=["tags"])


def untag_policy(ctx: RequestContext, *, policy_arn: str, tag_keys: list[str]) -> None:
    """UntagPolicy: keys that are not there are ignored, as in AWS."""
    check_policy_arn(policy_arn)
    keys = validation.tag_keys(tag_keys)
    policy = policy_by_arn(ctx, policy_arn)
    authorize_on_policy(ctx, "iam:UntagPolicy", policy, {"aws:TagKeys": keys})
    with audit.write(ctx, "iam:UntagPolicy", policy.arn, policy_arn=policy_arn, tag_keys=keys):
        _refuse_aws_managed(policy)
        locked = _lock(policy)
        locked.tags = validation.remove_tags(locked.tags, keys)
        locked.save(update_fields=["tags"])


_ATTACHMENTS = {"User": UserPolicyAttachment, "Group": GroupPolicyAttachment, "Role": RolePolicyAttachment}


@dataclass(frozen=True)
class DeletedPolicy:
    """What the console's Delete removed: the entities detached and the versions deleted first."""

    policy_arn: str
    detached_from: list[tuple[str, str]]  # ("User" | "Group" | "Role", name)
    deleted_versions: list[str]


def delete_policy_and_dependents(ctx: RequestContext, *, policy_arn: str) -> DeletedPolicy:
    """The console's Delete: DetachUserPolicy / DetachGroupPolicy / DetachRolePolicy from every entity,
    DeletePolicyVersion of every non-default version, then DeletePolicy; one transaction.

    Each step is authorized (all before anything changes) and audited as its own action. A policy used
    as a permissions boundary is not deleted (DeleteConflict): removing a boundary widens what a user
    or role may do, which a delete confirmation should not do silently.
    """
    check_policy_arn(policy_arn)
    policy = policy_by_arn(ctx, policy_arn)
    customer_managed = policy.account_id is not None  # AWS managed: DeletePolicy alone, refused below
    attached = attached_entities(policy, ctx.account) if customer_managed else []
    versions = (
        PolicyVersion.objects.filter(policy=policy, is_default=False).count() if customer_managed else 0
    )
    # In the order the console sends the requests; outside the transaction: denials stay audited.
    for kind, entity in attached:
        tags = resource_tag_context(getattr(entity, "tags", None) or {})
        authorize(ctx, f"iam:Detach{kind}Policy", entity.arn, {**tags, "iam:PolicyARN": policy.arn})
    if versions:  # one decision: the same action on the same policy for every version
        authorize_on_policy(ctx, "iam:DeletePolicyVersion", policy)
    authorize_on_policy(ctx, "iam:DeletePolicy", policy)
    with audit.write(ctx, "iam:DeletePolicy", policy.arn, policy_arn=policy_arn):
        _refuse_aws_managed(policy)
        # Locked: racing attaches (which reference the row) wait for us, then find the policy gone.
        locked = _lock(policy)
        if boundary_entities(locked, ctx.account):
            raise DeleteConflictError("Cannot delete a policy attached to entities.")
        now_attached = attached_entities(locked, ctx.account)
        authorized = {(kind, entity.pk) for kind, entity in attached}
        if any((kind, entity.pk) not in authorized for kind, entity in now_attached):
            # Attached since the caller looked: that detach was neither authorized nor confirmed.
            raise DeleteConflictError("Cannot delete a policy attached to entities.")
        detached = []
        for kind, entity in now_attached:
            noun = kind.lower()
            name = getattr(entity, f"{noun}_name")
            _ATTACHMENTS[kind].objects.filter(**{noun: entity}, policy=locked).delete()
            audit.record(
                ctx,
                f"iam:Detach{kind}Policy",
                target=entity.arn,
                **{f"{noun}_name": name, "policy_arn": policy.arn},
            )
            detached.append((kind, name))
        deleted = list(
            PolicyVersion.objects.filter(policy=locked, is_default=False)
            .order_by("created", "pk")
            .values_list("version_id", flat=True)
        )
        for version_id in deleted:
            PolicyVersion.objects.filter(policy=locked, version_id=version_id).delete()
            audit.record(
                ctx,
                "iam:DeletePolicyVersion",
                target=policy.arn,
                policy_arn=policy.arn,
                version_id=version_id,
            )
        locked.delete()
        if detached:
            bump_generation(ctx.account)  # the principals it was attached to may now do less
    return DeletedPolicy(policy.arn, detached, deleted)
