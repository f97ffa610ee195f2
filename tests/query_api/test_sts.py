"""STS through real boto3 clients against a live server: GetSessionToken with MFA, AssumeRole and
acting as the role, temporary credentials' errors (ExpiredToken, InvalidClientTokenId)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from django.utils import timezone
from django_otp.oath import TOTP, hotp

from accounts.models import AuditEvent, SessionCredential

from .conftest import Key
from .test_boto3 import issue_key

pytestmark = pytest.mark.django_db(transaction=True)

NOW = 1_800_000_015  # django-otp's clock in these tests: 15 seconds into a step
T = NOW // 30
MFA_FAILED = "MultiFactorAuthentication failed with invalid MFA one time pass code."


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def error_of(raised: pytest.ExceptionInfo) -> tuple[int, str, str]:
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


class Clock:
    now = NOW


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """django-otp's clock (the live server runs in this process, so it reads this one)."""
    fixed = Clock()
    monkeypatch.setattr(TOTP, "time", property(lambda self: fixed.now))
    return fixed


def code(seed: str, step: int) -> str:
    return f"{hotp(base64.b32decode(seed), step):06d}"


@pytest.fixture
def acct(root) -> str:
    return root.account.account_id


@pytest.fixture
def ops_key(iam, acct) -> Key:
    """An IAM user whose policy lets it manage its own MFA device, read everything, and create users
    only when it signed in with MFA (the IAM User Guide's MFA-protected API access example)."""
    iam.create_user(UserName="ops")
    iam.put_user_policy(
        UserName="ops",
        PolicyName="mfa-protected",
        PolicyDocument=doc(
            allow(["iam:Get*", "iam:List*"]),
            allow(["iam:CreateVirtualMFADevice", "iam:EnableMFADevice"], "*"),
            allow("iam:CreateUser", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        ),
    )
    return issue_key(iam, "ops")


class GetSessionTokenWithMfaTests:
    def test_an_mfa_protected_action_is_allowed_only_with_the_mfa_session(
        self, ops_key, make_client, clock, acct
    ):
        ops = make_client(ops_key)
        device = ops.create_virtual_mfa_device(VirtualMFADeviceName="ops-phone")["VirtualMFADevice"]
        seed = device["Base32StringSeed"].decode()
        serial = device["SerialNumber"]
        ops.enable_mfa_device(
            UserName="ops",
            SerialNumber=serial,
            AuthenticationCode1=code(seed, T - 1),
            AuthenticationCode2=code(seed, T),
        )
        with pytest.raises(ClientError) as long_term:
            ops.create_user(UserName="intern")
        assert error_of(long_term)[:2] == (403, "AccessDenied")

        sts = make_client(ops_key, "sts")
        clock.now += 30  # the next code
        answer = sts.get_session_token(SerialNumber=serial, TokenCode=code(seed, T + 1), DurationSeconds=900)
        credentials = answer["Credentials"]
        assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
        assert len(credentials["SecretAccessKey"]) == 40 and credentials["SessionToken"]
        lifetime = credentials["Expiration"] - timezone.now()
        assert timedelta(seconds=890) < lifetime <= timedelta(seconds=900)

        with_mfa = make_client(Key.of(credentials))
        created = with_mfa.create_user(UserName="intern")["User"]
        assert created["Arn"] == f"arn:aws:iam::{acct}:user/intern"
        identity = make_client(Key.of(credentials), "sts").get_caller_identity()
        assert identity["Arn"] == f"arn:aws:iam::{acct}:user/ops"

        event = AuditEvent.objects.get(action="iam:CreateUser", outcome="success", target_arn=created["Arn"])
        assert event.actor_arn == f"arn:aws:iam::{acct}:user/ops"
        assert event.access_key_id == credentials["AccessKeyId"]
        issued = AuditEvent.objects.get(action="sts:GetSessionToken", outcome="success")
        assert issued.parameters == {
            "duration_seconds": 900,
            "serial_number": serial,
            "issued_access_key_id": credentials["AccessKeyId"],
        }
        stored = SessionCredential.objects.get(access_key_id=credentials["AccessKeyId"])
        assert credentials["SessionToken"] not in stored.token_digest
        assert credentials["SecretAccessKey"] not in stored.secret_ciphertext

    def test_a_wrong_code_is_access_denied_and_a_session_without_mfa_cannot_call_iam(
        self, ops_key, make_client, clock
    ):
        ops = make_client(ops_key)
        device = ops.create_virtual_mfa_device(VirtualMFADeviceName="ops-phone")["VirtualMFADevice"]
        seed, serial = device["Base32StringSeed"].decode(), device["SerialNumber"]
        ops.enable_mfa_device(
            UserName="ops",
            SerialNumber=serial,
            AuthenticationCode1=code(seed, T - 1),
            AuthenticationCode2=code(seed, T),
        )
        sts = make_client(ops_key, "sts")
        wrong = "000000" if code(seed, T + 1) != "000000" else "111111"
        clock.now += 30
        with pytest.raises(ClientError) as denied:
            sts.get_session_token(SerialNumber=serial, TokenCode=wrong)
        assert error_of(denied) == (403, "AccessDenied", MFA_FAILED)
        assert SessionCredential.objects.count() == 0

        plain = Key.of(sts.get_session_token()["Credentials"])
        with pytest.raises(ClientError) as iam_refused:
            make_client(plain).list_users()
        assert error_of(iam_refused) == (
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
        with pytest.raises(ClientError) as again:
            make_client(plain, "sts").get_session_token()
        assert error_of(again) == (
            403,
            "AccessDenied",
            "Cannot call GetSessionToken with session credentials",
        )

    def test_the_root_users_session_lasts_at_most_an_hour(self, make_client, root_key):
        credentials = make_client(root_key, "sts").get_session_token(DurationSeconds=7200)["Credentials"]
        assert credentials["Expiration"] - timezone.now() <= timedelta(hours=1)
        with pytest.raises(ClientError) as short:
            make_client(root_key, "sts").get_session_token(DurationSeconds=129_601)
        assert error_of(short) == (
            400,
            "ValidationError",
            "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: "
            "Member must have value less than or equal to 129600",
        )


@pytest.fixture
def deployer(iam, acct) -> str:
    """A role any principal of the account may assume if its own policies allow; it may list roles
    and create groups. Its ARN."""
    role = iam.create_role(
        RoleName="deployer",
        Path="/ci/",
        AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "sts:AssumeRole"}
        ),
        MaxSessionDuration=7200,
        Tags=[{"Key": "team", "Value": "platform"}],
    )["Role"]
    iam.put_role_policy(
        RoleName="deployer",
        PolicyName="deploy",
        PolicyDocument=doc(
            allow(["iam:ListRoles", "iam:CreateGroup", "iam:GetRole"]), allow("sts:AssumeRole")
        ),
    )
    return role["Arn"]


@pytest.fixture
def dev(iam, make_client, deployer):
    """An IAM user allowed to assume the deployer role, and nothing else; its key."""
    iam.create_user(UserName="dev")
    iam.put_user_policy(
        UserName="dev", PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", deployer))
    )
    return issue_key(iam, "dev")


class AssumeRoleTests:
    def test_a_user_assumes_the_role_and_acts_as_the_session(self, make_client, dev, deployer, acct, root):
        answer = make_client(dev, "sts").assume_role(RoleArn=deployer, RoleSessionName="release-42")
        session_arn = f"arn:aws:sts::{acct}:assumed-role/deployer/release-42"
        assert answer["AssumedRoleUser"]["Arn"] == session_arn
        assert answer["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
        assert answer["AssumedRoleUser"]["AssumedRoleId"].endswith(":release-42")
        assert "PackedPolicySize" not in answer
        lifetime = answer["Credentials"]["Expiration"] - timezone.now()
        assert timedelta(minutes=59) < lifetime <= timedelta(hours=1)

        session = Key.of(answer["Credentials"])
        identity = make_client(session, "sts").get_caller_identity()
        assert identity == {
            "UserId": answer["AssumedRoleUser"]["AssumedRoleId"],
            "Account": acct,
            "Arn": session_arn,
            "ResponseMetadata": identity["ResponseMetadata"],
        }
        as_role = make_client(session)
        as_role.create_group(GroupName="release-managers")
        assert [r["RoleName"] for r in as_role.list_roles()["Roles"]] == ["deployer"]
        with pytest.raises(ClientError) as denied:
            as_role.create_user(UserName="x")
        assert error_of(denied) == (
            403,
            "AccessDenied",
            f"User: {session_arn} is not authorized to perform: iam:CreateUser on resource: "
            f"arn:aws:iam::{acct}:user/x because no identity-based policy allows the iam:CreateUser action",
        )
        with pytest.raises(ClientError) as no_user:
            as_role.get_user()
        assert error_of(no_user) == (
            400,
            "ValidationError",
            "Must specify userName when calling with non-User credentials",
        )
        created = AuditEvent.objects.get(action="iam:CreateGroup", outcome="success")
        assert (created.actor_arn, created.access_key_id) == (
            session_arn,
            answer["Credentials"]["AccessKeyId"],
        )
        refused = AuditEvent.objects.get(action="iam:CreateUser", outcome="denied")
        assert refused.actor_arn == session_arn

    def test_without_an_identity_policy_the_account_trust_is_not_enough(
        self, iam, make_client, deployer, acct
    ):
        iam.create_user(UserName="eve")
        eve = issue_key(iam, "eve")
        with pytest.raises(ClientError) as denied:
            make_client(eve, "sts").assume_role(RoleArn=deployer, RoleSessionName="s1")
        assert error_of(denied) == (
            403,
            "AccessDenied",
            f"User: arn:aws:iam::{acct}:user/eve is not authorized to perform: sts:AssumeRole on resource: {deployer}",
        )
        event = AuditEvent.objects.get(action="sts:AssumeRole")
        assert (event.outcome, event.target_arn, event.access_key_id) == (
            "denied",
            deployer,
            eve.access_key_id,
        )

    def test_a_trust_policy_naming_the_user_needs_no_identity_policy(self, iam, make_client, acct):
        iam.create_user(UserName="eve")
        eve = issue_key(iam, "eve")
        arn = iam.create_role(
            RoleName="auditor",
            AssumeRolePolicyDocument=doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{acct}:user/eve"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": "ticket-7"}},
                }
            ),
        )["Role"]["Arn"]
        sts = make_client(eve, "sts")
        with pytest.raises(ClientError) as without_id:
            sts.assume_role(RoleArn=arn, RoleSessionName="s1")
        assert error_of(without_id)[:2] == (403, "AccessDenied")
        with pytest.raises(ClientError) as wrong_id:
            sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="ticket-8")
        assert error_of(wrong_id)[:2] == (403, "AccessDenied")
        answer = sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="ticket-7")
        assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{acct}:assumed-role/auditor/s1"

    def test_a_session_policy_narrows_the_session(self, make_client, dev, deployer, acct):
        answer = make_client(dev, "sts").assume_role(
            RoleArn=deployer, RoleSessionName="narrow", Policy=doc(allow("iam:ListRoles"))
        )
        assert 0 < answer["PackedPolicySize"] <= 100
        narrow = make_client(Key.of(answer["Credentials"]))
        assert len(narrow.list_roles()["Roles"]) == 1
        with pytest.raises(ClientError) as denied:
            narrow.create_group(GroupName="g")
        assert error_of(denied)[2] == (
            f"User: arn:aws:sts::{acct}:assumed-role/deployer/narrow is not authorized to perform: "
            f"iam:CreateGroup on resource: arn:aws:iam::{acct}:group/g "
            "because no session policy allows the iam:CreateGroup action"
        )

    def test_durations_follow_the_role_and_role_chaining_limits(self, make_client, dev, deployer):
        sts = make_client(dev, "sts")
        two_hours = sts.assume_role(RoleArn=deployer, RoleSessionName="long", DurationSeconds=7200)
        assert two_hours["Credentials"]["Expiration"] - timezone.now() > timedelta(minutes=119)
        with pytest.raises(ClientError) as too_long:
            sts.assume_role(RoleArn=deployer, RoleSessionName="long", DurationSeconds=7201)
        assert error_of(too_long) == (
            400,
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        )
        chained = make_client(Key.of(two_hours["Credentials"]), "sts")
        with pytest.raises(ClientError) as chain:
            chained.assume_role(RoleArn=deployer, RoleSessionName="again", DurationSeconds=3601)
        assert error_of(chain) == (
            400,
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        )
        again = chained.assume_role(RoleArn=deployer, RoleSessionName="again")
        assert again["AssumedRoleUser"]["Arn"].endswith(":assumed-role/deployer/again")

    def test_the_root_user_and_unknown_roles_are_refused(self, make_client, root_key, dev, acct):
        with pytest.raises(ClientError) as root_denied:
            make_client(root_key, "sts").assume_role(
                RoleArn=f"arn:aws:iam::{acct}:role/ci/deployer", RoleSessionName="s1"
            )
        assert error_of(root_denied) == (403, "AccessDenied", "Roles may not be assumed by root accounts.")
        missing = f"arn:aws:iam::{acct}:role/nobody"
        with pytest.raises(ClientError) as unknown:
            make_client(dev, "sts").assume_role(RoleArn=missing, RoleSessionName="s1")
        assert error_of(unknown) == (
            403,
            "AccessDenied",
            f"User: arn:aws:iam::{acct}:user/dev is not authorized to perform: sts:AssumeRole on resource: {missing}",
        )
        with pytest.raises(ClientError) as bad_name:
            make_client(dev, "sts").assume_role(RoleArn=missing, RoleSessionName="a b")
        assert error_of(bad_name) == (
            400,
            "ValidationError",
            "1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: [\w+=,.@-]*",
        )


class TemporaryCredentialErrorTests:
    def test_expired_credentials_are_expired_token(self, make_client, dev, deployer):
        answer = make_client(dev, "sts").assume_role(RoleArn=deployer, RoleSessionName="s1")
        key = Key.of(answer["Credentials"])
        SessionCredential.objects.filter(access_key_id=key.access_key_id).update(
            expiration=timezone.now() - timedelta(seconds=1)
        )
        with pytest.raises(ClientError) as expired:
            make_client(key).list_roles()
        assert error_of(expired) == (
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
        )

    def test_a_wrong_or_missing_session_token_is_invalid(self, make_client, dev, deployer):
        answer = make_client(dev, "sts").assume_role(RoleArn=deployer, RoleSessionName="s1")
        key = Key.of(answer["Credentials"])
        for token in (key.session_token[:-4] + "AAAA", None):
            with pytest.raises(ClientError) as invalid:
                make_client(Key(key.access_key_id, key.secret_access_key, token)).list_roles()
            assert error_of(invalid)[:2] == (403, "InvalidClientTokenId")
        with pytest.raises(ClientError) as long_term_with_token:
            make_client(
                Key(dev.access_key_id, dev.secret_access_key, key.session_token), "sts"
            ).get_caller_identity()
        assert error_of(long_term_with_token)[:2] == (403, "InvalidClientTokenId")

    def test_deleting_the_role_ends_its_sessions(self, iam, make_client, dev, deployer):
        answer = make_client(dev, "sts").assume_role(RoleArn=deployer, RoleSessionName="s1")
        iam.delete_role_policy(RoleName="deployer", PolicyName="deploy")
        iam.delete_role(RoleName="deployer")
        with pytest.raises(ClientError) as gone:
            make_client(Key.of(answer["Credentials"]), "sts").get_caller_identity()
        assert error_of(gone)[:2] == (403, "InvalidClientTokenId")
