"""Managed policies and their versions, attachments, and inline policies.

References to accounts models are strings (DESIGN.md, dependency rule 2). Documents are stored as
the text the caller sent; a version's document never changes, so it is compiled once.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class ManagedPolicy(models.Model):
    """A customer managed policy (account set) or an AWS managed policy (account null)."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, null=True, blank=True, related_name="managed_policies"
    )
    policy_name = models.CharField(max_length=128)
    path = models.CharField(max_length=512, default="/")
    policy_id = models.CharField(max_length=128, unique=True)
    arn = models.CharField(max_length=2048, unique=True)
    description = models.CharField(max_length=1000, blank=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)
    tags = models.JSONField(default=dict, blank=True)
    last_version_number = models.PositiveIntegerField(default=1)  # version ids are never reused

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("policy_name"), "account", name="policy_name_unique_per_account"),
        ]
        ordering = ["policy_name"]

    def __str__(self) -> str:
        return self.arn


class PolicyVersion(models.Model):
    policy = models.ForeignKey(ManagedPolicy, on_delete=models.CASCADE, related_name="versions")
    version_id = models.CharField(max_length=16)  # v1, v2, …
    document = models.TextField()
    is_default = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["policy", "version_id"], name="version_id_unique_per_policy"),
            models.UniqueConstraint(
                fields=["policy"], condition=models.Q(is_default=True), name="one_default_version_per_policy"
            ),
        ]


class UserPolicyAttachment(models.Model):
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="policy_attachments")
    policy = models.ForeignKey(ManagedPolicy, on_delete=models.PROTECT, related_name="user_attachments")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "policy"], name="one_user_attachment")]


class GroupPolicyAttachment(models.Model):
    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="policy_attachments")
    policy = models.ForeignKey(ManagedPolicy, on_delete=models.PROTECT, related_name="group_attachments")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "policy"], name="one_group_attachment")]


class RolePolicyAttachment(models.Model):
    role = models.ForeignKey("accounts.Role", on_delete=models.CASCADE, related_name="policy_attachments")
    policy = models.ForeignKey(ManagedPolicy, on_delete=models.PROTECT, related_name="role_attachments")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["role", "policy"], name="one_role_attachment")]


class UserPolicy(models.Model):
    """An inline policy embedded in a user (PutUserPolicy)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="inline_policies")
    policy_name = models.CharField(max_length=128)
    document = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "policy_name"], name="one_inline_per_user_name")
        ]


class GroupPolicy(models.Model):
    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="inline_policies")
    policy_name = models.CharField(max_length=128)
    document = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "policy_name"], name="one_inline_per_group_name")
        ]


class RolePolicy(models.Model):
    role = models.ForeignKey("accounts.Role", on_delete=models.CASCADE, related_name="inline_policies")
    policy_name = models.CharField(max_length=128)
    document = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["role", "policy_name"], name="one_inline_per_role_name")
        ]
