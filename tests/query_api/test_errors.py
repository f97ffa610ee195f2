"""Query API errors: AWS codes, HTTP statuses and `<ErrorResponse>` documents, as botocore parses them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError
from django.test import Client

from iam_portal.query_api import actions, render

from .conftest import Key, send

pytestmark = pytest.mark.django_db(transaction=True)
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
NS = {"aws": IAM_NS, "sts": STS_NS}


def error_of(body: str) -> tuple[str, str, str]:
    """(Type, Code, Message) of an ErrorResponse document."""
    root = ET.fromstring(body)
    assert root.tag == f"{{{IAM_NS}}}ErrorResponse"
    assert root.find("aws:RequestId", NS).text
    return tuple(root.find(f"aws:Error/aws:{name}", NS).text for name in ("Type", "Code", "Message"))


def status_of(exc: ClientError) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


class ModeledErrorTests:
    def test_no_such_entity(self, iam):
        with pytest.raises(iam.exceptions.NoSuchEntityException) as missing:
            iam.get_user(UserName="nobody")
        assert missing.value.response["Error"]["Message"] == "The user with name nobody cannot be found."
        assert status_of(missing.value) == 404
        assert missing.value.response["Error"]["Type"] == "Sender"

    def test_entity_already_exists(self, iam):
        iam.create_user(UserName="alice")
        with pytest.raises(iam.exceptions.EntityAlreadyExistsException) as exists:
            iam.create_user(UserName="alice")
        assert exists.value.response["Error"]["Message"] == "User with name alice already exists."
        assert status_of(exists.value) == 409

    def test_limit_exceeded_on_a_third_access_key(self, iam):
        iam.create_user(UserName="alice")
        iam.create_access_key(UserName="alice")
        iam.create_access_key(UserName="alice")
        with pytest.raises(iam.exceptions.LimitExceededException) as limit:
            iam.create_access_key(UserName="alice")
        assert limit.value.response["Error"]["Message"] == "Cannot exceed quota for AccessKeysPerUser: 2"
        assert status_of(limit.value) == 409

    def test_delete_conflict_for_a_group_with_members(self, iam):
        iam.create_user(UserName="alice")
        iam.create_group(GroupName="devs")
        iam.add_user_to_group(GroupName="devs", UserName="alice")
        with pytest.raises(iam.exceptions.DeleteConflictException) as conflict:
            iam.delete_group(GroupName="devs")
        assert status_of(conflict.value) == 409

    def test_malformed_policy_document(self, iam):
        with pytest.raises(iam.exceptions.MalformedPolicyDocumentException) as malformed:
            iam.create_policy(PolicyName="Broken", PolicyDocument='{"Version": "2012-10-17", ')
        assert status_of(malformed.value) == 400

    def test_password_policy_violation(self, iam):
        iam.update_account_password_policy(MinimumPasswordLength=20)
        iam.create_user(UserName="alice")
        with pytest.raises(iam.exceptions.PasswordPolicyViolationException) as weak:
            iam.create_login_profile(UserName="alice", Password="short-Pass-1")
        assert status_of(weak.value) == 400
        assert "20" in weak.value.response["Error"]["Message"]


class AuthenticationErrorTests:
    def test_an_unknown_access_key_is_invalid_client_token_id(self, make_client):
        stranger = make_client(Key("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
        with pytest.raises(ClientError) as invalid:
            stranger.list_users()
        error = invalid.value.response["Error"]
        assert (error["Code"], error["Message"]) == (
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
        assert status_of(invalid.value) == 403

    def test_a_wrong_secret_is_signature_does_not_match(self, make_client, root_key):
        forged = make_client(Key(root_key.access_key_id, "x" * 40))
        with pytest.raises(ClientError) as mismatch:
            forged.list_users()
        assert mismatch.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
        assert mismatch.value.response["Error"]["Message"].startswith("The request signature we calculated")
        assert status_of(mismatch.value) == 403

    def test_an_sts_request_signed_for_iam_does_not_match(self, live_server, root_key):
        answer = send(live_server.url, {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, key=root_key)
        assert answer.status == 403
        root = ET.fromstring(answer.body)
        assert root.find("sts:Error/sts:Code", NS).text == "SignatureDoesNotMatch"

    def test_a_request_without_authorization_is_missing_authentication_token(self, live_server):
        answer = send(live_server.url, {"Action": "ListUsers", "Version": "2010-05-08"})
        assert answer.status == 403
        assert error_of(answer.body) == (
            "Sender",
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        )
        assert answer.headers["Content-Type"].startswith("text/xml")

    def test_the_endpoint_is_exempt_from_csrf_checks(self, live_server):
        client = Client(enforce_csrf_checks=True)
        answer = client.post("/", {"Action": "ListUsers", "Version": "2010-05-08"})
        assert answer.status_code == 403  # the Query API's own answer, not Django's CSRF page
        assert error_of(answer.content.decode())[1] == "MissingAuthenticationToken"


class DispatchErrorTests:
    def test_an_unknown_action_signed_by_hand(self, live_server, root_key):
        answer = send(live_server.url, {"Action": "MakeCoffee", "Version": "2010-05-08"}, key=root_key)
        assert answer.status == 400
        assert error_of(answer.body) == (
            "Sender",
            "InvalidAction",
            "Could not find operation MakeCoffee for version 2010-05-08",
        )

    def test_a_missing_action(self, live_server, root_key):
        answer = send(live_server.url, {"Version": "2010-05-08"}, key=root_key)
        assert (answer.status, error_of(answer.body)[1]) == (400, "MissingAction")

    def test_a_missing_required_member_is_a_validation_error(self, live_server, root_key):
        answer = send(live_server.url, {"Action": "CreateUser", "Version": "2010-05-08"}, key=root_key)
        assert answer.status == 400
        assert error_of(answer.body)[1:] == (
            "ValidationError",
            "1 validation error detected: Value null at 'userName' failed to satisfy constraint: "
            "Member must not be null",
        )

    def test_a_signed_get_with_action_in_the_query_string(self, live_server, root_key):
        answer = send(
            live_server.url, {"Action": "ListUsers", "Version": "2010-05-08"}, key=root_key, method="GET"
        )
        assert answer.status == 200
        root = ET.fromstring(answer.body)
        assert root.tag == f"{{{IAM_NS}}}ListUsersResponse"
        assert root.find("aws:ListUsersResult/aws:IsTruncated", NS).text == "false"
        assert root.find("aws:ResponseMetadata/aws:RequestId", NS).text == answer.headers["x-amzn-RequestId"]

    def test_a_plain_get_is_still_the_console_home_page(self, live_server):
        answer = Client().get("/")
        assert answer.status_code == 200
        assert answer["Content-Type"].startswith("text/html")

    def test_an_unexpected_exception_is_service_failure_in_xml(self, iam, monkeypatch):
        def boom(ctx, **kwargs):
            raise RuntimeError("a bug")

        monkeypatch.setitem(actions.IAM_ACTIONS, "ListUsers", actions.Action(boom))
        with pytest.raises(ClientError) as failed:
            iam.list_users()
        error = failed.value.response["Error"]
        assert (error["Code"], error["Type"], status_of(failed.value)) == ("ServiceFailure", "Receiver", 500)
        assert "a bug" not in error["Message"]


def test_a_request_over_djangos_field_limit_is_a_400_not_a_500(client):
    fields = {f"Tags.member.{i}.Key": "k" for i in range(1, 1200)}
    response = client.post("/", {"Action": "ListUsers", "Version": "2010-05-08", **fields})
    assert response.status_code == 400
    assert b"<Code>ValidationError</Code>" in response.content


class WellFormedXmlTests:
    """Whatever a member holds, the answer is XML 1.0: characters outside its Char production
    (control characters, lone surrogates, U+FFFE/U+FFFF) are written as U+FFFD."""

    def test_render_replaces_what_xml_cannot_hold_in_every_member(self):
        text = "a\x01b\x1f\ud800\ufffe\uffff\tok\u00e9\U0001f600<&>"
        body = render.success("GetUser", {"User": {"UserName": text, "Tags": [text]}}, "r-1")
        root = ET.fromstring(body)
        expected = "a\ufffdb\ufffd\ufffd\ufffd\ufffd\tok\u00e9\U0001f600<&>"
        assert root.find("aws:GetUserResult/aws:User/aws:UserName", NS).text == expected
        assert root.find("aws:GetUserResult/aws:User/aws:Tags/aws:member", NS).text == expected
        failed = render.error("ValidationError", text, 400, "r-2")
        assert error_of(failed) == ("Sender", "ValidationError", expected)

    def test_a_validation_error_echoing_a_control_character_parses(self, iam):
        # The Message echoes the value given; botocore could not parse the answer before.
        with pytest.raises(ClientError) as invalid:
            iam.simulate_custom_policy(
                PolicyInputList=['{"Version": "2012-10-17", "Statement": []}'],
                ActionNames=["iam:GetUser"],
                ContextEntries=[
                    {"ContextKeyName": "aws:username", "ContextKeyValues": ["a"], "ContextKeyType": "\x01ip"}
                ],
            )
        error = invalid.value.response["Error"]
        assert error["Code"] == "ValidationError"
        assert error["Message"].startswith(
            "1 validation error detected: Value '\ufffdip' at 'contextEntries.1.member.contextKeyType' "
            "failed to satisfy constraint: Member must satisfy enum value set: [string, stringList, "
        )
        assert status_of(invalid.value) == 400
