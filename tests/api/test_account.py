"""/api/v1/account/ (summary, alias, password policy), /api/v1/audit-events/ and /api/v1/me/ through
the test client, signed with SigV4: shapes, AWS codes and messages, authorization, audit rows, pages
and query counts; audit rows never hold a secret."""

from __future__ import annotations

import copy
import re
from datetime import timedelta
from urllib.parse import quote, urlencode

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Account, AuditEvent, PasswordPolicy, User
from accounts.services import account, groups, passwords, roles, users
from accounts.services.policy_attachments import attach_role_policy
from accounts.services.sts import assume_role
from tests import factories as f

from .conftest import READ_ONLY, Key, denial, error, iam_user, issue_key
from .test_schema import _json_schema

pytestmark = pytest.mark.django_db
SUMMARY = "/api/v1/account/summary/"
ALIAS = "/api/v1/account/alias/"
POLICY = "/api/v1/account/password-policy/"
EVENTS = "/api/v1/audit-events/"
ME = "/api/v1/me/"
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# QUOTAS.md §6: the summaryKeyType enum, all 34 keys.
SUMMARY_KEYS = {
    "Users", "UsersQuota", "Groups", "GroupsQuota", "ServerCertificates", "ServerCertificatesQuota",
    "UserPolicySizeQuota", "GroupPolicySizeQuota", "GroupsPerUserQuota", "SigningCertificatesPerUserQuota",
    "AccessKeysPerUserQuota", "MFADevices", "MFADevicesInUse", "AccountMFAEnabled", "AccountAccessKeysPresent",
    "AccountPasswordPresent", "AccountSigningCertificatesPresent", "AttachedPoliciesPerGroupQuota",
    "AttachedPoliciesPerRoleQuota", "AttachedPoliciesPerUserQuota", "Policies", "PoliciesQuota",
    "PolicySizeQuota", "PolicyVersionsInUse", "PolicyVersionsInUseQuota", "VersionsPerPolicyQuota",
    "GlobalEndpointTokenVersion", "AssumeRolePolicySizeQuota", "InstanceProfiles", "InstanceProfilesQuota",
    "Providers", "RolePolicySizeQuota", "Roles", "RolesQuota",
}  # fmt: skip
BAD_ALIAS = "Use lowercase letters, digits and single inner hyphens only (3 to 63 characters)."
DEFAULT_POLICY = {
    "minimum_password_length": 6,
    "require_symbols": False,
    "require_numbers": False,
    "require_uppercase_characters": False,
    "require_lowercase_characters": False,
    "allow_users_to_change_password": False,
    "expire_passwords": False,
    "max_password_age": None,
    "password_reuse_prevention": None,
    "hard_expiry": False,
}


def events(action: str, channel: str = "rest") -> list[tuple[str, str, str]]:
    """(outcome, error code, channel) of one action's audit rows of a channel, oldest first (the
    services' own calls in a test's setup are on the internal channel)."""
    rows = AuditEvent.objects.filter(action=action, channel=channel)
    return list(rows.values_list("outcome", "error_code", "channel"))


def url(path: str, **params: object) -> str:
    """path?params, every reserved character percent-encoded (the canonical form SigV4 signs)."""
    return f"{path}?{urlencode(params, quote_via=quote, safe='')}"


def field_error(response, field: str, *messages: str) -> None:
    """A 400 ValidationError naming exactly this field with these messages."""
    count = f"{len(messages)} validation error{'s' if len(messages) > 1 else ''}"
    listed = " ".join(message.rstrip(".") for message in messages)
    assert error(response) == (400, "ValidationError", f"{count} detected: {field}: {listed}")
    assert response.json()["error"]["fields"] == {field: list(messages)}


class GetAccountSummaryTests:
    def test_answers_the_summary_map_with_awss_34_keys(self, signed, root_key, ctx):
        users.create_user(ctx, user_name="alice")
        users.create_user(ctx, user_name="bob")
        groups.create_group(ctx, group_name="admins")
        response = signed("GET", SUMMARY, root_key)
        assert response.status_code == 200
        summary = response.json()
        assert set(summary) == SUMMARY_KEYS
        assert {key: summary[key] for key in ("Users", "Groups", "Roles", "Policies", "MFADevices")} == {
            "Users": 2,  # the root user is not an IAM user
            "Groups": 1,
            "Roles": 0,
            "Policies": 0,
            "MFADevices": 0,
        }
        assert (summary["AccountAccessKeysPresent"], summary["AccountPasswordPresent"]) == (1, 1)
        assert (summary["AccountMFAEnabled"], summary["GlobalEndpointTokenVersion"]) == (0, 1)
        assert (summary["UsersQuota"], summary["AccessKeysPerUserQuota"], summary["PolicySizeQuota"]) == (
            5000,
            2,
            6144,
        )

    def test_a_user_without_policy_is_denied_and_the_denial_audited(self, signed, nobody_key, acct):
        response = signed("GET", SUMMARY, nobody_key)
        assert error(response) == (403, "AccessDenied", denial(acct, "nobody", "iam:GetAccountSummary", "*"))
        assert events("iam:GetAccountSummary") == [("denied", "AccessDenied", "rest")]

    def test_a_read_only_user_may_read_it(self, signed, ctx):
        iam_user(ctx, "reader", READ_ONLY)
        response = signed("GET", SUMMARY, issue_key(ctx, "reader"))
        assert (response.status_code, response.json()["Users"]) == (200, 1)


class AccountAliasTests:
    def test_an_account_without_alias_lists_none(self, signed, root_key):
        response = signed("GET", ALIAS, root_key)
        assert response.status_code == 200
        assert response.json() == {"items": [], "is_truncated": False, "marker": None}

    def test_put_sets_the_alias_and_get_lists_it(self, signed, root_key, acct):
        response = signed("PUT", ALIAS, root_key, {"account_alias": "example-corp"})
        assert (response.status_code, response.content) == (204, b"")
        assert Account.objects.get(account_id=acct).alias == "example-corp"
        assert signed("GET", ALIAS, root_key).json() == {
            "items": ["example-corp"],
            "is_truncated": False,
            "marker": None,
        }
        event = AuditEvent.objects.get(action="iam:CreateAccountAlias")
        assert (event.outcome, event.channel, event.target_arn, event.parameters) == (
            "success",
            "rest",
            f"arn:aws:iam::{acct}:root",
            {"account_alias": "example-corp"},
        )

    def test_a_new_alias_replaces_the_old_as_in_aws(self, signed, root_key, ctx, acct):
        account.create_account_alias(ctx, account_alias="old-name")
        assert signed("PUT", ALIAS, root_key, {"account_alias": "new-name"}).status_code == 204
        assert signed("GET", ALIAS, root_key).json()["items"] == ["new-name"]
        assert AuditEvent.objects.filter(action="iam:CreateAccountAlias").last().parameters == {
            "account_alias": "new-name",
            "previous_alias": "old-name",
        }

    def test_another_accounts_alias_is_a_409_entity_already_exists(self, signed, root_key, acct):
        account.create_account_alias(f.root_context(), account_alias="taken")
        response = signed("PUT", ALIAS, root_key, {"account_alias": "taken"})
        assert error(response) == (409, "EntityAlreadyExists", "The account alias taken already exists.")
        assert Account.objects.get(account_id=acct).alias is None
        assert events("iam:CreateAccountAlias")[-1] == ("failed", "EntityAlreadyExists", "rest")

    @pytest.mark.parametrize(
        ("body", "messages"),
        [
            ({}, ["This field is required."]),
            ({"account_alias": "Upper-Case"}, [BAD_ALIAS]),
            ({"account_alias": "double--hyphen"}, [BAD_ALIAS]),
            ({"account_alias": "-dash"}, [BAD_ALIAS]),
            # Too short or too long breaks the pattern too ({1,61} inner characters).
            ({"account_alias": "ab"}, ["Ensure this field has at least 3 characters.", BAD_ALIAS]),
            ({"account_alias": "a" * 64}, ["Ensure this field has no more than 63 characters.", BAD_ALIAS]),
        ],
    )
    def test_a_bad_alias_is_a_validation_error_naming_the_field(self, signed, root_key, body, messages):
        field_error(signed("PUT", ALIAS, root_key, body), "account_alias", *messages)
        assert not AuditEvent.objects.filter(action="iam:CreateAccountAlias").exists()

    def test_a_12_digit_alias_is_the_services_validation_error(self, signed, root_key):
        response = signed("PUT", ALIAS, root_key, {"account_alias": "123456789012"})
        assert error(response) == (
            400,
            "ValidationError",
            "1 validation error detected: Value '123456789012' at 'accountAlias' failed to satisfy "
            "constraint: Member must not be a 12-digit number",
        )

    def test_delete_removes_the_alias_named(self, signed, root_key, ctx, acct):
        account.create_account_alias(ctx, account_alias="example-corp")
        response = signed("DELETE", ALIAS + "?account_alias=example-corp", root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert Account.objects.get(account_id=acct).alias is None
        assert events("iam:DeleteAccountAlias") == [("success", "", "rest")]

    def test_deleting_another_alias_is_no_such_entity(self, signed, root_key, ctx, acct):
        account.create_account_alias(ctx, account_alias="example-corp")
        response = signed("DELETE", ALIAS + "?account_alias=other-name", root_key)
        assert error(response) == (404, "NoSuchEntity", "The account alias other-name cannot be found.")
        assert Account.objects.get(account_id=acct).alias == "example-corp"
        assert events("iam:DeleteAccountAlias") == [("failed", "NoSuchEntity", "rest")]

    def test_delete_must_name_the_alias(self, signed, root_key):
        field_error(signed("DELETE", ALIAS, root_key), "account_alias", "This field is required.")

    def test_a_user_without_policy_may_neither_read_set_nor_delete_it(self, signed, nobody_key, ctx, acct):
        account.create_account_alias(ctx, account_alias="example-corp")
        assert error(signed("GET", ALIAS, nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ListAccountAliases", "*"),
        )
        assert error(signed("PUT", ALIAS, nobody_key, {"account_alias": "mine"})) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:CreateAccountAlias", "*"),
        )
        assert error(signed("DELETE", ALIAS + "?account_alias=example-corp", nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:DeleteAccountAlias", "*"),
        )
        assert Account.objects.get(account_id=acct).alias == "example-corp"
        assert [events(a) for a in ("iam:CreateAccountAlias", "iam:DeleteAccountAlias")] == [
            [("denied", "AccessDenied", "rest")]
        ] * 2


class AccountPasswordPolicyTests:
    def test_without_a_policy_get_is_no_such_entity(self, signed, root_key, acct):
        response = signed("GET", POLICY, root_key)
        assert error(response) == (
            404,
            "NoSuchEntity",
            f"The Password Policy with domain name {acct} cannot be found.",
        )

    def test_put_sets_the_policy_and_answers_it_whole(self, signed, root_key, acct):
        body = {
            "minimum_password_length": 14,
            "require_symbols": True,
            "require_numbers": True,
            "allow_users_to_change_password": True,
            "max_password_age": 90,
            "password_reuse_prevention": 5,
        }
        response = signed("PUT", POLICY, root_key, body)
        assert response.status_code == 200
        expected = {**DEFAULT_POLICY, **body, "expire_passwords": True}
        assert response.json() == expected
        assert signed("GET", POLICY, root_key).json() == expected
        event = AuditEvent.objects.get(action="iam:UpdateAccountPasswordPolicy")
        assert (event.outcome, event.channel, event.target_arn) == (
            "success",
            "rest",
            f"arn:aws:iam::{acct}:root",
        )
        assert event.parameters["minimum_password_length"] == 14

    def test_put_resets_every_member_left_out_to_its_default_as_in_aws(self, signed, root_key, ctx):
        passwords.update_account_password_policy(
            ctx, minimum_password_length=20, require_symbols=True, hard_expiry=True, max_password_age=30
        )
        response = signed("PUT", POLICY, root_key, {"require_numbers": True})
        assert response.json() == {**DEFAULT_POLICY, "require_numbers": True}
        assert signed("PUT", POLICY, root_key, {}).json() == DEFAULT_POLICY
        assert PasswordPolicy.objects.get(account=ctx.account).minimum_password_length == 6

    @pytest.mark.parametrize(
        ("body", "field", "message"),
        [
            ({"minimum_password_length": 5}, "minimum_password_length", "Ensure this value is greater than or equal to 6."),
            ({"minimum_password_length": 129}, "minimum_password_length", "Ensure this value is less than or equal to 128."),
            ({"max_password_age": 0}, "max_password_age", "Ensure this value is greater than or equal to 1."),
            ({"max_password_age": 1096}, "max_password_age", "Ensure this value is less than or equal to 1095."),
            ({"password_reuse_prevention": 25}, "password_reuse_prevention", "Ensure this value is less than or equal to 24."),
            ({"require_symbols": "maybe"}, "require_symbols", "Must be a valid boolean."),
        ],
    )  # fmt: skip
    def test_out_of_range_members_are_a_validation_error_naming_the_field(
        self, signed, root_key, body, field, message
    ):
        field_error(signed("PUT", POLICY, root_key, body), field, message)
        assert not PasswordPolicy.objects.exists()

    def test_delete_removes_it_and_a_second_delete_is_no_such_entity(self, signed, root_key, ctx, acct):
        passwords.update_account_password_policy(ctx, minimum_password_length=10)
        response = signed("DELETE", POLICY, root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert not PasswordPolicy.objects.filter(account=ctx.account).exists()
        assert error(signed("GET", POLICY, root_key))[:2] == (404, "NoSuchEntity")
        assert error(signed("DELETE", POLICY, root_key)) == (
            404,
            "NoSuchEntity",
            f"The Password Policy with domain name {acct} cannot be found.",
        )
        assert events("iam:DeleteAccountPasswordPolicy") == [
            ("success", "", "rest"),
            ("failed", "NoSuchEntity", "rest"),
        ]

    def test_a_user_without_policy_may_neither_read_set_nor_delete_it(self, signed, nobody_key, ctx, acct):
        passwords.update_account_password_policy(ctx, minimum_password_length=10)
        for method, body, action in (
            ("GET", None, "iam:GetAccountPasswordPolicy"),
            ("PUT", {"minimum_password_length": 6}, "iam:UpdateAccountPasswordPolicy"),
            ("DELETE", None, "iam:DeleteAccountPasswordPolicy"),
        ):
            response = signed(method, POLICY, nobody_key, body)
            assert error(response) == (403, "AccessDenied", denial(acct, "nobody", action, "*")), method
            assert events(action) == [("denied", "AccessDenied", "rest")]
        assert PasswordPolicy.objects.get(account=ctx.account).minimum_password_length == 10

    def test_every_user_may_read_it_while_users_may_change_their_password(self, signed, nobody_key, ctx):
        passwords.update_account_password_policy(ctx, allow_users_to_change_password=True)
        response = signed("GET", POLICY, nobody_key)
        assert (response.status_code, response.json()["allow_users_to_change_password"]) == (200, True)


class ListAuditEventsTests:
    def test_lists_the_accounts_events_newest_first_in_awss_terms(self, signed, root_key, ctx, acct):
        users.create_user(ctx, user_name="alice")
        response = signed("PUT", ALIAS, root_key, {"account_alias": "example-corp"})
        body = signed("GET", EVENTS, root_key).json()
        assert (body["is_truncated"], body["marker"]) == (False, None)
        assert [item["action"] for item in body["items"]] == [
            "iam:CreateAccountAlias",
            "iam:CreateUser",
            "iam:CreateAccessKey",  # the root key of the fixture
            "portal:CreateAccount",  # the sign-up
        ]
        event = AuditEvent.objects.get(action="iam:CreateAccountAlias")
        assert body["items"][0] == {
            "event_id": event.pk,
            "event_time": event.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "action": "iam:CreateAccountAlias",
            "outcome": "success",
            "error_code": None,
            "actor_arn": f"arn:aws:iam::{acct}:root",
            "access_key_id": root_key.access_key_id,
            "channel": "rest",
            "source_ip": "127.0.0.1",
            "request_id": response["x-amzn-RequestId"],
            "target_arn": f"arn:aws:iam::{acct}:root",
            "parameters": {"account_alias": "example-corp"},
        }
        assert body["items"][1]["access_key_id"] is None  # made through the service, unsigned

    def test_another_accounts_events_are_not_listed(self, signed, root_key, ctx):
        users.create_user(f.root_context(), user_name="theirs")
        users.create_user(ctx, user_name="ours")
        listed = signed("GET", url(EVENTS, action="iam:CreateUser"), root_key).json()["items"]
        assert [item["target_arn"] for item in listed] == [f"arn:aws:iam::{ctx.account.account_id}:user/ours"]

    def test_filters_by_action_outcome_channel_actor_and_target(
        self, signed, root_key, nobody_key, ctx, acct
    ):
        users.create_user(ctx, user_name="alice")  # after the fixture's "nobody"
        signed("POST", "/api/v1/users/", root_key, {"user_name": "alice"})  # failed: EntityAlreadyExists
        signed("DELETE", "/api/v1/users/alice/", nobody_key)  # denied

        def actions(**filters: str) -> list[tuple[str, str, str]]:
            items = signed("GET", url(EVENTS, **filters), root_key).json()["items"]
            return [(item["action"], item["outcome"], item["target_arn"].rsplit("/", 1)[1]) for item in items]

        assert actions(action="IAM:createuser") == [
            ("iam:CreateUser", "failed", "alice"),
            ("iam:CreateUser", "success", "alice"),
            ("iam:CreateUser", "success", "nobody"),
        ]
        assert actions(outcome="denied") == [("iam:DeleteUser", "denied", "alice")]
        assert actions(channel="rest") == [
            ("iam:DeleteUser", "denied", "alice"),
            ("iam:CreateUser", "failed", "alice"),
        ]
        assert actions(actor_arn_contains="USER/nob") == [("iam:DeleteUser", "denied", "alice")]
        alice = f"arn:aws:iam::{acct}:user/alice"
        assert actions(
            target_arn=alice.upper().replace("ARN:AWS:IAM", "arn:aws:iam"), channel="internal"
        ) == [("iam:CreateUser", "success", "alice")]
        # involving: what nobody did (the denial) and what was done to it (its user and its key).
        assert actions(involving_arn=f"arn:aws:iam::{acct}:user/nobody") == [
            ("iam:DeleteUser", "denied", "alice"),
            ("iam:CreateAccessKey", "success", "nobody"),
            ("iam:CreateUser", "success", "nobody"),
        ]

    def test_since_and_until_bound_the_event_time(self, signed, root_key, ctx):
        for name in ("a", "b", "c"):
            users.create_user(ctx, user_name=name)
        middle = AuditEvent.objects.get(target_arn__endswith="user/b").time

        def names(**bounds: str) -> list[str]:
            listed = signed("GET", url(EVENTS, action="iam:CreateUser", **bounds), root_key).json()["items"]
            return [item["target_arn"].rsplit("/", 1)[1] for item in listed]

        assert names(since=middle.isoformat()) == ["c", "b"]  # inclusive
        assert names(until=middle.isoformat()) == ["a"]  # exclusive
        assert names(since=(timezone.now() + timedelta(hours=1)).isoformat()) == []

    @pytest.mark.parametrize(
        ("query", "field", "message"),
        [
            ("outcome=ok", "outcome", '"ok" is not a valid choice.'),
            ("channel=email", "channel", '"email" is not a valid choice.'),
            ("max_items=0", "max_items", "Ensure this value is greater than or equal to 1."),
            (
                "since=yesterday",
                "since",
                "Datetime has wrong format. Use one of these formats instead: "
                "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
            ),
            (
                "since=2026-02-01T00%3A00%3A00Z&until=2026-02-01T00%3A00%3A00Z",
                "until",
                "Must be later than since.",
            ),
        ],
    )
    def test_bad_filters_are_a_validation_error_naming_the_field(
        self, signed, root_key, query, field, message
    ):
        field_error(signed("GET", f"{EVENTS}?{query}", root_key), field, message)

    def test_pages_follow_the_marker_until_the_last(self, signed, root_key, ctx):
        for name in ("u1", "u2", "u3"):
            users.create_user(ctx, user_name=name)
        first = signed("GET", url(EVENTS, action="iam:CreateUser", max_items=2), root_key).json()
        assert ([i["target_arn"][-2:] for i in first["items"]], first["is_truncated"]) == (["u3", "u2"], True)
        page = url(EVENTS, action="iam:CreateUser", max_items=2, marker=first["marker"])
        last = signed("GET", page, root_key)
        assert [i["target_arn"][-2:] for i in last.json()["items"]] == ["u1"]
        assert (last.json()["is_truncated"], last.json()["marker"]) == (False, None)

    def test_the_number_of_queries_does_not_grow_with_the_events(
        self, signed, root_key, ctx, django_assert_max_num_queries
    ):
        users.create_user(ctx, user_name="first")
        signed("GET", EVENTS, root_key)  # warm the policy cache (as any later request finds it)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert signed("GET", EVENTS, root_key).status_code == 200
            return len(queries)

        few = count()
        for i in range(20):
            users.create_user(ctx, user_name=f"more{i}")
        assert count() == few
        with django_assert_max_num_queries(few):
            assert len(signed("GET", EVENTS, root_key).json()["items"]) == 23

    def test_audit_rows_never_hold_a_secret(self, signed, root_key, ctx):
        users.create_user(ctx, user_name="alice")
        password = "Sup3r-secret-passw0rd!"
        passwords.create_login_profile(ctx, user_name="alice", password=password)
        secret = issue_key(ctx, "alice").secret_access_key
        response = signed("GET", EVENTS, root_key)
        assert password not in response.content.decode() and secret not in response.content.decode()
        by_action = {}
        for item in response.json()["items"]:  # newest first: the first of each action is alice's
            by_action.setdefault(item["action"], item)
        assert by_action["iam:CreateLoginProfile"]["parameters"] == {
            "user_name": "alice",
            "password_reset_required": False,
        }
        key_id = by_action["iam:CreateAccessKey"]["parameters"]["access_key_id"]
        assert by_action["iam:CreateAccessKey"]["parameters"] == {
            "user_name": "alice",
            "access_key_id": key_id,
        }
        stored = [str(p) for p in AuditEvent.objects.values_list("parameters", flat=True)]
        assert not any(password in p or secret in p for p in stored)

    def test_reading_the_log_needs_cloudtrail_lookup_events(self, signed, nobody_key, ctx, acct):
        response = signed("GET", EVENTS, nobody_key)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "cloudtrail:LookupEvents", "*"),
        )
        assert events("cloudtrail:LookupEvents") == [("denied", "AccessDenied", "rest")]
        # IAMReadOnlyAccess does not reach CloudTrail; a policy allowing LookupEvents does.
        iam_user(ctx, "reader", READ_ONLY)
        assert error(signed("GET", EVENTS, issue_key(ctx, "reader")))[:2] == (403, "AccessDenied")
        auditor = iam_user(ctx, "auditor")
        f.put_user_policy(auditor, "audit", f.allow("cloudtrail:LookupEvents"))
        assert signed("GET", EVENTS, issue_key(ctx, "auditor")).status_code == 200


class GetAuditEventTests:
    def test_answers_one_event_in_full(self, signed, root_key, ctx, acct):
        users.create_user(ctx, user_name="alice", tags=[{"Key": "team", "Value": "web"}])
        event = AuditEvent.objects.get(action="iam:CreateUser")
        response = signed("GET", f"{EVENTS}{event.pk}/", root_key)
        assert response.status_code == 200
        body = response.json()
        assert (body["event_id"], body["action"], body["channel"], body["target_arn"]) == (
            event.pk,
            "iam:CreateUser",
            "internal",
            f"arn:aws:iam::{acct}:user/alice",
        )
        assert body["parameters"] == event.parameters and ISO_Z.fullmatch(body["event_time"])

    def test_another_accounts_event_is_reported_as_missing(self, signed, root_key):
        users.create_user(f.root_context(), user_name="theirs")
        theirs = AuditEvent.objects.get(action="iam:CreateUser").pk
        response = signed("GET", f"{EVENTS}{theirs}/", root_key)
        assert error(response) == (404, "NoSuchEntity", f"The audit event with id {theirs} cannot be found.")

    def test_an_id_beyond_any_row_is_no_such_entity_not_a_failure(self, signed, root_key):
        huge = "9" * 30
        assert error(signed("GET", f"{EVENTS}{huge}/", root_key)) == (
            404,
            "NoSuchEntity",
            f"The audit event with id {huge} cannot be found.",
        )

    def test_a_user_without_policy_is_denied(self, signed, nobody_key, acct):
        event = AuditEvent.objects.filter(action="iam:CreateUser").first()
        response = signed("GET", f"{EVENTS}{event.pk}/", nobody_key)
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "cloudtrail:LookupEvents", "*"),
        )


class GetCallerIdentityTests:
    def test_the_root_user_is_its_account(self, signed, root_key, acct):
        response = signed("GET", ME, root_key)
        assert response.status_code == 200
        assert response.json() == {"account": acct, "arn": f"arn:aws:iam::{acct}:root", "user_id": acct}

    def test_an_iam_user_that_every_policy_denies_still_learns_who_it_is(self, signed, nobody_key, ctx, acct):
        nobody = User.objects.get(user_name="nobody")
        f.put_user_policy(nobody, "deny-all", f.deny("*"))
        response = signed("GET", ME, nobody_key)
        assert response.status_code == 200
        assert response.json() == {
            "account": acct,
            "arn": f"arn:aws:iam::{acct}:user/nobody",
            "user_id": nobody.user_id,
        }
        assert not AuditEvent.objects.filter(action__icontains="CallerIdentity").exists()

    def test_a_role_session_is_the_assumed_role(self, signed, ctx, acct):
        trust = {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{acct}:user/dev"},
            "Action": "sts:AssumeRole",
        }
        role = roles.create_role(ctx, role_name="ops", assume_role_policy_document=f.document(trust))
        attach_role_policy(ctx, role_name="ops", policy_arn=READ_ONLY)
        dev = iam_user(ctx, "dev")
        f.put_user_policy(dev, "assume", f.allow("sts:AssumeRole", role.arn))
        c = assume_role(f.context_for(dev), role_arn=role.arn, role_session_name="night-shift").credentials
        response = signed("GET", ME, Key(c.access_key_id, c.secret_access_key, c.session_token))
        assert response.json() == {
            "account": acct,
            "arn": f"arn:aws:sts::{acct}:assumed-role/ops/night-shift",
            "user_id": f"{role.role_id}:night-shift",
        }

    def test_the_console_session_is_its_signed_in_user(self, session, acct):
        response = session.get(ME)
        assert (response.status_code, response.json()["arn"]) == (200, f"arn:aws:iam::{acct}:root")


@pytest.fixture(scope="module")
def schema() -> dict:
    """The OpenAPI schema as /api/schema/ serves it (test_schema.py validates it as a whole)."""
    return SchemaGenerator().get_schema(request=None, public=True)


class AccountSchemaConformanceTests:
    """Real answers of every operation here, successes and errors, match their documented shape."""

    def check(self, schema: dict, path: str, method: str, response) -> None:
        documented = schema["paths"][path][method]["responses"][str(response.status_code)]
        if response.status_code == 204:
            assert "content" not in documented and response.content == b""
            return
        shape = documented["content"]["application/json"]["schema"]
        validator = jsonschema.Draft7Validator(
            _json_schema(copy.deepcopy(shape), schema["components"]["schemas"]),
            format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
        )
        validator.validate(response.json())

    def test_each_operations_answers_match_the_schema(self, schema, signed, root_key, nobody_key, ctx):
        users.create_user(ctx, user_name="alice")
        event = AuditEvent.objects.filter(action="iam:CreateUser").last().pk
        detail = "/api/v1/audit-events/{event_id}/"
        calls = [
            (SUMMARY, "get", signed("GET", SUMMARY, root_key)),
            (SUMMARY, "get", signed("GET", SUMMARY, nobody_key)),
            (ALIAS, "get", signed("GET", ALIAS, root_key)),
            (ALIAS, "put", signed("PUT", ALIAS, root_key, {"account_alias": "example-corp"})),
            (ALIAS, "put", signed("PUT", ALIAS, root_key, {"account_alias": "Bad"})),
            (ALIAS, "get", signed("GET", ALIAS, root_key)),
            (ALIAS, "delete", signed("DELETE", url(ALIAS, account_alias="other-name"), root_key)),
            (ALIAS, "delete", signed("DELETE", url(ALIAS, account_alias="example-corp"), root_key)),
            (POLICY, "get", signed("GET", POLICY, root_key)),
            (POLICY, "put", signed("PUT", POLICY, root_key, {"max_password_age": 30})),
            (POLICY, "put", signed("PUT", POLICY, root_key, {"password_reuse_prevention": None})),
            (POLICY, "get", signed("GET", POLICY, root_key)),
            (POLICY, "delete", signed("DELETE", POLICY, root_key)),
            (POLICY, "delete", signed("DELETE", POLICY, root_key)),
            (EVENTS, "get", signed("GET", url(EVENTS, max_items=3), root_key)),
            (EVENTS, "get", signed("GET", url(EVENTS, outcome="maybe"), root_key)),
            (detail, "get", signed("GET", f"{EVENTS}{event}/", root_key)),
            (detail, "get", signed("GET", f"{EVENTS}0/", root_key)),
            (ME, "get", signed("GET", ME, nobody_key)),
        ]
        assert [response.status_code for *_, response in calls] == [
            200, 403, 200, 204, 400, 200, 404, 204, 404, 200, 200, 200, 204, 404, 200, 400, 200, 404, 200,
        ]  # fmt: skip
        for path, method, response in calls:
            self.check(schema, path, method, response)
