"""REST resources of the policies app (docs/rest-api/policies.md): managed policies and their versions,
entities and tags, policy validation and simulation.

ListPolicies, CreatePolicy, GetPolicy, DeletePolicy, ListPolicyVersions, CreatePolicyVersion,
GetPolicyVersion, DeletePolicyVersion, SetDefaultPolicyVersion, ListEntitiesForPolicy, ListPolicyTags,
TagPolicy, UntagPolicy, ValidatePolicy (Access Analyzer's), SimulatePrincipalPolicy,
SimulateCustomPolicy, GetContextKeysForPrincipalPolicy and GetContextKeysForCustomPolicy: each action
parses its input, calls ONE service or selector with the caller's RequestContext, and shapes the answer
(iam_portal/rest.py).

A managed policy is addressed by its ARN in the query string (`/api/v1/policies/by-arn/?policy_arn=…`):
ARNs hold slashes (the policy's path) and colons, which a path segment cannot carry unambiguously,
and no read finds a policy by its id.

ROUTES lists (prefix, viewset, basename) triples that policies/api_urls.py registers under /api/v1/.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from iam_portal import validation
from iam_portal.rest import (
    NAME_PATTERN,
    PATH_PATTERN,
    IamViewSet,
    PageQuery,
    TagIn,
    TagOut,
    TagsIn,
    TimestampField,
    UntagQuery,
    created,
    errors,
    name_contains_field,
    page_response,
    paginated,
    tag_out,
    tags_in,
    tags_out,
)

from . import context_keys, simulation
from . import selectors as policy_reads
from . import services as policy_services
from .documents import MAX_DOCUMENT_LENGTH
from .engine import Finding
from .models import ManagedPolicy

TAG_POLICIES, TAG_VALIDATION, TAG_SIMULATION = "policies", "policy validation", "simulation"
POLICY_PATH_PATTERN = rf"^{policy_reads.POLICY_PATH_PATTERN}$"
VERSION_ID_PATTERN = rf"^{policy_reads.VERSION_ID_PATTERN}$"
VERSION_ID = OpenApiParameter(
    "version_id",
    str,
    OpenApiParameter.PATH,
    pattern=VERSION_ID_PATTERN,
    description="The version's id: v1, v2, …",
)
MAX_SIMULATED = 1000  # action names, resource ARNs, context entries, policies per simulation request
INVALID = "ValidationError, naming the field (or InvalidInput, as AWS answers)."
NO_SUCH_POLICY = "NoSuchEntity: no policy with that ARN in the caller's account or among AWS's."
NO_SUCH_VERSION = "NoSuchEntity: no such policy, or it has no version of that id."
BAD_ARN = "ValidationError naming the field, or InvalidInput: not a policy ARN (`ARN … is not valid.`)."
AWS_MANAGED = "InvalidInput also for an AWS managed policy: `Cannot modify an AWS managed policy.`"


def _document_field(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        max_length=MAX_DOCUMENT_LENGTH,
        trim_whitespace=False,
        help_text="A policy document: JSON as a string, kept exactly as sent (and answered so).",
        **kwargs,
    )


def _policy_path_field(**kwargs: Any) -> serializers.RegexField:
    return serializers.RegexField(
        POLICY_PATH_PATTERN,
        max_length=512,
        default="/",
        error_messages={"invalid": "Must be / or /segments/ of letters, digits and .,+@=_- (a policy path)."},
        **kwargs,
    )


def policy_url(request: Request, policy_arn: str, view: str = "policy-by-arn", *args: str) -> str:
    """The absolute URL of a policy (or one of its parts) addressed by ARN."""
    path = reverse(f"policies_api:{view}", args=args)
    return request.build_absolute_uri(f"{path}?policy_arn={quote(policy_arn, safe='')}")


# --- Strict input ----------------------------------------------------------------------------------
# DRF reads a JSON number as a string ("0") and an empty query parameter as one not given; the schema
# says neither is valid, so these fields and PolicyViewSetBase.query() refuse both (ValidationError).


# --- Shapes: policies and versions -----------------------------------------------------------------


class ManagedPolicySummaryOut(serializers.Serializer):
    """A managed policy as ListPolicies returns it (AWS's Policy, without description and tags)."""

    policy_name = serializers.CharField()
    policy_id = serializers.CharField(help_text="The stable unique id (ANPA…).")
    arn = serializers.CharField()
    path = serializers.CharField()
    default_version_id = serializers.CharField(help_text="The version that applies: v1, v2, …")
    attachment_count = serializers.IntegerField(help_text="Users, groups and roles of this account.")
    permissions_boundary_usage_count = serializers.IntegerField(
        help_text="Users and roles of this account whose permissions boundary it is."
    )
    is_attachable = serializers.BooleanField()
    create_date = TimestampField(source="created")
    update_date = TimestampField(source="updated", help_text="When the newest version was created.")


class ManagedPolicyOut(ManagedPolicySummaryOut):
    """A managed policy as GetPolicy and CreatePolicy return it."""

    description = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_description(self, policy: ManagedPolicy) -> str | None:
        return policy.description or None

    @extend_schema_field(TagOut(many=True))
    def get_tags(self, policy: ManagedPolicy) -> list[dict[str, str]]:
        return tags_out(policy.tags)


class PolicyVersionSummaryOut(serializers.Serializer):
    """A version as ListPolicyVersions returns it (no document, as in AWS)."""

    version_id = serializers.CharField()
    is_default_version = serializers.BooleanField(source="is_default")
    create_date = TimestampField(source="created")


class PolicyVersionOut(PolicyVersionSummaryOut):
    """A version with its document: the exact string that was stored (not URL-encoded)."""

    document = serializers.CharField()


class PolicyEntityOut(serializers.Serializer):
    """A user, group or role a policy is attached to, or is the permissions boundary of (EntityInfo)."""

    type = serializers.CharField(help_text="GROUP, USER or ROLE.")
    name = serializers.CharField()
    id = serializers.CharField(help_text="The entity's unique id (AGPA…, AIDA…, AROA…).")
    arn = serializers.CharField()
    path = serializers.CharField()


def entity_out(pair: tuple[str, Any]) -> dict[str, str]:
    kind, entity = pair
    noun = kind.lower()
    return {
        "type": kind.upper(),
        "name": getattr(entity, f"{noun}_name"),
        "id": getattr(entity, f"{noun}_id"),
        "arn": entity.arn,
        "path": entity.path,
    }


POLICY_PAGE = paginated(ManagedPolicySummaryOut, "ManagedPolicyList", "A page of managed policies.")
VERSION_PAGE = paginated(PolicyVersionSummaryOut, "PolicyVersionList", "A page of versions, newest first.")
ENTITY_PAGE = paginated(
    PolicyEntityOut, "PolicyEntityList", "A page of entities: groups, then users, then roles, each by name."
)
TAG_PAGE = paginated(TagOut, "TagList", "A page of tags.")


# --- Shapes: inputs --------------------------------------------------------------------------------


class PolicyArnQuery(serializers.Serializer):
    policy_arn = serializers.CharField(
        min_length=policy_reads.ARN_MIN,
        max_length=policy_reads.ARN_MAX,
        trim_whitespace=False,
        help_text="The policy's ARN, percent-encoded (it holds slashes and colons).",
    )


class ListPoliciesQuery(PageQuery):
    scope = serializers.ChoiceField(
        policy_reads.SCOPES,
        default="All",
        help_text="All, AWS (AWS managed policies) or Local (this account's customer managed ones).",
    )
    only_attached = serializers.BooleanField(
        default=False, help_text="Only policies attached to a user, group or role of this account."
    )
    path_prefix = _policy_path_field(help_text="Only policies whose path starts with this (PathPrefix).")
    policy_usage_filter = serializers.ChoiceField(
        policy_reads.POLICY_USAGES,
        required=False,
        help_text="Only policies attached as permissions policies, or used as permissions boundaries.",
    )
    name_contains = name_contains_field("policies")


class CreatePolicyIn(serializers.Serializer):
    policy_name = serializers.RegexField(
        NAME_PATTERN,
        max_length=policy_reads.POLICY_NAME_MAX,
        error_messages={"invalid": "Use letters, digits and +=,.@_- only."},
    )
    path = _policy_path_field()
    policy_document = _document_field()
    description = serializers.CharField(
        required=False, max_length=1000, allow_blank=True, trim_whitespace=False
    )
    tags = TagIn(many=True, required=False, max_length=validation.MAX_TAGS)


class CreatePolicyVersionIn(serializers.Serializer):
    policy_document = _document_field()
    set_as_default = serializers.BooleanField(
        default=False, help_text="Make it the version that applies to every principal it is attached to."
    )


class SetDefaultPolicyVersionIn(serializers.Serializer):
    version_id = serializers.RegexField(
        VERSION_ID_PATTERN,
        max_length=128,
        error_messages={"invalid": "Must be a version id: v1, v2, …"},
    )


class ListEntitiesQuery(PolicyArnQuery, PageQuery):
    entity_filter = serializers.ChoiceField(
        policy_reads.ENTITY_FILTERS,
        required=False,
        help_text="Only this kind of entity (LocalManagedPolicy and AWSManagedPolicy name none).",
    )
    path_prefix = serializers.RegexField(
        PATH_PATTERN,
        max_length=512,
        default="/",
        error_messages={"invalid": "Must be / or begin and end with / (printable ASCII between)."},
        help_text="Only entities whose path starts with this (PathPrefix: / or /division/).",
    )
    policy_usage_filter = serializers.ChoiceField(
        policy_reads.POLICY_USAGES,
        required=False,
        help_text="Only entities it is attached to, or only those whose permissions boundary it is.",
    )


class PolicyPageQuery(PolicyArnQuery, PageQuery):
    pass


class UntagPolicyQuery(PolicyArnQuery, UntagQuery):
    pass


# --- Resources: managed policies -------------------------------------------------------------------


class PolicyViewSet(IamViewSet):
    """/api/v1/policies/: managed policies; one policy and its parts at /api/v1/policies/by-arn/…
    with `?policy_arn=`."""

    @extend_schema(
        operation_id="ListPolicies",
        summary="List managed policies",
        description=(
            "ListPolicies (iam:ListPolicies): this account's customer managed policies and AWS's, by "
            "name; the counts are this account's."
        ),
        parameters=[ListPoliciesQuery],
        responses={200: POLICY_PAGE, **errors(e400=INVALID)},
        tags=[TAG_POLICIES],
    )
    def list(self, request: Request) -> Response:
        query = self.query(ListPoliciesQuery)
        page = policy_reads.list_policies(
            self.ctx,
            scope=query["scope"],
            only_attached=query["only_attached"],
            path_prefix=query["path_prefix"],
            policy_usage_filter=query.get("policy_usage_filter"),
            name_contains=query.get("name_contains", ""),
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        return page_response(page, ManagedPolicySummaryOut)

    @extend_schema(
        operation_id="CreatePolicy",
        summary="Create a customer managed policy",
        description=(
            "CreatePolicy (iam:CreatePolicy): v1 is its default version. At most 6,144 characters "
            "(white space not counted) and 1,500 policies per account."
        ),
        request=CreatePolicyIn,
        responses={
            201: ManagedPolicyOut,
            **errors(
                e400="ValidationError naming the field, InvalidInput, or MalformedPolicyDocument (the "
                "engine's message, with line and column).",
                e409="EntityAlreadyExists (the name is taken, in any case) or LimitExceeded (size, count).",
            ),
        },
        tags=[TAG_POLICIES],
    )
    def create(self, request: Request) -> Response:
        data = self.body(CreatePolicyIn)
        policy = policy_services.create_policy(
            self.ctx,
            policy_name=data["policy_name"],
            path=data["path"],
            policy_document=data["policy_document"],
            description=data.get("description"),
            tags=tags_in(data.get("tags", [])),
        )
        return created(ManagedPolicyOut(policy).data, policy_url(request, policy.arn))

    @extend_schema(
        operation_id="GetPolicy",
        summary="Get a managed policy",
        description="GetPolicy (iam:GetPolicy): with its default version id, usage counts and tags.",
        parameters=[PolicyArnQuery],
        responses={200: ManagedPolicyOut, **errors(e400=BAD_ARN, e404=NO_SUCH_POLICY)},
        tags=[TAG_POLICIES],
    )
    @action(detail=False, methods=["get"], url_path="by-arn", url_name="by-arn")
    def policy(self, request: Request) -> Response:
        query = self.query(PolicyArnQuery)
        return Response(
            ManagedPolicyOut(policy_reads.get_policy(self.ctx, policy_arn=query["policy_arn"])).data
        )

    @extend_schema(
        operation_id="DeletePolicy",
        summary="Delete a customer managed policy",
        description=(
            "DeletePolicy (iam:DeletePolicy): only once it is attached to nothing, is nobody's "
            "permissions boundary and has no version but the default one (DeleteConflict otherwise)."
        ),
        parameters=[PolicyArnQuery],
        responses={
            204: None,
            **errors(
                e400=f"{BAD_ARN} {AWS_MANAGED}",
                e404=NO_SUCH_POLICY,
                e409="DeleteConflict: attached, a permissions boundary, or other versions remain.",
            ),
        },
        tags=[TAG_POLICIES],
    )
    @policy.mapping.delete
    def destroy_policy(self, request: Request) -> Response:
        query = self.query(PolicyArnQuery)
        policy_services.delete_policy(self.ctx, policy_arn=query["policy_arn"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="ListPolicyVersions",
        summary="List a policy's versions",
        description="ListPolicyVersions (iam:ListPolicyVersions): newest first, without the documents.",
        parameters=[PolicyPageQuery],
        responses={200: VERSION_PAGE, **errors(e400=BAD_ARN, e404=NO_SUCH_POLICY)},
        tags=[TAG_POLICIES],
    )
    @action(detail=False, methods=["get"], url_path="by-arn/versions", url_name="versions")
    def versions(self, request: Request) -> Response:
        query = self.query(PolicyPageQuery)
        page = policy_reads.list_policy_versions(
            self.ctx,
            policy_arn=query["policy_arn"],
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        return page_response(page, PolicyVersionSummaryOut)

    @extend_schema(
        operation_id="CreatePolicyVersion",
        summary="Create a policy version",
        description=(
            "CreatePolicyVersion (iam:CreatePolicyVersion): at most five versions per policy; "
            "`set_as_default` makes it the one that applies at once."
        ),
        parameters=[PolicyArnQuery],
        request=CreatePolicyVersionIn,
        responses={
            201: PolicyVersionOut,
            **errors(
                e400=f"ValidationError, InvalidInput or MalformedPolicyDocument (with line and column). "
                f"{AWS_MANAGED}",
                e404=NO_SUCH_POLICY,
                e409="LimitExceeded: five versions already, or the document exceeds 6,144 characters.",
            ),
        },
        tags=[TAG_POLICIES],
    )
    @versions.mapping.post
    def create_version(self, request: Request) -> Response:
        query, data = self.query(PolicyArnQuery), self.body(CreatePolicyVersionIn)
        version = policy_services.create_policy_version(
            self.ctx,
            policy_arn=query["policy_arn"],
            policy_document=data["policy_document"],
            set_as_default=data["set_as_default"],
        )
        location = policy_url(request, query["policy_arn"], "policy-version", version.version_id)
        return created(PolicyVersionOut(version).data, location)

    @extend_schema(
        operation_id="GetPolicyVersion",
        summary="Get a policy version",
        description="GetPolicyVersion (iam:GetPolicyVersion): the document exactly as it was stored.",
        parameters=[VERSION_ID, PolicyArnQuery],
        responses={200: PolicyVersionOut, **errors(e400=BAD_ARN, e404=NO_SUCH_VERSION)},
        tags=[TAG_POLICIES],
    )
    @action(
        detail=False, methods=["get"], url_path=r"by-arn/versions/(?P<version_id>[^/]+)", url_name="version"
    )
    def version(self, request: Request, version_id: str) -> Response:
        query = self.query(PolicyArnQuery)
        found = policy_reads.get_policy_version(
            self.ctx, policy_arn=query["policy_arn"], version_id=version_id
        )
        return Response(PolicyVersionOut(found).data)

    @extend_schema(
        operation_id="DeletePolicyVersion",
        summary="Delete a policy version",
        description="DeletePolicyVersion (iam:DeletePolicyVersion): any version but the default one.",
        parameters=[VERSION_ID, PolicyArnQuery],
        responses={
            204: None,
            **errors(
                e400=f"{BAD_ARN} {AWS_MANAGED}",
                e404=NO_SUCH_VERSION,
                e409="DeleteConflict: it is the default version.",
            ),
        },
        tags=[TAG_POLICIES],
    )
    @version.mapping.delete
    def destroy_version(self, request: Request, version_id: str) -> Response:
        query = self.query(PolicyArnQuery)
        policy_services.delete_policy_version(self.ctx, policy_arn=query["policy_arn"], version_id=version_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="SetDefaultPolicyVersion",
        summary="Set a policy's default version",
        description=(
            "SetDefaultPolicyVersion (iam:SetDefaultPolicyVersion): the version that applies to every "
            "user, group and role the policy is attached to, from now on."
        ),
        parameters=[PolicyArnQuery],
        request=SetDefaultPolicyVersionIn,
        responses={204: None, **errors(e400=f"{BAD_ARN} {AWS_MANAGED}", e404=NO_SUCH_VERSION)},
        tags=[TAG_POLICIES],
    )
    @action(detail=False, methods=["put"], url_path="by-arn/default-version", url_name="default-version")
    def default_version(self, request: Request) -> Response:
        query, data = self.query(PolicyArnQuery), self.body(SetDefaultPolicyVersionIn)
        policy_services.set_default_policy_version(
            self.ctx, policy_arn=query["policy_arn"], version_id=data["version_id"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="ListEntitiesForPolicy",
        summary="List the entities a policy is attached to",
        description=(
            "ListEntitiesForPolicy (iam:ListEntitiesForPolicy): this account's groups, users and roles "
            "it is attached to or is the permissions boundary of, as AWS's EntityInfo."
        ),
        parameters=[ListEntitiesQuery],
        responses={200: ENTITY_PAGE, **errors(e400=BAD_ARN, e404=NO_SUCH_POLICY)},
        tags=[TAG_POLICIES],
    )
    @action(detail=False, methods=["get"], url_path="by-arn/entities", url_name="entities")
    def entities(self, request: Request) -> Response:
        query = self.query(ListEntitiesQuery)
        found = policy_reads.list_entities_for_policy(
            self.ctx,
            policy_arn=query["policy_arn"],
            entity_filter=query.get("entity_filter"),
            path_prefix=query["path_prefix"],
            policy_usage_filter=query.get("policy_usage_filter"),
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        rows = [
            *(("Group", g) for g in found.groups),
            *(("User", u) for u in found.users),
            *(("Role", r) for r in found.roles),
        ]
        return Response(
            {
                "items": PolicyEntityOut(map(entity_out, rows), many=True).data,
                "is_truncated": found.is_truncated,
                "marker": found.marker,
            }
        )

    @extend_schema(
        operation_id="ListPolicyTags",
        summary="List a policy's tags",
        description="ListPolicyTags (iam:ListPolicyTags), by key.",
        parameters=[PolicyPageQuery],
        responses={200: TAG_PAGE, **errors(e400=BAD_ARN, e404=NO_SUCH_POLICY)},
        tags=[TAG_POLICIES],
    )
    @action(detail=False, methods=["get"], url_path="by-arn/tags", url_name="tags")
    def tags(self, request: Request) -> Response:
        query = self.query(PolicyPageQuery)
        page = policy_reads.list_policy_tags(
            self.ctx,
            policy_arn=query["policy_arn"],
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        return page_response(page, TagOut, shape=tag_out)

    @extend_schema(
        operation_id="TagPolicy",
        summary="Tag a customer managed policy",
        description=(
            "TagPolicy (iam:TagPolicy): a key the policy has (in any case) gets the new value; at most "
            "50 tags."
        ),
        parameters=[PolicyArnQuery],
        request=TagsIn,
        responses={
            204: None,
            **errors(
                e400=f"{INVALID} {AWS_MANAGED}",
                e404=NO_SUCH_POLICY,
                e409="LimitExceeded: the policy would have over 50 tags.",
            ),
        },
        tags=[TAG_POLICIES],
    )
    @tags.mapping.post
    def tag(self, request: Request) -> Response:
        query, data = self.query(PolicyArnQuery), self.body(TagsIn)
        policy_services.tag_policy(self.ctx, policy_arn=query["policy_arn"], tags=tags_in(data["tags"]))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="UntagPolicy",
        summary="Remove tags from a customer managed policy",
        description="UntagPolicy (iam:UntagPolicy): keys the policy does not have are ignored, as in AWS.",
        parameters=[UntagPolicyQuery],
        responses={204: None, **errors(e400=f"{INVALID} {AWS_MANAGED}", e404=NO_SUCH_POLICY)},
        tags=[TAG_POLICIES],
    )
    @tags.mapping.delete
    def untag(self, request: Request) -> Response:
        query = self.query(UntagPolicyQuery)
        policy_services.untag_policy(self.ctx, policy_arn=query["policy_arn"], tag_keys=query["tag_keys"])
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Policy validation -----------------------------------------------------------------------------


class ValidatePolicyIn(serializers.Serializer):
    policy_document = _document_field()
    policy_type = serializers.ChoiceField(
        tuple(policy_reads.POLICY_TYPES),
        default="IDENTITY_POLICY",
        help_text="IDENTITY_POLICY (also permissions boundaries) or RESOURCE_POLICY.",
    )
    validate_policy_resource_type = serializers.ChoiceField(
        (policy_reads.TRUST_POLICY_RESOURCE_TYPE,),
        required=False,
        help_text="With RESOURCE_POLICY: AWS::IAM::AssumeRolePolicyDocument validates a role trust policy.",
    )


class PolicyFindingOut(serializers.Serializer):
    """One finding of the engine, as Access Analyzer's ValidatePolicyFinding, located."""

    finding_type = serializers.CharField(
        source="severity", help_text="ERROR, SECURITY_WARNING, WARNING or SUGGESTION."
    )
    issue_code = serializers.CharField(source="code", help_text="e.g. INVALID_ACTION, MISSING_VERSION.")
    title = serializers.CharField()
    finding_details = serializers.CharField(source="detail")
    path = serializers.CharField(
        source="json_path", allow_blank=True, help_text="Where: Statement[0].Action[1] (empty: the document)."
    )
    line = serializers.IntegerField(allow_null=True, help_text="1-based; null when not located.")
    column = serializers.IntegerField(allow_null=True, help_text="1-based; null when not located.")


class ValidatePolicyOut(serializers.Serializer):
    findings = PolicyFindingOut(
        many=True, help_text="Grammar errors first, then the others in document order."
    )


class PolicyValidationViewSet(IamViewSet):
    """/api/v1/policy-validation/: the policy engine's findings for a document (nothing is stored)."""

    @extend_schema(
        operation_id="ValidatePolicy",
        summary="Validate a policy document",
        description=(
            "Access Analyzer's ValidatePolicy, by the portal's engine: grammar errors (what makes IAM "
            "refuse the document), security warnings, warnings and suggestions, each with its line and "
            "column. It reads nothing of the account, so any signed-in caller may use it (no policy "
            "needed, nothing audited)."
        ),
        request=ValidatePolicyIn,
        responses={
            200: ValidatePolicyOut,
            **errors(
                e400="ValidationError naming the field, or InvalidInput (a resource type without "
                "RESOURCE_POLICY)."
            ),
        },
        tags=[TAG_VALIDATION],
    )
    def create(self, request: Request) -> Response:
        data = self.body(ValidatePolicyIn)
        findings: list[Finding] = policy_reads.validate_policy_document(
            self.ctx,
            policy_document=data["policy_document"],
            policy_type=data["policy_type"],
            validate_policy_resource_type=data.get("validate_policy_resource_type"),
        )
        return Response(ValidatePolicyOut({"findings": findings}).data)


# --- Simulation ------------------------------------------------------------------------------------


class ContextEntryIn(serializers.Serializer):
    """A condition context key and its value(s) (AWS's ContextEntry)."""

    context_key_name = serializers.CharField(
        min_length=simulation.CONTEXT_KEY_NAME_MIN,
        max_length=simulation.CONTEXT_KEY_NAME_MAX,
        help_text="e.g. aws:SourceIp, aws:username, aws:PrincipalTag/team (any case).",
    )
    context_key_values = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=2048, trim_whitespace=False),
        max_length=MAX_SIMULATED,
        help_text="Exactly one value unless the type is a …List type.",
    )
    context_key_type = serializers.ChoiceField(simulation.CONTEXT_KEY_TYPES)


def _action_names() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(
            min_length=simulation.ACTION_NAME_MIN,
            max_length=simulation.ACTION_NAME_MAX,
            trim_whitespace=False,
        ),
        min_length=1,
        max_length=MAX_SIMULATED,
        help_text="Actions to simulate, e.g. iam:CreateUser, s3:GetObject.",
    )


def _resource_arns() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(
            min_length=simulation.RESOURCE_NAME_MIN,
            max_length=simulation.RESOURCE_NAME_MAX,
            trim_whitespace=False,
        ),
        required=False,
        max_length=MAX_SIMULATED,
        help_text='Resources to simulate each action on (default ["*"]).',
    )


def _policy_source_arn() -> serializers.CharField:
    return serializers.CharField(
        min_length=policy_reads.ARN_MIN,
        max_length=policy_reads.ARN_MAX,
        trim_whitespace=False,
        help_text="ARN of a user, group or role of the caller's account.",
    )


def _policy_input_list(*, required: bool, help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=_document_field(),
        required=required,
        min_length=1 if required else None,
        max_length=MAX_SIMULATED,
        help_text=help_text,
    )


def _boundary_input_list() -> serializers.ListField:
    return serializers.ListField(
        child=_document_field(),
        required=False,
        max_length=simulation.MAX_BOUNDARY_POLICIES,
        help_text="At most one permissions boundary document, as in AWS (it replaces the principal's).",
    )


def _resource_name(help_text: str) -> serializers.CharField:
    return serializers.CharField(
        required=False,
        min_length=simulation.RESOURCE_NAME_MIN,
        max_length=simulation.RESOURCE_NAME_MAX,
        trim_whitespace=False,
        help_text=help_text,
    )


class _ResourceSideIn(serializers.Serializer):
    """The members both simulations take besides the policies (AWS's names, in snake_case)."""

    action_names = _action_names()
    resource_arns = _resource_arns()
    resource_policy = serializers.CharField(
        max_length=MAX_DOCUMENT_LENGTH,
        trim_whitespace=False,
        required=False,
        help_text="A resource-based policy, as if attached to every resource simulated (needs a "
        "Principal); its statements are reported as SourcePolicyType resource, id ResourcePolicy.",
    )
    resource_owner = _resource_name(
        "The account (id, or arn:aws:iam::ID:root) owning resources whose ARN names none; "
        "by default the caller's."
    )
    caller_arn = _resource_name(
        "The IAM user, group or role ARN the requests come from (required with resource_policy "
        "unless the source is a user)."
    )
    context_entries = ContextEntryIn(many=True, required=False, max_length=MAX_SIMULATED)
    resource_handling_option = serializers.ChoiceField(
        simulation.RESOURCE_HANDLING_OPTIONS,
        required=False,
        help_text="AWS's EC2 scenario name; accepted and checked, it changes no decision here.",
    )


class SimulatePrincipalPolicyIn(_ResourceSideIn):
    policy_source_arn = _policy_source_arn()
    policy_input_list = _policy_input_list(
        required=False, help_text="Policy documents to simulate besides the principal's own."
    )
    permissions_boundary_policy_input_list = _boundary_input_list()


class SimulateCustomPolicyIn(_ResourceSideIn):
    policy_input_list = _policy_input_list(
        required=True,
        help_text="Identity policy documents (as strings), together the principal's policies.",
    )
    permissions_boundary_policy_input_list = _boundary_input_list()


class GetContextKeysForPrincipalPolicyIn(serializers.Serializer):
    policy_source_arn = _policy_source_arn()
    policy_input_list = _policy_input_list(
        required=False, help_text="Policy documents whose keys to list besides the principal's."
    )


class GetContextKeysForCustomPolicyIn(serializers.Serializer):
    policy_input_list = _policy_input_list(required=True, help_text="Policy documents whose keys to list.")


class ContextKeysOut(serializers.Serializer):
    context_key_names = serializers.ListField(
        child=serializers.CharField(),
        help_text="Each key as first written, once whatever its case, in the order the documents name them.",
    )


class PositionOut(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.IntegerField()


class SimulatedStatementOut(serializers.Serializer):
    """A statement that decided a result (AWS's Statement, with the engine's details)."""

    source_policy_id = serializers.CharField(
        help_text="The inline or managed policy's name, or PolicyInputList.N / "
        "PermissionsBoundaryPolicyInputList.N, or ResourcePolicy."
    )
    source_policy_type = serializers.CharField(
        help_text="user, group, role, aws-managed, user-managed, resource or none."
    )
    policy_arn = serializers.CharField(allow_null=True, help_text="A managed policy's ARN; null otherwise.")
    policy_type = serializers.CharField(
        help_text="identity, boundary or resource: where the statement counted."
    )
    statement_index = serializers.IntegerField(help_text="0-based, in the document.")
    sid = serializers.CharField(allow_null=True)
    effect = serializers.CharField(help_text="Allow or Deny.")
    start_position = PositionOut(allow_null=True, help_text="The statement's opening brace.")
    end_position = PositionOut(allow_null=True, help_text="The statement's closing brace.")
    source_entity = serializers.CharField(
        allow_null=True,
        help_text="An inline policy's user, group or role (a user's group policy names its group); "
        "null otherwise. Not an AWS member.",
    )
    source_entity_arn = serializers.CharField(
        allow_null=True, help_text="That user's, group's or role's ARN; null otherwise."
    )


class PermissionsBoundaryDecisionOut(serializers.Serializer):
    allowed_by_permissions_boundary = serializers.BooleanField()


def _boundary_detail(allowed: bool | None) -> dict | None:
    return None if allowed is None else {"allowed_by_permissions_boundary": allowed}


class ResourceSpecificResultOut(serializers.Serializer):
    """The decision on one resource (AWS's ResourceSpecificResult) and the engine's explanation."""

    eval_resource_name = serializers.CharField()
    eval_resource_decision = serializers.CharField(help_text="allowed, explicitDeny or implicitDeny.")
    matched_statements = SimulatedStatementOut(many=True)
    missing_context_values = serializers.ListField(
        child=serializers.CharField(),
        help_text="Condition keys the matching statements test that were not given.",
    )
    eval_decision_details = serializers.DictField(
        child=serializers.CharField(),
        allow_null=True,
        help_text='Across accounts, each policy type\'s decision ("IAM Policy", "Resource Policy"); '
        "null in one account.",
    )
    permissions_boundary_decision_detail = serializers.SerializerMethodField()
    decided_by = serializers.CharField(
        help_text="identity, boundary, resource or service: the layer that decided."
    )
    explanation = serializers.CharField(help_text="The decision in a sentence (a denial as AWS words it).")

    @extend_schema_field(PermissionsBoundaryDecisionOut(allow_null=True))
    def get_permissions_boundary_decision_detail(
        self, result: simulation.ResourceSpecificResult
    ) -> dict | None:
        return _boundary_detail(result.allowed_by_permissions_boundary)


class EvaluationResultOut(serializers.Serializer):
    """One action on every resource asked for (AWS's EvaluationResult): the aggregate decision, and
    each resource's own in resource_specific_results."""

    eval_action_name = serializers.CharField()
    eval_resource_name = serializers.CharField(
        help_text='The ARN template of the action\'s resource type, or "*" (always "*" here: the '
        "catalogue records no resource types). Each resource's name is in resource_specific_results."
    )
    eval_decision = serializers.CharField(
        help_text="allowed, explicitDeny or implicitDeny: the most restrictive over the resources."
    )
    decided_by = serializers.CharField(
        help_text="identity, boundary, resource or service: the layer that decided (the first "
        "resource with the top-level decision)."
    )
    matched_statements = SimulatedStatementOut(
        many=True, help_text="The union of the statements that decided the top-level decision."
    )
    missing_context_values = serializers.ListField(
        child=serializers.CharField(),
        help_text='Condition keys not given: here when the resources are "*", else per resource.',
    )
    permissions_boundary_decision_detail = serializers.SerializerMethodField()
    eval_decision_details = serializers.DictField(
        child=serializers.CharField(),
        allow_null=True,
        help_text='EvalDecisionDetails: null for "*" in one account, {} for named resources in one '
        'account; across accounts each policy type\'s most restrictive decision ("IAM Policy", '
        '"Resource Policy").',
    )
    resource_specific_results = ResourceSpecificResultOut(
        many=True, help_text='Each resource asked for, in order; none when the resources are "*".'
    )
    explanation = serializers.CharField(
        help_text="The decision in a sentence: a single resource's own, or how the resources' decisions "
        "add up."
    )

    @extend_schema_field(PermissionsBoundaryDecisionOut(allow_null=True))
    def get_permissions_boundary_decision_detail(self, result: simulation.EvaluationResult) -> dict | None:
        return _boundary_detail(result.allowed_by_permissions_boundary)  # None: no boundary simulated


RESULT_PAGE = paginated(
    EvaluationResultOut,
    "EvaluationResultList",
    "A page of results: one per action, in the order given (a page may hold fewer than max_items "
    "actions when there are many resources: is_truncated says more follow).",
)


def _context_entries(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """REST context entries as the selectors take them (AWS's ContextEntry members)."""
    return [
        {
            "ContextKeyName": entry["context_key_name"],
            "ContextKeyValues": entry["context_key_values"],
            "ContextKeyType": entry["context_key_type"],
        }
        for entry in entries
    ]


class SimulationQuery(PageQuery):
    pass


SIMULATION_ERRORS = (
    "ValidationError naming the field, or InvalidInput: a context value its type cannot read, a key "
    "given twice, several values for a single-valued type, a resource that is not an ARN, a bad "
    "resource_owner or caller_arn, a resource_policy without the caller_arn it needs, a control "
    "character in an action name, resource or caller_arn, policy documents of more than "
    f"{simulation.MAX_GIVEN_POLICY_CHARACTERS} characters in all"
)


def _resource_side(data: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments both simulations take besides the policies."""
    return {
        "action_names": data["action_names"],
        "resource_arns": data.get("resource_arns"),
        "resource_policy": data.get("resource_policy"),
        "resource_owner": data.get("resource_owner"),
        "caller_arn": data.get("caller_arn"),
        "context_entries": _context_entries(data.get("context_entries", [])),
        "resource_handling_option": data.get("resource_handling_option"),
    }


class SimulationViewSet(IamViewSet):
    """/api/v1/simulation/principal/ and /api/v1/simulation/custom/: what policies decide, without
    doing anything (a read: nothing is audited but a denial)."""

    @extend_schema(
        operation_id="SimulatePrincipalPolicy",
        summary="Simulate a principal's policies",
        description=(
            "SimulatePrincipalPolicy (iam:SimulatePrincipalPolicy on the principal's ARN): each action "
            "on each resource, against the policies of a user (with its groups'), group or role of "
            "the caller's account and its permissions boundary. Only the context entries given are "
            "known (supply aws:username and the like, as in AWS). One result per action (the most "
            "restrictive decision over the resources; each resource's in resource_specific_results), "
            "a page of actions at a time: `?marker=&max_items=`."
        ),
        parameters=[SimulationQuery],
        request=SimulatePrincipalPolicyIn,
        responses={
            200: RESULT_PAGE,
            **errors(
                e400=f"{SIMULATION_ERRORS}, or an ARN that names no user, group or role.",
                e404="NoSuchEntity: no such user, group or role in the caller's account.",
            ),
        },
        tags=[TAG_SIMULATION],
    )
    @action(detail=False, methods=["post"], url_path="principal", url_name="principal")
    def principal(self, request: Request) -> Response:
        query, data = self.query(SimulationQuery), self.body(SimulatePrincipalPolicyIn)
        page = simulation.simulate_principal_policy(
            self.ctx,
            policy_source_arn=data["policy_source_arn"],
            policy_input_list=data.get("policy_input_list"),
            permissions_boundary_policy_input_list=data.get("permissions_boundary_policy_input_list"),
            **_resource_side(data),
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        return page_response(page, EvaluationResultOut)

    @extend_schema(
        operation_id="SimulateCustomPolicy",
        summary="Simulate policy documents",
        description=(
            "SimulateCustomPolicy (iam:SimulateCustomPolicy on *): each action on each resource, against "
            "the identity policy documents given and at most one permissions boundary document, as "
            "requests of the caller. One result per action (the most restrictive decision over the "
            "resources; each resource's in resource_specific_results), a page of actions at a time: "
            "`?marker=&max_items=`."
        ),
        parameters=[SimulationQuery],
        request=SimulateCustomPolicyIn,
        responses={
            200: RESULT_PAGE,
            **errors(
                e400=f"{SIMULATION_ERRORS}; MalformedPolicyDocument naming the input (PolicyInputList.N: "
                "the engine's message, with line and column)."
            ),
        },
        tags=[TAG_SIMULATION],
    )
    @action(detail=False, methods=["post"], url_path="custom", url_name="custom")
    def custom(self, request: Request) -> Response:
        query, data = self.query(SimulationQuery), self.body(SimulateCustomPolicyIn)
        page = simulation.simulate_custom_policy(
            self.ctx,
            policy_input_list=data["policy_input_list"],
            permissions_boundary_policy_input_list=data.get("permissions_boundary_policy_input_list"),
            **_resource_side(data),
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        return page_response(page, EvaluationResultOut)

    @extend_schema(
        operation_id="GetContextKeysForPrincipalPolicy",
        summary="List the context keys of a principal's policies",
        description=(
            "GetContextKeysForPrincipalPolicy (iam:GetContextKeysForPrincipalPolicy on the principal's "
            "ARN): the condition keys and policy variables of a user's (with its groups'), group's or "
            "role's identity policies (not its permissions boundary, as in AWS), and of the documents "
            "given: the keys a simulation may need."
        ),
        request=GetContextKeysForPrincipalPolicyIn,
        responses={
            200: ContextKeysOut,
            **errors(
                e400="ValidationError naming the field; InvalidInput: an ARN that names no user, group "
                "or role; MalformedPolicyDocument naming the input (PolicyInputList.N).",
                e404="NoSuchEntity: no such user, group or role in the caller's account.",
            ),
        },
        tags=[TAG_SIMULATION],
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="context-keys/principal",
        url_name="context-keys-principal",
    )
    def context_keys_principal(self, request: Request) -> Response:
        data = self.body(GetContextKeysForPrincipalPolicyIn)
        keys = context_keys.get_context_keys_for_principal_policy(
            self.ctx,
            policy_source_arn=data["policy_source_arn"],
            policy_input_list=data.get("policy_input_list"),
        )
        return Response(ContextKeysOut({"context_key_names": keys}).data)

    @extend_schema(
        operation_id="GetContextKeysForCustomPolicy",
        summary="List the context keys of policy documents",
        description=(
            "GetContextKeysForCustomPolicy (iam:GetContextKeysForCustomPolicy on *): the condition keys "
            "and policy variables of the documents given."
        ),
        request=GetContextKeysForCustomPolicyIn,
        responses={
            200: ContextKeysOut,
            **errors(
                e400="ValidationError naming the field; MalformedPolicyDocument naming the input "
                "(PolicyInputList.N)."
            ),
        },
        tags=[TAG_SIMULATION],
    )
    @action(detail=False, methods=["post"], url_path="context-keys/custom", url_name="context-keys-custom")
    def context_keys_custom(self, request: Request) -> Response:
        data = self.body(GetContextKeysForCustomPolicyIn)
        keys = context_keys.get_context_keys_for_custom_policy(
            self.ctx, policy_input_list=data["policy_input_list"]
        )
        return Response(ContextKeysOut({"context_key_names": keys}).data)


ROUTES: list[tuple[str, type, str]] = [
    ("policies", PolicyViewSet, "policy"),
    ("policy-validation", PolicyValidationViewSet, "policy-validation"),
    ("simulation", SimulationViewSet, "simulation"),
]
