"""REST resources: groups, their members and policies, and a user's groups (docs/rest-api/groups.md).

ListGroups, CreateGroup, GetGroup, UpdateGroup, DeleteGroup, AddUserToGroup, RemoveUserFromGroup,
ListGroupsForUser, ListAttachedGroupPolicies, AttachGroupPolicy, DetachGroupPolicy, ListGroupPolicies,
GetGroupPolicy, PutGroupPolicy, DeleteGroupPolicy: each action parses its input, calls ONE service
or selector with the caller's RequestContext, and shapes the answer (iam_portal/rest.py).
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import groups as group_reads
from accounts.selectors import policy_attachments as attachment_reads
from accounts.services import groups, policy_attachments
from iam_portal.rest import (
    NAME_PATTERN,
    IamViewSet,
    PageQuery,
    TimestampField,
    created,
    errors,
    name_contains_field,
    name_field,
    page_response,
    paginated,
    path_field,
    path_prefix_field,
)

from .user_permissions import (
    ATTACHED_PAGE,
    NAME_REGEX,
    NAMES_PAGE,
    POLICY_NAME,
    AttachedPoliciesQuery,
    AttachedPolicyOut,
    AttachPolicyIn,
    DetachPolicyQuery,
    PolicyNameOut,
    PolicyNamesQuery,
    PutPolicyIn,
    policy_name_out,
)
from .users import INVALID, NO_SUCH_USER, USER_NAME, UserSummaryOut

GROUP_NAME = OpenApiParameter(
    "group_name",
    str,
    OpenApiParameter.PATH,
    pattern=NAME_PATTERN,
    description="The group's name (case-insensitive, as in IAM).",
)
MEMBER_NAME = OpenApiParameter(
    "user_name",
    str,
    OpenApiParameter.PATH,
    pattern=NAME_PATTERN,
    description="The member's user name (case-insensitive, as in IAM).",
)
NO_SUCH_GROUP = "NoSuchEntity: no group of that name in the caller's account."
NO_SUCH_GROUP_POLICY = (
    "NoSuchEntity: no such group, or no policy of that name/ARN (AWS's message says which)."
)
TAG = "groups"


# --- Shapes ----------------------------------------------------------------------------------------


class GroupOut(serializers.Serializer):
    """Group, as CreateGroup, GetGroup, ListGroups and ListGroupsForUser return it."""

    group_name = serializers.CharField()
    group_id = serializers.CharField(help_text="The stable unique id (AGPA…).")
    arn = serializers.CharField()
    path = serializers.CharField()
    create_date = TimestampField(source="created")


class ListGroupsQuery(PageQuery):
    path_prefix = path_prefix_field(help_text="Only groups whose path starts with this (PathPrefix).")
    name_contains = name_contains_field("groups")


class GroupPageQuery(PageQuery):
    pass


class CreateGroupIn(serializers.Serializer):
    group_name = name_field(groups.GROUP_NAME_MAX)
    path = path_field(default="/")


class UpdateGroupIn(serializers.Serializer):
    new_group_name = name_field(groups.GROUP_NAME_MAX, required=False)
    new_path = path_field(required=False)


class AddMemberIn(serializers.Serializer):
    user_name = name_field(groups.USER_NAME_MAX, help_text="The user to add.")


class GroupInlinePolicyOut(serializers.Serializer):
    """GetGroupPolicy's answer; the document is the exact string that was put (not URL-encoded)."""

    group_name = serializers.CharField(source="entity_name", help_text="As stored (its case).")
    policy_name = serializers.CharField()
    policy_document = serializers.CharField()


GROUP_PAGE = paginated(GroupOut, "GroupList", "A page of groups.")
MEMBER_PAGE = paginated(UserSummaryOut, "GroupMemberList", "A page of a group's users.")


# --- Resources -------------------------------------------------------------------------------------


class GroupViewSet(IamViewSet):
    """/api/v1/groups/: IAM groups of the caller's account, their members and policies."""

    lookup_field = "group_name"
    lookup_value_regex = NAME_REGEX

    @extend_schema(
        operation_id="ListGroups",
        summary="List groups",
        description="ListGroups (iam:ListGroups), by name.",
        parameters=[ListGroupsQuery],
        responses={200: GROUP_PAGE, **errors(e400=INVALID)},
        tags=[TAG],
    )
    def list(self, request: Request) -> Response:
        query = self.query(ListGroupsQuery)
        page = group_reads.list_groups(
            self.ctx,
            path_prefix=query["path_prefix"],
            name_contains=query.get("name_contains", ""),
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        return page_response(page, GroupOut)

    @extend_schema(
        operation_id="CreateGroup",
        summary="Create a group",
        description="CreateGroup (iam:CreateGroup). A new group has no members and no policies.",
        request=CreateGroupIn,
        responses={
            201: GroupOut,
            **errors(
                e400=INVALID,
                e409="EntityAlreadyExists (the name is taken, in any case) or LimitExceeded (300 groups).",
            ),
        },
        tags=[TAG],
    )
    def create(self, request: Request) -> Response:
        data = self.body(CreateGroupIn)
        group = groups.create_group(self.ctx, group_name=data["group_name"], path=data["path"])
        location = request.build_absolute_uri(reverse("accounts_api:group-detail", args=[group.group_name]))
        return created(GroupOut(group).data, location)

    @extend_schema(
        operation_id="GetGroup",
        summary="Get a group",
        description=(
            "GetGroup (iam:GetGroup): the group itself; its users are GET …/members/ (the rest of "
            "GetGroup's answer, in pages)."
        ),
        parameters=[GROUP_NAME],
        responses={200: GroupOut, **errors(e404=NO_SUCH_GROUP)},
        tags=[TAG],
    )
    def retrieve(self, request: Request, group_name: str) -> Response:
        # GetGroup always reads a page of members; one is enough when only the group is shown.
        found = group_reads.get_group(self.ctx, group_name=group_name, max_items=1)
        return Response(GroupOut(found.group).data)

    @extend_schema(
        operation_id="UpdateGroup",
        summary="Rename or move a group",
        description=(
            "UpdateGroup (iam:UpdateGroup on the group's current and new ARN): a new name and/or path. "
            "Members and policies stay with the group."
        ),
        parameters=[GROUP_NAME],
        request=UpdateGroupIn,
        responses={
            200: GroupOut,
            **errors(e400=INVALID, e404=NO_SUCH_GROUP, e409="EntityAlreadyExists: the new name is taken."),
        },
        tags=[TAG],
    )
    def partial_update(self, request: Request, group_name: str) -> Response:
        data = self.body(UpdateGroupIn)
        group = groups.update_group(
            self.ctx,
            group_name=group_name,
            new_group_name=data.get("new_group_name"),
            new_path=data.get("new_path"),
        )
        return Response(GroupOut(group).data)

    @extend_schema(
        operation_id="DeleteGroup",
        summary="Delete a group",
        description=(
            "DeleteGroup (iam:DeleteGroup): only once it has no members, inline or attached policies "
            "(DeleteConflict otherwise, as in AWS)."
        ),
        parameters=[GROUP_NAME],
        responses={
            204: None,
            **errors(e404=NO_SUCH_GROUP, e409="DeleteConflict: members or policies remain."),
        },
        tags=[TAG],
    )
    def destroy(self, request: Request, group_name: str) -> Response:
        groups.delete_group(self.ctx, group_name=group_name)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # Members ---------------------------------------------------------------------------------------

    @extend_schema(
        # GetGroup answers the group and a page of its users; GET …/{group_name}/ is the group.
        operation_id="GetGroupUsers",
        summary="List a group's users",
        description="GetGroup's Users (iam:GetGroup): the group's members by name, in pages.",
        parameters=[GROUP_NAME, GroupPageQuery],
        responses={200: MEMBER_PAGE, **errors(e400=INVALID, e404=NO_SUCH_GROUP)},
        tags=[TAG],
    )
    @action(detail=True, methods=["get"], url_path="members")
    def members(self, request: Request, group_name: str) -> Response:
        query = self.query(GroupPageQuery)
        found = group_reads.get_group(
            self.ctx, group_name=group_name, marker=query.get("marker"), max_items=query.get("max_items")
        )
        return page_response(found.users, UserSummaryOut)

    @extend_schema(
        operation_id="AddUserToGroup",
        summary="Add a user to a group",
        description=(
            "AddUserToGroup (iam:AddUserToGroup on the group): a user is in at most 10 groups; adding a "
            "member again changes nothing, as in AWS."
        ),
        parameters=[GROUP_NAME],
        request=AddMemberIn,
        responses={
            204: None,
            **errors(
                e400=INVALID,
                e404="NoSuchEntity: no such group or user.",
                e409="LimitExceeded: the user is in 10 groups.",
            ),
        },
        tags=[TAG],
    )
    @members.mapping.post
    def add_member(self, request: Request, group_name: str) -> Response:
        data = self.body(AddMemberIn)
        groups.add_user_to_group(self.ctx, group_name=group_name, user_name=data["user_name"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="RemoveUserFromGroup",
        summary="Remove a user from a group",
        description="RemoveUserFromGroup (iam:RemoveUserFromGroup on the group).",
        parameters=[GROUP_NAME, MEMBER_NAME],
        responses={
            204: None,
            **errors(e404="NoSuchEntity: no such group or user, or the user is not a member."),
        },
        tags=[TAG],
    )
    @action(detail=True, methods=["delete"], url_path=rf"members/(?P<user_name>{NAME_REGEX})")
    def member(self, request: Request, group_name: str, user_name: str) -> Response:
        groups.remove_user_from_group(self.ctx, group_name=group_name, user_name=user_name)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # Managed policies ------------------------------------------------------------------------------

    @extend_schema(
        operation_id="ListAttachedGroupPolicies",
        summary="List a group's managed policies",
        description="ListAttachedGroupPolicies (iam:ListAttachedGroupPolicies), by policy name.",
        parameters=[GROUP_NAME, AttachedPoliciesQuery],
        responses={200: ATTACHED_PAGE, **errors(e400=INVALID, e404=NO_SUCH_GROUP)},
        tags=[TAG],
    )
    @action(detail=True, methods=["get"], url_path="attached-policies")
    def attached_policies(self, request: Request, group_name: str) -> Response:
        query = self.query(AttachedPoliciesQuery)
        page = attachment_reads.list_attached_group_policies(
            self.ctx,
            group_name=group_name,
            path_prefix=query["path_prefix"],
            marker=query.get("marker"),
            max_items=query.get("max_items"),
        )
        return page_response(page, AttachedPolicyOut)

    @extend_schema(
        operation_id="AttachGroupPolicy",
        summary="Attach a managed policy to a group",
        description=(
            "AttachGroupPolicy (iam:AttachGroupPolicy, with iam:PolicyARN): at most 10 per group; every "
            "member gets the policy at once; attaching an attached policy again changes nothing."
        ),
        parameters=[GROUP_NAME],
        request=AttachPolicyIn,
        responses={
            204: None,
            **errors(
                e400="ValidationError naming the field, or InvalidInput: not an ARN.",
                e404="NoSuchEntity: no such group, or the policy does not exist or is not attachable.",
                e409="LimitExceeded: the group has 10 managed policies.",
            ),
        },
        tags=[TAG],
    )
    @attached_policies.mapping.post
    def attach_policy(self, request: Request, group_name: str) -> Response:
        data = self.body(AttachPolicyIn)
        policy_attachments.attach_group_policy(self.ctx, group_name=group_name, policy_arn=data["policy_arn"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="DetachGroupPolicy",
        summary="Detach a managed policy from a group",
        description="DetachGroupPolicy (iam:DetachGroupPolicy, with iam:PolicyARN); the policy itself stays.",
        parameters=[GROUP_NAME, DetachPolicyQuery],
        responses={
            204: None,
            **errors(
                e400="ValidationError naming the field, or InvalidInput: not an ARN.",
                e404="NoSuchEntity: no such group, or the policy is not attached to it.",
            ),
        },
        tags=[TAG],
    )
    @attached_policies.mapping.delete
    def detach_policy(self, request: Request, group_name: str) -> Response:
        query = self.query(DetachPolicyQuery)
        policy_attachments.detach_group_policy(
            self.ctx, group_name=group_name, policy_arn=query["policy_arn"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    # Inline policies -------------------------------------------------------------------------------

    @extend_schema(
        operation_id="ListGroupPolicies",
        summary="List a group's inline policies",
        description="ListGroupPolicies (iam:ListGroupPolicies): the names, in order.",
        parameters=[GROUP_NAME, PolicyNamesQuery],
        responses={200: NAMES_PAGE, **errors(e400=INVALID, e404=NO_SUCH_GROUP)},
        tags=[TAG],
    )
    @action(detail=True, methods=["get"], url_path="policies")
    def policies(self, request: Request, group_name: str) -> Response:
        query = self.query(PolicyNamesQuery)
        page = attachment_reads.list_group_policies(
            self.ctx, group_name=group_name, marker=query.get("marker"), max_items=query.get("max_items")
        )
        return page_response(page, PolicyNameOut, shape=policy_name_out)

    @extend_schema(
        operation_id="GetGroupPolicy",
        summary="Get a group's inline policy",
        description="GetGroupPolicy (iam:GetGroupPolicy): the document exactly as it was put.",
        parameters=[GROUP_NAME, POLICY_NAME],
        responses={200: GroupInlinePolicyOut, **errors(e404=NO_SUCH_GROUP_POLICY)},
        tags=[TAG],
    )
    @action(detail=True, methods=["get"], url_path=rf"policies/(?P<policy_name>{NAME_REGEX})")
    def policy(self, request: Request, group_name: str, policy_name: str) -> Response:
        found = attachment_reads.get_group_policy(self.ctx, group_name=group_name, policy_name=policy_name)
        return Response(GroupInlinePolicyOut(found).data)

    @extend_schema(
        operation_id="PutGroupPolicy",
        summary="Add or replace a group's inline policy",
        description=(
            "PutGroupPolicy (iam:PutGroupPolicy): all the group's inline policies together stay within "
            "5,120 characters (white space not counted)."
        ),
        parameters=[GROUP_NAME, POLICY_NAME],
        request=PutPolicyIn,
        responses={
            204: None,
            **errors(
                e400="ValidationError naming the field, or MalformedPolicyDocument (the engine's message, "
                "with line and column).",
                e404=NO_SUCH_GROUP,
                e409="LimitExceeded: the group's inline policies would exceed 5,120 characters.",
            ),
        },
        tags=[TAG],
    )
    @policy.mapping.put
    def put_policy(self, request: Request, group_name: str, policy_name: str) -> Response:
        data = self.body(PutPolicyIn)
        policy_attachments.put_group_policy(
            self.ctx, group_name=group_name, policy_name=policy_name, policy_document=data["policy_document"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="DeleteGroupPolicy",
        summary="Delete a group's inline policy",
        description="DeleteGroupPolicy (iam:DeleteGroupPolicy).",
        parameters=[GROUP_NAME, POLICY_NAME],
        responses={204: None, **errors(e404=NO_SUCH_GROUP_POLICY)},
        tags=[TAG],
    )
    @policy.mapping.delete
    def delete_policy(self, request: Request, group_name: str, policy_name: str) -> Response:
        policy_attachments.delete_group_policy(self.ctx, group_name=group_name, policy_name=policy_name)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserGroupsViewSet(IamViewSet):
    """/api/v1/users/{user_name}/groups/: the groups a user is in."""

    lookup_field = "user_name"
    lookup_value_regex = NAME_REGEX

    @extend_schema(
        operation_id="ListGroupsForUser",
        summary="List a user's groups",
        description="ListGroupsForUser (iam:ListGroupsForUser on the user), by group name.",
        parameters=[USER_NAME, GroupPageQuery],
        responses={200: GROUP_PAGE, **errors(e400=INVALID, e404=NO_SUCH_USER)},
        tags=["users"],
    )
    @action(detail=True, methods=["get"], url_path="groups")
    def user_groups(self, request: Request, user_name: str) -> Response:
        query = self.query(GroupPageQuery)
        page = group_reads.list_groups_for_user(
            self.ctx, user_name=user_name, marker=query.get("marker"), max_items=query.get("max_items")
        )
        return page_response(page, GroupOut)


ROUTES = [("groups", GroupViewSet, "group"), ("users", UserGroupsViewSet, "user-groups")]
