"""REST resources: the access matrix (docs/access-matrix.md), a portal extension (no AWS action).

WhoCan (GET /api/v1/access-matrix/who-can/: the principals allowed an action on a resource, authorized
as iam:GetAccountAuthorizationDetails) and ListPrincipalActions (GET
/api/v1/access-matrix/principal-actions/: what one user or role may do, authorized as
iam:SimulatePrincipalPolicy on it). Each parses its query, calls ONE selector with the caller's
RequestContext and shapes the page (iam_portal/rest.py).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import access_matrix
from iam_portal.rest import IamViewSet, PageQuery, errors, page_response, paginated

TAG = "access matrix"
MAX_CONTEXT = 50  # context keys per request


# --- Input -----------------------------------------------------------------------------------------


class _MatrixQuery(PageQuery):
    resource_arn = serializers.CharField(
        required=False,
        default="*",
        min_length=access_matrix.ARN_MIN,
        max_length=access_matrix.ARN_MAX,
        help_text='The resource: an ARN, or "*" (the default).',
    )
    include_denied = serializers.BooleanField(
        required=False, default=False, help_text="Also list what an explicit Deny refuses."
    )
    context = serializers.ListField(
        child=serializers.CharField(min_length=3, max_length=1280),
        required=False,
        max_length=MAX_CONTEXT,
        help_text="A condition key and its value as key=value (aws:MultiFactorAuthPresent=true); repeat "
        "the parameter for several keys, or for several values of one key.",
    )


class WhoCanQuery(_MatrixQuery):
    action_name = serializers.CharField(
        min_length=access_matrix.ACTION_NAME_MIN,
        max_length=access_matrix.ACTION_NAME_MAX,
        help_text="An action (iam:DeleteUser) or a pattern over the catalogue (iam:Delete*).",
    )


class PrincipalActionsQuery(_MatrixQuery):
    principal_arn = serializers.CharField(
        min_length=20, max_length=access_matrix.ARN_MAX, help_text="The user's or role's ARN."
    )


def context_of(pairs: list[str]) -> dict[str, object]:
    """?context=key=value pairs as {key: value}, or {key: [values]} for a key given several times."""
    out: dict[str, list[str]] = {}
    for number, pair in enumerate(pairs):
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise exceptions.ValidationError({f"context.{number}": ["Must be key=value."]})
        out.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in out.items()}


# --- Output ----------------------------------------------------------------------------------------


class GrantOut(serializers.Serializer):
    """A statement that decided, and how the principal reaches its policy."""

    policy_name = serializers.CharField(help_text="The inline or managed policy's name.")
    policy_arn = serializers.CharField(allow_null=True, help_text="A managed policy's ARN; null otherwise.")
    source = serializers.CharField(help_text="user, group, role (inline), aws-managed or user-managed.")
    via_group = serializers.CharField(
        allow_null=True, help_text="The group the policy comes from; null when the principal's own."
    )
    layer = serializers.CharField(help_text="identity or boundary.")
    statement_index = serializers.IntegerField(help_text="0-based, in the document.")
    sid = serializers.CharField(allow_null=True)
    effect = serializers.CharField(help_text="Allow or Deny.")


class PrincipalAccessOut(serializers.Serializer):
    """A principal allowed (or explicitly denied) the action."""

    principal_arn = serializers.CharField()
    principal_type = serializers.CharField(help_text="User or Role.")
    principal_name = serializers.CharField()
    decision = serializers.CharField(help_text="allowed or explicitDeny.")
    actions = serializers.ListField(
        child=serializers.CharField(), help_text="The concrete actions decided (several for a pattern)."
    )
    grants = GrantOut(many=True, help_text="The Allow statements (allowed) or Deny statements (denied).")
    missing_context_values = serializers.ListField(
        child=serializers.CharField(), help_text="Condition keys the statements test that were not given."
    )


class ActionAccessOut(serializers.Serializer):
    """An action the principal may perform, and how far."""

    action = serializers.CharField()
    service = serializers.CharField()
    access_level = serializers.CharField(help_text="List, Read, Write, Permissions management or Tagging.")
    access = serializers.CharField(
        help_text="all-resources, some-resources, conditional, this-resource or denied "
        "(docs/access-matrix.md)."
    )
    grants = GrantOut(many=True)
    missing_context_values = serializers.ListField(child=serializers.CharField())


class PrincipalActionsOut(serializers.Serializer):
    """The principal and a page of its actions (by service, then name)."""

    principal_arn = serializers.CharField()
    principal_type = serializers.CharField()
    principal_name = serializers.CharField()
    resource_arn = serializers.CharField()
    items = ActionAccessOut(many=True)
    is_truncated = serializers.BooleanField(help_text="Whether more items follow.")
    marker = serializers.CharField(
        allow_null=True, help_text="Pass as `marker` to get the next page; null on the last page."
    )


WHO_CAN_PAGE = paginated(PrincipalAccessOut, "PrincipalAccessList", "A page of principals, users first.")
INVALID = (
    "ValidationError naming the parameter, or InvalidInput: an action that is not service:Name, an action "
    "of iam or sts that does not exist, a pattern that matches no catalogued action, a resource that is "
    "not an ARN, a bad context key."
)


# --- The resource ----------------------------------------------------------------------------------


class AccessMatrixViewSet(IamViewSet):
    """/api/v1/access-matrix/who-can/ and /api/v1/access-matrix/principal-actions/ (reads)."""

    @extend_schema(
        operation_id="WhoCan",
        summary="Who may perform an action on a resource",
        description=(
            "Portal extension (no AWS action), authorized as iam:GetAccountAuthorizationDetails on *. "
            "Every IAM user and role of the account that the action (or, for a pattern, at least one "
            "catalogued action it matches) is allowed to on the resource, with the statements that "
            "grant it and the group they come through; with include_denied also those an explicit "
            "Deny refuses. Each principal's requests carry its own aws:username, aws:PrincipalArn, "
            "aws:PrincipalTag/* … and the context given, nothing else."
        ),
        parameters=[WhoCanQuery],
        responses={200: WHO_CAN_PAGE, **errors(e400=INVALID)},
        tags=[TAG],
    )
    @action(detail=False, methods=["get"], url_path="who-can", url_name="who-can")
    def who_can(self, request: Request) -> Response:
        query = self.query(WhoCanQuery)
        page = access_matrix.who_can(
            self.ctx,
            action_name=query["action_name"],
            resource_arn=query["resource_arn"],
            context=context_of(query.get("context", [])),
            include_denied=query["include_denied"],
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        return page_response(page, PrincipalAccessOut)

    @extend_schema(
        operation_id="ListPrincipalActions",
        summary="What one user or role may do",
        description=(
            "Portal extension (no AWS action), authorized as iam:SimulatePrincipalPolicy on the "
            "principal. Every catalogued IAM and STS action the user or role may perform on the resource "
            '("*" by default), by service then name, with how far the grant goes and its statements.'
        ),
        parameters=[PrincipalActionsQuery],
        responses={
            200: PrincipalActionsOut,
            **errors(
                e400=f"{INVALID} Or a principal ARN that names no user or role.",
                e404="NoSuchEntity: no such user or role in the caller's account.",
            ),
        },
        tags=[TAG],
    )
    @action(detail=False, methods=["get"], url_path="principal-actions", url_name="principal-actions")
    def principal_actions(self, request: Request) -> Response:
        query = self.query(PrincipalActionsQuery)
        result = access_matrix.principal_actions(
            self.ctx,
            principal_arn=query["principal_arn"],
            resource_arn=query["resource_arn"],
            context=context_of(query.get("context", [])),
            include_denied=query["include_denied"],
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        body: dict[str, Any] = {
            "principal_arn": result.principal_arn,
            "principal_type": result.principal_type,
            "principal_name": result.principal_name,
            "resource_arn": result.resource_arn,
            "items": ActionAccessOut(result.page.items, many=True).data,
            "is_truncated": result.page.is_truncated,
            "marker": result.page.marker,
        }
        return Response(body)


ROUTES = [("access-matrix", AccessMatrixViewSet, "access-matrix")]
