"""REST resources: roles, their trust policy, attached and inline policies, boundary and tags
(docs/rest-api/roles.md).

ListRoles, CreateRole, GetRole, UpdateRole, DeleteRole, UpdateAssumeRolePolicy,
ListAttachedRolePolicies, AttachRolePolicy, DetachRolePolicy, ListRolePolicies, GetRolePolicy,
PutRolePolicy, DeleteRolePolicy, PutRolePermissionsBoundary, DeleteRolePermissionsBoundary,
ListRoleTags, TagRole, UntagRole: each action parses its input, calls ONE service or selector with the
caller's RequestContext, and shapes the answer; authorization, rules and the audit record are the
service's (iam_portal/rest.py).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role
from accounts.selectors import policy_attachments as attachment_reads
from accounts.selectors import roles as role_reads
from accounts.services import policy_attachments, roles
from iam_portal import validation
from iam_portal.rest import (
    NAME_PATTERN,
    IamViewSet,
    PageQuery,
    PermissionsBoundaryOut,
    TagIn,
    TagListQuery,
    TagOut,
    TagsIn,
    TimestampField,
    UntagQuery,
    boundary_out,
    created,
    errors,
    name_contains_field,
    name_field,
    page_response,
    paginated,
    path_field,
    path_prefix_field,
    tag_out,
    tags_in,
    tags_out,
)
from policies.documents import MAX_DOCUMENT_LENGTH

from .user_permissions import (
    ATTACHED_PAGE,
    NAMES_PAGE,
    AttachedPoliciesQuery,
    AttachedPolicyOut,
    AttachPolicyIn,
    DetachPolicyQuery,
    PolicyNameOut,
    PolicyNamesQuery,
    PutPolicyIn,
    policy_arn_field,
)

POLICY_NAME_MAX = policy_attachments.POLICY_NAME_MAX
ROLE_NAME = OpenApiParameter(
    "role_name",
    str,
    OpenApiParameter.PATH,
    pattern=NAME_PATTERN,
    description="The role's name (case-insensitive, as in IAM).",
)
POLICY_NAME = OpenApiParameter(
    "policy_name", str, OpenApiParameter.PATH, pattern=NAME_PATTERN, description="The inline policy's name."
)
NO_SUCH_ROLE = "NoSuchEntity: no role of that name in the caller's account."
INVALID = "ValidationError, naming the field (or InvalidInput, as AWS answers)."
INVALID_DOCUMENT = (
    "ValidationError, naming the field; MalformedPolicyDocument: the policy grammar is broken (the "
    "message says what and where: line, column, element)."
)
# The policy path prefix of ListAttached*Policies (the model's policyPathType), as JSON Schema states it.
POLICY_PATH_PREFIX_PATTERN = rf"^(?:{attachment_reads.POLICY_PATH_PREFIX.pattern})$"


def policy_document_field(**kwargs: Any) -> serializers.CharField:
    """A policy document as the JSON text the caller wrote; kept and answered exactly as sent."""
    return serializers.CharField(
        max_length=MAX_DOCUMENT_LENGTH,
        trim_whitespace=False,
        help_text="The policy as JSON text (a string, not an object): stored and returned exactly as sent.",
        **kwargs,
    )


# --- Shapes ----------------------------------------------------------------------------------------


class RoleSummaryOut(serializers.Serializer):
    """A role as ListRoles returns it (no permissions boundary, no tags)."""

    role_name = serializers.CharField()
    role_id = serializers.CharField(help_text="The stable unique id (AROA…).")
    arn = serializers.CharField()
    path = serializers.CharField()
    create_date = TimestampField(source="created")
    assume_role_policy_document = serializers.CharField(
        help_text="The trust policy: who may assume the role, exactly as it was written."
    )
    description = serializers.SerializerMethodField()
    max_session_duration = serializers.IntegerField(
        help_text="The longest session AssumeRole may grant, in seconds (3600 to 43200)."
    )

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="null when there is none."))
    def get_description(self, role: Role) -> str | None:
        return role.description or None  # AWS leaves out a description that was never set


class RoleOut(RoleSummaryOut):
    """A role as GetRole returns it."""

    permissions_boundary = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()

    @extend_schema_field(PermissionsBoundaryOut(allow_null=True))
    def get_permissions_boundary(self, role: Role) -> dict[str, str] | None:
        return boundary_out(role.permissions_boundary if role.permissions_boundary_id else None)

    @extend_schema_field(TagOut(many=True))
    def get_tags(self, role: Role) -> list[dict[str, str]]:
        return tags_out(role.tags)


class RolePolicyOut(serializers.Serializer):
    """GetRolePolicy: the inline policy's document exactly as it was put."""

    role_name = serializers.CharField(source="entity_name")
    policy_name = serializers.CharField()
    policy_document = serializers.CharField()


class ListRolesQuery(PageQuery):
    path_prefix = path_prefix_field(
        help_text="Only roles whose path starts with this (ListRoles' PathPrefix)."
    )
    name_contains = name_contains_field("roles")


class CreateRoleIn(serializers.Serializer):
    role_name = name_field(roles.ROLE_NAME_MAX)
    path = path_field(default="/")
    assume_role_policy_document = policy_document_field()
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, trim_whitespace=False
    )
    max_session_duration = serializers.IntegerField(
        required=False,
        min_value=roles.MIN_SESSION_DURATION,
        max_value=roles.MAX_SESSION_DURATION,
        help_text="Seconds (default 3600).",
    )
    permissions_boundary = policy_arn_field(
        required=False,
        allow_null=True,
        help_text="ARN of the managed policy that limits the role's permissions.",
    )
    tags = TagIn(many=True, required=False, max_length=validation.MAX_TAGS)


class UpdateRoleIn(serializers.Serializer):
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        trim_whitespace=False,
        help_text="The new description; an empty string clears it.",
    )
    max_session_duration = serializers.IntegerField(
        required=False,
        min_value=roles.MIN_SESSION_DURATION,
        max_value=roles.MAX_SESSION_DURATION,
        help_text="Seconds.",
    )


class UpdateAssumeRolePolicyIn(serializers.Serializer):
    policy_document = policy_document_field()


class PutRolePermissionsBoundaryIn(serializers.Serializer):
    permissions_boundary = policy_arn_field(help_text="ARN of the managed policy to use as the boundary.")


def _policy_name(name: str) -> dict[str, str]:
    return {"policy_name": name}


# --- Resources -------------------------------------------------------------------------------------


class RoleViewSet(IamViewSet):
    """/api/v1/roles/: IAM roles of the caller's account; their trust policy, attached policies,
    permissions boundary and tags."""

    lookup_field = "role_name"
    lookup_value_regex = r"[\w+=,.@-]+"

    @extend_schema(
        operation_id="ListRoles",
        summary="List roles",
        description="ListRoles (iam:ListRoles), by name; each with its trust policy.",
        parameters=[ListRolesQuery],
        responses={200: paginated(RoleSummaryOut, "RoleList", "A page of roles."), **errors(e400=INVALID)},
        tags=["roles"],
    )
    def list(self, request: Request) -> Response:
        query = self.query(ListRolesQuery)
        page = role_reads.list_roles(
            self.ctx,
            path_prefix=query["path_prefix"],
            name_contains=query.get("name_contains", ""),
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        return page_response(page, RoleSummaryOut)

    @extend_schema(
        operation_id="CreateRole",
        summary="Create a role",
        description=(
            "CreateRole (iam:CreateRole). The trust policy says who may assume the role; a new role "
            "can do nothing until a permissions policy allows it."
        ),
        request=CreateRoleIn,
        responses={
            201: RoleOut,
            **errors(
                e400=INVALID_DOCUMENT,
                e404="NoSuchEntity: the permissions boundary policy does not exist.",
                e409=(
                    "EntityAlreadyExists (the name is taken, in any case) or LimitExceeded (roles per "
                    "account, or the trust policy's size: ACLSizePerRole)."
                ),
            ),
        },
        tags=["roles"],
    )
    def create(self, request: Request) -> Response:
        data = self.body(CreateRoleIn)
        role = roles.create_role(
            self.ctx,
            role_name=data["role_name"],
            assume_role_policy_document=data["assume_role_policy_document"],
            path=data["path"],
            description=data.get("description"),
            max_session_duration=data.get("max_session_duration"),
            permissions_boundary=data.get("permissions_boundary"),
            tags=tags_in(data.get("tags", [])),
        )
        location = request.build_absolute_uri(reverse("accounts_api:role-detail", args=[role.role_name]))
        return created(RoleOut(role).data, location)

    @extend_schema(
        operation_id="GetRole",
        summary="Get a role",
        description="GetRole (iam:GetRole): with its trust policy exactly as written, boundary and tags.",
        parameters=[ROLE_NAME],
        responses={200: RoleOut, **errors(e404=NO_SUCH_ROLE)},
        tags=["roles"],
    )
    def retrieve(self, request: Request, role_name: str) -> Response:
        return Response(RoleOut(role_reads.get_role(self.ctx, role_name=role_name)).data)

    @extend_schema(
        operation_id="UpdateRole",
        summary="Change a role's description or session duration",
        description="UpdateRole (iam:UpdateRole): members left out stay as they are.",
        parameters=[ROLE_NAME],
        request=UpdateRoleIn,
        responses={200: RoleOut, **errors(e400=INVALID, e404=NO_SUCH_ROLE)},
        tags=["roles"],
    )
    def partial_update(self, request: Request, role_name: str) -> Response:
        data = self.body(UpdateRoleIn)
        role = roles.update_role(
            self.ctx,
            role_name=role_name,
            description=data.get("description"),
            max_session_duration=data.get("max_session_duration"),
        )
        return Response(RoleOut(role).data)

    @extend_schema(
        operation_id="DeleteRole",
        summary="Delete a role",
        description=(
            "DeleteRole (iam:DeleteRole): only once the role has no inline or attached policies "
            "(DeleteConflict otherwise, as in AWS)."
        ),
        parameters=[ROLE_NAME],
        responses={
            204: None,
            **errors(e404=NO_SUCH_ROLE, e409="DeleteConflict: the role still has policies."),
        },
        tags=["roles"],
    )
    def destroy(self, request: Request, role_name: str) -> Response:
        roles.delete_role(self.ctx, role_name=role_name)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="UpdateAssumeRolePolicy",
        summary="Replace a role's trust policy",
        description=(
            "UpdateAssumeRolePolicy (iam:UpdateAssumeRolePolicy): the new trust policy decides at once "
            "who may assume the role."
        ),
        parameters=[ROLE_NAME],
        request=UpdateAssumeRolePolicyIn,
        responses={
            204: None,
            **errors(
                e400=INVALID_DOCUMENT,
                e404=NO_SUCH_ROLE,
                e409="LimitExceeded: the trust policy is over the ACLSizePerRole quota.",
            ),
        },
        tags=["roles"],
    )
    @action(detail=True, methods=["put"], url_path="trust-policy")
    def trust_policy(self, request: Request, role_name: str) -> Response:
        data = self.body(UpdateAssumeRolePolicyIn)
        roles.update_assume_role_policy(
            self.ctx, role_name=role_name, policy_document=data["policy_document"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="ListAttachedRolePolicies",
        summary="List the managed policies attached to a role",
        description="ListAttachedRolePolicies (iam:ListAttachedRolePolicies), by policy name.",
        parameters=[ROLE_NAME, AttachedPoliciesQuery],
        responses={
            200: ATTACHED_PAGE,
            **errors(e400=INVALID, e404=NO_SUCH_ROLE),
        },
        tags=["roles"],
    )
    @action(detail=True, methods=["get"], url_path="attached-policies")
    def attached_policies(self, request: Request, role_name: str) -> Response:
        query = self.query(AttachedPoliciesQuery)
        page = attachment_reads.list_attached_role_policies(
            self.ctx,
            role_name=role_name,
            path_prefix=query["path_prefix"],
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        return page_response(page, AttachedPolicyOut)

    @extend_schema(
        operation_id="AttachRolePolicy",
        summary="Attach a managed policy to a role",
        description=(
            "AttachRolePolicy (iam:AttachRolePolicy, with iam:PolicyARN): at most 10 per role; attaching "
            "an attached policy again changes nothing."
        ),
        parameters=[ROLE_NAME],
        request=AttachPolicyIn,
        responses={
            204: None,
            **errors(
                e400=INVALID,
                e404="NoSuchEntity: the role, or the policy, does not exist.",
                e409="LimitExceeded: the role has 10 attached policies.",
            ),
        },
        tags=["roles"],
    )
    @attached_policies.mapping.post
    def attach_policy(self, request: Request, role_name: str) -> Response:
        data = self.body(AttachPolicyIn)
        policy_attachments.attach_role_policy(self.ctx, role_name=role_name, policy_arn=data["policy_arn"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="DetachRolePolicy",
        summary="Detach a managed policy from a role",
        description=(
            "DetachRolePolicy (iam:DetachRolePolicy, with iam:PolicyARN). The ARN is a query parameter: "
            "it holds slashes."
        ),
        parameters=[ROLE_NAME, DetachPolicyQuery],
        responses={
            204: None,
            **errors(
                e400=INVALID, e404="NoSuchEntity: the role does not exist, or the policy is not attached."
            ),
        },
        tags=["roles"],
    )
    @attached_policies.mapping.delete
    def detach_policy(self, request: Request, role_name: str) -> Response:
        query = self.query(DetachPolicyQuery)
        policy_attachments.detach_role_policy(self.ctx, role_name=role_name, policy_arn=query["policy_arn"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="PutRolePermissionsBoundary",
        summary="Set a role's permissions boundary",
        description=(
            "PutRolePermissionsBoundary (iam:PutRolePermissionsBoundary, with iam:PermissionsBoundary): "
            "set or replace the managed policy that caps the role's permissions."
        ),
        parameters=[ROLE_NAME],
        request=PutRolePermissionsBoundaryIn,
        responses={
            204: None,
            **errors(e400=INVALID, e404="NoSuchEntity: the role, or the boundary policy, does not exist."),
        },
        tags=["roles"],
    )
    @action(detail=True, methods=["put"], url_path="permissions-boundary")
    def permissions_boundary(self, request: Request, role_name: str) -> Response:
        data = self.body(PutRolePermissionsBoundaryIn)
        policy_attachments.put_role_permissions_boundary(
            self.ctx, role_name=role_name, permissions_boundary=data["permissions_boundary"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="DeleteRolePermissionsBoundary",
        summary="Remove a role's permissions boundary",
        description=(
            "DeleteRolePermissionsBoundary (iam:DeleteRolePermissionsBoundary): succeeds when none is set."
        ),
        parameters=[ROLE_NAME],
        responses={204: None, **errors(e404=NO_SUCH_ROLE)},
        tags=["roles"],
    )
    @permissions_boundary.mapping.delete
    def remove_permissions_boundary(self, request: Request, role_name: str) -> Response:
        policy_attachments.delete_role_permissions_boundary(self.ctx, role_name=role_name)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="ListRoleTags",
        summary="List a role's tags",
        description="ListRoleTags (iam:ListRoleTags), by key.",
        parameters=[ROLE_NAME, TagListQuery],
        responses={
            200: paginated(TagOut, "TagList", "A page of tags."),
            **errors(e400=INVALID, e404=NO_SUCH_ROLE),
        },
        tags=["roles"],
    )
    @action(detail=True, methods=["get"], url_path="tags")
    def tags(self, request: Request, role_name: str) -> Response:
        query = self.query(TagListQuery)
        page = role_reads.list_role_tags(
            self.ctx, role_name=role_name, marker=query.get("marker"), max_items=query.get("max_items")
        )
        return page_response(page, TagOut, shape=tag_out)

    @extend_schema(
        operation_id="TagRole",
        summary="Tag a role",
        description=(
            "TagRole (iam:TagRole): a key the role has (in any case) gets the new value; at most 50 tags."
        ),
        parameters=[ROLE_NAME],
        request=TagsIn,
        responses={
            204: None,
            **errors(
                e400=INVALID, e404=NO_SUCH_ROLE, e409="LimitExceeded: the role would have over 50 tags."
            ),
        },
        tags=["roles"],
    )
    @tags.mapping.post
    def tag(self, request: Request, role_name: str) -> Response:
        data = self.body(TagsIn)
        roles.tag_role(self.ctx, role_name=role_name, tags=tags_in(data["tags"]))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="UntagRole",
        summary="Remove tags from a role",
        description="UntagRole (iam:UntagRole): keys the role does not have are ignored, as in AWS.",
        parameters=[ROLE_NAME, UntagQuery],
        responses={204: None, **errors(e400=INVALID, e404=NO_SUCH_ROLE)},
        tags=["roles"],
    )
    @tags.mapping.delete
    def untag(self, request: Request, role_name: str) -> Response:
        query = self.query(UntagQuery)
        roles.untag_role(self.ctx, role_name=role_name, tag_keys=query["tag_keys"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class RolePolicyViewSet(IamViewSet):
    """/api/v1/roles/{role_name}/policies/: the role's inline policies, by name."""

    lookup_field = "policy_name"
    lookup_value_regex = r"[\w+=,.@-]+"

    @extend_schema(
        operation_id="ListRolePolicies",
        summary="List a role's inline policies",
        description="ListRolePolicies (iam:ListRolePolicies): the names, in order.",
        parameters=[ROLE_NAME, PolicyNamesQuery],
        responses={
            200: NAMES_PAGE,
            **errors(e400=INVALID, e404=NO_SUCH_ROLE),
        },
        tags=["roles"],
    )
    def list(self, request: Request, role_name: str) -> Response:
        query = self.query(PolicyNamesQuery)
        page = attachment_reads.list_role_policies(
            self.ctx, role_name=role_name, marker=query.get("marker"), max_items=query.get("max_items")
        )
        return page_response(page, PolicyNameOut, shape=_policy_name)

    @extend_schema(
        operation_id="GetRolePolicy",
        summary="Get a role's inline policy",
        description="GetRolePolicy (iam:GetRolePolicy): the document exactly as it was put.",
        parameters=[ROLE_NAME, POLICY_NAME],
        responses={
            200: RolePolicyOut,
            **errors(e404="NoSuchEntity: the role, or an inline policy of that name, does not exist."),
        },
        tags=["roles"],
    )
    def retrieve(self, request: Request, role_name: str, policy_name: str) -> Response:
        policy = attachment_reads.get_role_policy(self.ctx, role_name=role_name, policy_name=policy_name)
        return Response(RolePolicyOut(policy).data)

    @extend_schema(
        operation_id="PutRolePolicy",
        summary="Add or replace a role's inline policy",
        description=(
            "PutRolePolicy (iam:PutRolePolicy): all the role's inline policies together stay within "
            "10,240 characters (white space not counted)."
        ),
        parameters=[ROLE_NAME, POLICY_NAME],
        request=PutPolicyIn,
        responses={
            204: None,
            **errors(
                e400=INVALID_DOCUMENT,
                e404=NO_SUCH_ROLE,
                e409="LimitExceeded: the role's inline policies would exceed their size quota.",
            ),
        },
        tags=["roles"],
    )
    def update(self, request: Request, role_name: str, policy_name: str) -> Response:
        data = self.body(PutPolicyIn)
        policy_attachments.put_role_policy(
            self.ctx, role_name=role_name, policy_name=policy_name, policy_document=data["policy_document"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="DeleteRolePolicy",
        summary="Delete a role's inline policy",
        description="DeleteRolePolicy (iam:DeleteRolePolicy).",
        parameters=[ROLE_NAME, POLICY_NAME],
        responses={
            204: None,
            **errors(e404="NoSuchEntity: the role, or an inline policy of that name, does not exist."),
        },
        tags=["roles"],
    )
    def destroy(self, request: Request, role_name: str, policy_name: str) -> Response:
        policy_attachments.delete_role_policy(self.ctx, role_name=role_name, policy_name=policy_name)
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES = [
    ("roles", RoleViewSet, "role"),
    (r"roles/(?P<role_name>[\w+=,.@-]+)/policies", RolePolicyViewSet, "role-policy"),
]
