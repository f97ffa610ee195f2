"""IAM quotas (../shared/reference/QUOTAS.md §2-3, default values): one place for the services that
enforce them and for GetAccountSummary, which reports them.

Names follow GetAccountSummary's SummaryMap keys (QUOTAS.md §6), e.g. USERS_QUOTA is "UsersQuota".
"""

from __future__ import annotations

# Entities per account.
USERS_QUOTA = 5000  # LimitExceeded "Cannot exceed quota for UsersPerAccount: 5000"
GROUPS_QUOTA = 300
ROLES_QUOTA = 1000
POLICIES_QUOTA = 1500  # customer managed policies
INSTANCE_PROFILES_QUOTA = 1000
SERVER_CERTIFICATES_QUOTA = 20
POLICY_VERSIONS_IN_USE_QUOTA = 10000  # managed policy attachments across users, groups and roles
ALIASES_PER_ACCOUNT = 1  # enforced by replacement: CreateAccountAlias overwrites the old alias

# Per entity.
GROUPS_PER_USER_QUOTA = 10
ACCESS_KEYS_PER_USER_QUOTA = 2
SIGNING_CERTIFICATES_PER_USER_QUOTA = 2
ATTACHED_POLICIES_PER_USER_QUOTA = 10
ATTACHED_POLICIES_PER_GROUP_QUOTA = 10
ATTACHED_POLICIES_PER_ROLE_QUOTA = 10
VERSIONS_PER_POLICY_QUOTA = 5
MFA_DEVICES_PER_USER = 8  # not in the SummaryMap

# Policy sizes, in characters not counting white space.
USER_POLICY_SIZE_QUOTA = 2048  # all inline policies of a user together
GROUP_POLICY_SIZE_QUOTA = 5120
ROLE_POLICY_SIZE_QUOTA = 10240
POLICY_SIZE_QUOTA = 6144  # one managed policy document
ASSUME_ROLE_POLICY_SIZE_QUOTA = 2048  # a role's trust policy

SUMMARY_QUOTAS: dict[str, int] = {
    "UsersQuota": USERS_QUOTA,
    "GroupsQuota": GROUPS_QUOTA,
    "RolesQuota": ROLES_QUOTA,
    "PoliciesQuota": POLICIES_QUOTA,
    "InstanceProfilesQuota": INSTANCE_PROFILES_QUOTA,
    "ServerCertificatesQuota": SERVER_CERTIFICATES_QUOTA,
    "PolicyVersionsInUseQuota": POLICY_VERSIONS_IN_USE_QUOTA,
    "GroupsPerUserQuota": GROUPS_PER_USER_QUOTA,
    "AccessKeysPerUserQuota": ACCESS_KEYS_PER_USER_QUOTA,
    "SigningCertificatesPerUserQuota": SIGNING_CERTIFICATES_PER_USER_QUOTA,
    "AttachedPoliciesPerUserQuota": ATTACHED_POLICIES_PER_USER_QUOTA,
    "AttachedPoliciesPerGroupQuota": ATTACHED_POLICIES_PER_GROUP_QUOTA,
    "AttachedPoliciesPerRoleQuota": ATTACHED_POLICIES_PER_ROLE_QUOTA,
    "VersionsPerPolicyQuota": VERSIONS_PER_POLICY_QUOTA,
    "UserPolicySizeQuota": USER_POLICY_SIZE_QUOTA,
    "GroupPolicySizeQuota": GROUP_POLICY_SIZE_QUOTA,
    "RolePolicySizeQuota": ROLE_POLICY_SIZE_QUOTA,
    "PolicySizeQuota": POLICY_SIZE_QUOTA,
    "AssumeRolePolicySizeQuota": ASSUME_ROLE_POLICY_SIZE_QUOTA,
}
