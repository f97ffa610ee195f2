"""STS at the service level: GetSessionToken and AssumeRole called with RequestContexts, and requests
signed with the credentials they issue (built as the Query API builds them).

The condition keys a role session sends, session tags and session policies deciding, staleness of a
live session's policies, sts:TagSession / sts:SetSourceIdentity, MFA, role chaining, cross-account
roles, clean-up of expired sessions and the members' validation messages. The boto3 scenarios are in
tests/query_api/test_sts.py.
"""

from __future__ import annotations

import base64
import math
from datetime import timedelta

import pytest
from django_otp.oath import TOTP, hotp

from accounts.authz import request_context
from accounts.context import QUERY, AssumedRole, RequestContext
from accounts.models import AuditEvent, Group, MFADevice, Role, SessionCredential, User
from accounts.selectors.sts import signing_credentials
from accounts.services import mfa
from accounts.services.groups import create_group
from accounts.services.policy_attachments import attach_role_policy, delete_role_policy, put_role_policy
from accounts.services.roles import create_role, tag_role
from accounts.services.sts import AssumedRoleCredentials, TemporaryCredentials, assume_role, get_session_token
from accounts.services.users import create_user
from iam_portal.errors import (
    AccessDeniedError,
    InvalidClientTokenIdError,
    MalformedPolicyDocumentError,
    PackedPolicyTooLargeError,
    ValidationError,
)
from policies import services as policies
from tests import factories as f
from tests.factories import events

pytestmark = pytest.mark.django_db

LONG_TERM_KEY = "AKIAIOSFODNN7EXAMPLE"
MFA_FAILED = "MultiFactorAuthentication failed with invalid MFA one time pass code."
NOW = 1_800_000_015  # django-otp's clock in the MFA tests: 15 seconds into a step
T = NOW // 30


# Helpers --------------------------------------------------------------------------------------------


def long_term(user: User, **kwargs) -> RequestContext:
    """A Query API request signed with the user's long-term access key."""
    caller = User.objects.select_related("account").get(pk=user.pk)
    return RequestContext(caller=caller, channel=QUERY, access_key_id=LONG_TERM_KEY, **kwargs)


def as_session(credentials: TemporaryCredentials, *, service: str = "iam", **kwargs) -> RequestContext:
    """A Query API request signed with STS credentials, built as iam_portal/query_api/views.py does."""
    creds = signing_credentials(credentials.access_key_id, credentials.session_token, service=service)
    return RequestContext(
        caller=creds.caller,
        session=creds.session,
        mfa_authenticated_at=creds.mfa_authenticated_at,
        access_key_id=credentials.access_key_id,
        channel=QUERY,
        **kwargs,
    )


def trust(principal: str, actions: str | list[str] = "sts:AssumeRole", **extra) -> dict:
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions, **extra}


def make_role(
    ctx: RequestContext,
    name: str,
    *trust_statements: dict,
    allows: list[dict] | None = None,
    path: str = "/",
    tags: dict[str, str] | None = None,
) -> Role:
    """A role with the trust policy and (when given) an inline policy "perms", through the services."""
    role = create_role(
        ctx,
        role_name=name,
        path=path,
        assume_role_policy_document=f.document(*trust_statements),
        tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )
    if allows:
        put_role_policy(ctx, role_name=name, policy_name="perms", policy_document=f.document(*allows))
    return role


def assume(caller: RequestContext, role: Role, name: str = "s1", **kwargs) -> AssumedRoleCredentials:
    return assume_role(caller, role_arn=role.arn, role_session_name=name, **kwargs)


def session_of(answer: AssumedRoleCredentials | TemporaryCredentials) -> SessionCredential:
    credentials = answer.credentials if isinstance(answer, AssumedRoleCredentials) else answer
    return SessionCredential.objects.get(access_key_id=credentials.access_key_id)


def iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def group_arn(acct: str, name: str) -> str:
    return f"arn:aws:iam::{acct}:group/{name}"


def not_allowed(caller_arn: str, action: str, resource: str, layer: str = "identity-based policy") -> str:
    return (
        f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource} "
        f"because no {layer} allows the {action} action"
    )


def trust_denial(caller_arn: str, action: str, role: Role) -> str:
    return f"User: {caller_arn} is not authorized to perform: {action} on resource: {role.arn}"


def packed(policy: str | None, arns: list[str], tags: dict[str, str]) -> int:
    """The packed size in percent: non-white-space characters of the policy, the ARNs and the tags
    against 2,048, rounded up."""
    used = sum(ch not in " \t\n\r" for ch in policy or "") + sum(map(len, arns))
    used += sum(len(k) + len(v) for k, v in tags.items())
    return math.ceil(100 * used / 2048)


# django-otp's clock and codes (as in tests/accounts/test_mfa.py) -------------------------------------


class Clock:
    now = NOW


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fixed = Clock()
    monkeypatch.setattr(TOTP, "time", property(lambda self: fixed.now))
    return fixed


def code(device: mfa.NewVirtualMFADevice, step: int) -> str:
    return f"{hotp(base64.b32decode(device.base32_string_seed), step):06d}"


def wrong_code(device: mfa.NewVirtualMFADevice, around: int = T) -> str:
    near = {code(device, step) for step in range(around - 3, around + 4)}
    return next(c for c in (f"{n:06d}" for n in range(10**6)) if c not in near)


def enabled_device(ctx: RequestContext, user_name: str, device_name: str) -> mfa.NewVirtualMFADevice:
    """A virtual device enabled for the user with the codes of steps T-1 and T (its last_t is T)."""
    made = mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name=device_name)
    mfa.enable_mfa_device(
        ctx,
        user_name=user_name,
        serial_number=made.device.serial_number,
        authentication_code_1=code(made, T - 1),
        authentication_code_2=code(made, T),
    )
    return made


# Fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def dev(ctx) -> User:
    return create_user(ctx, user_name="dev")


@pytest.fixture
def deployer(ctx, acct, dev) -> Role:
    """/ci/deployer, tagged team=platform and env=prod: the account may assume it, tag the session and
    set a source identity; it may create groups whose name starts with team- while its principal tag
    team is platform, get roles, and create groups named si-… for source identity alice. dev may
    assume it (with tags and a source identity)."""
    role = make_role(
        ctx,
        "deployer",
        trust(f"arn:aws:iam::{acct}:root", ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]),
        allows=[
            f.allow(
                "iam:CreateGroup",
                group_arn(acct, "team-*"),
                Condition={
                    "StringEquals": {"aws:PrincipalTag/team": "platform", "aws:PrincipalType": "AssumedRole"},
                    "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{acct}:role/ci/deployer"},
                },
            ),
            f.allow(
                "iam:CreateGroup",
                group_arn(acct, "si-*"),
                Condition={"StringEquals": {"aws:SourceIdentity": "alice"}},
            ),
            f.allow("iam:GetRole"),
        ],
        path="/ci/",
        tags={"team": "platform", "env": "prod"},
    )
    f.put_user_policy(
        dev, "assume", f.allow(["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], role.arn)
    )
    return role


@pytest.fixture
def builder(ctx, acct, dev) -> Role:
    """A role the account may assume (tags allowed) that may create any group; dev may assume it."""
    role = make_role(
        ctx,
        "builder",
        trust(f"arn:aws:iam::{acct}:root", ["sts:AssumeRole", "sts:TagSession"]),
        allows=[f.allow("iam:CreateGroup")],
    )
    f.put_user_policy(dev, "assume-builder", f.allow(["sts:AssumeRole", "sts:TagSession"], role.arn))
    return role


# 1. The request context of a role session ----------------------------------------------------------


class RequestContextTests:
    def test_a_role_session_sends_the_role_keys_its_merged_tags_source_identity_and_issue_time(
        self, dev, deployer, acct
    ):
        caller = long_term(dev)
        answer = assume(
            caller,
            deployer,
            "release-1",
            tags=[{"Key": "team", "Value": "other"}, {"Key": "ticket", "Value": "T-1"}],
            source_identity="alice",
        )
        session = as_session(answer.credentials)
        assert isinstance(session.caller, AssumedRole) and session.account == deployer.account
        assert request_context(session) == {
            "aws:PrincipalAccount": acct,
            "aws:SecureTransport": "true",
            "aws:CurrentTime": iso(session.now),
            "aws:EpochTime": str(int(session.now.timestamp())),
            "aws:PrincipalArn": f"arn:aws:iam::{acct}:role/ci/deployer",  # the role's, with its path
            "aws:PrincipalType": "AssumedRole",
            "aws:userid": f"{deployer.role_id}:release-1",
            "aws:SourceIdentity": "alice",
            "aws:PrincipalTag/team": "other",  # the session tag wins over the role's
            "aws:PrincipalTag/env": "prod",
            "aws:PrincipalTag/ticket": "T-1",
            "aws:TokenIssueTime": iso(caller.now),  # when AssumeRole issued it
            "aws:MultiFactorAuthPresent": "false",
        }
        assert answer.assumed_role_id == f"{deployer.role_id}:release-1"
        assert answer.arn == f"arn:aws:sts::{acct}:assumed-role/deployer/release-1"  # no path
        assert answer.source_identity == "alice"

    def test_a_session_with_mfa_sends_true_and_the_age_of_the_mfa(self, dev, deployer, ctx, clock):
        device = enabled_device(ctx, "dev", "dev-phone")
        clock.now += 30
        answer = assume(
            long_term(dev),
            deployer,
            serial_number=device.device.serial_number,
            token_code=code(device, T + 1),
        )
        proved = session_of(answer).mfa_authenticated_at
        assert proved is not None
        keys = request_context(as_session(answer.credentials, now=proved + timedelta(seconds=125)))
        assert (keys["aws:MultiFactorAuthPresent"], keys["aws:MultiFactorAuthAge"]) == ("true", "125")

    def test_a_long_term_key_sends_no_mfa_key_and_a_user_session_sends_false(self, dev, acct):
        keys = request_context(long_term(dev))
        assert "aws:MultiFactorAuthPresent" not in keys and "aws:MultiFactorAuthAge" not in keys
        assert "aws:TokenIssueTime" not in keys
        assert (keys["aws:PrincipalType"], keys["aws:username"], keys["aws:userid"]) == (
            "User",
            "dev",
            dev.user_id,
        )
        caller = long_term(dev)
        user_session = as_session(get_session_token(caller), service="sts")
        keys = request_context(user_session)
        assert keys["aws:MultiFactorAuthPresent"] == "false" and "aws:MultiFactorAuthAge" not in keys
        assert keys["aws:TokenIssueTime"] == iso(caller.now)
        assert (keys["aws:PrincipalArn"], keys["aws:username"]) == (f"arn:aws:iam::{acct}:user/dev", "dev")


# 2. Those keys decide -------------------------------------------------------------------------------


class SessionKeysDecideTests:
    def test_the_principal_tag_condition_follows_the_session_tags(self, dev, deployer, acct):
        plain = as_session(assume(long_term(dev), deployer, "plain").credentials)
        assert create_group(plain, group_name="team-a").account == deployer.account

        tagged = as_session(
            assume(long_term(dev), deployer, "tagged", tags=[{"Key": "team", "Value": "other"}]).credentials
        )
        with pytest.raises(AccessDeniedError) as denied:
            create_group(tagged, group_name="team-b")
        assert denied.value.message == not_allowed(
            f"arn:aws:sts::{acct}:assumed-role/deployer/tagged", "iam:CreateGroup", group_arn(acct, "team-b")
        )
        assert not Group.objects.filter(group_name="team-b").exists()
        refused = AuditEvent.objects.get(action="iam:CreateGroup", outcome="denied")
        assert (refused.actor_arn, refused.access_key_id, refused.target_arn) == (
            f"arn:aws:sts::{acct}:assumed-role/deployer/tagged",
            tagged.access_key_id,
            group_arn(acct, "team-b"),
        )

    def test_a_session_tag_differing_only_in_case_still_overrides_the_role_tag(self, dev, deployer):
        tagged = as_session(
            assume(long_term(dev), deployer, "cased", tags=[{"Key": "TEAM", "Value": "other"}]).credentials
        )
        with pytest.raises(AccessDeniedError):
            create_group(tagged, group_name="team-c")

    def test_the_source_identity_condition(self, dev, deployer, acct):
        alice = as_session(assume(long_term(dev), deployer, "as-alice", source_identity="alice").credentials)
        assert create_group(alice, group_name="si-alice").group_name == "si-alice"
        bob = as_session(assume(long_term(dev), deployer, "as-bob", source_identity="bob").credentials)
        with pytest.raises(AccessDeniedError) as denied:
            create_group(bob, group_name="si-bob")
        assert denied.value.message == not_allowed(
            f"arn:aws:sts::{acct}:assumed-role/deployer/as-bob", "iam:CreateGroup", group_arn(acct, "si-bob")
        )

    def test_retagging_the_role_changes_a_live_sessions_principal_tags_at_once(self, ctx, dev, deployer):
        answer = assume(long_term(dev), deployer)
        create_group(as_session(answer.credentials), group_name="team-1")
        tag_role(ctx, role_name="deployer", tags=[{"Key": "team", "Value": "data"}])
        with pytest.raises(AccessDeniedError):
            create_group(as_session(answer.credentials), group_name="team-2")


# 3. Session policies --------------------------------------------------------------------------------


class SessionPolicyTests:
    def test_a_managed_session_policy_limits_the_session(self, ctx, acct, dev, builder):
        ops = f.managed_policy(
            ctx.account, "ops-groups", f.allow("iam:CreateGroup", group_arn(acct, "ops-*"))
        )
        answer = assume(long_term(dev), builder, "narrow", policy_arns=[{"arn": ops.arn}])
        assert answer.packed_policy_size == packed(None, [ops.arn], {})
        stored = session_of(answer)
        assert (stored.session_policy_arns, stored.session_policy) == ([ops.arn], "")
        narrow = as_session(answer.credentials)
        create_group(narrow, group_name="ops-1")
        with pytest.raises(AccessDeniedError) as denied:
            create_group(as_session(answer.credentials), group_name="dev-1")
        assert denied.value.message == not_allowed(
            f"arn:aws:sts::{acct}:assumed-role/builder/narrow",
            "iam:CreateGroup",
            group_arn(acct, "dev-1"),
            "session policy",
        )
        # The role alone still may: a session without session policies creates it.
        create_group(as_session(assume(long_term(dev), builder, "wide").credentials), group_name="dev-1")

    def test_session_policies_together_are_one_layer_and_a_deny_in_one_wins(self, ctx, acct, dev, builder):
        aws_managed = f.managed_policy(
            None, "TestGroupsA", f.allow("iam:CreateGroup", group_arn(acct, "a-*"))
        )
        inline = f.document(
            f.allow("iam:CreateGroup", group_arn(acct, "b-*")),
            f.deny("iam:CreateGroup", group_arn(acct, "b-x")),
        )
        answer = assume(
            long_term(dev),
            builder,
            "mixed",
            policy_arns=[{"arn": aws_managed.arn}],
            policy=inline,
            tags=[{"Key": "cc", "Value": "42"}],
        )
        assert aws_managed.arn == "arn:aws:iam::aws:policy/TestGroupsA"
        assert answer.packed_policy_size == packed(inline, [aws_managed.arn], {"cc": "42"})
        for name in ("a-1", "b-1"):
            create_group(as_session(answer.credentials), group_name=name)
        with pytest.raises(AccessDeniedError) as outside:
            create_group(as_session(answer.credentials), group_name="c-1")
        assert outside.value.message.endswith("because no session policy allows the iam:CreateGroup action")
        with pytest.raises(AccessDeniedError) as denied:
            create_group(as_session(answer.credentials), group_name="b-x")
        assert denied.value.message == (
            f"User: arn:aws:sts::{acct}:assumed-role/builder/mixed is not authorized to perform: "
            f"iam:CreateGroup on resource: {group_arn(acct, 'b-x')} with an explicit deny in a session policy"
        )

    def test_two_sessions_of_one_role_keep_their_own_session_policies(self, acct, dev, builder):
        narrow = assume(
            long_term(dev),
            builder,
            "narrow",
            policy=f.document(f.allow("iam:CreateGroup", group_arn(acct, "n-*"))),
        )
        wide = assume(long_term(dev), builder, "wide")
        create_group(as_session(narrow.credentials), group_name="n-1")
        create_group(as_session(wide.credentials), group_name="w-1")
        with pytest.raises(AccessDeniedError):
            create_group(as_session(narrow.credentials), group_name="w-2")
        create_group(as_session(wide.credentials), group_name="n-2")
        assert wide.packed_policy_size is None

    def test_a_policy_arn_that_does_not_exist_or_is_another_accounts_is_not_attachable(
        self, ctx, acct, dev, builder
    ):
        missing = f"arn:aws:iam::{acct}:policy/nope"
        with pytest.raises(ValidationError) as gone:
            assume(long_term(dev), builder, policy_arns=[{"arn": missing}])
        assert gone.value.message == f"Policy {missing} does not exist or is not attachable."
        foreign = f.managed_policy(f.root_context().account, "theirs", f.allow("iam:CreateGroup"))
        with pytest.raises(ValidationError) as theirs:
            assume(long_term(dev), builder, policy_arns=[{"arn": foreign.arn}])
        assert theirs.value.message == f"Policy {foreign.arn} does not exist or is not attachable."
        assert SessionCredential.objects.count() == 0
        # Found only after authorization (no probing of another account's policies): failed writes.
        assert events("sts:AssumeRole") == [("failed", "ValidationError")] * 2

    def test_at_most_ten_policy_arns(self, ctx, acct, dev, builder):
        arns = [f.managed_policy(ctx.account, f"p{i}", f.allow("iam:CreateGroup")).arn for i in range(11)]
        ten = assume(long_term(dev), builder, policy_arns=[{"arn": a} for a in arns[:10]])
        assert session_of(ten).session_policy_arns == arns[:10]
        values = [{"arn": a} for a in arns]
        with pytest.raises(ValidationError) as eleven:
            assume(long_term(dev), builder, "s2", policy_arns=values)
        assert eleven.value.message == (
            "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: "
            "Member must have length less than or equal to 10"
        )
        assert SessionCredential.objects.count() == 1

    def test_a_malformed_inline_session_policy(self, dev, builder):
        with pytest.raises(MalformedPolicyDocumentError) as malformed:
            assume(long_term(dev), builder, policy=f.document({"Effect": "Allow", "Action": "iam:*"}))
        assert malformed.value.message == (
            "Missing resource: Add a Resource or NotResource element to the statement. "
            "(line 1, column 41, Statement[0])"
        )
        assert SessionCredential.objects.count() == 0

    def test_the_packed_size_may_reach_but_not_pass_100_percent(self, dev, builder, acct):
        policy = f.document(f.allow("iam:CreateGroup"))
        room = 2048 - sum(ch not in " \t\n\r" for ch in policy)
        tags = {f"k{i}": "v" * (250 - len(f"k{i}")) for i in range(room // 250)}
        tags["last"] = "v" * (room - sum(len(k) + len(v) for k, v in tags.items()) - len("last"))
        as_list = [{"Key": k, "Value": v} for k, v in tags.items()]
        full = assume(long_term(dev), builder, "full", policy=policy, tags=as_list)
        assert full.packed_policy_size == 100 == packed(policy, [], tags)

        as_list[-1]["Value"] += "v"
        with pytest.raises(PackedPolicyTooLargeError) as over:
            assume(long_term(dev), builder, "over", policy=policy, tags=as_list)
        assert (
            over.value.message == "Packed policy consumes 101% of allotted space, please use smaller policy."
        )

        big = f.document(f.allow("iam:CreateGroup", [group_arn(acct, f"team-{i:03d}") for i in range(60)]))
        expected = packed(big, [], {})
        assert expected > 101
        with pytest.raises(PackedPolicyTooLargeError) as large:
            assume(long_term(dev), builder, "big", policy=big)
        assert large.value.message == (
            f"Packed policy consumes {expected}% of allotted space, please use smaller policy."
        )
        assert SessionCredential.objects.count() == 1


# 4. A live session sees its role's policies change at once ------------------------------------------


class StalenessTests:
    def test_deleting_the_roles_policy_denies_and_attaching_one_grants_the_live_session(
        self, ctx, acct, dev, builder
    ):
        answer = assume(long_term(dev), builder)
        create_group(as_session(answer.credentials), group_name="before")  # the policy set is cached
        generation = f.generation(ctx)
        delete_role_policy(ctx, role_name="builder", policy_name="perms")
        assert f.generation(ctx) == generation + 1
        with pytest.raises(AccessDeniedError) as denied:
            create_group(as_session(answer.credentials), group_name="after")
        assert denied.value.message == not_allowed(
            f"arn:aws:sts::{acct}:assumed-role/builder/s1", "iam:CreateGroup", group_arn(acct, "after")
        )
        groups = policies.create_policy(
            ctx, policy_name="groups", policy_document=f.document(f.allow("iam:CreateGroup"))
        )
        attach_role_policy(ctx, role_name="builder", policy_arn=groups.arn)
        assert create_group(as_session(answer.credentials), group_name="after").group_name == "after"

    def test_a_new_default_version_of_a_session_policy_applies_at_once(self, ctx, acct, dev, builder):
        limit = policies.create_policy(
            ctx, policy_name="limit", policy_document=f.document(f.allow("iam:CreateGroup"))
        )
        answer = assume(long_term(dev), builder, policy_arns=[{"arn": limit.arn}])
        create_group(as_session(answer.credentials), group_name="g1")
        policies.create_policy_version(
            ctx, policy_arn=limit.arn, policy_document=f.document(f.allow("iam:GetRole")), set_as_default=True
        )
        with pytest.raises(AccessDeniedError) as denied:
            create_group(as_session(answer.credentials), group_name="g2")
        assert denied.value.message == not_allowed(
            f"arn:aws:sts::{acct}:assumed-role/builder/s1",
            "iam:CreateGroup",
            group_arn(acct, "g2"),
            "session policy",
        )


# 5. sts:TagSession and sts:SetSourceIdentity --------------------------------------------------------


class TrustPolicyActionTests:
    @pytest.fixture
    def auditor(self, ctx, acct) -> Role:
        """A role whose trust policy names dev and allows sts:AssumeRole only."""
        return make_role(
            ctx, "auditor", trust(f"arn:aws:iam::{acct}:user/dev"), allows=[f.allow("iam:CreateGroup")]
        )

    def test_tags_need_sts_tag_session_in_the_trust_policy(self, dev, auditor, acct):
        caller = long_term(dev)
        with pytest.raises(AccessDeniedError) as denied:
            assume(caller, auditor, tags=[{"Key": "team", "Value": "platform"}])
        assert denied.value.message == trust_denial(
            f"arn:aws:iam::{acct}:user/dev", "sts:TagSession", auditor
        )
        event = AuditEvent.objects.get(action="sts:TagSession")
        assert (event.outcome, event.error_code, event.target_arn, event.actor_arn, event.access_key_id) == (
            "denied",
            "AccessDenied",
            auditor.arn,
            f"arn:aws:iam::{acct}:user/dev",
            LONG_TERM_KEY,
        )
        assert events("sts:AssumeRole") == [] and SessionCredential.objects.count() == 0
        # Without tags the trust policy naming dev is enough (no identity policy needed).
        assert assume(long_term(dev), auditor).arn == f"arn:aws:sts::{acct}:assumed-role/auditor/s1"

    def test_a_source_identity_needs_sts_set_source_identity_in_the_trust_policy(self, dev, auditor, acct):
        with pytest.raises(AccessDeniedError) as denied:
            assume(long_term(dev), auditor, source_identity="alice")
        assert denied.value.message == trust_denial(
            f"arn:aws:iam::{acct}:user/dev", "sts:SetSourceIdentity", auditor
        )
        assert events("sts:SetSourceIdentity") == [("denied", "AccessDenied")]
        assert SessionCredential.objects.count() == 0

    def test_with_an_account_trust_the_identity_policy_must_allow_tag_session_too(self, ctx, acct, dev):
        role = make_role(
            ctx, "tagged", trust(f"arn:aws:iam::{acct}:root", ["sts:AssumeRole", "sts:TagSession"])
        )
        f.put_user_policy(dev, "only-assume", f.allow("sts:AssumeRole", role.arn))
        with pytest.raises(AccessDeniedError) as denied:
            assume(long_term(dev), role, tags=[{"Key": "team", "Value": "platform"}])
        assert denied.value.message == trust_denial(f"arn:aws:iam::{acct}:user/dev", "sts:TagSession", role)
        assert assume(long_term(dev), role).packed_policy_size is None

    def test_the_trust_policy_sees_request_tags_tag_keys_and_the_session_name(self, ctx, acct, dev):
        role = make_role(
            ctx,
            "strict",
            trust(
                f"arn:aws:iam::{acct}:user/dev",
                "sts:AssumeRole",
                Condition={"StringLike": {"sts:RoleSessionName": "${aws:username}-*"}},
            ),
            trust(
                f"arn:aws:iam::{acct}:user/dev",
                "sts:TagSession",
                Condition={
                    "StringEquals": {"aws:RequestTag/team": "platform"},
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
                },
            ),
        )
        dev_arn = f"arn:aws:iam::{acct}:user/dev"
        with pytest.raises(AccessDeniedError) as wrong_name:
            assume(long_term(dev), role, "someone-1")
        assert wrong_name.value.message == trust_denial(dev_arn, "sts:AssumeRole", role)
        for tags in (
            [{"Key": "team", "Value": "other"}],
            [{"Key": "team", "Value": "platform"}, {"Key": "x"}],
        ):
            with pytest.raises(AccessDeniedError) as bad_tags:
                assume(long_term(dev), role, "dev-1", tags=tags)
            assert bad_tags.value.message == trust_denial(dev_arn, "sts:TagSession", role)
        answer = assume(long_term(dev), role, "dev-1", tags=[{"Key": "team", "Value": "platform"}])
        assert session_of(answer).tags == {"team": "platform"}


# 6. MFA ---------------------------------------------------------------------------------------------


@pytest.fixture
def guarded(ctx, acct, dev) -> Role:
    """A role the account may assume only with MFA; dev may assume it; it may create groups."""
    role = make_role(
        ctx,
        "guarded",
        trust(f"arn:aws:iam::{acct}:root", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        allows=[f.allow("iam:CreateGroup")],
    )
    f.put_user_policy(dev, "assume-guarded", f.allow("sts:AssumeRole", role.arn))
    return role


class MfaTests:
    def test_a_trust_policy_requiring_mfa_denies_without_and_allows_with_a_valid_code(
        self, ctx, acct, dev, guarded, clock
    ):
        device = enabled_device(ctx, "dev", "dev-phone")
        serial = device.device.serial_number
        for caller in (long_term(dev), f.context_for(dev)):  # no MFA key at all, or "false"
            with pytest.raises(AccessDeniedError) as denied:
                assume(caller, guarded)
            assert denied.value.message == trust_denial(
                f"arn:aws:iam::{acct}:user/dev", "sts:AssumeRole", guarded
            )
        clock.now += 30
        caller = long_term(dev)
        answer = assume(caller, guarded, serial_number=serial, token_code=code(device, T + 1))
        assert session_of(answer).mfa_authenticated_at == caller.now
        assert MFADevice.objects.get(serial_number=serial).last_t == T + 1
        assert events("portal:VerifyMFACode") == [("success", "")]
        issued = AuditEvent.objects.get(action="sts:AssumeRole", outcome="success")
        assert issued.parameters == {
            "role_session_name": "s1",
            "duration_seconds": 3600,
            "serial_number": serial,
            "issued_access_key_id": answer.credentials.access_key_id,
        }
        create_group(as_session(answer.credentials), group_name="with-mfa")

    def test_a_get_session_token_session_with_mfa_assumes_the_role_without_a_new_code(
        self, ctx, dev, guarded, clock
    ):
        device = enabled_device(ctx, "dev", "dev-phone")
        clock.now += 30
        user_session = get_session_token(
            long_term(dev), serial_number=device.device.serial_number, token_code=code(device, T + 1)
        )
        proved = session_of(user_session).mfa_authenticated_at
        assert proved is not None
        # With MFA, GetSessionToken credentials may call IAM too.
        assert as_session(user_session, service="iam").caller.pk == dev.pk
        answer = assume(as_session(user_session, service="sts"), guarded)
        assert session_of(answer).mfa_authenticated_at == proved

    def test_a_wrong_code_is_access_denied_and_the_device_is_not_used(self, ctx, dev, guarded, clock):
        device = enabled_device(ctx, "dev", "dev-phone")
        other = enabled_device(ctx, create_user(ctx, user_name="ops").user_name, "ops-phone")
        clock.now += 30
        for serial, token in (
            (other.device.serial_number, code(other, T + 1)),  # another user's device
            (device.device.serial_number, None),  # a serial number without a code
            (None, code(device, T + 1)),  # a code without a serial number
        ):
            with pytest.raises(AccessDeniedError) as denied:
                assume(long_term(dev), guarded, serial_number=serial, token_code=token)
            assert denied.value.message == MFA_FAILED
        assert list(MFADevice.objects.order_by("pk").values_list("throttling_failure_count", "last_t")) == [
            (0, T),
            (0, T),
        ]
        assert events("sts:AssumeRole") == [("denied", "AccessDenied")] * 3
        assert SessionCredential.objects.count() == 0

    def test_a_role_session_cannot_prove_mfa_with_a_code(self, ctx, dev, builder, guarded, clock):
        device = enabled_device(ctx, "dev", "dev-phone")
        put_role_policy(
            ctx,
            role_name="builder",
            policy_name="chain",
            policy_document=f.document(f.allow("sts:AssumeRole", guarded.arn)),
        )
        session = as_session(assume(long_term(dev), builder).credentials, service="sts")
        clock.now += 30
        with pytest.raises(AccessDeniedError) as denied:
            assume(
                session,
                guarded,
                "s2",
                serial_number=device.device.serial_number,
                token_code=code(device, T + 1),
            )
        assert denied.value.message == MFA_FAILED


@pytest.mark.django_db(transaction=True)
def test_a_wrong_code_is_access_denied_and_its_back_off_is_committed(clock):
    ctx = f.root_context()
    acct = ctx.account.account_id
    dev = create_user(ctx, user_name="dev")
    device = enabled_device(ctx, "dev", "dev-phone")
    role = make_role(ctx, "guarded", trust(f"arn:aws:iam::{acct}:user/dev"))
    clock.now += 30
    with pytest.raises(AccessDeniedError) as denied:
        assume(
            long_term(dev),
            role,
            serial_number=device.device.serial_number,
            token_code=wrong_code(device, T + 1),
        )
    assert denied.value.message == MFA_FAILED
    stored = MFADevice.objects.get(serial_number=device.device.serial_number)
    assert (stored.throttling_failure_count, stored.last_t) == (1, T)
    assert stored.throttling_failure_timestamp is not None
    assert events("portal:VerifyMFACode") == [("failed", "InvalidAuthenticationCode")]
    denial = AuditEvent.objects.get(action="sts:AssumeRole")
    assert (denial.outcome, denial.error_code, denial.parameters) == (
        "denied",
        "AccessDenied",
        {"serial_number": device.device.serial_number},
    )
    assert SessionCredential.objects.count() == 0


# 7. Role chaining and GetSessionToken credentials ----------------------------------------------------


@pytest.fixture
def chain(ctx, acct, dev) -> tuple[Role, Role]:
    """first (dev may assume it with a source identity; it may assume second, with one too) and second
    (the account may assume it and set a source identity; it may create groups)."""
    second = make_role(
        ctx,
        "second",
        trust(f"arn:aws:iam::{acct}:root", ["sts:AssumeRole", "sts:SetSourceIdentity"]),
        allows=[f.allow("iam:CreateGroup")],
    )
    first = make_role(
        ctx,
        "first",
        trust(f"arn:aws:iam::{acct}:root", ["sts:AssumeRole", "sts:SetSourceIdentity"]),
        allows=[f.allow(["sts:AssumeRole", "sts:SetSourceIdentity"], f"arn:aws:iam::{acct}:role/*")],
    )
    f.put_user_policy(dev, "assume-first", f.allow(["sts:AssumeRole", "sts:SetSourceIdentity"], first.arn))
    return first, second


class ChainingTests:
    def test_the_source_identity_follows_the_chain(self, dev, chain, acct):
        first, second = chain
        one = assume(long_term(dev), first, "one", source_identity="dev-alice")
        two = assume(as_session(one.credentials, service="sts"), second, "two")
        assert two.source_identity == "dev-alice"
        assert session_of(two).source_identity == "dev-alice"
        assert session_of(two).issued_by_arn == f"arn:aws:sts::{acct}:assumed-role/first/one"
        assert request_context(as_session(two.credentials))["aws:SourceIdentity"] == "dev-alice"
        event = AuditEvent.objects.get(action="sts:AssumeRole", target_arn=second.arn)
        assert event.parameters["source_identity"] == "dev-alice"
        assert event.actor_arn == f"arn:aws:sts::{acct}:assumed-role/first/one"
        create_group(as_session(two.credentials), group_name="chained")

    def test_a_chained_source_identity_needs_sts_set_source_identity_in_the_next_trust_policy(
        self, ctx, dev, chain, acct
    ):
        """AWS (IAM User Guide, "Permissions required to set source identity"): when a session with a
        source identity assumes another role, sts:SetSourceIdentity must be allowed by the next role's
        trust policy even though the request does not send SourceIdentity."""
        first, _ = chain
        plain = make_role(ctx, "plain", trust(f"arn:aws:iam::{acct}:root"))
        one = assume(long_term(dev), first, "one", source_identity="dev-alice")
        with pytest.raises(AccessDeniedError) as denied:
            assume(as_session(one.credentials, service="sts"), plain, "two")
        assert denied.value.message == trust_denial(
            f"arn:aws:sts::{acct}:assumed-role/first/one", "sts:SetSourceIdentity", plain
        )
        assert SessionCredential.objects.filter(role=plain).count() == 0

    def test_a_chained_session_cannot_change_its_source_identity(self, dev, chain):
        """AWS: once set, the source identity cannot be changed for the rest of the chain."""
        first, second = chain
        one = assume(long_term(dev), first, "one", source_identity="dev-alice")
        with pytest.raises(AccessDeniedError) as refused:
            assume(as_session(one.credentials, service="sts"), second, "two", source_identity="mallory")
        assert refused.value.message == (
            f"User: {one.arn} is not authorized to perform: sts:SetSourceIdentity on resource: {second.arn} "
            "because the source identity dev-alice of the session cannot be changed"
        )
        assert not SessionCredential.objects.filter(source_identity="mallory").exists()

    def test_get_session_token_credentials_assume_a_role_and_the_role_session_works(self, dev, builder, acct):
        credentials = get_session_token(long_term(dev))
        with pytest.raises(InvalidClientTokenIdError) as refused:
            signing_credentials(credentials.access_key_id, credentials.session_token, service="iam")
        assert refused.value.message == "The security token included in the request is invalid."
        user_session = as_session(credentials, service="sts")
        assert (user_session.caller.pk, user_session.session.user_id) == (dev.pk, dev.pk)
        assert user_session.mfa_authenticated_at is None

        answer = assume(user_session, builder, "from-session")
        stored = session_of(answer)
        assert (stored.issued_by_arn, stored.mfa_authenticated_at) == (f"arn:aws:iam::{acct}:user/dev", None)
        role_session = as_session(answer.credentials)
        assert create_group(role_session, group_name="via-session").account == builder.account
        with pytest.raises(AccessDeniedError) as again:
            get_session_token(as_session(answer.credentials, service="sts"))
        assert again.value.message == "Cannot call GetSessionToken with session credentials"
        assert events("sts:GetSessionToken") == [("success", ""), ("denied", "AccessDenied")]


# 8. Cross-account -----------------------------------------------------------------------------------


class CrossAccountTests:
    def test_a_user_assumes_a_role_of_another_account_that_trusts_it(self, ctx, acct, dev):
        other = f.root_context()
        theirs = other.account.account_id
        role = make_role(
            other,
            "auditor",
            trust(f"arn:aws:iam::{acct}:user/dev"),
            allows=[f.allow("iam:CreateGroup", f"arn:aws:iam::{theirs}:group/audit-*")],
        )
        with pytest.raises(AccessDeniedError) as no_identity_policy:
            assume(long_term(dev), role)
        assert no_identity_policy.value.message == trust_denial(
            f"arn:aws:iam::{acct}:user/dev", "sts:AssumeRole", role
        )
        f.put_user_policy(dev, "assume-theirs", f.allow("sts:AssumeRole", role.arn))
        answer = assume(long_term(dev), role, "visit")
        assert answer.arn == f"arn:aws:sts::{theirs}:assumed-role/auditor/visit"
        assert session_of(answer).account == other.account

        session = as_session(answer.credentials)
        assert session.account == other.account
        group = create_group(session, group_name="audit-1")
        assert (group.account, Group.objects.filter(account=ctx.account).count()) == (other.account, 0)
        created = AuditEvent.objects.get(action="iam:CreateGroup", outcome="success")
        assert (created.account, created.actor_arn) == (other.account, answer.arn)
        with pytest.raises(AccessDeniedError) as outside:
            create_group(as_session(answer.credentials), group_name="other-1")
        assert outside.value.message == not_allowed(
            answer.arn, "iam:CreateGroup", f"arn:aws:iam::{theirs}:group/other-1"
        )

    def test_an_account_trust_delegates_to_the_identity_policy_and_policy_arns_are_the_roles_accounts(
        self, ctx, acct, dev
    ):
        other = f.root_context()
        role = make_role(
            other, "shared", trust(f"arn:aws:iam::{acct}:root"), allows=[f.allow("iam:CreateGroup")]
        )
        f.put_user_policy(dev, "assume-shared", f.allow("sts:AssumeRole", role.arn))
        mine = f.managed_policy(ctx.account, "mine", f.allow("iam:CreateGroup"))
        with pytest.raises(ValidationError) as not_theirs:
            assume(long_term(dev), role, policy_arns=[{"arn": mine.arn}])
        assert not_theirs.value.message == f"Policy {mine.arn} does not exist or is not attachable."
        eve = create_user(ctx, user_name="eve")
        with pytest.raises(AccessDeniedError):
            assume(long_term(eve), role)
        assert assume(long_term(dev), role).arn.startswith(f"arn:aws:sts::{other.account.account_id}:")


# 9. Expired sessions go -----------------------------------------------------------------------------


def test_issuing_a_session_deletes_the_accounts_expired_sessions(ctx, root, dev, builder):
    caller = long_term(dev)
    expired = assume(caller, builder, "old").credentials.access_key_id
    live = assume(caller, builder, "live").credentials.access_key_id
    elsewhere = get_session_token(f.root_context()).access_key_id  # another account's
    past = caller.now - timedelta(seconds=1)
    SessionCredential.objects.filter(access_key_id__in=[expired, elsewhere]).update(expiration=past)
    assert SessionCredential.objects.count() == 3

    new = get_session_token(long_term(dev)).access_key_id
    assert set(SessionCredential.objects.values_list("access_key_id", flat=True)) == {live, elsewhere, new}
    newest = assume(long_term(dev), builder, "newest").credentials.access_key_id
    assert (
        SessionCredential.objects.count() == 4
        and SessionCredential.objects.filter(access_key_id=newest).exists()
    )


# 10. Validation -------------------------------------------------------------------------------------


def invalid(value: object, member: str, constraint: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must {constraint}"
    )


class ValidationTests:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            (
                {"role_session_name": "a"},
                invalid("a", "roleSessionName", "have length greater than or equal to 2"),
            ),
            (
                {"role_session_name": "s" * 65},
                invalid("s" * 65, "roleSessionName", "have length less than or equal to 64"),
            ),
            (
                {"role_session_name": "a/b"},
                invalid("a/b", "roleSessionName", r"satisfy regular expression pattern: [\w+=,.@-]*"),
            ),
            (
                {"external_id": "a b"},
                invalid("a b", "externalId", r"satisfy regular expression pattern: [\w+=,.@:/-]*"),
            ),
            ({"external_id": "x"}, invalid("x", "externalId", "have length greater than or equal to 2")),
            (
                {"duration_seconds": 899},
                invalid(899, "durationSeconds", "have value greater than or equal to 900"),
            ),
            (
                {"duration_seconds": 43201},
                invalid(43201, "durationSeconds", "have value less than or equal to 43200"),
            ),
            (
                {"source_identity": "a b"},
                invalid("a b", "sourceIdentity", r"satisfy regular expression pattern: [\w+=,.@-]*"),
            ),
            (
                {"serial_number": "short", "token_code": "123456"},
                invalid("short", "serialNumber", "have length greater than or equal to 9"),
            ),
            (
                {"serial_number": "arn:aws:iam::123456789012:mfa/x", "token_code": "12345"},
                "1 validation error detected: Value at 'tokenCode' failed to satisfy constraint: "
                "Member must have length greater than or equal to 6",
            ),
        ],
    )
    def test_assume_role_members(self, dev, builder, kwargs, message):
        arguments = {"role_arn": builder.arn, "role_session_name": "s1", **kwargs}
        with pytest.raises(ValidationError) as raised:
            assume_role(long_term(dev), **arguments)
        assert raised.value.message == message
        assert events("sts:AssumeRole") == [] and SessionCredential.objects.count() == 0

    def test_the_duration_is_bounded_by_the_role_and_defaults_to_an_hour(self, dev, builder):
        caller = long_term(dev)
        assert assume(caller, builder, "default").credentials.expiration == caller.now + timedelta(hours=1)
        caller = long_term(dev)
        short = assume(caller, builder, "short", duration_seconds=900)
        assert short.credentials.expiration == caller.now + timedelta(seconds=900)
        assert session_of(short).expiration == short.credentials.expiration
        with pytest.raises(ValidationError) as longer:
            assume(long_term(dev), builder, "long", duration_seconds=3601)
        assert longer.value.message == (
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )

    @pytest.mark.parametrize(
        ("seconds", "message"),
        [
            (899, invalid(899, "durationSeconds", "have value greater than or equal to 900")),
            (129_601, invalid(129601, "durationSeconds", "have value less than or equal to 129600")),
        ],
    )
    def test_get_session_token_duration_bounds(self, dev, seconds, message):
        with pytest.raises(ValidationError) as raised:
            get_session_token(long_term(dev), duration_seconds=seconds)
        assert raised.value.message == message
        assert events("sts:GetSessionToken") == [] and SessionCredential.objects.count() == 0

    def test_get_session_token_durations_of_a_user_and_of_the_root_user(self, root, dev):
        caller = long_term(dev)
        assert get_session_token(caller).expiration == caller.now + timedelta(hours=12)
        caller = long_term(dev)
        assert get_session_token(caller, duration_seconds=129_600).expiration == caller.now + timedelta(
            hours=36
        )
        as_root = f.root_context(root)
        assert get_session_token(as_root, duration_seconds=7200).expiration == as_root.now + timedelta(
            hours=1
        )
        as_root = f.root_context(root)
        assert get_session_token(as_root).expiration == as_root.now + timedelta(hours=1)
        as_root = f.root_context(root)
        assert get_session_token(as_root, duration_seconds=900).expiration == as_root.now + timedelta(
            seconds=900
        )
        durations = [
            e.parameters["duration_seconds"]
            for e in AuditEvent.objects.filter(action="sts:GetSessionToken").order_by("time", "id")
        ]
        assert durations == [43200, 129600, 3600, 3600, 900]
