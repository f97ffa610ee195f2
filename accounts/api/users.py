"""REST resources: users and their tags (docs/rest-api.md).

ListUsers, CreateUser, GetUser, UpdateUser, DeleteUser, ListUserTags, TagUser, UntagUser: each
action parses its input, calls ONE service or selector with the caller's RequestContext, and shapes
the answer; authorization, rules and the audit record are the service's (iam_portal/rest.py).
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.selectors import users as user_reads
from accounts.services import users
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
    name_field,
    page_response,
    paginated,
    path_field,
    path_prefix_field,
    tag_out,
    tags_in,
    tags_out,
)

USER_ORDERINGS = ("user_name", "-user_name", "create_date", "-create_date")
USER_NAME = OpenApiParameter(
    "user_name",
    str,
    OpenApiParameter.PATH,
    pattern=NAME_PATTERN,
    description="The user's name (case-insensitive, as in IAM).",
)
NO_SUCH_USER = "NoSuchEntity: no user of that name in the caller's account."
INVALID = "ValidationError, naming the field (or InvalidInput, as AWS answers)."


# --- Shapes ----------------------------------------------------------------------------------------


class UserSummaryOut(serializers.Serializer):
    """A user as ListUsers returns it (no permissions boundary, no tags)."""

    user_name = serializers.CharField()
    user_id = serializers.CharField(help_text="The stable unique id (AIDA…).")
    arn = serializers.CharField()
    path = serializers.CharField()
    create_date = TimestampField(source="created")
    password_last_used = TimestampField(
        source="last_login", allow_null=True, help_text="When the user last signed in with a password."
    )


class UserOut(UserSummaryOut):
    """A user as GetUser returns it."""

    permissions_boundary = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()

    @extend_schema_field(PermissionsBoundaryOut(allow_null=True))
    def get_permissions_boundary(self, user: User) -> dict[str, str] | None:
        return boundary_out(user.permissions_boundary if user.permissions_boundary_id else None)

    @extend_schema_field(TagOut(many=True))
    def get_tags(self, user: User) -> list[dict[str, str]]:
        return tags_out(user.tags)


class ListUsersQuery(PageQuery):
    path_prefix = path_prefix_field(
        help_text="Only users whose path starts with this (ListUsers' PathPrefix)."
    )
    name_contains = serializers.CharField(
        required=False, max_length=64, help_text="Only users whose name contains this, in any case."
    )
    group = name_field(
        128,
        required=False,
        help_text="Only members of this group (needs iam:ListGroupsForUser on every user).",
    )
    ordering = serializers.ChoiceField(
        USER_ORDERINGS, default="user_name", help_text="Sort key; a leading '-' sorts descending."
    )


class CreateUserIn(serializers.Serializer):
    user_name = name_field(users.USER_NAME_MAX)
    path = path_field(default="/")
    permissions_boundary = serializers.CharField(
        required=False,
        allow_null=True,
        min_length=20,
        max_length=2048,
        help_text="ARN of the managed policy that limits the user's permissions.",
    )
    tags = TagIn(many=True, required=False, max_length=validation.MAX_TAGS)


class UpdateUserIn(serializers.Serializer):
    new_user_name = name_field(users.USER_NAME_MAX, required=False)
    new_path = path_field(required=False)


# --- Resources -------------------------------------------------------------------------------------


class UserViewSet(IamViewSet):
    """/api/v1/users/: IAM users of the caller's account, and their tags."""

    lookup_field = "user_name"
    lookup_value_regex = r"[\w+=,.@-]+"

    @extend_schema(
        operation_id="ListUsers",
        summary="List users",
        description="ListUsers (iam:ListUsers), by name unless `ordering` says otherwise.",
        parameters=[ListUsersQuery],
        responses={200: paginated(UserSummaryOut, "UserList", "A page of users."), **errors(e400=INVALID)},
        tags=["users"],
    )
    def list(self, request: Request) -> Response:
        query = self.query(ListUsersQuery)
        # Only the filters given: the selector's defaults (every name, any group, by name) stand.
        filters = {
            "name_contains": query.get("name_contains"),
            "group_name": query.get("group"),
            "order_by": query["ordering"] if query["ordering"] != "user_name" else None,
        }
        page = user_reads.list_users(
            self.ctx,
            path_prefix=query["path_prefix"],
            marker=query.get("marker"),
            max_items=query.get("max_items"),
            **{name: value for name, value in filters.items() if value},
        )
        return page_response(page, UserSummaryOut)

    @extend_schema(
        operation_id="CreateUser",
        summary="Create a user",
        description="CreateUser (iam:CreateUser). A new user can do nothing until a policy allows it.",
        request=CreateUserIn,
        responses={
            201: UserOut,
            **errors(
                e400=INVALID,
                e404="NoSuchEntity: the permissions boundary policy does not exist.",
                e409="EntityAlreadyExists (the name is taken, in any case) or LimitExceeded.",
            ),
        },
        tags=["users"],
    )
    def create(self, request: Request) -> Response:
        data = self.body(CreateUserIn)
        user = users.create_user(
            self.ctx,
            user_name=data["user_name"],
            path=data["path"],
            permissions_boundary=data.get("permissions_boundary"),
            tags=tags_in(data.get("tags", [])),
        )
        location = request.build_absolute_uri(reverse("accounts_api:user-detail", args=[user.user_name]))
        return created(UserOut(user).data, location)

    @extend_schema(
        operation_id="GetUser",
        summary="Get a user",
        description="GetUser (iam:GetUser).",
        parameters=[USER_NAME],
        responses={200: UserOut, **errors(e404=NO_SUCH_USER)},
        tags=["users"],
    )
    def retrieve(self, request: Request, user_name: str) -> Response:
        return Response(UserOut(user_reads.get_user(self.ctx, user_name=user_name)).data)

    @extend_schema(
        operation_id="UpdateUser",
        summary="Rename or move a user",
        description=(
            "UpdateUser (iam:UpdateUser on the user's current and new ARN): a new name and/or path."
        ),
        parameters=[USER_NAME],
        request=UpdateUserIn,
        responses={
            200: UserOut,
            **errors(e400=INVALID, e404=NO_SUCH_USER, e409="EntityAlreadyExists: the new name is taken."),
        },
        tags=["users"],
    )
    def partial_update(self, request: Request, user_name: str) -> Response:
        data = self.body(UpdateUserIn)
        user = users.update_user(
            self.ctx,
            user_name=user_name,
            new_user_name=data.get("new_user_name"),
            new_path=data.get("new_path"),
        )
        return Response(UserOut(user).data)

    @extend_schema(
        operation_id="DeleteUser",
        summary="Delete a user",
        description=(
            "DeleteUser (iam:DeleteUser): only once the user has no login profile, access keys, MFA "
            "devices, policies or group memberships (DeleteConflict otherwise, as in AWS)."
        ),
        parameters=[USER_NAME],
        responses={
            204: None,
            **errors(e404=NO_SUCH_USER, e409="DeleteConflict: something still belongs to the user."),
        },
        tags=["users"],
    )
    def destroy(self, request: Request, user_name: str) -> Response:
        users.delete_user(self.ctx, user_name=user_name)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="ListUserTags",
        summary="List a user's tags",
        description="ListUserTags (iam:ListUserTags), by key.",
        parameters=[USER_NAME, TagListQuery],
        responses={
            200: paginated(TagOut, "TagList", "A page of tags."),
            **errors(e400=INVALID, e404=NO_SUCH_USER),
        },
        tags=["users"],
    )
    @action(detail=True, methods=["get"], url_path="tags")
    def tags(self, request: Request, user_name: str) -> Response:
        query = self.query(TagListQuery)
        page = user_reads.list_user_tags(
            self.ctx, user_name=user_name, marker=query.get("marker"), max_items=query.get("max_items")
        )
        return page_response(page, TagOut, shape=tag_out)

    @extend_schema(
        operation_id="TagUser",
        summary="Tag a user",
        description=(
            "TagUser (iam:TagUser): a key the user has (in any case) gets the new value; at most 50 tags."
        ),
        parameters=[USER_NAME],
        request=TagsIn,
        responses={
            204: None,
            **errors(
                e400=INVALID, e404=NO_SUCH_USER, e409="LimitExceeded: the user would have over 50 tags."
            ),
        },
        tags=["users"],
    )
    @tags.mapping.post
    def tag(self, request: Request, user_name: str) -> Response:
        data = self.body(TagsIn)
        users.tag_user(self.ctx, user_name=user_name, tags=tags_in(data["tags"]))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="UntagUser",
        summary="Remove tags from a user",
        description="UntagUser (iam:UntagUser): keys the user does not have are ignored, as in AWS.",
        parameters=[USER_NAME, UntagQuery],
        responses={204: None, **errors(e400=INVALID, e404=NO_SUCH_USER)},
        tags=["users"],
    )
    @tags.mapping.delete
    def untag(self, request: Request, user_name: str) -> Response:
        query = self.query(UntagQuery)
        users.untag_user(self.ctx, user_name=user_name, tag_keys=query["tag_keys"])
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES = [("users", UserViewSet, "user")]
