"""The OpenAPI schema: `manage.py spectacular --validate --fail-on-warn` passes, every operation is
named after its AWS action and documents its errors, every $ref resolves, the served schema and the
offline Swagger UI and Redoc pages, and real responses that conform to the documented shapes."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from django.urls import get_resolver

from accounts.services import users
from tests import factories as f

from .conftest import USERS, error

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = {
    ("/api/v1/access-advisor/jobs/", "post"): "GenerateServiceLastAccessedDetails",
    ("/api/v1/access-advisor/jobs/{job_id}/", "get"): "GetServiceLastAccessedDetails",
    ("/api/v1/access-advisor/jobs/{job_id}/entities/", "get"): "GetServiceLastAccessedDetailsWithEntities",
    ("/api/v1/access-keys/", "get"): "ListCallerAccessKeys",
    ("/api/v1/access-keys/", "post"): "CreateCallerAccessKey",
    ("/api/v1/access-keys/{access_key_id}/", "delete"): "DeleteCallerAccessKey",
    ("/api/v1/access-keys/{access_key_id}/", "put"): "UpdateCallerAccessKey",
    ("/api/v1/access-keys/{access_key_id}/last-used/", "get"): "GetCallerAccessKeyLastUsed",
    ("/api/v1/access-matrix/principal-actions/", "get"): "ListPrincipalActions",
    ("/api/v1/access-matrix/who-can/", "get"): "WhoCan",
    ("/api/v1/account/alias/", "delete"): "DeleteAccountAlias",
    ("/api/v1/account/alias/", "get"): "ListAccountAliases",
    ("/api/v1/account/alias/", "put"): "CreateAccountAlias",
    ("/api/v1/account/authorization-details/", "get"): "GetAccountAuthorizationDetails",
    ("/api/v1/account/authorization-details/import/", "post"): "ImportAccountAuthorizationDetails",
    ("/api/v1/account/findings/", "get"): "ListFindings",
    ("/api/v1/account/credential-report/", "get"): "GetCredentialReport",
    ("/api/v1/account/credential-report/", "post"): "GenerateCredentialReport",
    ("/api/v1/account/password-policy/", "delete"): "DeleteAccountPasswordPolicy",
    ("/api/v1/account/password-policy/", "get"): "GetAccountPasswordPolicy",
    ("/api/v1/account/password-policy/", "put"): "UpdateAccountPasswordPolicy",
    ("/api/v1/account/summary/", "get"): "GetAccountSummary",
    ("/api/v1/audit-events/", "get"): "ListAuditEvents",
    ("/api/v1/audit-events/export/", "get"): "ExportAuditEvents",
    ("/api/v1/audit-events/{event_id}/", "get"): "GetAuditEvent",
    ("/api/v1/groups/", "get"): "ListGroups",
    ("/api/v1/groups/", "post"): "CreateGroup",
    ("/api/v1/groups/{group_name}/", "delete"): "DeleteGroup",
    ("/api/v1/groups/{group_name}/", "get"): "GetGroup",
    ("/api/v1/groups/{group_name}/", "patch"): "UpdateGroup",
    ("/api/v1/groups/{group_name}/attached-policies/", "delete"): "DetachGroupPolicy",
    ("/api/v1/groups/{group_name}/attached-policies/", "get"): "ListAttachedGroupPolicies",
    ("/api/v1/groups/{group_name}/attached-policies/", "post"): "AttachGroupPolicy",
    ("/api/v1/groups/{group_name}/members/", "get"): "GetGroupUsers",
    ("/api/v1/groups/{group_name}/members/", "post"): "AddUserToGroup",
    ("/api/v1/groups/{group_name}/members/{user_name}/", "delete"): "RemoveUserFromGroup",
    ("/api/v1/groups/{group_name}/policies/", "get"): "ListGroupPolicies",
    ("/api/v1/groups/{group_name}/policies/{policy_name}/", "delete"): "DeleteGroupPolicy",
    ("/api/v1/groups/{group_name}/policies/{policy_name}/", "get"): "GetGroupPolicy",
    ("/api/v1/groups/{group_name}/policies/{policy_name}/", "put"): "PutGroupPolicy",
    ("/api/v1/me/", "get"): "GetCallerIdentity",
    ("/api/v1/me/password/", "post"): "ChangePassword",
    ("/api/v1/policies/", "get"): "ListPolicies",
    ("/api/v1/policies/", "post"): "CreatePolicy",
    ("/api/v1/policies/by-arn/", "delete"): "DeletePolicy",
    ("/api/v1/policies/by-arn/", "get"): "GetPolicy",
    ("/api/v1/policies/by-arn/default-version/", "put"): "SetDefaultPolicyVersion",
    ("/api/v1/policies/by-arn/entities/", "get"): "ListEntitiesForPolicy",
    ("/api/v1/policies/by-arn/tags/", "delete"): "UntagPolicy",
    ("/api/v1/policies/by-arn/tags/", "get"): "ListPolicyTags",
    ("/api/v1/policies/by-arn/tags/", "post"): "TagPolicy",
    ("/api/v1/policies/by-arn/versions/", "get"): "ListPolicyVersions",
    ("/api/v1/policies/by-arn/versions/", "post"): "CreatePolicyVersion",
    ("/api/v1/policies/by-arn/versions/{version_id}/", "delete"): "DeletePolicyVersion",
    ("/api/v1/policies/by-arn/versions/{version_id}/", "get"): "GetPolicyVersion",
    ("/api/v1/policy-validation/", "post"): "ValidatePolicy",
    ("/api/v1/roles/", "get"): "ListRoles",
    ("/api/v1/roles/", "post"): "CreateRole",
    ("/api/v1/roles/{role_name}/", "delete"): "DeleteRole",
    ("/api/v1/roles/{role_name}/", "get"): "GetRole",
    ("/api/v1/roles/{role_name}/", "patch"): "UpdateRole",
    ("/api/v1/roles/{role_name}/attached-policies/", "delete"): "DetachRolePolicy",
    ("/api/v1/roles/{role_name}/attached-policies/", "get"): "ListAttachedRolePolicies",
    ("/api/v1/roles/{role_name}/attached-policies/", "post"): "AttachRolePolicy",
    ("/api/v1/roles/{role_name}/permissions-boundary/", "delete"): "DeleteRolePermissionsBoundary",
    ("/api/v1/roles/{role_name}/permissions-boundary/", "put"): "PutRolePermissionsBoundary",
    ("/api/v1/roles/{role_name}/policies/", "get"): "ListRolePolicies",
    ("/api/v1/roles/{role_name}/policies/{policy_name}/", "delete"): "DeleteRolePolicy",
    ("/api/v1/roles/{role_name}/policies/{policy_name}/", "get"): "GetRolePolicy",
    ("/api/v1/roles/{role_name}/policies/{policy_name}/", "put"): "PutRolePolicy",
    ("/api/v1/roles/{role_name}/tags/", "delete"): "UntagRole",
    ("/api/v1/roles/{role_name}/tags/", "get"): "ListRoleTags",
    ("/api/v1/roles/{role_name}/tags/", "post"): "TagRole",
    ("/api/v1/roles/{role_name}/trust-policy/", "put"): "UpdateAssumeRolePolicy",
    ("/api/v1/simulation/context-keys/custom/", "post"): "GetContextKeysForCustomPolicy",
    ("/api/v1/simulation/context-keys/principal/", "post"): "GetContextKeysForPrincipalPolicy",
    ("/api/v1/simulation/custom/", "post"): "SimulateCustomPolicy",
    ("/api/v1/simulation/principal/", "post"): "SimulatePrincipalPolicy",
    ("/api/v1/users/", "get"): "ListUsers",
    ("/api/v1/users/", "post"): "CreateUser",
    ("/api/v1/users/{user_name}/", "delete"): "DeleteUser",
    ("/api/v1/users/{user_name}/", "get"): "GetUser",
    ("/api/v1/users/{user_name}/", "patch"): "UpdateUser",
    ("/api/v1/users/{user_name}/access-keys/", "get"): "ListAccessKeys",
    ("/api/v1/users/{user_name}/access-keys/", "post"): "CreateAccessKey",
    ("/api/v1/users/{user_name}/access-keys/{access_key_id}/", "delete"): "DeleteAccessKey",
    ("/api/v1/users/{user_name}/access-keys/{access_key_id}/", "put"): "UpdateAccessKey",
    ("/api/v1/users/{user_name}/access-keys/{access_key_id}/last-used/", "get"): "GetAccessKeyLastUsed",
    ("/api/v1/users/{user_name}/attached-policies/", "delete"): "DetachUserPolicy",
    ("/api/v1/users/{user_name}/attached-policies/", "get"): "ListAttachedUserPolicies",
    ("/api/v1/users/{user_name}/attached-policies/", "post"): "AttachUserPolicy",
    ("/api/v1/users/{user_name}/groups/", "get"): "ListGroupsForUser",
    ("/api/v1/users/{user_name}/login-profile/", "delete"): "DeleteLoginProfile",
    ("/api/v1/users/{user_name}/login-profile/", "get"): "GetLoginProfile",
    ("/api/v1/users/{user_name}/login-profile/", "patch"): "UpdateLoginProfile",
    ("/api/v1/users/{user_name}/login-profile/", "post"): "CreateLoginProfile",
    ("/api/v1/users/{user_name}/mfa-devices/", "delete"): "DeactivateMFADevice",
    ("/api/v1/users/{user_name}/mfa-devices/", "get"): "ListMFADevices",
    ("/api/v1/users/{user_name}/mfa-devices/", "post"): "EnableMFADevice",
    ("/api/v1/users/{user_name}/mfa-devices/resync/", "post"): "ResyncMFADevice",
    ("/api/v1/users/{user_name}/permissions-boundary/", "delete"): "DeleteUserPermissionsBoundary",
    ("/api/v1/users/{user_name}/permissions-boundary/", "put"): "PutUserPermissionsBoundary",
    ("/api/v1/users/{user_name}/policies/", "get"): "ListUserPolicies",
    ("/api/v1/users/{user_name}/policies/{policy_name}/", "delete"): "DeleteUserPolicy",
    ("/api/v1/users/{user_name}/policies/{policy_name}/", "get"): "GetUserPolicy",
    ("/api/v1/users/{user_name}/policies/{policy_name}/", "put"): "PutUserPolicy",
    ("/api/v1/users/{user_name}/tags/", "delete"): "UntagUser",
    ("/api/v1/users/{user_name}/tags/", "get"): "ListUserTags",
    ("/api/v1/users/{user_name}/tags/", "post"): "TagUser",
    ("/api/v1/virtual-mfa-devices/", "delete"): "DeleteVirtualMFADevice",
    ("/api/v1/virtual-mfa-devices/", "get"): "ListVirtualMFADevices",
    ("/api/v1/virtual-mfa-devices/", "post"): "CreateVirtualMFADevice",
}

# Where a service raises EntityAlreadyExists, LimitExceeded or DeleteConflict (409).
CONFLICTS = {
    ("/api/v1/access-keys/", "post"),
    ("/api/v1/account/alias/", "put"),
    ("/api/v1/account/authorization-details/import/", "post"),
    ("/api/v1/groups/", "post"),
    ("/api/v1/groups/{group_name}/", "delete"),
    ("/api/v1/groups/{group_name}/", "patch"),
    ("/api/v1/groups/{group_name}/attached-policies/", "post"),
    ("/api/v1/groups/{group_name}/members/", "post"),
    ("/api/v1/groups/{group_name}/policies/{policy_name}/", "put"),
    ("/api/v1/policies/", "post"),
    ("/api/v1/policies/by-arn/", "delete"),
    ("/api/v1/policies/by-arn/tags/", "post"),
    ("/api/v1/policies/by-arn/versions/", "post"),
    ("/api/v1/policies/by-arn/versions/{version_id}/", "delete"),
    ("/api/v1/roles/", "post"),
    ("/api/v1/roles/{role_name}/", "delete"),
    ("/api/v1/roles/{role_name}/attached-policies/", "post"),
    ("/api/v1/roles/{role_name}/policies/{policy_name}/", "put"),
    ("/api/v1/roles/{role_name}/tags/", "post"),
    ("/api/v1/roles/{role_name}/trust-policy/", "put"),
    ("/api/v1/users/", "post"),
    ("/api/v1/users/{user_name}/", "delete"),
    ("/api/v1/users/{user_name}/", "patch"),
    ("/api/v1/users/{user_name}/access-keys/", "post"),
    ("/api/v1/users/{user_name}/attached-policies/", "post"),
    ("/api/v1/users/{user_name}/login-profile/", "post"),
    ("/api/v1/users/{user_name}/mfa-devices/", "post"),
    ("/api/v1/users/{user_name}/policies/{policy_name}/", "put"),
    ("/api/v1/users/{user_name}/tags/", "post"),
    ("/api/v1/virtual-mfa-devices/", "delete"),
    ("/api/v1/virtual-mfa-devices/", "post"),
}
ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    """The schema as `manage.py spectacular --validate --fail-on-warn` writes it (a failure or any
    warning fails the command, and so this fixture)."""
    out = tmp_path_factory.mktemp("schema") / "schema.yaml"
    done = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "Error" not in done.stderr, done.stderr
    return yaml.safe_load(out.read_text())


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def refs(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in refs(value)]
    return []


class SchemaTests:
    def test_every_operation_is_named_after_its_aws_action(self, schema):
        assert {(path, method): op["operationId"] for path, method, op in operations(schema)} == OPERATIONS

    def test_every_route_under_api_v1_is_in_the_schema(self, schema):
        """A new resource cannot be forgotten: the URLconf's DRF routes and the schema's paths agree."""
        routes = set()
        for pattern in get_resolver().url_patterns:
            if str(pattern.pattern) == "api/v1/":
                routes |= {str(p.pattern) for p in pattern.url_patterns}
        assert len(routes) == len({path for path, _ in OPERATIONS}) == len(schema["paths"])

    def test_every_ref_resolves(self, schema):
        components = schema["components"]["schemas"]
        for ref in set(refs(schema)):
            assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in components, ref

    def test_every_operation_documents_its_errors_with_the_error_shape(self, schema):
        for path, method, op in operations(schema):
            responses = op["responses"]
            for code in ("400", "403", "429", "500"):
                assert responses[code]["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}, (
                    path,
                    method,
                    code,
                )
            assert "Retry-After" in responses["429"]["headers"]
            if "{" in path:  # a named user, group, role, key, version, event: NoSuchEntity
                assert responses["404"]["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
        error_shape = schema["components"]["schemas"]["Error"]
        assert error_shape["required"] == ["error"]
        assert schema["components"]["schemas"]["ErrorDetail"]["required"] == ["code", "message"]

    def test_conflicts_are_documented_where_the_service_raises_them(self, schema):
        conflicts = {(path, method) for path, method, op in operations(schema) if "409" in op["responses"]}
        assert conflicts == CONFLICTS

    def test_both_authentications_are_security_schemes_of_every_operation(self, schema):
        schemes = schema["components"]["securitySchemes"]
        assert schemes["sigv4"] == {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": schemes["sigv4"]["description"],
        }
        assert (schemes["consoleSession"]["in"], schemes["consoleSession"]["name"]) == ("cookie", "sessionid")
        for _, _, op in operations(schema):
            assert op["security"] == [{"sigv4": []}, {"consoleSession": []}]

    def test_list_responses_are_one_envelope_not_an_array(self, schema):
        ok = schema["paths"]["/api/v1/users/"]["get"]["responses"]["200"]["content"]["application/json"]
        assert ok["schema"] == {"$ref": "#/components/schemas/UserList"}
        envelope = schema["components"]["schemas"]["UserList"]
        assert set(envelope["required"]) == {"items", "is_truncated", "marker"}


class ServedSchemaTests:
    def test_the_schema_is_served_as_yaml_and_json_without_signing_in(self, client):
        as_yaml = client.get("/api/schema/")
        assert as_yaml.status_code == 200
        assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
        assert yaml.safe_load(as_yaml.content)["info"]["title"] == "IAM Portal REST API"
        as_json = client.get("/api/schema/?format=json")
        assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json")
        assert json.loads(as_json.content)["paths"].keys() == yaml.safe_load(as_yaml.content)["paths"].keys()

    @pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
    def test_the_docs_pages_load_their_assets_from_this_server(self, client, page):
        response = client.get(page)
        assert response.status_code == 200
        html = response.content.decode()
        assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
        assert "/static/drf_spectacular_sidecar/" in html
        asset = html.split('src="', 1)[1].split('"', 1)[0] if 'src="/static/' in html else None
        if asset:
            assert client.get(asset).status_code == 200


def _json_schema(node, components: dict):
    """An OpenAPI 3.0 schema as JSON Schema: nullable → a null alternative, $refs inlined."""
    if isinstance(node, list):
        return [_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _json_schema(components[node["$ref"].rsplit("/", 1)[1]], components)
    out = {
        key: _json_schema(value, components)
        for key, value in node.items()
        if key not in {"nullable", "readOnly"}
    }
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


class ConformanceTests:
    """Real responses validated against the schema's documented shape for their status."""

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
        users.create_user(ctx, user_name="alice", tags=[{"Key": "k", "Value": "v"}], permissions_boundary=f.managed_policy(ctx.account, "b", f.allow()).arn)  # fmt: skip
        detail, tags = "/api/v1/users/{user_name}/", "/api/v1/users/{user_name}/tags/"
        calls = [
            ("/api/v1/users/", "get", signed("GET", USERS + "?max_items=1", root_key)),
            (
                "/api/v1/users/",
                "post",
                signed("POST", USERS, root_key, {"user_name": "bob", "tags": [{"key": "a"}]}),
            ),
            ("/api/v1/users/", "post", signed("POST", USERS, root_key, {"user_name": "bob"})),
            ("/api/v1/users/", "post", signed("POST", USERS, root_key, {"user_name": "b c"})),
            ("/api/v1/users/", "get", signed("GET", USERS, nobody_key)),
            (detail, "get", signed("GET", USERS + "alice/", root_key)),
            (detail, "get", signed("GET", USERS + "ghost/", root_key)),
            (detail, "patch", signed("PATCH", USERS + "bob/", root_key, {"new_path": "/x/"})),
            (tags, "get", signed("GET", USERS + "alice/tags/", root_key)),
            (
                tags,
                "post",
                signed("POST", USERS + "alice/tags/", root_key, {"tags": [{"key": "b", "value": "c"}]}),
            ),
            (tags, "delete", signed("DELETE", USERS + "alice/tags/?tag_keys=b", root_key)),
            (detail, "delete", signed("DELETE", USERS + "bob/", root_key)),
        ]
        assert [response.status_code for *_, response in calls] == [
            200, 201, 409, 400, 403, 200, 404, 200, 200, 204, 204, 204,
        ]  # fmt: skip
        for path, method, response in calls:
            self.check(schema, path, method, response)
        assert error(calls[4][2])[1] == "AccessDenied"
