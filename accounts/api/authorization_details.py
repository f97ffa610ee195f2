"""REST resources: the account's authorization details (docs/authorization-details.md).

GetAccountAuthorizationDetails (GET /api/v1/account/authorization-details/) answers AWS's members
(PascalCase, as `aws iam get-account-authorization-details` prints them) with policy documents as
JSON objects, so that a saved answer imports unchanged through ImportAccountAuthorizationDetails
(POST /api/v1/account/authorization-details/import/, a portal extension).
"""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import authorization_details as details_reads
from accounts.services import account_import
from iam_portal.rest import IamViewSet, PageQuery, TimestampField, errors

INVALID = "ValidationError, naming the parameter (an unknown filter value, a bad marker or max_items)."
DOCUMENT = serializers.JSONField(help_text="A policy document, as a JSON object.")


def _named(name: str, fields: dict[str, serializers.Field], doc: str) -> type[serializers.Serializer]:
    """A serializer whose fields are AWS's member names (PascalCase)."""
    return type(name, (serializers.Serializer,), {"__module__": __name__, "__doc__": doc, **fields})


InlinePolicyOut = _named(
    "AuthorizationDetailsInlinePolicy",
    {"PolicyName": serializers.CharField(), "PolicyDocument": DOCUMENT},
    "PolicyDetail: an inline policy.",
)
AttachedPolicyOut = _named(
    "AuthorizationDetailsAttachedPolicy",
    {"PolicyName": serializers.CharField(), "PolicyArn": serializers.CharField()},
    "AttachedPolicy: a managed policy attached to the entity.",
)
BoundaryOut = _named(
    "AuthorizationDetailsBoundary",
    {
        "PermissionsBoundaryType": serializers.ChoiceField(["PermissionsBoundaryPolicy"]),
        "PermissionsBoundaryArn": serializers.CharField(),
    },
    "AttachedPermissionsBoundary.",
)
TagOut = _named(
    "AuthorizationDetailsTag",
    {"Key": serializers.CharField(), "Value": serializers.CharField(allow_blank=True)},
    "Tag.",
)


def _entity(noun: str, id_prefix: str) -> dict[str, serializers.Field]:
    return {
        "Path": serializers.CharField(),
        f"{noun}Name": serializers.CharField(),
        f"{noun}Id": serializers.CharField(help_text=f"{id_prefix}…"),
        "Arn": serializers.CharField(),
        "CreateDate": TimestampField(),
    }


RoleLastUsedOut = _named(
    "AuthorizationDetailsRoleLastUsed",
    {
        "LastUsedDate": TimestampField(required=False, help_text="When a session of the role last acted."),
        "Region": serializers.CharField(required=False),
    },
    "RoleLastUsed.",
)
UserDetailOut = _named(
    "UserDetail",
    {
        **_entity("User", "AIDA"),
        "UserPolicyList": InlinePolicyOut(many=True),
        "GroupList": serializers.ListField(child=serializers.CharField(), help_text="Names of its groups."),
        "AttachedManagedPolicies": AttachedPolicyOut(many=True),
        "PermissionsBoundary": BoundaryOut(required=False, help_text="Left out when none is set."),
        "Tags": TagOut(many=True, required=False, help_text="Left out when there are none."),
    },
    "UserDetail.",
)
GroupDetailOut = _named(
    "GroupDetail",
    {
        **_entity("Group", "AGPA"),
        "GroupPolicyList": InlinePolicyOut(many=True),
        "AttachedManagedPolicies": AttachedPolicyOut(many=True),
    },
    "GroupDetail.",
)
RoleDetailOut = _named(
    "RoleDetail",
    {
        **_entity("Role", "AROA"),
        "AssumeRolePolicyDocument": serializers.JSONField(help_text="The trust policy, as a JSON object."),
        "InstanceProfileList": serializers.ListField(
            child=serializers.JSONField(), help_text="Always empty: the portal has no instance profiles."
        ),
        "RolePolicyList": InlinePolicyOut(many=True),
        "AttachedManagedPolicies": AttachedPolicyOut(many=True),
        "PermissionsBoundary": BoundaryOut(required=False, help_text="Left out when none is set."),
        "Tags": TagOut(many=True, required=False, help_text="Left out when there are none."),
        "RoleLastUsed": RoleLastUsedOut(help_text="Empty when the role was not used since it was created."),
    },
    "RoleDetail.",
)
PolicyVersionOut = _named(
    "AuthorizationDetailsPolicyVersion",
    {
        "Document": DOCUMENT,
        "VersionId": serializers.CharField(),
        "IsDefaultVersion": serializers.BooleanField(),
        "CreateDate": TimestampField(),
    },
    "PolicyVersion, with its document.",
)
ManagedPolicyDetailOut = _named(
    "ManagedPolicyDetail",
    {
        "PolicyName": serializers.CharField(),
        "PolicyId": serializers.CharField(),
        "Arn": serializers.CharField(),
        "Path": serializers.CharField(),
        "DefaultVersionId": serializers.CharField(),
        "AttachmentCount": serializers.IntegerField(),
        "PermissionsBoundaryUsageCount": serializers.IntegerField(),
        "IsAttachable": serializers.BooleanField(),
        "Description": serializers.CharField(required=False, help_text="Left out when empty."),
        "CreateDate": TimestampField(),
        "UpdateDate": TimestampField(),
        "PolicyVersionList": PolicyVersionOut(many=True),
    },
    "ManagedPolicyDetail: a customer managed policy, or an AWS managed one the account uses.",
)
AuthorizationDetailsOut = extend_schema_serializer(many=False)(
    _named(
        "AuthorizationDetails",
        {
            "UserDetailList": UserDetailOut(many=True),
            "GroupDetailList": GroupDetailOut(many=True),
            "RoleDetailList": RoleDetailOut(many=True),
            "Policies": ManagedPolicyDetailOut(many=True),
            "IsTruncated": serializers.BooleanField(help_text="Whether more items follow."),
            "Marker": serializers.CharField(
                required=False, help_text="Pass as `marker` for the next page; left out on the last page."
            ),
        },
        "GetAccountAuthorizationDetails' members, as AWS names them.",
    )
)


class AuthorizationDetailsQuery(PageQuery):
    filter = serializers.ListField(
        child=serializers.ChoiceField(details_reads.ENTITY_TYPES),
        required=False,
        help_text="Only these entity types (repeat it: `?filter=User&filter=Role`); all by default.",
    )


class ImportQuery(serializers.Serializer):
    on_conflict = serializers.ChoiceField(
        account_import.ON_CONFLICT,
        required=False,
        help_text=(
            "fail (default): an entity that exists already is EntityAlreadyExists and nothing is imported; "
            "skip: it is left as it is and the rest is imported."
        ),
    )


class ImportSummaryOut(serializers.Serializer):
    """What the import created."""

    source_account_id = serializers.CharField(
        allow_null=True, help_text="The account the document described."
    )
    policies = serializers.ListField(child=serializers.CharField(), help_text="ARNs of the policies created.")
    policy_versions = serializers.IntegerField()
    groups = serializers.ListField(child=serializers.CharField())
    users = serializers.ListField(child=serializers.CharField())
    roles = serializers.ListField(child=serializers.CharField())
    inline_policies = serializers.IntegerField()
    attachments = serializers.IntegerField()
    memberships = serializers.IntegerField()
    skipped = serializers.ListField(
        child=serializers.CharField(),
        help_text='Entities left as they were (on_conflict=skip), e.g. "User alice".',
    )


class AuthorizationDetailsViewSet(IamViewSet):
    """/api/v1/account/authorization-details/: every user, group, role and managed policy of the account."""

    @extend_schema(
        operation_id="GetAccountAuthorizationDetails",
        summary="Users, groups, roles and policies with their relationships",
        description=(
            "GetAccountAuthorizationDetails (iam:GetAccountAuthorizationDetails): AWS's members, with policy "
            "documents as JSON objects. Pages run across the four lists (marker, max_items)."
        ),
        parameters=[AuthorizationDetailsQuery],
        responses={200: AuthorizationDetailsOut, **errors(e400=INVALID)},
        tags=["account"],
    )
    def list(self, request: Request) -> Response:
        query = self.query(AuthorizationDetailsQuery)
        found = details_reads.get_account_authorization_details(
            self.ctx, filter=query.get("filter"), marker=query.get("marker"), max_items=query.get("max_items")
        )
        return Response(AuthorizationDetailsOut(details_reads.as_aws(found, json.loads)).data)

    @extend_schema(
        operation_id="ImportAccountAuthorizationDetails",
        summary="Restore users, groups, roles and policies (portal extension)",
        description=(
            "The body is a GetAccountAuthorizationDetails answer (this API's, or what boto3 or the AWS CLI "
            "print). Creates its customer managed policies (every version), groups, users and roles with "
            "their inline policies, attachments, memberships, boundaries and tags, in one transaction: the "
            "first error undoes everything. Each write is authorized and audited as its own action. "
            "ARNs and trust policies naming the source account are rewritten to this account."
        ),
        parameters=[ImportQuery],
        request={"application/json": OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample(
                "A group",
                request_only=True,
                value={
                    "GroupDetailList": [
                        {
                            "Path": "/",
                            "GroupName": "devs",
                            "GroupPolicyList": [],
                            "AttachedManagedPolicies": [
                                {
                                    "PolicyName": "IAMReadOnlyAccess",
                                    "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
                                }
                            ],
                        }
                    ]
                },
            )
        ],
        responses={
            201: ImportSummaryOut,
            **errors(
                e400="InvalidInput (naming the item), MalformedPolicyDocument or ValidationError.",
                e404="NoSuchEntity: an attached policy, boundary or group in neither the document nor "
                "the account.",
                e409="EntityAlreadyExists (on_conflict=fail) or LimitExceeded (a quota).",
            ),
        },
        tags=["account"],
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_details(self, request: Request) -> Response:
        query = self.query(ImportQuery)
        data: Any = request.data
        if not isinstance(data, dict | list):
            raise exceptions.ValidationError(
                {"body": ["Must be a GetAccountAuthorizationDetails JSON object."]}
            )
        summary = account_import.import_account_authorization_details(
            self.ctx, content=data, on_conflict=query.get("on_conflict", account_import.FAIL)
        )
        return Response(ImportSummaryOut(summary).data, status=201)


ROUTES = [("account/authorization-details", AuthorizationDetailsViewSet, "authorization-details")]
