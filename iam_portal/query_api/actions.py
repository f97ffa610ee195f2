"""The action table: each Query API action → one service or selector, its members → keyword arguments,
and the function that shapes its return value into the `<ActionResult>` members.

Member names and types are the botocore IAM model's (2010-05-08) and STS model's (2011-06-15). Members
a service does not support (e.g. MaxSigninSessionDuration) are not listed and so are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from accounts.context import RequestContext
from accounts.selectors import access_advisor as advisor_reads
from accounts.selectors import access_keys as access_key_reads
from accounts.selectors import account as account_reads
from accounts.selectors import authorization_details as authorization_reads
from accounts.selectors import credential_report as report_reads
from accounts.selectors import groups as group_reads
from accounts.selectors import mfa as mfa_reads
from accounts.selectors import passwords as password_reads
from accounts.selectors import policy_attachments as attachment_reads
from accounts.selectors import roles as role_reads
from accounts.selectors import sts as sts_reads
from accounts.selectors import users as user_reads
from accounts.services import (
    access_advisor,
    access_keys,
    account,
    credential_report,
    groups,
    mfa,
    passwords,
    policy_attachments,
    roles,
    sts,
    users,
)
from policies import context_keys, simulation
from policies import selectors as policy_reads
from policies import services as policy_services

from . import render
from .params import MISSING, decode, missing_member

IAM_VERSION = "2010-05-08"
STS_VERSION = "2011-06-15"
PAGING = {"Marker": "marker", "MaxItems": "max_items"}


@dataclass(frozen=True)
class Action:
    """One operation: `function(ctx, **kwargs)`; `params` maps AWS members to keyword arguments;
    `result` turns the return value into result members (None: the action has no output)."""

    function: Callable[..., Any]
    params: Mapping[str, str] = field(default_factory=dict)
    result: Callable[[Any], render.Result] | None = None
    required: tuple[str, ...] = ()

    def keyword_arguments(self, request_params: Mapping[str, str]) -> dict[str, Any]:
        """The members the request sends, decoded; a missing required member is a ValidationError."""
        kwargs = {}
        for member, keyword in self.params.items():
            value = decode(request_params, member)
            if value is MISSING:
                if member in self.required:
                    raise missing_member(member)
                continue
            kwargs[keyword] = value
        return kwargs

    def run(self, ctx: RequestContext, request_params: Mapping[str, str]) -> render.Result | None:
        returned = self.function(ctx, **self.keyword_arguments(request_params))
        return self.result(returned) if self.result else None


# --- Result shapes -------------------------------------------------------------------------------


def _user(u: Any) -> render.Result:
    return {"User": render.user(u, detail=True)}


def _group(g: Any) -> render.Result:
    return {"Group": render.group(g)}


def _group_with_users(found: Any) -> render.Result:
    return {"Group": render.group(found.group), **render.page("Users", found.users, render.user)}


def _role(r: Any) -> render.Result:
    return {"Role": render.role(r, detail=True)}


def _policy(p: Any) -> render.Result:
    return {"Policy": render.policy(p, detail=True)}


def _policy_version(v: Any) -> render.Result:
    return {"PolicyVersion": render.policy_version(v)}


def _tag(pair: tuple[str, str]) -> render.Result:
    return {"Key": pair[0], "Value": pair[1]}


def _listed(member: str, shape: Callable[[Any], Any] | None = None) -> Callable[[Any], render.Result]:
    """A List* result whose items go under `member`, each shaped by `shape`."""
    return lambda found: render.page(member, found, shape)


def _entities(found: Any) -> render.Result:
    """ListEntitiesForPolicy's PolicyGroups, PolicyUsers and PolicyRoles."""
    return {
        "PolicyGroups": [{"GroupName": g.group_name, "GroupId": g.group_id} for g in found.groups],
        "PolicyUsers": [{"UserName": u.user_name, "UserId": u.user_id} for u in found.users],
        "PolicyRoles": [{"RoleName": r.role_name, "RoleId": r.role_id} for r in found.roles],
        "IsTruncated": found.is_truncated,
        "Marker": found.marker,
    }


def _inline(entity: str) -> Callable[[Any], render.Result]:
    """Get{User,Group,Role}Policy: the entity's name, the policy name and the URL-encoded document."""
    return lambda p: {
        entity: p.entity_name,
        "PolicyName": p.policy_name,
        "PolicyDocument": render.policy_document(p.policy_document),
    }


def _access_key_last_used(found: Any) -> render.Result:
    return {
        "UserName": found.user_name,
        "AccessKeyLastUsed": {
            "LastUsedDate": found.last_used_date,
            "ServiceName": found.service_name,
            "Region": found.region,
        },
    }


def _new_virtual_mfa_device(new: Any) -> render.Result:
    device = render.virtual_mfa_device(new.device, seed=new.base32_string_seed, qr_code_png=new.qr_code_png)
    return {"VirtualMFADevice": device}


# --- IAM -----------------------------------------------------------------------------------------

USERS = {
    "CreateUser": Action(
        users.create_user,
        {
            "Path": "path",
            "UserName": "user_name",
            "PermissionsBoundary": "permissions_boundary",
            "Tags": "tags",
        },
        _user,
        ("UserName",),
    ),
    "GetUser": Action(user_reads.get_user, {"UserName": "user_name"}, _user),
    "ListUsers": Action(
        user_reads.list_users, {"PathPrefix": "path_prefix", **PAGING}, _listed("Users", render.user)
    ),
    "UpdateUser": Action(
        users.update_user,
        {"UserName": "user_name", "NewPath": "new_path", "NewUserName": "new_user_name"},
        required=("UserName",),
    ),
    "DeleteUser": Action(users.delete_user, {"UserName": "user_name"}, required=("UserName",)),
    "TagUser": Action(
        users.tag_user, {"UserName": "user_name", "Tags": "tags"}, required=("UserName", "Tags")
    ),
    "UntagUser": Action(
        users.untag_user,
        {"UserName": "user_name", "TagKeys": "tag_keys"},
        required=("UserName", "TagKeys"),
    ),
    "ListUserTags": Action(
        user_reads.list_user_tags, {"UserName": "user_name", **PAGING}, _listed("Tags", _tag), ("UserName",)
    ),
}

GROUPS = {
    "CreateGroup": Action(
        groups.create_group, {"Path": "path", "GroupName": "group_name"}, _group, ("GroupName",)
    ),
    "GetGroup": Action(
        group_reads.get_group, {"GroupName": "group_name", **PAGING}, _group_with_users, ("GroupName",)
    ),
    "ListGroups": Action(
        group_reads.list_groups, {"PathPrefix": "path_prefix", **PAGING}, _listed("Groups", render.group)
    ),
    "UpdateGroup": Action(
        groups.update_group,
        {"GroupName": "group_name", "NewPath": "new_path", "NewGroupName": "new_group_name"},
        required=("GroupName",),
    ),
    "DeleteGroup": Action(groups.delete_group, {"GroupName": "group_name"}, required=("GroupName",)),
    "AddUserToGroup": Action(
        groups.add_user_to_group,
        {"GroupName": "group_name", "UserName": "user_name"},
        required=("GroupName", "UserName"),
    ),
    "RemoveUserFromGroup": Action(
        groups.remove_user_from_group,
        {"GroupName": "group_name", "UserName": "user_name"},
        required=("GroupName", "UserName"),
    ),
    "ListGroupsForUser": Action(
        group_reads.list_groups_for_user,
        {"UserName": "user_name", **PAGING},
        _listed("Groups", render.group),
        ("UserName",),
    ),
}

ROLES = {
    "CreateRole": Action(
        roles.create_role,
        {
            "Path": "path",
            "RoleName": "role_name",
            "AssumeRolePolicyDocument": "assume_role_policy_document",
            "Description": "description",
            "MaxSessionDuration": "max_session_duration",
            "PermissionsBoundary": "permissions_boundary",
            "Tags": "tags",
        },
        _role,
        ("RoleName", "AssumeRolePolicyDocument"),
    ),
    "GetRole": Action(role_reads.get_role, {"RoleName": "role_name"}, _role, ("RoleName",)),
    "ListRoles": Action(
        role_reads.list_roles, {"PathPrefix": "path_prefix", **PAGING}, _listed("Roles", render.role)
    ),
    "UpdateRole": Action(
        roles.update_role,
        {"RoleName": "role_name", "Description": "description", "MaxSessionDuration": "max_session_duration"},
        required=("RoleName",),
    ),
    "UpdateAssumeRolePolicy": Action(
        roles.update_assume_role_policy,
        {"RoleName": "role_name", "PolicyDocument": "policy_document"},
        required=("RoleName", "PolicyDocument"),
    ),
    "DeleteRole": Action(roles.delete_role, {"RoleName": "role_name"}, required=("RoleName",)),
    "TagRole": Action(
        roles.tag_role, {"RoleName": "role_name", "Tags": "tags"}, required=("RoleName", "Tags")
    ),
    "UntagRole": Action(
        roles.untag_role,
        {"RoleName": "role_name", "TagKeys": "tag_keys"},
        required=("RoleName", "TagKeys"),
    ),
    "ListRoleTags": Action(
        role_reads.list_role_tags, {"RoleName": "role_name", **PAGING}, _listed("Tags", _tag), ("RoleName",)
    ),
}

MANAGED_POLICIES = {
    "CreatePolicy": Action(
        policy_services.create_policy,
        {
            "PolicyName": "policy_name",
            "Path": "path",
            "PolicyDocument": "policy_document",
            "Description": "description",
            "Tags": "tags",
        },
        _policy,
        ("PolicyName", "PolicyDocument"),
    ),
    "GetPolicy": Action(policy_reads.get_policy, {"PolicyArn": "policy_arn"}, _policy, ("PolicyArn",)),
    "ListPolicies": Action(
        policy_reads.list_policies,
        {
            "Scope": "scope",
            "OnlyAttached": "only_attached",
            "PathPrefix": "path_prefix",
            "PolicyUsageFilter": "policy_usage_filter",
            **PAGING,
        },
        _listed("Policies", render.policy),
    ),
    "DeletePolicy": Action(
        policy_services.delete_policy, {"PolicyArn": "policy_arn"}, required=("PolicyArn",)
    ),
    "CreatePolicyVersion": Action(
        policy_services.create_policy_version,
        {"PolicyArn": "policy_arn", "PolicyDocument": "policy_document", "SetAsDefault": "set_as_default"},
        _policy_version,
        ("PolicyArn", "PolicyDocument"),
    ),
    "GetPolicyVersion": Action(
        policy_reads.get_policy_version,
        {"PolicyArn": "policy_arn", "VersionId": "version_id"},
        _policy_version,
        ("PolicyArn", "VersionId"),
    ),
    "ListPolicyVersions": Action(
        policy_reads.list_policy_versions,
        {"PolicyArn": "policy_arn", **PAGING},
        _listed("Versions", lambda v: render.policy_version(v, with_document=False)),
        ("PolicyArn",),
    ),
    "DeletePolicyVersion": Action(
        policy_services.delete_policy_version,
        {"PolicyArn": "policy_arn", "VersionId": "version_id"},
        required=("PolicyArn", "VersionId"),
    ),
    "SetDefaultPolicyVersion": Action(
        policy_services.set_default_policy_version,
        {"PolicyArn": "policy_arn", "VersionId": "version_id"},
        required=("PolicyArn", "VersionId"),
    ),
    "TagPolicy": Action(
        policy_services.tag_policy,
        {"PolicyArn": "policy_arn", "Tags": "tags"},
        required=("PolicyArn", "Tags"),
    ),
    "UntagPolicy": Action(
        policy_services.untag_policy,
        {"PolicyArn": "policy_arn", "TagKeys": "tag_keys"},
        required=("PolicyArn", "TagKeys"),
    ),
    "ListPolicyTags": Action(
        policy_reads.list_policy_tags,
        {"PolicyArn": "policy_arn", **PAGING},
        _listed("Tags", _tag),
        ("PolicyArn",),
    ),
    "ListEntitiesForPolicy": Action(
        policy_reads.list_entities_for_policy,
        {
            "PolicyArn": "policy_arn",
            "EntityFilter": "entity_filter",
            "PathPrefix": "path_prefix",
            "PolicyUsageFilter": "policy_usage_filter",
            **PAGING,
        },
        _entities,
        ("PolicyArn",),
    ),
}


def _attachment_actions(entity: str, attach: Callable, detach: Callable, listing: Callable) -> dict:
    """Attach{E}Policy, Detach{E}Policy and ListAttached{E}Policies of User, Group or Role."""
    name = f"{entity.lower()}_name"
    members = {f"{entity}Name": name, "PolicyArn": "policy_arn"}
    required = (f"{entity}Name", "PolicyArn")
    return {
        f"Attach{entity}Policy": Action(attach, members, required=required),
        f"Detach{entity}Policy": Action(detach, members, required=required),
        f"ListAttached{entity}Policies": Action(
            listing,
            {f"{entity}Name": name, "PathPrefix": "path_prefix", **PAGING},
            _listed("AttachedPolicies", render.attached_policy),
            (f"{entity}Name",),
        ),
    }


def _inline_actions(entity: str, put: Callable, get: Callable, listing: Callable, delete: Callable) -> dict:
    """Put{E}Policy, Get{E}Policy, List{E}Policies and Delete{E}Policy of User, Group or Role."""
    name_member = f"{entity}Name"
    name = f"{entity.lower()}_name"
    named = {name_member: name, "PolicyName": "policy_name"}
    return {
        f"Put{entity}Policy": Action(
            put,
            {**named, "PolicyDocument": "policy_document"},
            required=(name_member, "PolicyName", "PolicyDocument"),
        ),
        f"Get{entity}Policy": Action(get, named, _inline(name_member), (name_member, "PolicyName")),
        f"List{entity}Policies": Action(
            listing, {name_member: name, **PAGING}, _listed("PolicyNames"), (name_member,)
        ),
        f"Delete{entity}Policy": Action(delete, named, required=(name_member, "PolicyName")),
    }


ATTACHMENTS = {
    **_attachment_actions(
        "User",
        policy_attachments.attach_user_policy,
        policy_attachments.detach_user_policy,
        attachment_reads.list_attached_user_policies,
    ),
    **_attachment_actions(
        "Group",
        policy_attachments.attach_group_policy,
        policy_attachments.detach_group_policy,
        attachment_reads.list_attached_group_policies,
    ),
    **_attachment_actions(
        "Role",
        policy_attachments.attach_role_policy,
        policy_attachments.detach_role_policy,
        attachment_reads.list_attached_role_policies,
    ),
}

INLINE_POLICIES = {
    **_inline_actions(
        "User",
        policy_attachments.put_user_policy,
        attachment_reads.get_user_policy,
        attachment_reads.list_user_policies,
        policy_attachments.delete_user_policy,
    ),
    **_inline_actions(
        "Group",
        policy_attachments.put_group_policy,
        attachment_reads.get_group_policy,
        attachment_reads.list_group_policies,
        policy_attachments.delete_group_policy,
    ),
    **_inline_actions(
        "Role",
        policy_attachments.put_role_policy,
        attachment_reads.get_role_policy,
        attachment_reads.list_role_policies,
        policy_attachments.delete_role_policy,
    ),
}

BOUNDARIES = {
    "PutUserPermissionsBoundary": Action(
        policy_attachments.put_user_permissions_boundary,
        {"UserName": "user_name", "PermissionsBoundary": "permissions_boundary"},
        required=("UserName", "PermissionsBoundary"),
    ),
    "DeleteUserPermissionsBoundary": Action(
        policy_attachments.delete_user_permissions_boundary, {"UserName": "user_name"}, required=("UserName",)
    ),
    "PutRolePermissionsBoundary": Action(
        policy_attachments.put_role_permissions_boundary,
        {"RoleName": "role_name", "PermissionsBoundary": "permissions_boundary"},
        required=("RoleName", "PermissionsBoundary"),
    ),
    "DeleteRolePermissionsBoundary": Action(
        policy_attachments.delete_role_permissions_boundary, {"RoleName": "role_name"}, required=("RoleName",)
    ),
}

ACCESS_KEYS = {
    "CreateAccessKey": Action(
        access_keys.create_access_key,
        {"UserName": "user_name"},
        lambda k: {"AccessKey": render.access_key(k)},
    ),
    "UpdateAccessKey": Action(
        access_keys.update_access_key,
        {"UserName": "user_name", "AccessKeyId": "access_key_id", "Status": "status"},
        required=("AccessKeyId", "Status"),
    ),
    "DeleteAccessKey": Action(
        access_keys.delete_access_key,
        {"UserName": "user_name", "AccessKeyId": "access_key_id"},
        required=("AccessKeyId",),
    ),
    "ListAccessKeys": Action(
        access_key_reads.list_access_keys,
        {"UserName": "user_name", **PAGING},
        _listed("AccessKeyMetadata", render.access_key_metadata),
    ),
    "GetAccessKeyLastUsed": Action(
        access_key_reads.get_access_key_last_used,
        {"AccessKeyId": "access_key_id"},
        _access_key_last_used,
        ("AccessKeyId",),
    ),
}

PASSWORDS = {
    "CreateLoginProfile": Action(
        passwords.create_login_profile,
        {"UserName": "user_name", "Password": "password", "PasswordResetRequired": "password_reset_required"},
        lambda p: {"LoginProfile": render.login_profile(p)},
        ("Password",),
    ),
    "GetLoginProfile": Action(
        password_reads.get_login_profile,
        {"UserName": "user_name"},
        lambda p: {"LoginProfile": render.login_profile(p)},
    ),
    "UpdateLoginProfile": Action(
        passwords.update_login_profile,
        {"UserName": "user_name", "Password": "password", "PasswordResetRequired": "password_reset_required"},
        required=("UserName",),
    ),
    "DeleteLoginProfile": Action(passwords.delete_login_profile, {"UserName": "user_name"}),
    "ChangePassword": Action(
        passwords.change_password,
        {"OldPassword": "old_password", "NewPassword": "new_password"},
        required=("OldPassword", "NewPassword"),
    ),
    "UpdateAccountPasswordPolicy": Action(
        passwords.update_account_password_policy,
        {
            "MinimumPasswordLength": "minimum_password_length",
            "RequireSymbols": "require_symbols",
            "RequireNumbers": "require_numbers",
            "RequireUppercaseCharacters": "require_uppercase_characters",
            "RequireLowercaseCharacters": "require_lowercase_characters",
            "AllowUsersToChangePassword": "allow_users_to_change_password",
            "MaxPasswordAge": "max_password_age",
            "PasswordReusePrevention": "password_reuse_prevention",
            "HardExpiry": "hard_expiry",
        },
    ),
    "GetAccountPasswordPolicy": Action(
        password_reads.get_account_password_policy,
        result=lambda p: {"PasswordPolicy": render.password_policy(p)},
    ),
    "DeleteAccountPasswordPolicy": Action(passwords.delete_account_password_policy),
}

_MFA_CODES = {
    "UserName": "user_name",
    "SerialNumber": "serial_number",
    "AuthenticationCode1": "authentication_code_1",
    "AuthenticationCode2": "authentication_code_2",
}

MFA_DEVICES = {
    "CreateVirtualMFADevice": Action(
        mfa.create_virtual_mfa_device,
        {"Path": "path", "VirtualMFADeviceName": "virtual_mfa_device_name", "Tags": "tags"},
        _new_virtual_mfa_device,
        ("VirtualMFADeviceName",),
    ),
    "EnableMFADevice": Action(
        mfa.enable_mfa_device,
        _MFA_CODES,
        required=("SerialNumber", "AuthenticationCode1", "AuthenticationCode2"),
    ),
    "ResyncMFADevice": Action(
        mfa.resync_mfa_device,
        _MFA_CODES,
        required=("SerialNumber", "AuthenticationCode1", "AuthenticationCode2"),
    ),
    "DeactivateMFADevice": Action(
        mfa.deactivate_mfa_device,
        {"UserName": "user_name", "SerialNumber": "serial_number"},
        required=("SerialNumber",),
    ),
    "DeleteVirtualMFADevice": Action(
        mfa.delete_virtual_mfa_device, {"SerialNumber": "serial_number"}, required=("SerialNumber",)
    ),
    "ListMFADevices": Action(
        mfa_reads.list_mfa_devices,
        {"UserName": "user_name", **PAGING},
        _listed("MFADevices", render.mfa_device),
    ),
    "ListVirtualMFADevices": Action(
        mfa_reads.list_virtual_mfa_devices,
        {"AssignmentStatus": "assignment_status", **PAGING},
        _listed("VirtualMFADevices", render.virtual_mfa_device),
    ),
    "TagMFADevice": Action(
        mfa.tag_mfa_device,
        {"SerialNumber": "serial_number", "Tags": "tags"},
        required=("SerialNumber", "Tags"),
    ),
    "UntagMFADevice": Action(
        mfa.untag_mfa_device,
        {"SerialNumber": "serial_number", "TagKeys": "tag_keys"},
        required=("SerialNumber", "TagKeys"),
    ),
    "ListMFADeviceTags": Action(
        mfa_reads.list_mfa_device_tags,
        {"SerialNumber": "serial_number", **PAGING},
        _listed("Tags", _tag),
        ("SerialNumber",),
    ),
}

ACCOUNT = {
    "CreateAccountAlias": Action(
        account.create_account_alias, {"AccountAlias": "account_alias"}, required=("AccountAlias",)
    ),
    "DeleteAccountAlias": Action(
        account.delete_account_alias, {"AccountAlias": "account_alias"}, required=("AccountAlias",)
    ),
    "ListAccountAliases": Action(account_reads.list_account_aliases, PAGING, _listed("AccountAliases")),
    "GetAccountSummary": Action(
        account_reads.get_account_summary, result=lambda s: {"SummaryMap": render.Entries(s)}
    ),
    "GenerateCredentialReport": Action(
        credential_report.generate_credential_report, result=render.credential_report_state
    ),
    "GetCredentialReport": Action(report_reads.get_credential_report, result=render.credential_report),
    "GetAccountAuthorizationDetails": Action(
        authorization_reads.get_account_authorization_details,
        {"Filter": "filter", **PAGING},
        lambda found: authorization_reads.as_aws(found, render.policy_document),  # documents URL-encoded
    ),
}

# SimulatePrincipalPolicy, SimulateCustomPolicy and the context keys of their policies (reads).
_SIMULATION_INPUT = {
    "PolicyInputList": "policy_input_list",
    "PermissionsBoundaryPolicyInputList": "permissions_boundary_policy_input_list",
    "ActionNames": "action_names",
    "ResourceArns": "resource_arns",
    "ResourcePolicy": "resource_policy",
    "ResourceOwner": "resource_owner",
    "CallerArn": "caller_arn",
    "ContextEntries": "context_entries",
    "ResourceHandlingOption": "resource_handling_option",
    **PAGING,
}
SIMULATION = {
    "SimulatePrincipalPolicy": Action(
        simulation.simulate_principal_policy,
        {"PolicySourceArn": "policy_source_arn", **_SIMULATION_INPUT},
        render.simulation_results,
        ("PolicySourceArn", "ActionNames"),
    ),
    "SimulateCustomPolicy": Action(
        simulation.simulate_custom_policy,
        _SIMULATION_INPUT,
        render.simulation_results,
        ("PolicyInputList", "ActionNames"),
    ),
    "GetContextKeysForPrincipalPolicy": Action(
        context_keys.get_context_keys_for_principal_policy,
        {"PolicySourceArn": "policy_source_arn", "PolicyInputList": "policy_input_list"},
        render.context_key_names,
        ("PolicySourceArn",),
    ),
    "GetContextKeysForCustomPolicy": Action(
        context_keys.get_context_keys_for_custom_policy,
        {"PolicyInputList": "policy_input_list"},
        render.context_key_names,
        ("PolicyInputList",),
    ),
}

# Access advisor: service last accessed, from the audit log (GenerateServiceLastAccessedDetails).
ACCESS_ADVISOR = {
    "GenerateServiceLastAccessedDetails": Action(
        access_advisor.generate_service_last_accessed_details,
        {"Arn": "arn", "Granularity": "granularity"},
        lambda job: {"JobId": job.job_id},
        ("Arn",),
    ),
    "GetServiceLastAccessedDetails": Action(
        advisor_reads.get_service_last_accessed_details,
        {"JobId": "job_id", **PAGING},
        render.service_last_accessed_details,
        ("JobId",),
    ),
    "GetServiceLastAccessedDetailsWithEntities": Action(
        advisor_reads.get_service_last_accessed_details_with_entities,
        {"JobId": "job_id", "ServiceNamespace": "service_namespace", **PAGING},
        render.service_last_accessed_entities,
        ("JobId", "ServiceNamespace"),
    ),
}

IAM_ACTIONS: dict[str, Action] = {
    **USERS,
    **GROUPS,
    **ROLES,
    **MANAGED_POLICIES,
    **ATTACHMENTS,
    **INLINE_POLICIES,
    **BOUNDARIES,
    **ACCESS_KEYS,
    **PASSWORDS,
    **MFA_DEVICES,
    **ACCOUNT,
    **ACCESS_ADVISOR,
    **SIMULATION,
}


# --- STS -----------------------------------------------------------------------------------------


STS_ACTIONS: dict[str, Action] = {
    "GetCallerIdentity": Action(sts_reads.get_caller_identity, result=lambda identity: identity),
    "GetSessionToken": Action(
        sts.get_session_token,
        {"DurationSeconds": "duration_seconds", "SerialNumber": "serial_number", "TokenCode": "token_code"},
        lambda c: {"Credentials": render.credentials(c)},
    ),
    "AssumeRole": Action(
        sts.assume_role,
        {
            "RoleArn": "role_arn",
            "RoleSessionName": "role_session_name",
            "PolicyArns": "policy_arns",
            "Policy": "policy",
            "DurationSeconds": "duration_seconds",
            "Tags": "tags",
            "ExternalId": "external_id",
            "SerialNumber": "serial_number",
            "TokenCode": "token_code",
            "SourceIdentity": "source_identity",
        },
        render.assumed_role,
        required=("RoleArn", "RoleSessionName"),
    ),
}

ACTIONS_BY_VERSION: dict[str, dict[str, Action]] = {IAM_VERSION: IAM_ACTIONS, STS_VERSION: STS_ACTIONS}
