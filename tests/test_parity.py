"""Channel parity (DESIGN.md principle 1, issue 8): one scenario of writes, run by an admin IAM user in
three new accounts — through the services, the AWS Query API and the REST API — leaves the same state
and the same audit trail (one event per write, in order, each naming its channel)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.test import Client

from accounts.context import INTERNAL, QUERY, REST
from accounts.models import AuditEvent, Group, User
from accounts.services import access_keys, groups, policy_attachments, users
from tests import factories as f

pytestmark = pytest.mark.django_db

HOST = "testserver"
ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
IAM_READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
# Kept exactly as put in every channel: indentation, newlines and key order included.
S3_READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}],
    },
    indent=2,
)
DENY_DELETES = '{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:Delete*","Resource":"*"}}'
TEAM_READ = f.document(f.allow("iam:Get*", "arn:aws:iam::*:user/eng/*"))
FIRST_KEY = "<the first access key CreateAccessKey made>"  # resolved by each channel


@dataclass(frozen=True)
class Step:
    """One write: the AWS action and its members in snake_case (the services' keyword arguments)."""

    action: str
    args: dict[str, Any]


SCENARIO = [
    Step("CreateGroup", {"group_name": "developers", "path": "/eng/"}),
    Step("CreateUser", {"user_name": "alice", "path": "/eng/"}),
    Step("CreateUser", {"user_name": "bob", "path": "/"}),
    Step("AddUserToGroup", {"group_name": "developers", "user_name": "alice"}),
    Step("AddUserToGroup", {"group_name": "developers", "user_name": "bob"}),
    Step("AttachGroupPolicy", {"group_name": "developers", "policy_arn": IAM_READ_ONLY}),
    Step("PutGroupPolicy", {"group_name": "developers", "policy_name": "team-read", "policy_document": TEAM_READ}),
    Step("AttachUserPolicy", {"user_name": "alice", "policy_arn": S3_READ_ONLY}),
    Step("PutUserPolicy", {"user_name": "alice", "policy_name": "s3-read", "policy_document": S3_READ}),
    Step("PutUserPolicy", {"user_name": "alice", "policy_name": "deny-deletes", "policy_document": DENY_DELETES}),
    Step("CreateAccessKey", {"user_name": "alice"}),
    Step("CreateAccessKey", {"user_name": "alice"}),
    Step("TagUser", {"user_name": "alice", "tags": [{"Key": "team", "Value": "platform"}, {"Key": "cost-center", "Value": "42"}]}),
    # Then undo some of it.
    Step("DetachUserPolicy", {"user_name": "alice", "policy_arn": S3_READ_ONLY}),
    Step("DeleteUserPolicy", {"user_name": "alice", "policy_name": "deny-deletes"}),
    Step("UntagUser", {"user_name": "alice", "tag_keys": ["cost-center"]}),
    Step("DeleteAccessKey", {"user_name": "alice", "access_key_id": FIRST_KEY}),
    Step("RemoveUserFromGroup", {"group_name": "developers", "user_name": "bob"}),
    Step("DeleteUser", {"user_name": "bob"}),
]  # fmt: skip

# What the scenario leaves, whichever channel ran it.
EXPECTED_STATE = {
    "users": {
        "alice": {
            "path": "/eng/",
            "tags": [("team", "platform")],
            "groups": ["developers"],
            "attached": [],
            "inline": {"s3-read": S3_READ},
            "access_keys": ["Active"],
        },
    },
    "groups": {
        "developers": {
            "path": "/eng/",
            "members": ["alice"],
            "attached": ["IAMReadOnlyAccess"],
            "inline": {"team-read": TEAM_READ},
        },
    },
}


@dataclass
class Admin:
    """An IAM user "admin" with AdministratorAccess in a new account, set up by its root user."""

    user: User
    access_key_id: str
    secret_access_key: str
    created_keys: list[str] = field(default_factory=list)

    @classmethod
    def in_new_account(cls) -> Admin:
        root = f.root_context()
        users.create_user(root, user_name="admin")
        policy_attachments.attach_user_policy(root, user_name="admin", policy_arn=ADMIN_ACCESS)
        issued = access_keys.create_access_key(root, user_name="admin")
        user = User.objects.get(account=root.account, user_name="admin")
        return cls(user, issued.access_key.access_key_id, issued.secret_access_key)

    def resolve(self, args: dict[str, Any]) -> dict[str, Any]:
        return {name: self.created_keys[0] if value == FIRST_KEY else value for name, value in args.items()}


def signed_headers(method: str, path: str, body: bytes, content_type: str | None, admin: Admin) -> dict:
    """The headers botocore's SigV4Auth adds (as boto3 or the aws cli sign), as the test client takes
    them (HTTP_X_AMZ_DATE=…)."""
    headers = {"Content-Type": content_type} if content_type else {}
    request = AWSRequest(method=method, url=f"http://{HOST}{path}", data=body, headers=headers)
    SigV4Auth(Credentials(admin.access_key_id, admin.secret_access_key), "iam", "us-east-1").add_auth(request)
    return {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in request.headers.items()
        if name.lower() != "content-type"
    }


# --- The three channels ------------------------------------------------------------------------------

SERVICES: dict[str, Callable[..., Any]] = {
    "CreateGroup": groups.create_group,
    "CreateUser": users.create_user,
    "AddUserToGroup": groups.add_user_to_group,
    "AttachGroupPolicy": policy_attachments.attach_group_policy,
    "PutGroupPolicy": policy_attachments.put_group_policy,
    "AttachUserPolicy": policy_attachments.attach_user_policy,
    "PutUserPolicy": policy_attachments.put_user_policy,
    "CreateAccessKey": access_keys.create_access_key,
    "TagUser": users.tag_user,
    "DetachUserPolicy": policy_attachments.detach_user_policy,
    "DeleteUserPolicy": policy_attachments.delete_user_policy,
    "UntagUser": users.untag_user,
    "DeleteAccessKey": access_keys.delete_access_key,
    "RemoveUserFromGroup": groups.remove_user_from_group,
    "DeleteUser": users.delete_user,
}


def run_on_services(admin: Admin, step: Step) -> None:
    """The service itself, with the admin's RequestContext (the internal channel)."""
    result = SERVICES[step.action](f.context_for(admin.user), **admin.resolve(step.args))
    if step.action == "CreateAccessKey":
        admin.created_keys.append(result.access_key.access_key_id)


def query_params(action: str, args: dict[str, Any]) -> dict[str, str]:
    """The AWS Query API form of a step: UserName=…, Tags.member.1.Key=…, TagKeys.member.1=…"""
    params = {"Action": action, "Version": "2010-05-08"}
    for name, value in args.items():
        member = "".join(part.capitalize() for part in name.split("_"))  # user_name → UserName
        if name == "tags":
            for n, tag in enumerate(value, 1):
                params[f"Tags.member.{n}.Key"], params[f"Tags.member.{n}.Value"] = tag["Key"], tag["Value"]
        elif name == "tag_keys":
            params.update({f"TagKeys.member.{n}": key for n, key in enumerate(value, 1)})
        else:
            params[member] = value
    return params


def run_on_query_api(admin: Admin, step: Step, client: Client) -> None:
    """POST / signed as boto3 signs it (the form body URL-encoded)."""
    body = urlencode(query_params(step.action, admin.resolve(step.args))).encode()
    content_type = "application/x-www-form-urlencoded; charset=utf-8"
    headers = signed_headers("POST", "/", body, content_type, admin)
    response = client.generic("POST", "/", body, content_type=content_type, HTTP_HOST=HOST, **headers)
    assert response.status_code == 200, (step, response.content)
    if step.action == "CreateAccessKey":
        answer = ElementTree.fromstring(response.content)
        key_ids = [e.text for e in answer.iter() if e.tag.rsplit("}", 1)[-1] == "AccessKeyId"]
        admin.created_keys.append(key_ids[0])


def rest_request(args: dict[str, Any], action: str) -> tuple[str, str, dict | None, int]:
    """(method, path with query, JSON body, expected status) of a step on the REST API."""
    u, g = quote(args.get("user_name", "")), quote(args.get("group_name", ""))
    users_, groups_ = f"/api/v1/users/{u}/", f"/api/v1/groups/{g}/"
    match action:
        case "CreateGroup":
            return "POST", "/api/v1/groups/", {"group_name": args["group_name"], "path": args["path"]}, 201
        case "CreateUser":
            return "POST", "/api/v1/users/", {"user_name": args["user_name"], "path": args["path"]}, 201
        case "AddUserToGroup":
            return "POST", groups_ + "members/", {"user_name": args["user_name"]}, 204
        case "AttachGroupPolicy":
            return "POST", groups_ + "attached-policies/", {"policy_arn": args["policy_arn"]}, 204
        case "PutGroupPolicy":
            body = {"policy_document": args["policy_document"]}
            return "PUT", groups_ + f"policies/{args['policy_name']}/", body, 204
        case "AttachUserPolicy":
            return "POST", users_ + "attached-policies/", {"policy_arn": args["policy_arn"]}, 204
        case "PutUserPolicy":
            body = {"policy_document": args["policy_document"]}
            return "PUT", users_ + f"policies/{args['policy_name']}/", body, 204
        case "CreateAccessKey":
            return "POST", users_ + "access-keys/", None, 201
        case "TagUser":
            tags = [{"key": tag["Key"], "value": tag["Value"]} for tag in args["tags"]]
            return "POST", users_ + "tags/", {"tags": tags}, 204
        case "DetachUserPolicy":
            return (
                "DELETE",
                users_ + "attached-policies/?" + urlencode({"policy_arn": args["policy_arn"]}),
                None,
                204,
            )
        case "DeleteUserPolicy":
            return "DELETE", users_ + f"policies/{args['policy_name']}/", None, 204
        case "UntagUser":
            return (
                "DELETE",
                users_ + "tags/?" + urlencode({"tag_keys": args["tag_keys"]}, doseq=True),
                None,
                204,
            )
        case "DeleteAccessKey":
            return "DELETE", users_ + f"access-keys/{args['access_key_id']}/", None, 204
        case "RemoveUserFromGroup":
            return "DELETE", groups_ + f"members/{u}/", None, 204
        case "DeleteUser":
            return "DELETE", users_, None, 204
    raise AssertionError(f"no REST request for {action}")


def run_on_rest_api(admin: Admin, step: Step, client: Client) -> None:
    """The REST API, JSON in and out, signed with SigV4 as `curl --aws-sigv4` or botocore sign it."""
    method, path, body, expected = rest_request(admin.resolve(step.args), step.action)
    raw = b"" if body is None else json.dumps(body).encode()
    content_type = "application/json" if body is not None else None
    headers = signed_headers(method, path, raw, content_type, admin)
    response = client.generic(method, path, raw, content_type=content_type or "", HTTP_HOST=HOST, **headers)
    assert response.status_code == expected, (step, response.content)
    if step.action == "CreateAccessKey":
        admin.created_keys.append(response.json()["access_key_id"])


# --- What the scenario leaves ----------------------------------------------------------------------


def snapshot(admin: Admin) -> dict:
    """The account's users (but the admin) and groups, by name: what the scenario can change."""
    account = admin.user.account
    users_ = (
        User.objects.filter(account=account, is_root=False)
        .exclude(pk=admin.user.pk)
        .prefetch_related("groups", "policy_attachments__policy", "inline_policies", "access_keys")
    )
    groups_ = Group.objects.filter(account=account).prefetch_related(
        "users", "policy_attachments__policy", "inline_policies"
    )
    return {
        "users": {
            user.user_name: {
                "path": user.path,
                "tags": sorted(user.tags.items()),
                "groups": sorted(group.group_name for group in user.groups.all()),
                "attached": sorted(a.policy.policy_name for a in user.policy_attachments.all()),
                "inline": {p.policy_name: p.document for p in user.inline_policies.all()},
                "access_keys": sorted(key.status for key in user.access_keys.all()),
            }
            for user in users_
        },
        "groups": {
            group.group_name: {
                "path": group.path,
                "members": sorted(user.user_name for user in group.users.all()),
                "attached": sorted(a.policy.policy_name for a in group.policy_attachments.all()),
                "inline": {p.policy_name: p.document for p in group.inline_policies.all()},
            }
            for group in groups_
        },
    }


def trail(admin: Admin) -> list[tuple[str, str, str, str, dict]]:
    """The admin's audit events, oldest first: (action, outcome, channel, target, parameters), with the
    account id and the access key ids written as placeholders so that accounts compare."""
    account_id = admin.user.account.account_id
    keys = {key_id: f"<key {n}>" for n, key_id in enumerate(admin.created_keys, 1)}

    def normal(value: Any) -> Any:
        text = json.dumps(value).replace(account_id, "<account>")
        for key_id, placeholder in keys.items():
            text = text.replace(key_id, placeholder)
        return json.loads(text)

    events = AuditEvent.objects.filter(account=admin.user.account, actor_arn=admin.user.arn).order_by(
        "time", "id"
    )
    return [(e.action, e.outcome, e.channel, normal(e.target_arn), normal(e.parameters)) for e in events]


def test_the_scenario_leaves_the_same_state_and_audit_trail_in_every_channel():
    client = Client()
    channels: dict[str, tuple[Admin, Callable[[Admin, Step], None]]] = {
        INTERNAL: (Admin.in_new_account(), run_on_services),
        QUERY: (Admin.in_new_account(), lambda admin, step: run_on_query_api(admin, step, client)),
        REST: (Admin.in_new_account(), lambda admin, step: run_on_rest_api(admin, step, client)),
    }
    for admin, run in channels.values():
        for step in SCENARIO:
            run(admin, step)

    states = {channel: snapshot(admin) for channel, (admin, _) in channels.items()}
    assert states[INTERNAL] == EXPECTED_STATE
    assert states[QUERY] == EXPECTED_STATE
    assert states[REST] == EXPECTED_STATE

    trails = {channel: trail(admin) for channel, (admin, _) in channels.items()}
    expected_actions = [f"iam:{step.action}" for step in SCENARIO]
    for channel, events in trails.items():
        # Exactly one event per write, in order, each a success recorded on its own channel.
        assert [(action, outcome, ch) for action, outcome, ch, *_ in events] == [
            (action, "success", channel) for action in expected_actions
        ], channel
    # The same targets and parameters, whichever channel carried the request.
    assert [event[3:] for event in trails[QUERY]] == [event[3:] for event in trails[INTERNAL]]
    assert [event[3:] for event in trails[REST]] == [event[3:] for event in trails[INTERNAL]]
