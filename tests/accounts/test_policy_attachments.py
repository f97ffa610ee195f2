"""Policies of identities: Attach/Detach{User,Group,Role}Policy, Put/Get/Delete/List{User,Group,Role}Policy,
ListAttached{User,Group,Role}Policies, Put/Delete{User,Role}PermissionsBoundary; their effect on authorize()."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import pytest
from django.db import connection

from accounts.authz import authorize, is_allowed
from accounts.models import AuditEvent, Group, Role, User
from accounts.selectors import policy_attachments as reads
from accounts.selectors import users as user_reads
from accounts.services import groups, roles, users
from accounts.services import policy_attachments as attachments
from iam_portal.errors import (
    AccessDeniedError,
    DeleteConflictError,
    InvalidInputError,
    LimitExceededError,
    MalformedPolicyDocumentError,
    NoSuchEntityError,
    ValidationError,
)
from policies.documents import size
from policies.models import (
    GroupPolicy,
    GroupPolicyAttachment,
    ManagedPolicy,
    RolePolicy,
    RolePolicyAttachment,
    UserPolicy,
    UserPolicyAttachment,
)
from tests import factories as f
from tests.factories import denial, events, generation

pytestmark = pytest.mark.django_db

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
ATTACHMENT = {"user": UserPolicyAttachment, "group": GroupPolicyAttachment, "role": RolePolicyAttachment}
INLINE = {"user": UserPolicy, "group": GroupPolicy, "role": RolePolicy}
SIZE_QUOTA = {"user": 2048, "group": 5120, "role": 10240}
NAME_MAX = {"user": 64, "group": 128, "role": 64}  # userNameType / groupNameType / roleNameType


def sized(non_whitespace: int, action: str = "s3:GetObject") -> str:
    """An identity policy of exactly this many characters other than white space (at least 110)."""
    padding = non_whitespace - size(f.document(f.allow(action, "arn:aws:s3:::b/")))
    document = f.document(f.allow(action, "arn:aws:s3:::b/" + "x" * padding))
    assert size(document) == non_whitespace
    return document


def aws_managed(name: str, *statements: dict):
    """An AWS managed policy: the one the migrations loaded, if they load this one, or a stand-in."""
    found = ManagedPolicy.objects.filter(account=None, arn=f"arn:aws:iam::aws:policy/{name}").first()
    return found or f.managed_policy(None, name, *statements)


@dataclass(frozen=True)
class Target:
    """A user, group or role, and the calls of this module on it, by AWS's verb."""

    noun: str
    entity: User | Group | Role

    @property
    def name(self) -> str:
        return getattr(self.entity, f"{self.noun}_name")

    @property
    def title(self) -> str:
        return self.noun.capitalize()

    def call(self, verb: str, ctx, *, name: str | None = None, **kwargs):
        function = {
            "attach": f"attach_{self.noun}_policy",
            "detach": f"detach_{self.noun}_policy",
            "put": f"put_{self.noun}_policy",
            "delete": f"delete_{self.noun}_policy",
        }.get(verb)
        module = attachments
        if function is None:
            module = reads
            function = {
                "get": f"get_{self.noun}_policy",
                "list": f"list_{self.noun}_policies",
                "list_attached": f"list_attached_{self.noun}_policies",
            }[verb]
        return getattr(module, function)(ctx, **{f"{self.noun}_name": name or self.name}, **kwargs)

    def attached(self) -> list[str]:
        rows = ATTACHMENT[self.noun].objects.filter(**{self.noun: self.entity})
        return sorted(rows.values_list("policy__policy_name", flat=True))

    def inline(self) -> dict[str, str]:
        rows = INLINE[self.noun].objects.filter(**{self.noun: self.entity})
        return dict(rows.values_list("policy_name", "document"))


def make_target(ctx, noun: str, name: str | None = None) -> Target:
    if noun == "user":
        return Target(noun, users.create_user(ctx, user_name=name or "alice"))
    if noun == "group":
        # One member: a change of the group's policies marks that member's cached policies stale.
        group = groups.create_group(ctx, group_name=name or "devs")
        member = users.create_user(ctx, user_name=f"{group.group_name}-member")
        groups.add_user_to_group(ctx, group_name=group.group_name, user_name=member.user_name)
        return Target(noun, group)
    return Target(noun, roles.create_role(ctx, role_name=name or "app", assume_role_policy_document=TRUST))


@pytest.fixture(params=["user", "group", "role"])
def target(request, ctx) -> Target:
    return make_target(ctx, request.param)


@pytest.fixture
def bob(ctx) -> User:
    """An IAM user without policies: every denial test's caller."""
    return users.create_user(ctx, user_name="bob")


class AttachPolicyTests:
    """AttachUserPolicy, AttachGroupPolicy, AttachRolePolicy."""

    def test_attaches_a_customer_managed_policy(self, ctx, target):
        policy = f.managed_policy(ctx.account, "S3Read", f.allow("s3:Get*"))
        before = generation(ctx)
        assert target.call("attach", ctx, policy_arn=policy.arn) is None
        assert target.attached() == ["S3Read"]
        assert generation(ctx) == before + 1
        action = f"iam:Attach{target.title}Policy"
        assert events(action) == [("success", "")]
        event = AuditEvent.objects.get(action=action)
        assert (event.actor_arn, event.target_arn) == (ctx.caller.arn, target.entity.arn)
        assert event.parameters == {f"{target.noun}_name": target.name, "policy_arn": policy.arn}

    def test_attaches_an_aws_managed_policy(self, ctx, target):
        policy = aws_managed("ReadOnlyAccess", f.allow(["iam:Get*", "iam:List*"]))
        target.call("attach", ctx, policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        assert policy.arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"
        assert target.attached() == ["ReadOnlyAccess"]

    def test_names_the_identity_in_any_case(self, ctx, target):
        policy = f.managed_policy(ctx.account, "P", f.allow())
        target.call("attach", ctx, name=target.name.upper(), policy_arn=policy.arn)
        assert target.attached() == ["P"]

    def test_attaching_an_attached_policy_again_succeeds_and_changes_nothing(self, ctx, target):
        policy = f.managed_policy(ctx.account, "P", f.allow())
        target.call("attach", ctx, policy_arn=policy.arn)
        before = generation(ctx)
        target.call("attach", ctx, policy_arn=policy.arn)
        assert target.attached() == ["P"]
        assert generation(ctx) == before
        assert events(f"iam:Attach{target.title}Policy") == [("success", "")] * 2

    def test_at_most_ten_managed_policies(self, ctx, target):
        policies = [f.managed_policy(ctx.account, f"P{i:02}", f.allow()) for i in range(11)]
        for policy in policies[:10]:
            target.call("attach", ctx, policy_arn=policy.arn)
        before = generation(ctx)
        with pytest.raises(LimitExceededError) as caught:
            target.call("attach", ctx, policy_arn=policies[10].arn)
        assert caught.value.code == "LimitExceeded"
        assert caught.value.message == f"Cannot exceed quota for PoliciesPer{target.title}: 10"
        assert len(target.attached()) == 10 and "P10" not in target.attached()
        assert generation(ctx) == before
        action = f"iam:Attach{target.title}Policy"
        assert events(action) == [("success", "")] * 10 + [("failed", "LimitExceeded")]
        target.call("attach", ctx, policy_arn=policies[3].arn)  # attached already: still fine at the quota
        other = make_target(ctx, target.noun, "other")
        other.call("attach", ctx, policy_arn=policies[10].arn)  # the quota is per identity
        target.call("detach", ctx, policy_arn=policies[0].arn)
        target.call("attach", ctx, policy_arn=policies[10].arn)
        assert len(target.attached()) == 10

    def test_unknown_policy(self, ctx, target, acct):
        arn = f"arn:aws:iam::{acct}:policy/Nope"
        with pytest.raises(NoSuchEntityError) as caught:
            target.call("attach", ctx, policy_arn=arn)
        assert caught.value.message == f"Policy {arn} does not exist or is not attachable."
        assert target.attached() == []

    def test_another_accounts_policy_is_not_attachable(self, ctx, target):
        theirs = f.managed_policy(f.root_context().account, "Theirs", f.allow())
        with pytest.raises(NoSuchEntityError) as caught:
            target.call("attach", ctx, policy_arn=theirs.arn)
        assert caught.value.message == f"Policy {theirs.arn} does not exist or is not attachable."
        assert target.attached() == []

    def test_unknown_identity(self, ctx, target):
        policy = f.managed_policy(ctx.account, "P", f.allow())
        with pytest.raises(NoSuchEntityError) as caught:
            target.call("attach", ctx, name="ghost", policy_arn=policy.arn)
        assert caught.value.message == f"The {target.noun} with name ghost cannot be found."

    @pytest.mark.parametrize(
        ("arn", "error", "message"),
        [
            (
                "",
                ValidationError,
                "1 validation error detected: Value '' at 'policyArn' failed to satisfy constraint: "
                "Member must not be null",
            ),
            (
                "arn:aws:iam::1:p/x",
                ValidationError,
                "1 validation error detected: Value 'arn:aws:iam::1:p/x' at 'policyArn' failed to satisfy "
                "constraint: Member must have length greater than or equal to 20",
            ),
            (
                "arn:" + "a" * 2045,
                ValidationError,
                "Member must have length less than or equal to 2048",
            ),
            ("not-an-arn-at-all-really", InvalidInputError, "ARN not-an-arn-at-all-really is not valid."),
        ],
    )
    def test_policy_arn_constraints(self, ctx, target, arn, error, message):
        with pytest.raises(error) as caught:
            target.call("attach", ctx, policy_arn=arn)
        assert message in caught.value.message
        assert events(f"iam:Attach{target.title}Policy") == []

    def test_name_constraints(self, ctx, target):
        policy = f.managed_policy(ctx.account, "P", f.allow())
        too_long = "a" * (NAME_MAX[target.noun] + 1)
        with pytest.raises(ValidationError) as caught:
            target.call("attach", ctx, name=too_long, policy_arn=policy.arn)
        assert caught.value.message == (
            f"1 validation error detected: Value '{too_long}' at '{target.noun}Name' failed to satisfy "
            f"constraint: Member must have length less than or equal to {NAME_MAX[target.noun]}"
        )

    def test_a_user_without_policies_is_denied(self, ctx, target, acct, bob):
        policy = f.managed_policy(ctx.account, "P", f.allow())
        action = f"iam:Attach{target.title}Policy"
        with pytest.raises(AccessDeniedError) as caught:
            target.call("attach", f.context_for(bob), policy_arn=policy.arn)
        assert caught.value.message == denial(acct, "bob", action, target.entity.arn)
        assert events(action) == [("denied", "AccessDenied")]
        assert target.attached() == []

    def test_the_policy_arn_reaches_the_policy_as_iam_policy_arn(self, ctx, target, bob):
        approved = f.managed_policy(ctx.account, "Approved", f.allow("s3:Get*"))
        admin = aws_managed("AdministratorAccess", f.allow())
        f.put_user_policy(
            bob,
            "AttachApprovedOnly",
            f.allow(
                f"iam:Attach{target.title}Policy",
                target.entity.arn,
                Condition={"ArnEquals": {"iam:PolicyARN": approved.arn}},
            ),
        )
        target.call("attach", f.context_for(bob), policy_arn=approved.arn)
        with pytest.raises(AccessDeniedError):
            target.call("attach", f.context_for(bob), policy_arn=admin.arn)
        assert target.attached() == ["Approved"]


class DetachPolicyTests:
    """DetachUserPolicy, DetachGroupPolicy, DetachRolePolicy."""

    def test_detaches(self, ctx, target):
        keep = f.managed_policy(ctx.account, "Keep", f.allow())
        drop = f.managed_policy(None, "Drop", f.allow())
        for policy in (keep, drop):
            target.call("attach", ctx, policy_arn=policy.arn)
        before = generation(ctx)
        assert target.call("detach", ctx, policy_arn=drop.arn) is None
        assert target.attached() == ["Keep"]
        assert generation(ctx) == before + 1
        action = f"iam:Detach{target.title}Policy"
        assert events(action) == [("success", "")]
        event = AuditEvent.objects.get(action=action)
        assert event.target_arn == target.entity.arn
        assert event.parameters == {f"{target.noun}_name": target.name, "policy_arn": drop.arn}

    def test_a_policy_that_is_not_attached(self, ctx, target):
        attached = f.managed_policy(ctx.account, "Attached", f.allow())
        other = f.managed_policy(ctx.account, "Other", f.allow())
        target.call("attach", ctx, policy_arn=attached.arn)
        make_target(ctx, target.noun, "neighbour").call("attach", ctx, policy_arn=other.arn)
        before = generation(ctx)
        with pytest.raises(NoSuchEntityError) as caught:
            target.call("detach", ctx, policy_arn=other.arn)
        assert caught.value.code == "NoSuchEntity"
        assert caught.value.message == f"Policy {other.arn} was not found."
        assert events(f"iam:Detach{target.title}Policy") == [("failed", "NoSuchEntity")]
        assert generation(ctx) == before
        assert target.attached() == ["Attached"]
        assert ATTACHMENT[target.noun].objects.count() == 2  # the neighbour's attachment is untouched

    def test_a_policy_that_does_not_exist(self, ctx, target, acct):
        arn = f"arn:aws:iam::{acct}:policy/Nope"
        with pytest.raises(NoSuchEntityError, match=f"^Policy {arn} was not found.$"):
            target.call("detach", ctx, policy_arn=arn)

    def test_unknown_identity(self, ctx, target):
        policy = f.managed_policy(ctx.account, "P", f.allow())
        with pytest.raises(NoSuchEntityError) as caught:
            target.call("detach", ctx, name="ghost", policy_arn=policy.arn)
        assert caught.value.message == f"The {target.noun} with name ghost cannot be found."

    def test_a_user_without_policies_is_denied(self, ctx, target, acct, bob):
        policy = f.managed_policy(ctx.account, "P", f.allow())
        target.call("attach", ctx, policy_arn=policy.arn)
        action = f"iam:Detach{target.title}Policy"
        with pytest.raises(AccessDeniedError) as caught:
            target.call("detach", f.context_for(bob), policy_arn=policy.arn)
        assert caught.value.message == denial(acct, "bob", action, target.entity.arn)
        assert events(action) == [("denied", "AccessDenied")]
        assert target.attached() == ["P"]

    def test_the_policy_arn_reaches_the_policy_as_iam_policy_arn(self, ctx, target, bob):
        guarded = f.managed_policy(ctx.account, "Guardrail", f.deny("s3:DeleteBucket"))
        loose = f.managed_policy(ctx.account, "Loose", f.allow("s3:*"))
        for policy in (guarded, loose):
            target.call("attach", ctx, policy_arn=policy.arn)
        f.put_user_policy(
            bob,
            "DetachButNotTheGuardrail",
            f.allow(f"iam:Detach{target.title}Policy"),
            f.deny(
                f"iam:Detach{target.title}Policy", Condition={"ArnEquals": {"iam:PolicyARN": guarded.arn}}
            ),
        )
        target.call("detach", f.context_for(bob), policy_arn=loose.arn)
        with pytest.raises(AccessDeniedError, match="with an explicit deny in an identity-based policy$"):
            target.call("detach", f.context_for(bob), policy_arn=guarded.arn)
        assert target.attached() == ["Guardrail"]


class ListAttachedPoliciesTests:
    """ListAttachedUserPolicies, ListAttachedGroupPolicies, ListAttachedRolePolicies."""

    def test_by_policy_name_and_path_prefix(self, ctx, target):
        for name, path in [("Ops", "/ops/"), ("Admin", "/"), ("Dev", "/dev/"), ("DevTools", "/dev/tools/")]:
            target.call(
                "attach", ctx, policy_arn=f.managed_policy(ctx.account, name, f.allow(), path=path).arn
            )
        f.managed_policy(ctx.account, "Unattached", f.allow(), path="/dev/")
        page = target.call("list_attached", ctx)
        assert [(p.policy_name, p.arn) for p in page.items] == [
            (name, f"arn:aws:iam::{ctx.account.account_id}:policy{path}{name}")
            for name, path in [
                ("Admin", "/"),
                ("Dev", "/dev/"),
                ("DevTools", "/dev/tools/"),
                ("Ops", "/ops/"),
            ]
        ]
        assert (page.is_truncated, page.marker) == (False, None)
        dev = target.call("list_attached", ctx, path_prefix="/dev/")
        assert [p.policy_name for p in dev.items] == ["Dev", "DevTools"]
        assert target.call("list_attached", ctx, path_prefix="/none/").items == []

    def test_only_the_identitys_own_attachments(self, ctx, target):
        mine = f.managed_policy(ctx.account, "Mine", f.allow())
        theirs = f.managed_policy(ctx.account, "Theirs", f.allow())
        target.call("attach", ctx, policy_arn=mine.arn)
        make_target(ctx, target.noun, "neighbour").call("attach", ctx, policy_arn=theirs.arn)
        assert [p.policy_name for p in target.call("list_attached", ctx).items] == ["Mine"]

    def test_a_users_list_leaves_out_its_groups_policies(self, ctx):
        alice = make_target(ctx, "user")
        devs = make_target(ctx, "group")
        groups.add_user_to_group(ctx, group_name="devs", user_name="alice")
        devs.call("attach", ctx, policy_arn=f.managed_policy(ctx.account, "GroupPolicy", f.allow()).arn)
        assert alice.call("list_attached", ctx).items == []

    def test_pages_with_marker_and_max_items(self, ctx, target):
        for i in range(5):
            target.call("attach", ctx, policy_arn=f.managed_policy(ctx.account, f"P{i}", f.allow()).arn)
        seen, marker, truncated = [], None, []
        while True:
            page = target.call("list_attached", ctx, marker=marker, max_items=2)
            seen += [p.policy_name for p in page.items]
            truncated.append(page.is_truncated)
            if not page.is_truncated:
                assert page.marker is None
                break
            marker = page.marker
        assert seen == ["P0", "P1", "P2", "P3", "P4"] and truncated == [True, True, False]

    def test_bad_path_prefix_max_items_and_marker(self, ctx, target):
        with pytest.raises(ValidationError) as caught:
            target.call("list_attached", ctx, path_prefix="dev")
        assert caught.value.message == (
            "1 validation error detected: Value 'dev' at 'pathPrefix' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/"
        )
        with pytest.raises(ValidationError, match="at 'maxItems' failed to satisfy constraint"):
            target.call("list_attached", ctx, max_items=0)
        with pytest.raises(ValidationError, match="at 'marker' failed to satisfy constraint"):
            target.call("list_attached", ctx, marker="not-a-marker")

    def test_unknown_identity(self, ctx, target):
        with pytest.raises(NoSuchEntityError) as caught:
            target.call("list_attached", ctx, name="ghost")
        assert caught.value.message == f"The {target.noun} with name ghost cannot be found."

    def test_a_user_without_policies_is_denied(self, ctx, target, acct, bob):
        action = f"iam:ListAttached{target.title}Policies"
        with pytest.raises(AccessDeniedError) as caught:
            target.call("list_attached", f.context_for(bob))
        assert caught.value.message == denial(acct, "bob", action, target.entity.arn)
        assert events(action) == [("denied", "AccessDenied")]

    def test_query_count_does_not_grow_with_attachments(self, ctx, django_assert_num_queries):
        counts = []
        for noun, n in [("user", 2), ("user", 10), ("group", 2), ("group", 10), ("role", 2), ("role", 10)]:
            target = make_target(ctx, noun, f"{noun}{n}")
            for i in range(n):
                policy = f.managed_policy(ctx.account, f"{noun}{n}-{i:02}", f.allow())
                target.call("attach", ctx, policy_arn=policy.arn)
            with django_assert_num_queries(2) as captured:  # the identity, then the page
                page = target.call("list_attached", f.root_context(ctx.caller))
                arns = [(p.policy_name, p.arn) for p in page.items]
            counts.append(len(captured.captured_queries))
            assert len(arns) == n
        assert counts == [2] * 6


class PutPolicyTests:
    """PutUserPolicy, PutGroupPolicy, PutRolePolicy."""

    def test_embeds_a_policy(self, ctx, target):
        document = f.document(f.allow("s3:GetObject", "arn:aws:s3:::reports/*"))
        before = generation(ctx)
        assert target.call("put", ctx, policy_name="Reports", policy_document=document) is None
        assert target.inline() == {"Reports": document}
        assert generation(ctx) == before + 1
        action = f"iam:Put{target.title}Policy"
        assert events(action) == [("success", "")]
        event = AuditEvent.objects.get(action=action)
        assert (event.actor_arn, event.target_arn) == (ctx.caller.arn, target.entity.arn)
        assert event.parameters == {
            f"{target.noun}_name": target.name,
            "policy_name": "Reports",
            "policy_document": document,
        }

    def test_a_put_with_the_same_name_replaces(self, ctx, target):
        first = f.document(f.allow("s3:GetObject"))
        second = f.document(f.allow("s3:PutObject"))
        target.call("put", ctx, policy_name="P", policy_document=first)
        target.call("put", ctx, policy_name="Q", policy_document=first)
        before = generation(ctx)
        target.call("put", ctx, policy_name="P", policy_document=second)
        assert target.inline() == {"P": second, "Q": first}
        assert generation(ctx) == before + 1

    def test_names_are_per_identity(self, ctx, target):
        other = make_target(ctx, target.noun, "other")
        target.call("put", ctx, policy_name="P", policy_document=f.document(f.allow("s3:GetObject")))
        other.call("put", ctx, policy_name="P", policy_document=f.document(f.allow("s3:PutObject")))
        assert list(target.inline()) == ["P"] and list(other.inline()) == ["P"]
        assert target.inline() != other.inline()

    def test_the_aggregate_size_of_the_identitys_inline_policies_is_limited(self, ctx, target):
        quota = SIZE_QUOTA[target.noun]
        message = f"Maximum policy size of {quota} bytes exceeded for {target.noun} {target.name}"
        target.call("put", ctx, policy_name="Big", policy_document=sized(quota - 300))
        target.call("put", ctx, policy_name="Small", policy_document=sized(300))  # exactly the quota
        before = generation(ctx)
        with pytest.raises(LimitExceededError) as caught:
            target.call("put", ctx, policy_name="OneMore", policy_document=sized(150))
        assert caught.value.code == "LimitExceeded"
        assert caught.value.message == message
        # Replacing a policy counts the new document instead of the old one, not both.
        target.call("put", ctx, policy_name="Small", policy_document=sized(300, "s3:PutObject"))
        with pytest.raises(LimitExceededError, match=f"^{message}$"):
            target.call("put", ctx, policy_name="Small", policy_document=sized(301))
        assert sorted(target.inline()) == ["Big", "Small"]
        assert size(target.inline()["Small"]) == 300
        assert generation(ctx) == before + 1
        action = f"iam:Put{target.title}Policy"
        assert events(action) == [("success", "")] * 2 + [("failed", "LimitExceeded"), ("success", "")] + [
            ("failed", "LimitExceeded")
        ]
        make_target(ctx, target.noun, "other").call(  # the quota is per identity
            "put", ctx, policy_name="OneMore", policy_document=sized(150)
        )

    def test_one_document_over_the_quota(self, ctx, target):
        quota = SIZE_QUOTA[target.noun]
        with pytest.raises(LimitExceededError) as caught:
            target.call("put", ctx, policy_name="Huge", policy_document=sized(quota + 1))
        assert caught.value.message == (
            f"Maximum policy size of {quota} bytes exceeded for {target.noun} {target.name}"
        )
        assert target.inline() == {}

    def test_white_space_does_not_count(self, ctx, target):
        quota = SIZE_QUOTA[target.noun]
        spacious = json.dumps(json.loads(sized(quota)), indent=8)
        assert len(spacious) > quota
        target.call("put", ctx, policy_name="Spacious", policy_document=spacious)
        assert target.inline() == {"Spacious": spacious}

    def test_the_identity_named_in_another_case_is_named_as_stored(self, ctx, target):
        quota = SIZE_QUOTA[target.noun]
        with pytest.raises(LimitExceededError) as caught:
            target.call(
                "put", ctx, name=target.name.upper(), policy_name="P", policy_document=sized(quota + 1)
            )
        assert caught.value.message.endswith(f"exceeded for {target.noun} {target.name}")

    def test_a_malformed_document(self, ctx, target):
        bad = f.document({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"})
        with pytest.raises(MalformedPolicyDocumentError) as caught:
            target.call("put", ctx, policy_name="P", policy_document=bad)
        assert caught.value.code == "MalformedPolicyDocument"
        assert caught.value.message.startswith(
            "Unsupported element: An identity-based policy must not have a Principal element"
        )
        with pytest.raises(MalformedPolicyDocumentError, match="^Json syntax error: "):
            target.call("put", ctx, policy_name="P", policy_document="{")
        assert target.inline() == {}

    @pytest.mark.parametrize(
        ("document", "constraint"),
        [
            (None, "not be null"),
            ("", "have length greater than or equal to 1"),
            ('{"Version": "2012-10-17", "Statement": "ü€"}', "satisfy regular expression pattern"),
        ],
    )
    def test_document_constraints(self, ctx, target, document, constraint):
        with pytest.raises(ValidationError) as caught:
            target.call("put", ctx, policy_name="P", policy_document=document)
        assert "at 'policyDocument' failed to satisfy constraint: Member must " + constraint in (
            caught.value.message
        )

    @pytest.mark.parametrize(
        ("name", "constraint"),
        [
            ("", "not be null"),
            ("p" * 129, "have length less than or equal to 128"),
            ("bad name", r"satisfy regular expression pattern: [\w+=,.@-]+"),
            ("a/b", r"satisfy regular expression pattern: [\w+=,.@-]+"),
        ],
    )
    def test_policy_name_constraints(self, ctx, target, name, constraint):
        with pytest.raises(ValidationError) as caught:
            target.call("put", ctx, policy_name=name, policy_document=f.document(f.allow()))
        assert caught.value.message == (
            f"1 validation error detected: Value '{name}' at 'policyName' failed to satisfy constraint: "
            f"Member must {constraint}"
        )

    def test_policy_names_of_128_characters_and_all_allowed_punctuation(self, ctx, target):
        for name in ["p" * 128, "a_+=,.@-b"]:
            target.call("put", ctx, policy_name=name, policy_document=f.document(f.allow("s3:GetObject")))
        assert sorted(target.inline()) == sorted(["p" * 128, "a_+=,.@-b"])

    def test_unknown_identity(self, ctx, target):
        with pytest.raises(NoSuchEntityError) as caught:
            target.call("put", ctx, name="ghost", policy_name="P", policy_document=f.document(f.allow()))
        assert caught.value.message == f"The {target.noun} with name ghost cannot be found."

    def test_a_user_without_policies_is_denied(self, ctx, target, acct, bob):
        action = f"iam:Put{target.title}Policy"
        with pytest.raises(AccessDeniedError) as caught:
            target.call("put", f.context_for(bob), policy_name="P", policy_document=f.document(f.allow()))
        assert caught.value.message == denial(acct, "bob", action, target.entity.arn)
        assert events(action) == [("denied", "AccessDenied")]
        assert target.inline() == {}


class DeletePolicyTests:
    """DeleteUserPolicy, DeleteGroupPolicy, DeleteRolePolicy."""

    def test_deletes(self, ctx, target):
        target.call("put", ctx, policy_name="Keep", policy_document=f.document(f.allow("s3:GetObject")))
        target.call("put", ctx, policy_name="Drop", policy_document=f.document(f.allow("s3:PutObject")))
        before = generation(ctx)
        assert target.call("delete", ctx, policy_name="Drop") is None
        assert list(target.inline()) == ["Keep"]
        assert generation(ctx) == before + 1
        action = f"iam:Delete{target.title}Policy"
        assert events(action) == [("success", "")]
        event = AuditEvent.objects.get(action=action)
        assert event.target_arn == target.entity.arn
        assert event.parameters == {f"{target.noun}_name": target.name, "policy_name": "Drop"}

    def test_a_policy_that_is_not_there(self, ctx, target):
        make_target(ctx, target.noun, "other").call(
            "put", ctx, policy_name="Elsewhere", policy_document=f.document(f.allow("s3:GetObject"))
        )
        before = generation(ctx)
        with pytest.raises(NoSuchEntityError) as caught:
            target.call("delete", ctx, policy_name="Elsewhere")
        assert caught.value.code == "NoSuchEntity"
        assert caught.value.message == f"The {target.noun} policy with name Elsewhere cannot be found."
        assert events(f"iam:Delete{target.title}Policy") == [("failed", "NoSuchEntity")]
        assert generation(ctx) == before
        assert INLINE[target.noun].objects.count() == 1

    def test_unknown_identity(self, ctx, target):
        with pytest.raises(NoSuchEntityError) as caught:
            target.call("delete", ctx, name="ghost", policy_name="P")
        assert caught.value.message == f"The {target.noun} with name ghost cannot be found."

    def test_a_user_without_policies_is_denied(self, ctx, target, acct, bob):
        target.call("put", ctx, policy_name="P", policy_document=f.document(f.allow("s3:GetObject")))
        action = f"iam:Delete{target.title}Policy"
        with pytest.raises(AccessDeniedError) as caught:
            target.call("delete", f.context_for(bob), policy_name="P")
        assert caught.value.message == denial(acct, "bob", action, target.entity.arn)
        assert events(action) == [("denied", "AccessDenied")]
        assert list(target.inline()) == ["P"]


class GetPolicyTests:
    """GetUserPolicy, GetGroupPolicy, GetRolePolicy."""

    def test_the_name_and_the_document_as_put(self, ctx, target):
        document = json.dumps(json.loads(f.document(f.allow("s3:GetObject"))), indent=2)
        target.call("put", ctx, policy_name="Reports", policy_document=document)
        got = target.call("get", ctx, name=target.name.upper(), policy_name="Reports")
        assert got == reads.InlinePolicy(target.name, "Reports", document)

    def test_a_policy_that_is_not_there(self, ctx, target):
        target.call("put", ctx, policy_name="Reports", policy_document=f.document(f.allow("s3:GetObject")))
        with pytest.raises(NoSuchEntityError) as caught:
            target.call("get", ctx, policy_name="Other")
        assert caught.value.message == f"The {target.noun} policy with name Other cannot be found."

    def test_unknown_identity(self, ctx, target):
        with pytest.raises(NoSuchEntityError) as caught:
            target.call("get", ctx, name="ghost", policy_name="P")
        assert caught.value.message == f"The {target.noun} with name ghost cannot be found."

    def test_policy_name_constraints(self, ctx, target):
        with pytest.raises(ValidationError, match="at 'policyName' failed to satisfy constraint"):
            target.call("get", ctx, policy_name="bad name")

    def test_a_user_without_policies_is_denied(self, ctx, target, acct, bob):
        target.call("put", ctx, policy_name="P", policy_document=f.document(f.allow("s3:GetObject")))
        action = f"iam:Get{target.title}Policy"
        with pytest.raises(AccessDeniedError) as caught:
            target.call("get", f.context_for(bob), policy_name="P")
        assert caught.value.message == denial(acct, "bob", action, target.entity.arn)
        assert events(action) == [("denied", "AccessDenied")]


class ListPoliciesTests:
    """ListUserPolicies, ListGroupPolicies, ListRolePolicies."""

    def test_names_in_order(self, ctx, target):
        for name in ["ops", "admin", "dev"]:
            target.call("put", ctx, policy_name=name, policy_document=f.document(f.allow("s3:GetObject")))
        make_target(ctx, target.noun, "other").call(
            "put", ctx, policy_name="elsewhere", policy_document=f.document(f.allow("s3:GetObject"))
        )
        page = target.call("list", ctx)
        assert (page.items, page.is_truncated, page.marker) == (["admin", "dev", "ops"], False, None)

    def test_none(self, ctx, target):
        assert target.call("list", ctx).items == []

    def test_pages_with_marker_and_max_items(self, ctx, target):
        for i in range(5):
            target.call("put", ctx, policy_name=f"p{i}", policy_document=f.document(f.allow("s3:GetObject")))
        seen, marker, truncated = [], None, []
        while True:
            page = target.call("list", ctx, marker=marker, max_items=2)
            seen += page.items
            truncated.append(page.is_truncated)
            if not page.is_truncated:
                assert page.marker is None
                break
            marker = page.marker
        assert seen == ["p0", "p1", "p2", "p3", "p4"] and truncated == [True, True, False]

    def test_bad_max_items_and_marker(self, ctx, target):
        with pytest.raises(ValidationError, match="at 'maxItems' failed to satisfy constraint"):
            target.call("list", ctx, max_items=1001)
        with pytest.raises(ValidationError, match="at 'marker' failed to satisfy constraint"):
            target.call("list", ctx, marker="not-a-marker")

    def test_unknown_identity(self, ctx, target):
        with pytest.raises(NoSuchEntityError) as caught:
            target.call("list", ctx, name="ghost")
        assert caught.value.message == f"The {target.noun} with name ghost cannot be found."

    def test_a_user_without_policies_is_denied(self, ctx, target, acct, bob):
        action = f"iam:List{target.title}Policies"
        with pytest.raises(AccessDeniedError) as caught:
            target.call("list", f.context_for(bob))
        assert caught.value.message == denial(acct, "bob", action, target.entity.arn)
        assert events(action) == [("denied", "AccessDenied")]

    def test_query_count_does_not_grow_with_policies(self, ctx, target, django_assert_num_queries):
        document = f.document(f.allow("s3:GetObject"))
        model = INLINE[target.noun]
        counts = []
        for first, n in [(0, 10), (10, 490)]:
            model.objects.bulk_create(
                model(**{target.noun: target.entity}, policy_name=f"p{i:04}", document=document)
                for i in range(first, first + n)
            )
            with django_assert_num_queries(2) as captured:  # the identity, then the page
                page = target.call("list", f.root_context(ctx.caller), max_items=1000)
            counts.append(len(captured.captured_queries))
        assert counts == [2, 2]
        assert page.items == [f"p{i:04}" for i in range(500)]


class PermissionsBoundaryTests:
    """PutUserPermissionsBoundary, DeleteUserPermissionsBoundary, PutRolePermissionsBoundary,
    DeleteRolePermissionsBoundary."""

    @pytest.fixture(params=["user", "role"])
    def bounded(self, request, ctx) -> Target:
        return make_target(ctx, request.param)

    @staticmethod
    def put(target: Target, ctx, arn: str, name: str | None = None) -> None:
        function = getattr(attachments, f"put_{target.noun}_permissions_boundary")
        function(ctx, **{f"{target.noun}_name": name or target.name}, permissions_boundary=arn)

    @staticmethod
    def delete(target: Target, ctx, name: str | None = None) -> None:
        function = getattr(attachments, f"delete_{target.noun}_permissions_boundary")
        function(ctx, **{f"{target.noun}_name": name or target.name})

    @staticmethod
    def boundary(target: Target) -> str | None:
        fresh = type(target.entity).objects.select_related("permissions_boundary").get(pk=target.entity.pk)
        return fresh.permissions_boundary.arn if fresh.permissions_boundary else None

    def test_sets_replaces_and_deletes(self, ctx, bounded):
        first = f.managed_policy(ctx.account, "First", f.allow("s3:*"))
        second = f.managed_policy(None, "Second", f.allow("ec2:*"))
        before = generation(ctx)
        self.put(bounded, ctx, first.arn)
        assert self.boundary(bounded) == first.arn
        self.put(bounded, ctx, second.arn)
        assert self.boundary(bounded) == second.arn
        self.delete(bounded, ctx)
        assert self.boundary(bounded) is None
        assert generation(ctx) == before + 3
        title = bounded.title
        assert events(f"iam:Put{title}PermissionsBoundary") == [("success", "")] * 2
        assert events(f"iam:Delete{title}PermissionsBoundary") == [("success", "")]
        put_event = AuditEvent.objects.filter(action=f"iam:Put{title}PermissionsBoundary").first()
        assert put_event.target_arn == bounded.entity.arn
        assert put_event.parameters == {
            f"{bounded.noun}_name": bounded.name,
            "permissions_boundary": first.arn,
        }
        delete_event = AuditEvent.objects.get(action=f"iam:Delete{title}PermissionsBoundary")
        assert delete_event.parameters == {f"{bounded.noun}_name": bounded.name}

    def test_deleting_when_none_is_set_succeeds(self, ctx, bounded):
        before = generation(ctx)
        self.delete(bounded, ctx)
        assert self.boundary(bounded) is None
        assert generation(ctx) == before
        assert events(f"iam:Delete{bounded.title}PermissionsBoundary") == [("success", "")]

    def test_unknown_boundary(self, ctx, bounded, acct):
        arn = f"arn:aws:iam::{acct}:policy/Nope"
        with pytest.raises(NoSuchEntityError) as caught:
            self.put(bounded, ctx, arn)
        assert caught.value.message == f"Scope ARN: {arn} does not exist or is not attachable."
        theirs = f.managed_policy(f.root_context().account, "Theirs", f.allow())
        with pytest.raises(NoSuchEntityError, match="does not exist or is not attachable.$"):
            self.put(bounded, ctx, theirs.arn)
        assert self.boundary(bounded) is None

    def test_boundary_arn_constraints(self, ctx, bounded):
        with pytest.raises(ValidationError, match="at 'permissionsBoundary' failed to satisfy constraint"):
            self.put(bounded, ctx, "short")
        with pytest.raises(InvalidInputError, match="^ARN policy/that-is-not-an-arn is not valid.$"):
            self.put(bounded, ctx, "policy/that-is-not-an-arn")

    def test_unknown_identity(self, ctx, bounded):
        policy = f.managed_policy(ctx.account, "P", f.allow())
        message = f"^The {bounded.noun} with name ghost cannot be found.$"
        with pytest.raises(NoSuchEntityError, match=message):
            self.put(bounded, ctx, policy.arn, name="ghost")
        with pytest.raises(NoSuchEntityError, match=message):
            self.delete(bounded, ctx, name="ghost")

    def test_a_user_without_policies_is_denied(self, ctx, bounded, acct, bob):
        policy = f.managed_policy(ctx.account, "P", f.allow())
        self.put(bounded, ctx, policy.arn)
        for verb, call in [
            ("Put", lambda c: self.put(bounded, c, policy.arn)),
            ("Delete", lambda c: self.delete(bounded, c)),
        ]:
            action = f"iam:{verb}{bounded.title}PermissionsBoundary"
            with pytest.raises(AccessDeniedError) as caught:
                call(f.context_for(bob))
            assert caught.value.message == denial(acct, "bob", action, bounded.entity.arn)
            assert events(action)[-1] == ("denied", "AccessDenied")
        assert self.boundary(bounded) == policy.arn

    def test_the_boundary_reaches_the_policy_as_iam_permissions_boundary(self, ctx, bounded, bob):
        approved = f.managed_policy(ctx.account, "Approved", f.allow(["s3:*"]))
        other = f.managed_policy(ctx.account, "Other", f.allow())
        title = bounded.title
        f.put_user_policy(
            bob,
            "ApprovedBoundaryOnly",
            f.allow(
                f"iam:Put{title}PermissionsBoundary",
                Condition={"StringEquals": {"iam:PermissionsBoundary": approved.arn}},
            ),
            f.allow(f"iam:Delete{title}PermissionsBoundary"),
            f.deny(
                f"iam:Delete{title}PermissionsBoundary",
                Condition={"StringEquals": {"iam:PermissionsBoundary": approved.arn}},
            ),
        )
        with pytest.raises(AccessDeniedError):
            self.put(bounded, f.context_for(bob), other.arn)
        self.put(bounded, f.context_for(bob), approved.arn)
        with pytest.raises(AccessDeniedError, match="with an explicit deny in an identity-based policy$"):
            self.delete(bounded, f.context_for(bob))  # the approved boundary cannot be removed
        self.put(bounded, ctx, other.arn)
        self.delete(bounded, f.context_for(bob))  # another boundary can
        assert self.boundary(bounded) is None


class EffectOnAuthorizationTests:
    """What a principal may do follows these writes at once."""

    def test_attaching_an_admin_policy_to_a_group_empowers_its_members_and_detaching_takes_it_away(
        self, ctx, acct
    ):
        admin = aws_managed("AdministratorAccess", f.allow())
        groups.create_group(ctx, group_name="Admins")
        dana = users.create_user(ctx, user_name="dana")
        groups.add_user_to_group(ctx, group_name="Admins", user_name="dana")
        target = f"arn:aws:iam::{acct}:user/newhire"
        assert not is_allowed(f.context_for(dana), "iam:CreateUser", target)  # also warms the cache
        attachments.attach_group_policy(ctx, group_name="Admins", policy_arn=admin.arn)
        assert is_allowed(f.context_for(dana), "iam:CreateUser", target)
        users.create_user(f.context_for(dana), user_name="newhire")
        attachments.detach_group_policy(ctx, group_name="Admins", policy_arn=admin.arn)
        assert not is_allowed(f.context_for(dana), "iam:CreateUser", target)
        with pytest.raises(AccessDeniedError, match="because no identity-based policy allows"):
            users.create_user(f.context_for(dana), user_name="another")

    def test_attaching_and_detaching_a_user_policy_takes_effect_at_once(self, ctx, acct):
        reader = f.managed_policy(ctx.account, "ListUsers", f.allow("iam:ListUsers"))
        erin = users.create_user(ctx, user_name="erin")
        with pytest.raises(AccessDeniedError):
            user_reads.list_users(f.context_for(erin))
        attachments.attach_user_policy(ctx, user_name="erin", policy_arn=reader.arn)
        assert "erin" in [u.user_name for u in user_reads.list_users(f.context_for(erin)).items]
        attachments.detach_user_policy(ctx, user_name="erin", policy_arn=reader.arn)
        with pytest.raises(AccessDeniedError):
            user_reads.list_users(f.context_for(erin))

    def test_a_user_boundary_limits_an_attached_admin_policy(self, ctx, acct):
        admin = aws_managed("AdministratorAccess", f.allow())
        read_only = f.managed_policy(ctx.account, "IamReadOnly", f.allow(["iam:Get*", "iam:List*"]))
        frank = users.create_user(ctx, user_name="frank")
        attachments.attach_user_policy(ctx, user_name="frank", policy_arn=admin.arn)
        target = f"arn:aws:iam::{acct}:user/x"
        assert is_allowed(f.context_for(frank), "iam:CreateUser", target)
        attachments.put_user_permissions_boundary(ctx, user_name="frank", permissions_boundary=read_only.arn)
        assert is_allowed(f.context_for(frank), "iam:GetUser", target)
        assert not is_allowed(f.context_for(frank), "iam:CreateUser", target)
        with pytest.raises(AccessDeniedError) as caught:
            authorize(f.context_for(frank), "iam:CreateUser", target)
        assert caught.value.message.endswith(
            "because no permissions boundary allows the iam:CreateUser action"
        )
        attachments.delete_user_permissions_boundary(ctx, user_name="frank")
        assert is_allowed(f.context_for(frank), "iam:CreateUser", target)

    def test_an_inline_deny_wins_over_an_attached_allow(self, ctx, acct):
        admin = aws_managed("AdministratorAccess", f.allow())
        gail = users.create_user(ctx, user_name="gail")
        attachments.attach_user_policy(ctx, user_name="gail", policy_arn=admin.arn)
        users.create_user(ctx, user_name="victim")
        attachments.put_user_policy(
            ctx, user_name="gail", policy_name="NoDeletes", policy_document=f.document(f.deny("iam:Delete*"))
        )
        with pytest.raises(AccessDeniedError) as caught:
            users.delete_user(f.context_for(gail), user_name="victim")
        assert caught.value.message == (
            f"User: arn:aws:iam::{acct}:user/gail is not authorized to perform: iam:DeleteUser on resource: "
            f"arn:aws:iam::{acct}:user/victim with an explicit deny in an identity-based policy"
        )
        attachments.delete_user_policy(ctx, user_name="gail", policy_name="NoDeletes")
        users.delete_user(f.context_for(gail), user_name="victim")
        assert not User.objects.filter(user_name="victim").exists()

    def test_a_group_inline_policy_reaches_members_and_leaves_with_it(self, ctx, acct):
        groups.create_group(ctx, group_name="Readers")
        hank = users.create_user(ctx, user_name="hank")
        groups.add_user_to_group(ctx, group_name="Readers", user_name="hank")
        assert not is_allowed(f.context_for(hank), "iam:ListGroups", f"arn:aws:iam::{acct}:group/")
        attachments.put_group_policy(
            ctx,
            group_name="Readers",
            policy_name="List",
            policy_document=f.document(f.allow("iam:ListGroups")),
        )
        assert is_allowed(f.context_for(hank), "iam:ListGroups", f"arn:aws:iam::{acct}:group/")
        attachments.delete_group_policy(ctx, group_name="Readers", policy_name="List")
        assert not is_allowed(f.context_for(hank), "iam:ListGroups", f"arn:aws:iam::{acct}:group/")


class DeleteConflictTests:
    """DeleteUser, DeleteGroup and DeleteRole conflict while these policies hang off the identity."""

    def test_delete_user_after_deleting_inline_and_detaching_managed_policies(self, ctx):
        users.create_user(ctx, user_name="alice")
        policy = f.managed_policy(ctx.account, "P", f.allow("s3:*"))
        attachments.attach_user_policy(ctx, user_name="alice", policy_arn=policy.arn)
        attachments.put_user_policy(
            ctx, user_name="alice", policy_name="inline", policy_document=f.document(f.allow("s3:*"))
        )
        with pytest.raises(DeleteConflictError, match="^Cannot delete entity, must delete policies first.$"):
            users.delete_user(ctx, user_name="alice")
        attachments.delete_user_policy(ctx, user_name="alice", policy_name="inline")
        with pytest.raises(
            DeleteConflictError, match="^Cannot delete entity, must detach all policies first.$"
        ):
            users.delete_user(ctx, user_name="alice")
        attachments.detach_user_policy(ctx, user_name="alice", policy_arn=policy.arn)
        users.delete_user(ctx, user_name="alice")
        assert events("iam:DeleteUser") == [("failed", "DeleteConflict")] * 2 + [("success", "")]
        assert not User.objects.filter(user_name="alice").exists()

    def test_delete_group_after_deleting_inline_and_detaching_managed_policies(self, ctx):
        groups.create_group(ctx, group_name="devs")
        policy = f.managed_policy(None, "P", f.allow("s3:*"))
        attachments.attach_group_policy(ctx, group_name="devs", policy_arn=policy.arn)
        attachments.put_group_policy(
            ctx, group_name="devs", policy_name="inline", policy_document=f.document(f.allow("s3:*"))
        )
        with pytest.raises(DeleteConflictError, match="^Cannot delete entity, must delete policies first.$"):
            groups.delete_group(ctx, group_name="devs")
        attachments.delete_group_policy(ctx, group_name="devs", policy_name="inline")
        with pytest.raises(
            DeleteConflictError, match="^Cannot delete entity, must detach all policies first.$"
        ):
            groups.delete_group(ctx, group_name="devs")
        attachments.detach_group_policy(ctx, group_name="devs", policy_arn=policy.arn)
        groups.delete_group(ctx, group_name="devs")
        assert events("iam:DeleteGroup") == [("failed", "DeleteConflict")] * 2 + [("success", "")]
        assert not Group.objects.exists()

    def test_delete_role_after_deleting_inline_and_detaching_managed_policies(self, ctx):
        roles.create_role(ctx, role_name="app", assume_role_policy_document=TRUST)
        policy = f.managed_policy(ctx.account, "P", f.allow("s3:*"))
        attachments.attach_role_policy(ctx, role_name="app", policy_arn=policy.arn)
        attachments.put_role_policy(
            ctx, role_name="app", policy_name="inline", policy_document=f.document(f.allow("s3:*"))
        )
        with pytest.raises(DeleteConflictError, match="^Cannot delete entity, must delete policies first.$"):
            roles.delete_role(ctx, role_name="app")
        attachments.delete_role_policy(ctx, role_name="app", policy_name="inline")
        with pytest.raises(
            DeleteConflictError, match="^Cannot delete entity, must detach all policies first.$"
        ):
            roles.delete_role(ctx, role_name="app")
        attachments.detach_role_policy(ctx, role_name="app", policy_arn=policy.arn)
        roles.delete_role(ctx, role_name="app")
        assert events("iam:DeleteRole") == [("failed", "DeleteConflict")] * 2 + [("success", "")]
        assert not Role.objects.exists()

    def test_a_user_with_a_boundary_can_be_deleted(self, ctx):
        boundary = f.managed_policy(ctx.account, "Boundary", f.allow("s3:*"))
        users.create_user(ctx, user_name="alice")
        attachments.put_user_permissions_boundary(ctx, user_name="alice", permissions_boundary=boundary.arn)
        users.delete_user(ctx, user_name="alice")
        assert not User.objects.filter(user_name="alice").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_attaches_to_one_user_stop_at_ten_policies():
    ctx = f.root_context()
    users.create_user(ctx, user_name="racer")
    policies = [f.managed_policy(ctx.account, f"P{i:02}", f.allow("s3:*")) for i in range(20)]
    before = generation(ctx)
    results: list[str] = []
    barrier = threading.Barrier(20, timeout=30)

    def attempt(arn: str) -> None:
        try:
            barrier.wait()
            attachments.attach_user_policy(f.root_context(ctx.caller), user_name="racer", policy_arn=arn)
            results.append("ok")
        except LimitExceededError as exc:
            results.append(exc.message)
        except Exception as exc:  # anything else (a deadlock, say) must show in the assertion below
            results.append(repr(exc))
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=attempt, args=(p.arn,)) for p in policies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["Cannot exceed quota for PoliciesPerUser: 10"] * 10 + ["ok"] * 10
    assert UserPolicyAttachment.objects.filter(user__user_name="racer").count() == 10
    assert (
        sorted(events("iam:AttachUserPolicy")) == [("failed", "LimitExceeded")] * 10 + [("success", "")] * 10
    )
    assert generation(ctx) == before + 10


class NewcomerSelfServiceTests:
    """AWS's training material: a newcomer whose only policy lets them read themselves (and change
    their own password), through PutUserPolicy and the policy variable ${aws:username}."""

    def test_the_self_service_policy_allows_reading_oneself_and_nothing_else(self, ctx, acct):
        newcomer = users.create_user(ctx, user_name="newcomer")
        colleague = users.create_user(ctx, user_name="colleague")
        groups.create_group(ctx, group_name="devs")
        f.managed_policy(ctx.account, "Anything", f.allow())
        self_service = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["iam:ChangePassword", "iam:GetUser"],
                        "Resource": f"arn:aws:iam::{acct}:user/${{aws:username}}",
                    }
                ],
            }
        )
        attachments.put_user_policy(
            ctx, user_name="newcomer", policy_name="SelfService", policy_document=self_service
        )

        def me():
            return f.context_for(newcomer)

        assert user_reads.get_user(me()) == newcomer
        assert user_reads.get_user(me(), user_name="newcomer") == newcomer
        with pytest.raises(AccessDeniedError) as caught:
            user_reads.get_user(me(), user_name="colleague")
        assert caught.value.message == denial(acct, "newcomer", "iam:GetUser", colleague.arn)

        anything = f"arn:aws:iam::{acct}:policy/Anything"
        attempts = [
            lambda: user_reads.list_users(me()),
            lambda: users.create_user(me(), user_name="sidekick"),
            lambda: users.update_user(me(), user_name="newcomer", new_user_name="boss"),
            lambda: users.delete_user(me(), user_name="colleague"),
            lambda: groups.add_user_to_group(me(), group_name="devs", user_name="newcomer"),
            lambda: attachments.attach_user_policy(me(), user_name="newcomer", policy_arn=anything),
            lambda: attachments.put_user_policy(
                me(), user_name="newcomer", policy_name="More", policy_document=f.document(f.allow())
            ),
            lambda: attachments.delete_user_policy(me(), user_name="newcomer", policy_name="SelfService"),
            lambda: attachments.put_user_permissions_boundary(
                me(), user_name="newcomer", permissions_boundary=anything
            ),
            lambda: reads.get_user_policy(me(), user_name="newcomer", policy_name="SelfService"),
            lambda: reads.list_user_policies(me(), user_name="newcomer"),
            lambda: reads.list_attached_user_policies(me(), user_name="newcomer"),
        ]
        for attempt in attempts:
            with pytest.raises(AccessDeniedError, match="because no identity-based policy allows"):
                attempt()
        assert [user_reads.get_user(ctx, user_name=n).user_name for n in ("newcomer", "colleague")] == [
            "newcomer",
            "colleague",
        ]
        assert reads.list_user_policies(ctx, user_name="newcomer").items == ["SelfService"]
        assert reads.list_attached_user_policies(ctx, user_name="newcomer").items == []
        assert (
            AuditEvent.objects.filter(outcome="denied", actor_arn=newcomer.arn).count() == len(attempts) + 1
        )
