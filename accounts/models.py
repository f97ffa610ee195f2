"""Accounts and identities: Account, User (root and IAM users), Group, Role, AuditEvent.

Names are unique per account case-insensitively (database constraints, so that racing requests
cannot both pass); ids carry AWS's prefixes; ARNs include paths.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_otp.models import ThrottlingMixin

from . import arns

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def unique_id(prefix: str) -> str:
    """An AWS-style unique id: a 4-letter prefix (AIDA, AGPA, AROA, …) and 17 random characters."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def new_account_id() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)


class Account(models.Model):
    account_id = models.CharField(max_length=12, unique=True, default=new_account_id)
    alias = models.CharField(max_length=63, unique=True, null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    # Bumped in the same transaction by every write that feeds authorization, so that a cached
    # policy set in any process is known to be stale (DESIGN.md, Authorization).
    authz_generation = models.BigIntegerField(default=0)
    # AWS now requires MFA for the root user of new accounts; enrollment is forced at sign-in.
    require_root_mfa = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.alias or self.account_id

    @property
    def root_arn(self) -> str:
        return arns.root(self.account_id)


class UserManager(BaseUserManager):
    use_in_migrations = True


class User(AbstractBaseUser):
    """The root user of an account (signs in by email) or an IAM user (by account and name)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="users")
    is_root = models.BooleanField(default=False)
    user_name = models.CharField(max_length=128, blank=True)  # empty for the root user
    email = models.EmailField(unique=True, null=True, blank=True)  # root users only
    path = models.CharField(max_length=512, default="/")
    user_id = models.CharField(max_length=128, unique=True)
    created = models.DateTimeField(default=timezone.now)
    tags = models.JSONField(default=dict, blank=True)  # key -> value
    permissions_boundary = models.ForeignKey(
        "policies.ManagedPolicy", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    groups = models.ManyToManyField("Group", through="GroupMembership", related_name="users")
    # Bumped by every write to what feeds this user's permissions (accounts/authz.py).
    authz_generation = models.BigIntegerField(default=0, editable=False)

    USERNAME_FIELD = "user_id"
    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("user_name"),
                "account",
                condition=models.Q(is_root=False),
                name="user_name_unique_per_account",
            ),
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(is_root=True), name="one_root_user_per_account"
            ),
        ]
        ordering = ["user_name"]

    def __str__(self) -> str:
        return self.arn

    @property
    def arn(self) -> str:
        if self.is_root:
            return arns.root(self.account.account_id)
        return arns.user(self.account.account_id, self.path, self.user_name)


class Group(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="groups")
    group_name = models.CharField(max_length=128)
    path = models.CharField(max_length=512, default="/")
    group_id = models.CharField(max_length=128, unique=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("group_name"), "account", name="group_name_unique_per_account"),
        ]
        ordering = ["group_name"]

    def __str__(self) -> str:
        return self.group_name

    @property
    def arn(self) -> str:
        return arns.group(self.account.account_id, self.path, self.group_name)


class GroupMembership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="one_membership_per_pair")]


class Role(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="roles")
    role_name = models.CharField(max_length=64)
    path = models.CharField(max_length=512, default="/")
    role_id = models.CharField(max_length=128, unique=True)
    created = models.DateTimeField(default=timezone.now)
    assume_role_policy_document = models.TextField()
    description = models.CharField(max_length=1000, blank=True)
    max_session_duration = models.PositiveIntegerField(default=3600)
    tags = models.JSONField(default=dict, blank=True)
    permissions_boundary = models.ForeignKey(
        "policies.ManagedPolicy", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Bumped by every write to what feeds its sessions' permissions (accounts/authz.py).
    authz_generation = models.BigIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("role_name"), "account", name="role_name_unique_per_account"),
        ]
        ordering = ["role_name"]

    def __str__(self) -> str:
        return self.role_name

    @property
    def arn(self) -> str:
        return arns.role(self.account.account_id, self.path, self.role_name)


class AccessKey(models.Model):
    """A long-term access key of an IAM user or of the root user. The secret is stored encrypted
    (SigV4 needs it on the server) and is never part of str() or repr()."""

    ACTIVE, INACTIVE = "Active", "Inactive"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_keys")
    access_key_id = models.CharField(max_length=128, unique=True)
    secret_ciphertext = models.TextField()
    status = models.CharField(max_length=8, choices=[(ACTIVE, ACTIVE), (INACTIVE, INACTIVE)], default=ACTIVE)
    created = models.DateTimeField(default=timezone.now)
    last_used_date = models.DateTimeField(null=True, blank=True)
    last_used_service = models.CharField(max_length=64, blank=True)
    last_used_region = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return self.access_key_id

    def __repr__(self) -> str:
        return f"<AccessKey {self.access_key_id} {self.status}>"


class SessionCredential(models.Model):
    """Temporary credentials from STS: GetSessionToken (a user's own session) or AssumeRole (a role
    session). An ASIA… key id, its secret (sealed: SigV4 needs it) and a session token, of which only
    a SHA-256 digest is kept: the token is only ever compared. Valid until `expiration`."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    access_key_id = models.CharField(max_length=128, unique=True)
    secret_ciphertext = models.TextField()
    token_digest = models.CharField(max_length=64)
    # GetSessionToken: the user whose session it is. AssumeRole: the role, and the session's name.
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    role_session_name = models.CharField(max_length=64, blank=True)
    session_policy = models.TextField(blank=True)  # AssumeRole's inline Policy
    session_policy_arns = models.JSONField(default=list, blank=True)  # AssumeRole's PolicyArns
    tags = models.JSONField(default=dict, blank=True)  # session tags (aws:PrincipalTag/*)
    source_identity = models.CharField(max_length=64, blank=True)
    mfa_authenticated_at = models.DateTimeField(null=True, blank=True)
    issued_by_arn = models.CharField(max_length=2048)  # who called STS (for the audit trail)
    created = models.DateTimeField(default=timezone.now)
    expiration = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.access_key_id

    def __repr__(self) -> str:
        return f"<SessionCredential {self.access_key_id} until {self.expiration:%Y-%m-%dT%H:%M:%SZ}>"

    @property
    def is_role_session(self) -> bool:
        return self.role_id is not None


class LoginProfile(models.Model):
    """Console access of an IAM user; the password hash itself is User.password (Argon2)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="login_profile")
    created = models.DateTimeField(default=timezone.now)
    password_reset_required = models.BooleanField(default=False)
    password_changed = models.DateTimeField(default=timezone.now)  # for MaxPasswordAge


class PasswordHistory(models.Model):
    """Earlier password hashes of a user, for PasswordReusePrevention (hashes only)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password_hash = models.CharField(max_length=256)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-pk"]

    def __repr__(self) -> str:
        return f"<PasswordHistory user={self.user_id} {self.created:%Y-%m-%d}>"


class PasswordPolicy(models.Model):
    """The account password policy (UpdateAccountPasswordPolicy); no row means none is set."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="password_policy")
    minimum_password_length = models.PositiveSmallIntegerField(default=6)
    require_symbols = models.BooleanField(default=False)
    require_numbers = models.BooleanField(default=False)
    require_uppercase_characters = models.BooleanField(default=False)
    require_lowercase_characters = models.BooleanField(default=False)
    allow_users_to_change_password = models.BooleanField(default=False)
    max_password_age = models.PositiveSmallIntegerField(null=True, blank=True)  # days
    password_reuse_prevention = models.PositiveSmallIntegerField(null=True, blank=True)
    hard_expiry = models.BooleanField(default=False)

    @property
    def expire_passwords(self) -> bool:
        return bool(self.max_password_age)


class CredentialReport(models.Model):
    """The account's credential report (GenerateCredentialReport): AWS keeps one per account, so a new
    one replaces the old. The CSV holds no secret."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="credential_report")
    generated_time = models.DateTimeField(default=timezone.now)
    content = models.TextField()  # the CSV, text/csv

    def __repr__(self) -> str:
        return f"<CredentialReport account={self.account_id} {self.generated_time:%Y-%m-%dT%H:%M:%S}>"


class ServiceLastAccessedJob(models.Model):
    """A GenerateServiceLastAccessedDetails job. The report is computed when the job is generated and
    kept as JSON: AWS answers as of generation, however the audit log grows afterwards. As in AWS, only
    the caller that generated it (the same user, or the same role session) may read it."""

    SERVICE_LEVEL, ACTION_LEVEL = "SERVICE_LEVEL", "ACTION_LEVEL"
    IN_PROGRESS, COMPLETED, FAILED = "IN_PROGRESS", "COMPLETED", "FAILED"

    job_id = models.CharField(max_length=36, unique=True)  # a UUID, as AWS's JobId (jobIDType: 36)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    job_type = models.CharField(
        max_length=16, choices=[(t, t) for t in (SERVICE_LEVEL, ACTION_LEVEL)], default=SERVICE_LEVEL
    )
    job_status = models.CharField(
        max_length=16, choices=[(s, s) for s in (IN_PROGRESS, COMPLETED, FAILED)], default=COMPLETED
    )
    entity_arn = models.CharField(max_length=2048)  # the user, group, role or managed policy reported on
    requester_arn = models.CharField(max_length=2048)  # who may read it
    created = models.DateTimeField(default=timezone.now, db_index=True)  # JobCreationDate; expiry
    completed = models.DateTimeField(null=True, blank=True)  # JobCompletionDate
    services = models.JSONField(default=list, blank=True)  # ServicesLastAccessed, by namespace
    entities = models.JSONField(default=dict, blank=True)  # namespace -> EntityDetailsList

    def __repr__(self) -> str:
        return f"<ServiceLastAccessedJob {self.job_id} {self.job_type} {self.entity_arn}>"


class _VerifyAllowed:
    """The end of django-otp's verify_is_allowed() chain (its Device class plays this part)."""

    def verify_is_allowed(self) -> tuple[bool, dict | None]:
        return True, None


class MFADevice(ThrottlingMixin, _VerifyAllowed, models.Model):
    """A virtual MFA device (TOTP, RFC 6238). Created unassigned (CreateVirtualMFADevice), assigned
    to a user by EnableMFADevice. The seed is stored encrypted, never in clear."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="mfa_devices")
    device_name = models.CharField(max_length=226)
    path = models.CharField(max_length=512, default="/")
    serial_number = models.CharField(max_length=256, unique=True)  # the device's ARN
    seed_ciphertext = models.TextField()
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="mfa_devices"
    )
    enable_date = models.DateTimeField(null=True, blank=True)
    last_t = models.BigIntegerField(default=-1)  # the time step of the last accepted code (replay)
    drift = models.SmallIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    tags = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("device_name"), "account", name="mfa_device_name_unique_per_account"
            ),
        ]
        ordering = ["device_name"]

    def __str__(self) -> str:
        return self.serial_number

    def __repr__(self) -> str:
        return f"<MFADevice {self.serial_number}>"

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)


class RecoveryCode(models.Model):
    """A one-time recovery code of the root user, stored as a hash; shown once when generated."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=256)
    created = models.DateTimeField(default=timezone.now)
    used = models.DateTimeField(null=True, blank=True)

    def __repr__(self) -> str:
        return f"<RecoveryCode user={self.user_id} used={bool(self.used)}>"


class SignInThrottle(models.Model):
    """Failed sign-ins counted per identity and per source address (keys like "ip:203.0.113.9")."""

    key = models.CharField(max_length=512, unique=True)
    failures = models.PositiveIntegerField(default=0)
    first_failure = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("audit events are append-only")

    def delete(self):
        raise TypeError("audit events are append-only")


class AuditEvent(models.Model):
    """One audited action: a write (success or failure) or a denial. Append-only."""

    SUCCESS, FAILED, DENIED = "success", "failed", "denied"

    time = models.DateTimeField(default=timezone.now, db_index=True)
    account = models.ForeignKey(Account, on_delete=models.SET_NULL, null=True, related_name="+")
    actor_arn = models.CharField(max_length=2048)
    access_key_id = models.CharField(max_length=128, blank=True)
    channel = models.CharField(max_length=16)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=128)
    target_arn = models.CharField(max_length=2048, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=8, choices=[(o, o) for o in (SUCCESS, FAILED, DENIED)])
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)  # the AWS error's message, as the caller saw it
    user_agent = models.CharField(max_length=256, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["time", "id"]
        indexes = [
            # Access advisor (accounts/selectors/access_advisor.py): max(time) grouped by (actor_arn,
            # action) finds an entity's events through this index, not by scanning the log. The pattern
            # opclass lets PostgreSQL use it for a role's sessions too (actor_arn LIKE 'arn:…/role/%').
            models.Index(
                fields=["actor_arn", "action", "time"],
                name="audit_actor_action_time",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "timestamptz_ops"],
            ),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("audit events are append-only")
