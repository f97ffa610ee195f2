"""/api/v1/users/{user_name}/attached-policies/, …/policies/, …/permissions-boundary/ through the test
client, signed with SigV4: shapes, status codes, AWS codes and messages, authorization, audit rows,
query counts."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, User
from accounts.services import policy_attachments as attachments
from accounts.services import users
from policies.models import UserPolicy, UserPolicyAttachment
from tests import factories as f

from . import test_schema as schema_checks
from .conftest import READ_ONLY, USERS, denial, error, iam_user, issue_key

pytestmark = pytest.mark.django_db
ALICE = USERS + "alice/"
ATTACHED = ALICE + "attached-policies/"
INLINE = ALICE + "policies/"
BOUNDARY = ALICE + "permissions-boundary/"
DOCUMENT = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]\n}'

schema = schema_checks.schema  # the schema as `manage.py spectacular --validate --fail-on-warn` writes it


def rest_events(action: str) -> list[tuple[str, str]]:
    """(outcome, error code) of one action's audit rows on the REST channel, oldest first (the
    tests' setup goes through the services on the internal one)."""
    rows = AuditEvent.objects.filter(action=action, channel="rest").order_by("pk")
    return list(rows.values_list("outcome", "error_code"))


def attached_arns(user_name: str = "alice") -> list[str]:
    rows = UserPolicyAttachment.objects.filter(user__user_name=user_name).order_by("policy__policy_name")
    return list(rows.values_list("policy__arn", flat=True))


def inline(user_name: str = "alice") -> dict[str, str]:
    return dict(UserPolicy.objects.filter(user__user_name=user_name).values_list("policy_name", "document"))


def same_count(signed, key, path: str, grow) -> None:
    """The number of queries of GET `path` does not change when `grow()` adds rows to the list."""

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert signed("GET", path, key).status_code == 200
        return len(queries)

    signed("GET", path, key)  # warm the policy cache (as any later request finds it)
    few = count()
    grow()
    assert count() == few


@pytest.fixture
def alice(ctx):
    return users.create_user(ctx, user_name="alice")


@pytest.fixture
def policies(ctx) -> list[str]:
    """ARNs of three customer managed policies: Beta, alpha (path /team/), Gamma."""
    return [
        f.managed_policy(ctx.account, "Beta", f.allow("s3:*")).arn,
        f.managed_policy(ctx.account, "alpha", f.allow("ec2:*"), path="/team/").arn,
        f.managed_policy(ctx.account, "Gamma", f.allow("sqs:*")).arn,
    ]


class ListAttachedUserPoliciesTests:
    def test_lists_the_users_own_attachments_by_name(self, signed, root_key, ctx, alice, policies, acct):
        for arn in policies:
            attachments.attach_user_policy(ctx, user_name="alice", policy_arn=arn)
        response = signed("GET", ATTACHED, root_key)
        assert response.status_code == 200
        assert response.json() == {
            "items": [
                {"policy_name": "Beta", "policy_arn": f"arn:aws:iam::{acct}:policy/Beta"},
                {"policy_name": "Gamma", "policy_arn": f"arn:aws:iam::{acct}:policy/Gamma"},
                {"policy_name": "alpha", "policy_arn": f"arn:aws:iam::{acct}:policy/team/alpha"},
            ],
            "is_truncated": False,
            "marker": None,
        }

    def test_a_groups_policies_are_not_the_users(self, signed, root_key, ctx, alice, policies):
        from accounts.services import groups

        groups.create_group(ctx, group_name="devs")
        groups.add_user_to_group(ctx, group_name="devs", user_name="alice")
        attachments.attach_group_policy(ctx, group_name="devs", policy_arn=policies[0])
        assert signed("GET", ATTACHED, root_key).json()["items"] == []

    def test_path_prefix_and_pages(self, signed, root_key, ctx, alice, policies):
        for arn in policies:
            attachments.attach_user_policy(ctx, user_name="alice", policy_arn=arn)
        only = signed("GET", ATTACHED + "?path_prefix=/team/", root_key).json()["items"]
        assert [p["policy_name"] for p in only] == ["alpha"]
        first = signed("GET", ATTACHED + "?max_items=2", root_key).json()
        assert ([p["policy_name"] for p in first["items"]], first["is_truncated"]) == (
            ["Beta", "Gamma"],
            True,
        )
        rest = signed("GET", f"{ATTACHED}?marker={first['marker']}&max_items=2", root_key).json()
        assert ([p["policy_name"] for p in rest["items"]], rest["marker"]) == (["alpha"], None)

    def test_a_path_prefix_that_is_no_policy_path_names_the_field(self, signed, root_key, alice):
        response = signed("GET", ATTACHED + "?path_prefix=/a b/", root_key)
        assert error(response)[:2] == (400, "ValidationError")
        assert response.json()["error"]["fields"] == {
            "path_prefix": ["Must be / or /segments/ of letters, digits and .,+@=_- (a policy path)."]
        }

    def test_an_unknown_user_is_no_such_entity(self, signed, root_key):
        response = signed("GET", USERS + "ghost/attached-policies/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The user with name ghost cannot be found.")

    def test_the_number_of_queries_does_not_grow_with_the_policies(self, signed, root_key, ctx, alice):
        attachments.attach_user_policy(
            ctx, user_name="alice", policy_arn=f.managed_policy(ctx.account, "P0", f.allow()).arn
        )

        def grow() -> None:
            for i in range(1, 10):
                arn = f.managed_policy(ctx.account, f"P{i}", f.allow()).arn
                attachments.attach_user_policy(ctx, user_name="alice", policy_arn=arn)

        same_count(signed, root_key, ATTACHED, grow)
        assert len(attached_arns()) == 10


class AttachUserPolicyTests:
    def test_attaches_with_204_and_one_audit_row(self, signed, root_key, alice, policies, acct):
        response = signed("POST", ATTACHED, root_key, {"policy_arn": policies[0]})
        assert (response.status_code, response.content) == (204, b"")
        assert attached_arns() == [policies[0]]
        event = AuditEvent.objects.get(action="iam:AttachUserPolicy")
        assert (event.outcome, event.channel, event.target_arn, event.parameters) == (
            "success",
            "rest",
            f"arn:aws:iam::{acct}:user/alice",
            {"user_name": "alice", "policy_arn": policies[0]},
        )
        assert event.request_id == response["x-amzn-RequestId"]

    def test_an_aws_managed_policy_attaches_and_again_changes_nothing(self, signed, root_key, alice):
        for _ in range(2):
            assert signed("POST", ATTACHED, root_key, {"policy_arn": READ_ONLY}).status_code == 204
        assert attached_arns() == [READ_ONLY]
        assert rest_events("iam:AttachUserPolicy") == [("success", "")] * 2

    def test_a_policy_that_does_not_exist_is_no_such_entity(self, signed, root_key, alice):
        arn = "arn:aws:iam::aws:policy/NoSuchPolicy"
        response = signed("POST", ATTACHED, root_key, {"policy_arn": arn})
        assert error(response) == (404, "NoSuchEntity", f"Policy {arn} does not exist or is not attachable.")

    def test_an_eleventh_policy_is_limit_exceeded(self, signed, root_key, ctx, alice):
        for i in range(10):
            arn = f.managed_policy(ctx.account, f"P{i}", f.allow()).arn
            attachments.attach_user_policy(ctx, user_name="alice", policy_arn=arn)
        eleventh = f.managed_policy(ctx.account, "P10", f.allow()).arn
        response = signed("POST", ATTACHED, root_key, {"policy_arn": eleventh})
        assert error(response) == (409, "LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 10")
        assert rest_events("iam:AttachUserPolicy")[-1] == ("failed", "LimitExceeded")

    def test_a_missing_or_short_arn_names_the_field_and_a_non_arn_is_invalid_input(
        self, signed, root_key, alice
    ):
        assert signed("POST", ATTACHED, root_key, {}).json()["error"]["fields"] == {
            "policy_arn": ["This field is required."]
        }
        assert signed("POST", ATTACHED, root_key, {"policy_arn": "arn:aws:x"}).json()["error"]["fields"] == {
            "policy_arn": ["Ensure this field has at least 20 characters."]
        }
        response = signed("POST", ATTACHED, root_key, {"policy_arn": "not-an-arn-but-long-enough"})
        assert error(response) == (400, "InvalidInput", "ARN not-an-arn-but-long-enough is not valid.")
        assert AuditEvent.objects.filter(action="iam:AttachUserPolicy").count() == 0


class DetachUserPolicyTests:
    def test_detaches_the_policy_named_in_the_query_with_204(self, signed, root_key, ctx, alice, policies):
        for arn in policies[:2]:
            attachments.attach_user_policy(ctx, user_name="alice", policy_arn=arn)
        response = signed("DELETE", f"{ATTACHED}?{urlencode({'policy_arn': policies[1]})}", root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert attached_arns() == [policies[0]]
        assert rest_events("iam:DetachUserPolicy") == [("success", "")]

    def test_the_arn_may_be_sent_unencoded_in_the_query(self, signed, root_key, ctx, alice):
        attachments.attach_user_policy(ctx, user_name="alice", policy_arn=READ_ONLY)
        response = signed("DELETE", f"{ATTACHED}?policy_arn={READ_ONLY}", root_key)
        assert response.status_code == 204
        assert attached_arns() == []

    def test_a_policy_that_is_not_attached_is_no_such_entity(self, signed, root_key, alice, policies):
        response = signed("DELETE", f"{ATTACHED}?{urlencode({'policy_arn': policies[0]})}", root_key)
        assert error(response) == (404, "NoSuchEntity", f"Policy {policies[0]} was not found.")
        assert rest_events("iam:DetachUserPolicy") == [("failed", "NoSuchEntity")]

    def test_without_the_arn_the_field_is_named(self, signed, root_key, alice):
        response = signed("DELETE", ATTACHED, root_key)
        assert error(response) == (
            400,
            "ValidationError",
            "1 validation error detected: policy_arn: This field is required",
        )


class ManagedPolicyAuthorizationTests:
    def test_a_user_without_policy_may_neither_list_attach_nor_detach(
        self, signed, ctx, nobody_key, alice, policies, acct
    ):
        attachments.attach_user_policy(ctx, user_name="alice", policy_arn=policies[0])
        arn = f"arn:aws:iam::{acct}:user/alice"
        assert error(signed("GET", ATTACHED, nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:ListAttachedUserPolicies", arn),
        )
        assert error(signed("POST", ATTACHED, nobody_key, {"policy_arn": policies[1]})) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:AttachUserPolicy", arn),
        )
        detach = f"{ATTACHED}?{urlencode({'policy_arn': policies[0]})}"
        assert error(signed("DELETE", detach, nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:DetachUserPolicy", arn),
        )
        assert attached_arns() == [policies[0]]
        actions = ("iam:ListAttachedUserPolicies", "iam:AttachUserPolicy", "iam:DetachUserPolicy")
        assert [rest_events(a) for a in actions] == [[("denied", "AccessDenied")]] * 3

    def test_a_read_only_user_may_list_but_not_attach(self, signed, ctx, alice, acct):
        iam_user(ctx, "reader", READ_ONLY)
        key = issue_key(ctx, "reader")
        assert signed("GET", USERS + "reader/attached-policies/", key).json()["items"] == [
            {"policy_name": "IAMReadOnlyAccess", "policy_arn": READ_ONLY}
        ]
        response = signed("POST", ATTACHED, key, {"policy_arn": READ_ONLY})
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "reader", "iam:AttachUserPolicy", f"arn:aws:iam::{acct}:user/alice"),
        )


class ListUserPoliciesTests:
    def test_lists_the_names_in_order_in_pages(self, signed, root_key, ctx, alice):
        for name in ("b", "a", "c"):
            attachments.put_user_policy(ctx, user_name="alice", policy_name=name, policy_document=DOCUMENT)
        body = signed("GET", INLINE + "?max_items=2", root_key).json()
        assert body["items"] == [{"policy_name": "a"}, {"policy_name": "b"}]
        assert body["is_truncated"] is True
        rest = signed("GET", f"{INLINE}?marker={body['marker']}", root_key).json()
        assert rest == {"items": [{"policy_name": "c"}], "is_truncated": False, "marker": None}

    def test_the_number_of_queries_does_not_grow_with_the_policies(self, signed, root_key, ctx, alice):
        small = f.document(f.allow("s3:GetObject"))
        attachments.put_user_policy(ctx, user_name="alice", policy_name="p0", policy_document=small)

        def grow() -> None:
            for i in range(1, 10):
                attachments.put_user_policy(
                    ctx, user_name="alice", policy_name=f"p{i}", policy_document=small
                )

        same_count(signed, root_key, INLINE, grow)
        assert len(signed("GET", INLINE, root_key).json()["items"]) == 10

    def test_an_unknown_user_is_no_such_entity(self, signed, root_key):
        response = signed("GET", USERS + "ghost/policies/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The user with name ghost cannot be found.")


class GetUserPolicyTests:
    def test_answers_the_document_exactly_as_it_was_put(self, signed, root_key, ctx, alice):
        attachments.put_user_policy(ctx, user_name="alice", policy_name="S3", policy_document=DOCUMENT)
        response = signed("GET", USERS + "ALICE/policies/S3/", root_key)
        assert response.status_code == 200
        assert response.json() == {"user_name": "alice", "policy_name": "S3", "policy_document": DOCUMENT}

    def test_a_policy_that_is_not_there_is_no_such_entity(self, signed, root_key, alice):
        response = signed("GET", INLINE + "nope/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The user policy with name nope cannot be found.")


class PutUserPolicyTests:
    def test_adds_then_replaces_with_204_and_audit_rows(self, signed, root_key, alice, acct):
        response = signed("PUT", INLINE + "S3/", root_key, {"policy_document": DOCUMENT})
        assert (response.status_code, response.content) == (204, b"")
        assert inline() == {"S3": DOCUMENT}
        other = f.document(f.allow("sqs:*"))
        assert signed("PUT", INLINE + "S3/", root_key, {"policy_document": other}).status_code == 204
        assert inline() == {"S3": other}
        assert rest_events("iam:PutUserPolicy") == [("success", "")] * 2
        event = AuditEvent.objects.filter(action="iam:PutUserPolicy").first()
        assert (event.target_arn, event.parameters["policy_name"]) == (
            f"arn:aws:iam::{acct}:user/alice",
            "S3",
        )

    def test_a_malformed_document_is_the_engines_error(self, signed, root_key, alice):
        bad = f.document({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"})
        response = signed("PUT", INLINE + "P/", root_key, {"policy_document": bad})
        status, code, message = error(response)
        assert (status, code) == (400, "MalformedPolicyDocument")
        assert message.startswith(
            "Unsupported element: An identity-based policy must not have a Principal element"
        )
        response = signed("PUT", INLINE + "P/", root_key, {"policy_document": "{"})
        assert error(response)[:2] == (400, "MalformedPolicyDocument")
        assert error(response)[2].startswith("Json syntax error: ")
        assert inline() == {}

    def test_over_the_users_size_quota_is_limit_exceeded(self, signed, root_key, alice):
        padded = f.document(f.allow("s3:GetObject", [f"arn:aws:s3:::bucket-{i:04}/*" for i in range(80)]))
        assert len(padded) > 2048
        response = signed("PUT", INLINE + "Big/", root_key, {"policy_document": padded})
        assert error(response) == (
            409,
            "LimitExceeded",
            "Maximum policy size of 2048 bytes exceeded for user alice",
        )
        # One document over the quota is refused before the write, as an input error is: no audit row.
        assert rest_events("iam:PutUserPolicy") == []

    def test_all_the_users_inline_policies_together_are_within_the_quota(self, signed, root_key, ctx, alice):
        def sized(count: int) -> str:
            return f.document(
                f.allow("s3:GetObject", [f"arn:aws:s3:::bucket-{i:04}/*" for i in range(count)])
            )

        attachments.put_user_policy(ctx, user_name="alice", policy_name="First", policy_document=sized(40))
        response = signed("PUT", INLINE + "Second/", root_key, {"policy_document": sized(30)})
        assert error(response) == (
            409,
            "LimitExceeded",
            "Maximum policy size of 2048 bytes exceeded for user alice",
        )
        assert set(inline()) == {"First"}
        assert rest_events("iam:PutUserPolicy") == [("failed", "LimitExceeded")]

    def test_a_missing_or_blank_document_names_the_field(self, signed, root_key, alice):
        assert signed("PUT", INLINE + "P/", root_key, {}).json()["error"]["fields"] == {
            "policy_document": ["This field is required."]
        }
        assert signed("PUT", INLINE + "P/", root_key, {"policy_document": ""}).json()["error"]["fields"] == {
            "policy_document": ["This field may not be blank."]
        }

    def test_an_unknown_user_is_no_such_entity(self, signed, root_key):
        response = signed("PUT", USERS + "ghost/policies/P/", root_key, {"policy_document": DOCUMENT})
        assert error(response) == (404, "NoSuchEntity", "The user with name ghost cannot be found.")


class DeleteUserPolicyTests:
    def test_deletes_with_204(self, signed, root_key, ctx, alice):
        attachments.put_user_policy(ctx, user_name="alice", policy_name="S3", policy_document=DOCUMENT)
        response = signed("DELETE", INLINE + "S3/", root_key)
        assert (response.status_code, response.content) == (204, b"")
        assert inline() == {}
        assert rest_events("iam:DeleteUserPolicy") == [("success", "")]

    def test_a_policy_that_is_not_there_is_no_such_entity(self, signed, root_key, alice):
        response = signed("DELETE", INLINE + "S3/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The user policy with name S3 cannot be found.")
        assert rest_events("iam:DeleteUserPolicy") == [("failed", "NoSuchEntity")]


class InlinePolicyAuthorizationTests:
    def test_a_user_without_policy_may_not_list_get_put_or_delete(self, signed, ctx, nobody_key, alice, acct):
        attachments.put_user_policy(ctx, user_name="alice", policy_name="S3", policy_document=DOCUMENT)
        arn = f"arn:aws:iam::{acct}:user/alice"
        calls = [
            ("iam:ListUserPolicies", signed("GET", INLINE, nobody_key)),
            ("iam:GetUserPolicy", signed("GET", INLINE + "S3/", nobody_key)),
            ("iam:PutUserPolicy", signed("PUT", INLINE + "S3/", nobody_key, {"policy_document": DOCUMENT})),
            ("iam:DeleteUserPolicy", signed("DELETE", INLINE + "S3/", nobody_key)),
        ]
        for action, response in calls:
            assert error(response) == (403, "AccessDenied", denial(acct, "nobody", action, arn))
            assert rest_events(action) == [("denied", "AccessDenied")]
        assert inline() == {"S3": DOCUMENT}

    def test_a_read_only_user_may_read_but_not_put(self, signed, ctx, alice, acct):
        attachments.put_user_policy(ctx, user_name="alice", policy_name="S3", policy_document=DOCUMENT)
        iam_user(ctx, "reader", READ_ONLY)
        key = issue_key(ctx, "reader")
        assert signed("GET", INLINE + "S3/", key).json()["policy_document"] == DOCUMENT
        response = signed("PUT", INLINE + "S3/", key, {"policy_document": DOCUMENT})
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "reader", "iam:PutUserPolicy", f"arn:aws:iam::{acct}:user/alice"),
        )


class PermissionsBoundaryTests:
    def test_put_sets_and_replaces_the_boundary_and_get_user_shows_it(self, signed, root_key, ctx, alice):
        mine = f.managed_policy(ctx.account, "Cap", f.allow("s3:*")).arn
        response = signed("PUT", BOUNDARY, root_key, {"permissions_boundary": mine})
        assert (response.status_code, response.content) == (204, b"")
        assert signed("GET", ALICE, root_key).json()["permissions_boundary"] == {
            "permissions_boundary_type": "PermissionsBoundaryPolicy",
            "permissions_boundary_arn": mine,
        }
        assert signed("PUT", BOUNDARY, root_key, {"permissions_boundary": READ_ONLY}).status_code == 204
        assert User.objects.get(pk=alice.pk).permissions_boundary.arn == READ_ONLY
        event = AuditEvent.objects.filter(action="iam:PutUserPermissionsBoundary").first()
        assert (event.outcome, event.channel, event.parameters) == (
            "success",
            "rest",
            {"user_name": "alice", "permissions_boundary": mine},
        )

    def test_a_boundary_that_does_not_exist_is_no_such_entity(self, signed, root_key, alice):
        arn = "arn:aws:iam::aws:policy/NoSuchPolicy"
        response = signed("PUT", BOUNDARY, root_key, {"permissions_boundary": arn})
        assert error(response) == (
            404,
            "NoSuchEntity",
            f"Scope ARN: {arn} does not exist or is not attachable.",
        )
        assert User.objects.get(pk=alice.pk).permissions_boundary_id is None

    def test_a_missing_boundary_names_the_field(self, signed, root_key, alice):
        assert signed("PUT", BOUNDARY, root_key, {}).json()["error"]["fields"] == {
            "permissions_boundary": ["This field is required."]
        }

    def test_delete_removes_it_and_succeeds_when_none_is_set(self, signed, root_key, ctx, alice):
        attachments.put_user_permissions_boundary(ctx, user_name="alice", permissions_boundary=READ_ONLY)
        for _ in range(2):
            response = signed("DELETE", BOUNDARY, root_key)
            assert (response.status_code, response.content) == (204, b"")
        assert User.objects.get(pk=alice.pk).permissions_boundary_id is None
        assert rest_events("iam:DeleteUserPermissionsBoundary") == [("success", "")] * 2

    def test_an_unknown_user_is_no_such_entity(self, signed, root_key):
        response = signed("DELETE", USERS + "ghost/permissions-boundary/", root_key)
        assert error(response) == (404, "NoSuchEntity", "The user with name ghost cannot be found.")

    def test_a_user_without_policy_may_neither_put_nor_delete_it(self, signed, ctx, nobody_key, alice, acct):
        attachments.put_user_permissions_boundary(ctx, user_name="alice", permissions_boundary=READ_ONLY)
        arn = f"arn:aws:iam::{acct}:user/alice"
        response = signed("PUT", BOUNDARY, nobody_key, {"permissions_boundary": READ_ONLY})
        assert error(response) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:PutUserPermissionsBoundary", arn),
        )
        assert error(signed("DELETE", BOUNDARY, nobody_key)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:DeleteUserPermissionsBoundary", arn),
        )
        assert User.objects.get(pk=alice.pk).permissions_boundary.arn == READ_ONLY
        assert rest_events("iam:PutUserPermissionsBoundary") == [("denied", "AccessDenied")]
        assert rest_events("iam:DeleteUserPermissionsBoundary") == [("denied", "AccessDenied")]


class SessionTests:
    def test_the_console_session_needs_the_csrf_token_to_attach(self, session, alice):
        response = session.post(ATTACHED, {"policy_arn": READ_ONLY}, format="json")
        assert error(response) == (403, "AccessDenied", "CSRF Failed: CSRF cookie not set.")
        assert attached_arns() == []
        session.cookies["csrftoken"] = token = "a" * 32
        response = session.post(ATTACHED, {"policy_arn": READ_ONLY}, format="json", HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 204
        assert attached_arns() == [READ_ONLY]
        assert rest_events("iam:AttachUserPolicy") == [("success", "")]


class UserPermissionsConformanceTests:
    """Real answers of every user policy and boundary operation validated against the schema."""

    def test_each_operations_answers_match_the_schema(self, schema, signed, root_key, nobody_key, alice):
        one = "/api/v1/users/{user_name}/"
        attached, names_, policy = (
            one + "attached-policies/",
            one + "policies/",
            one + "policies/{policy_name}/",
        )
        boundary = one + "permissions-boundary/"
        detach = f"{ATTACHED}?{urlencode({'policy_arn': READ_ONLY})}"
        calls = [
            (attached, "post", signed("POST", ATTACHED, root_key, {"policy_arn": READ_ONLY}), 204),
            (attached, "post", signed("POST", ATTACHED, root_key, {"policy_arn": "x"}), 400),
            (attached, "get", signed("GET", ATTACHED + "?max_items=1", root_key), 200),
            (attached, "get", signed("GET", ATTACHED, nobody_key), 403),
            (attached, "delete", signed("DELETE", detach, root_key), 204),
            (attached, "delete", signed("DELETE", detach, root_key), 404),
            (policy, "put", signed("PUT", INLINE + "S3/", root_key, {"policy_document": DOCUMENT}), 204),
            (names_, "get", signed("GET", INLINE, root_key), 200),
            (policy, "get", signed("GET", INLINE + "S3/", root_key), 200),
            (policy, "delete", signed("DELETE", INLINE + "S3/", root_key), 204),
            (policy, "delete", signed("DELETE", INLINE + "S3/", root_key), 404),
            (boundary, "put", signed("PUT", BOUNDARY, root_key, {"permissions_boundary": READ_ONLY}), 204),
            (boundary, "delete", signed("DELETE", BOUNDARY, root_key), 204),
            (boundary, "delete", signed("DELETE", USERS + "ghost/permissions-boundary/", root_key), 404),
        ]
        assert [response.status_code for *_, response, _ in calls] == [status for *_, status in calls]
        check = schema_checks.ConformanceTests().check
        for path, method, response, _ in calls:
            check(schema, path, method, response)
