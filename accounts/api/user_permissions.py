"""REST resources: a user's policies and permissions boundary (docs/rest-api/groups.md).

ListAttachedUserPolicies, AttachUserPolicy, DetachUserPolicy, ListUserPolicies, GetUserPolicy,
PutUserPolicy, DeleteUserPolicy, PutUserPermissionsBoundary, DeleteUserPermissionsBoundary: each
action parses its input, calls ONE service or selector with the caller's RequestContext, and shapes
the answer (iam_portal/rest.py). The policy shapes here are the groups' too (accounts/api/groups.py).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import policy_attachments as attachment_reads
from accounts.services import policy_attachments
from iam_portal.rest import NAME_PATTERN, IamViewSet, PageQuery, errors, page_response, paginated
from policies.documents import MAX_DOCUMENT_LENGTH

from .users import INVALID, NO_SUCH_USER, USER_NAME

NAME_REGEX = r"[\w+=,.@-]+"  # a user, group or policy name in a route (the services check the rest)
POLICY_NAME = OpenApiParameter(
    "policy_name",
    str,
    OpenApiParameter.PATH,
    pattern=NAME_PATTERN,
    description="The inline policy's name (as it was put: names are case-sensitive).",
)
# The model's policyPathType, which ListAttached*Policies' PathPrefix follows (not an entity path's).
POLICY_PATH_PREFIX_PATTERN = rf"^{attachment_reads.POLICY_PATH_PREFIX.pattern}$"
TAG = "users"


# --- Shapes (users' and groups') -------------------------------------------------------------------


class AttachedPolicyOut(serializers.Serializer):
    """AttachedPolicy: a managed policy attached to a user, group or role."""

    policy_name = serializers.CharField()
    policy_arn = serializers.CharField(source="arn")


class PolicyNameOut(serializers.Serializer):
    """An inline policy of a List{User,Group}Policies page."""

    policy_name = serializers.CharField()


def policy_name_out(name: str) -> dict[str, str]:
    return {"policy_name": name}


class AttachedPoliciesQuery(PageQuery):
    path_prefix = serializers.RegexField(
        POLICY_PATH_PREFIX_PATTERN,
        max_length=512,
        default="/",
        error_messages={"invalid": "Must be / or /segments/ of letters, digits and .,+@=_- (a policy path)."},
        help_text="Only policies whose path starts with this (PathPrefix).",
    )


def policy_arn_field(**kwargs: Any) -> serializers.CharField:
    """A managed policy's ARN (the model's arnType: 20 to 2048 characters)."""
    return serializers.CharField(
        min_length=policy_attachments.ARN_MIN, max_length=policy_attachments.ARN_MAX, **kwargs
    )


class AttachPolicyIn(serializers.Serializer):
    policy_arn = policy_arn_field(help_text="The managed policy's ARN (this account's or AWS's).")


class DetachPolicyQuery(serializers.Serializer):
    policy_arn = policy_arn_field(help_text="The attached policy's ARN (in the query: ARNs hold slashes).")


class PolicyNamesQuery(PageQuery):
    pass


class PutPolicyIn(serializers.Serializer):
    policy_document = serializers.CharField(
        max_length=MAX_DOCUMENT_LENGTH,
        trim_whitespace=False,
        help_text="The policy document: JSON as a string, kept exactly as sent (and answered so).",
    )


class UserInlinePolicyOut(serializers.Serializer):
    """GetUserPolicy's answer; the document is the exact string that was put (not URL-encoded)."""

    user_name = serializers.CharField(source="entity_name", help_text="As stored (its case).")
    policy_name = serializers.CharField()
    policy_document = serializers.CharField()


class PutBoundaryIn(serializers.Serializer):
    permissions_boundary = policy_arn_field(
        help_text="ARN of the managed policy that caps the user's permissions."
    )


NO_SUCH_POLICY = "NoSuchEntity: no such user, or no policy of that name/ARN (AWS's message says which)."
ATTACHED_PAGE = paginated(AttachedPolicyOut, "AttachedPolicyList", "A page of attached managed policies.")
NAMES_PAGE = paginated(PolicyNameOut, "PolicyNameList", "A page of inline policy names.")


# --- Resources -------------------------------------------------------------------------------------


class UserPermissionsViewSet(IamViewSet):
    """/api/v1/users/{user_name}/attached-policies/, …/policies/, …/permissions-boundary/."""

    lookup_field = "user_name"
    lookup_value_regex = NAME_REGEX

    @extend_schema(
        operation_id="ListAttachedUserPolicies",
        summary="List a user's managed policies",
        description=(
            "ListAttachedUserPolicies (iam:ListAttachedUserPolicies): the policies attached to the user "
            "itself, not through its groups, by policy name."
        ),
        parameters=[USER_NAME, AttachedPoliciesQuery],
        responses={200: ATTACHED_PAGE, **errors(e400=INVALID, e404=NO_SUCH_USER)},
        tags=[TAG],
    )
    @action(detail=True, methods=["get"], url_path="attached-policies")
    def attached_policies(self, request: Request, user_name: str) -> Response:
        query = self.query(AttachedPoliciesQuery)
        page = attachment_reads.list_attached_user_policies(
            self.ctx,
            user_name=user_name,
            path_prefix=query["path_prefix"],
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        return page_response(page, AttachedPolicyOut)

    @extend_schema(
        operation_id="AttachUserPolicy",
        summary="Attach a managed policy to a user",
        description=(
            "AttachUserPolicy (iam:AttachUserPolicy, with iam:PolicyARN): at most 10 per user; "
            "attaching an attached policy again changes nothing."
        ),
        parameters=[USER_NAME],
        request=AttachPolicyIn,
        responses={
            204: None,
            **errors(
                e400="ValidationError naming the field, or InvalidInput: not an ARN.",
                e404="NoSuchEntity: no such user, or the policy does not exist or is not attachable.",
                e409="LimitExceeded: the user has 10 managed policies.",
            ),
        },
        tags=[TAG],
    )
    @attached_policies.mapping.post
    def attach_policy(self, request: Request, user_name: str) -> Response:
        data = self.body(AttachPolicyIn)
        policy_attachments.attach_user_policy(self.ctx, user_name=user_name, policy_arn=data["policy_arn"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="DetachUserPolicy",
        summary="Detach a managed policy from a user",
        description="DetachUserPolicy (iam:DetachUserPolicy, with iam:PolicyARN); the policy itself stays.",
        parameters=[USER_NAME, DetachPolicyQuery],
        responses={
            204: None,
            **errors(
                e400="ValidationError naming the field, or InvalidInput: not an ARN.",
                e404="NoSuchEntity: no such user, or the policy is not attached to it.",
            ),
        },
        tags=[TAG],
    )
    @attached_policies.mapping.delete
    def detach_policy(self, request: Request, user_name: str) -> Response:
        query = self.query(DetachPolicyQuery)
        policy_attachments.detach_user_policy(self.ctx, user_name=user_name, policy_arn=query["policy_arn"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="ListUserPolicies",
        summary="List a user's inline policies",
        description="ListUserPolicies (iam:ListUserPolicies): the names, in order.",
        parameters=[USER_NAME, PolicyNamesQuery],
        responses={200: NAMES_PAGE, **errors(e400=INVALID, e404=NO_SUCH_USER)},
        tags=[TAG],
    )
    @action(detail=True, methods=["get"], url_path="policies")
    def policies(self, request: Request, user_name: str) -> Response:
        query = self.query(PolicyNamesQuery)
        page = attachment_reads.list_user_policies(
            self.ctx, user_name=user_name, marker=query.get("marker"), max_items=query.get("max_items")
        )
        return page_response(page, PolicyNameOut, shape=policy_name_out)

    @extend_schema(
        operation_id="GetUserPolicy",
        summary="Get a user's inline policy",
        description="GetUserPolicy (iam:GetUserPolicy): the document exactly as it was put.",
        parameters=[USER_NAME, POLICY_NAME],
        responses={200: UserInlinePolicyOut, **errors(e404=NO_SUCH_POLICY)},
        tags=[TAG],
    )
    @action(detail=True, methods=["get"], url_path=rf"policies/(?P<policy_name>{NAME_REGEX})")
    def policy(self, request: Request, user_name: str, policy_name: str) -> Response:
        found = attachment_reads.get_user_policy(self.ctx, user_name=user_name, policy_name=policy_name)
        return Response(UserInlinePolicyOut(found).data)

    @extend_schema(
        operation_id="PutUserPolicy",
        summary="Add or replace a user's inline policy",
        description=(
            "PutUserPolicy (iam:PutUserPolicy): all the user's inline policies together stay within "
            "2,048 characters (white space not counted)."
        ),
        parameters=[USER_NAME, POLICY_NAME],
        request=PutPolicyIn,
        responses={
            204: None,
            **errors(
                e400="ValidationError naming the field, or MalformedPolicyDocument (the engine's message, "
                "with line and column).",
                e404=NO_SUCH_USER,
                e409="LimitExceeded: the user's inline policies would exceed 2,048 characters.",
            ),
        },
        tags=[TAG],
    )
    @policy.mapping.put
    def put_policy(self, request: Request, user_name: str, policy_name: str) -> Response:
        data = self.body(PutPolicyIn)
        policy_attachments.put_user_policy(
            self.ctx, user_name=user_name, policy_name=policy_name, policy_document=data["policy_document"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="DeleteUserPolicy",
        summary="Delete a user's inline policy",
        description="DeleteUserPolicy (iam:DeleteUserPolicy).",
        parameters=[USER_NAME, POLICY_NAME],
        responses={204: None, **errors(e404=NO_SUCH_POLICY)},
        tags=[TAG],
    )
    @policy.mapping.delete
    def delete_policy(self, request: Request, user_name: str, policy_name: str) -> Response:
        policy_attachments.delete_user_policy(self.ctx, user_name=user_name, policy_name=policy_name)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="PutUserPermissionsBoundary",
        summary="Set a user's permissions boundary",
        description=(
            "PutUserPermissionsBoundary (iam:PutUserPermissionsBoundary, with iam:PermissionsBoundary): "
            "set or replace the managed policy that caps what the user's policies can allow. "
            "GET /api/v1/users/{user_name}/ shows it."
        ),
        parameters=[USER_NAME],
        request=PutBoundaryIn,
        responses={
            204: None,
            **errors(
                e400="ValidationError naming the field, or InvalidInput: not an ARN.",
                e404="NoSuchEntity: no such user, or the policy does not exist or is not attachable.",
            ),
        },
        tags=[TAG],
    )
    @action(detail=True, methods=["put"], url_path="permissions-boundary")
    def permissions_boundary(self, request: Request, user_name: str) -> Response:
        data = self.body(PutBoundaryIn)
        policy_attachments.put_user_permissions_boundary(
            self.ctx, user_name=user_name, permissions_boundary=data["permissions_boundary"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="DeleteUserPermissionsBoundary",
        summary="Remove a user's permissions boundary",
        description=(
            "DeleteUserPermissionsBoundary (iam:DeleteUserPermissionsBoundary, with "
            "iam:PermissionsBoundary naming the boundary removed); succeeds when none is set, as in AWS."
        ),
        parameters=[USER_NAME],
        responses={204: None, **errors(e404=NO_SUCH_USER)},
        tags=[TAG],
    )
    @permissions_boundary.mapping.delete
    def delete_permissions_boundary(self, request: Request, user_name: str) -> Response:
        policy_attachments.delete_user_permissions_boundary(self.ctx, user_name=user_name)
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES = [("users", UserPermissionsViewSet, "user-permissions")]
