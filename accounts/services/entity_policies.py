"""The steps of the console's all-or-nothing user, group and role workflows that are the same for
all three: attach several managed policies, detach every attached policy and delete every inline
policy before the identity itself goes (steps.py runs them).

Each step runs the same call as AttachUserPolicy / AttachGroupPolicy / AttachRolePolicy and their
neighbours in policy_attachments.py, for that module's USER, GROUP or ROLE kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import models

from .. import lookups
from ..context import RequestContext
from . import policy_attachments
from .policy_attachments import _Kind
from .steps import Step


@dataclass(frozen=True)
class Target:
    """The user, group or role a workflow changes: its kind, ARN and name (as stored, or as it will be for
    one being created), and the iam:ResourceTag context its actions are authorized with (a role's)."""

    kind: _Kind
    arn: str
    name: str
    tags: dict[str, object] = field(default_factory=dict)

    @property
    def named(self) -> dict[str, str]:
        """What an audit row names it by: {"group_name": name}."""
        return {f"{self.kind.noun}_name": self.name}

    def attach_steps(self, ctx: RequestContext, policy_arns: Sequence[str]) -> list[Step]:
        """Attach{User,Group,Role}Policy steps, each policy looked up (NoSuchEntity before anything
        happens) once."""
        out, seen = [], set()
        for arn in policy_arns:
            policy_attachments.policy_arn(arn, "policyArn")
            policy = lookups.managed_policy_by_arn(ctx.account, arn)
            if policy.arn in seen:
                continue
            seen.add(policy.arn)
            out.append(
                Step(
                    f"iam:Attach{self.kind.title}Policy",
                    self.arn,
                    {**self.tags, "iam:PolicyARN": policy.arn},
                    lambda policy_arn=policy.arn: policy_attachments._attach(
                        ctx, self.kind, self.name, policy_arn
                    ),
                    {**self.named, "policy_arn": policy.arn},
                )
            )
        return out

    def detach_steps(self, ctx: RequestContext, policy_arns: Sequence[str]) -> list[Step]:
        """Detach{User,Group,Role}Policy steps (the policies themselves stay)."""
        return [
            Step(
                f"iam:Detach{self.kind.title}Policy",
                self.arn,
                {**self.tags, "iam:PolicyARN": policy_arn},
                lambda policy_arn=policy_arn: policy_attachments._detach(
                    ctx, self.kind, self.name, policy_arn
                ),
                {**self.named, "policy_arn": policy_arn},
            )
            for policy_arn in policy_arns
        ]

    def inline_delete_steps(self, ctx: RequestContext, policy_names: Sequence[str]) -> list[Step]:
        """Delete{User,Group,Role}Policy steps."""
        return [
            Step(
                f"iam:Delete{self.kind.title}Policy",
                self.arn,
                self.tags,
                lambda policy_name=policy_name: policy_attachments._delete(
                    ctx, self.kind, self.name, policy_name
                ),
                {**self.named, "policy_name": policy_name},
            )
            for policy_name in policy_names
        ]


def policies_of(kind: _Kind, entity: models.Model) -> tuple[list[str], list[str]]:
    """The ARNs of the managed policies attached to a user, group or role and the names of its inline
    policies, each by name: what the console's Delete removes first."""
    attached = (
        kind.attachment.objects.filter(**kind.mine(entity))
        .order_by("policy__policy_name")
        .values_list("policy__arn", flat=True)
    )
    inline = kind.inline.objects.filter(**kind.mine(entity)).order_by("policy_name")
    return list(attached), list(inline.values_list("policy_name", flat=True))
