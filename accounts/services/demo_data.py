"""A realistic account at scale, for demonstrations and benchmarks (`manage.py seeddemo`, bench/).

Thousands of users in departments (paths and a `team` tag), each in one to three of the groups; customer
managed policies of a few shapes (read-only, service admin, team-scoped resources with
`${aws:username}`, MFA- and region-conditioned, explicit denies), attached mostly to groups and
sometimes to users, and AdministratorAccess on the first group; inline policies, permissions boundaries,
roles with trust policies, access keys (some inactive, some long unused) and MFA devices.

Rows are inserted with bulk_create, not through the services: a service call per entity would take
minutes, and every rule the services check holds by construction (unique names, quotas are not exceeded
per entity, documents are valid policies — tests/accounts/test_demo_data.py proves the result with the
policy engine and the credential report). Secrets are real: keys and seeds are random and sealed as the
services seal them; no password is set (console users get an unusable password, so nobody can sign in as
a demo user until an admin sets one). The account's authorization generation is bumped so that no
process keeps a policy set cached from before. One audit event records the seeding.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from iam_portal import secretbox
from policies.models import (
    GroupPolicy,
    GroupPolicyAttachment,
    ManagedPolicy,
    PolicyVersion,
    RolePolicyAttachment,
    UserPolicy,
    UserPolicyAttachment,
)

from .. import arns, audit, authz
from ..context import RequestContext
from ..models import (
    AccessKey,
    Account,
    Group,
    GroupMembership,
    LoginProfile,
    MFADevice,
    Role,
    User,
    unique_id,
)
from ..selectors.access_keys import sealing_context as key_context
from ..selectors.mfa import device_arn
from ..selectors.mfa import sealing_context as seed_context
from .access_keys import new_access_key_id, new_secret_access_key

DEPARTMENTS = ("engineering", "operations", "finance", "sales", "support", "security", "data", "marketing")
SERVICES = ("s3", "ec2", "dynamodb", "lambda", "sqs", "sns", "cloudwatch", "logs", "kms", "rds", "iam")
BATCH = 1000


@dataclass(frozen=True)
class DemoSize:
    users: int = 5000
    groups: int = 300
    policies: int = 1000
    roles: int = 100


def _document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _policy_document(rng: random.Random, account_id: str, number: int) -> str:
    """One of a few realistic shapes, chosen by the policy's number."""
    service = SERVICES[number % len(SERVICES)]
    team = DEPARTMENTS[number % len(DEPARTMENTS)]
    shape = number % 6
    if shape == 0:  # read-only on a service
        return _document(
            {
                "Effect": "Allow",
                "Action": [f"{service}:Get*", f"{service}:List*", f"{service}:Describe*"],
                "Resource": "*",
            }
        )
    if shape == 1:  # a service's admin, with MFA
        return _document(
            {
                "Sid": "AdminWithMfa",
                "Effect": "Allow",
                "Action": f"{service}:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        )
    if shape == 2:  # the team's own buckets and the caller's own IAM user
        return _document(
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"arn:aws:s3:::{team}-*/*",
            },
            {
                "Sid": "OwnUser",
                "Effect": "Allow",
                "Action": ["iam:GetUser", "iam:ChangePassword", "iam:*AccessKey*"],
                "Resource": f"arn:aws:iam::{account_id}:user/*/${{aws:username}}",
            },
        )
    if shape == 3:  # regional operations, tag-scoped
        return _document(
            {
                "Effect": "Allow",
                "Action": [f"{service}:Start*", f"{service}:Stop*", f"{service}:Describe*"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:RequestedRegion": rng.choice(["us-east-1", "eu-west-1"])},
                    "StringEqualsIfExists": {"aws:PrincipalTag/team": team},
                },
            }
        )
    if shape == 4:  # IAM administration of a path, minus deleting
        return _document(
            {"Effect": "Allow", "Action": "iam:*", "Resource": f"arn:aws:iam::{account_id}:*/{team}/*"},
            {"Effect": "Deny", "Action": ["iam:Delete*"], "Resource": "*"},
        )
    return _document(  # a guardrail
        {
            "Sid": "NoLeavingTheRegions",
            "Effect": "Deny",
            "NotAction": ["iam:*", "sts:*"],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}},
        },
        {"Effect": "Allow", "Action": [f"{service}:Describe*", "cloudwatch:Get*"], "Resource": "*"},
    )


def seed_demo(ctx: RequestContext, size: DemoSize = DemoSize(), *, seed: int = 1) -> dict[str, int]:
    """Fill the caller's account with `size` users, groups, policies and roles (and their policies,
    memberships, keys and devices); returns the number of rows of each kind. One transaction."""
    rng = random.Random(seed)
    account: Account = ctx.account
    acct = account.account_id
    now = timezone.now()
    unusable = make_password(None)
    counts: dict[str, int] = {}
    with transaction.atomic():
        policies = [
            ManagedPolicy(
                account=account,
                policy_name=f"{DEPARTMENTS[n % len(DEPARTMENTS)]}-{SERVICES[n % len(SERVICES)]}-{n:04d}",
                path=f"/{DEPARTMENTS[n % len(DEPARTMENTS)]}/",
                policy_id=unique_id("ANPA"),
                arn=arns.policy(
                    acct,
                    f"/{DEPARTMENTS[n % len(DEPARTMENTS)]}/",
                    f"{DEPARTMENTS[n % len(DEPARTMENTS)]}-{SERVICES[n % len(SERVICES)]}-{n:04d}",
                ),
                created=now - timedelta(days=rng.randint(1, 900)),
            )
            for n in range(size.policies)
        ]
        ManagedPolicy.objects.bulk_create(policies, batch_size=BATCH)
        PolicyVersion.objects.bulk_create(
            [
                PolicyVersion(
                    policy=p, version_id="v1", document=_policy_document(rng, acct, n), is_default=True
                )
                for n, p in enumerate(policies)
            ],
            batch_size=BATCH,
        )
        boundaries = [p for n, p in enumerate(policies) if n % 6 == 0][:5] or policies[:1]

        groups = [
            Group(
                account=account,
                group_name=f"{DEPARTMENTS[n % len(DEPARTMENTS)]}-team-{n:03d}",
                path=f"/{DEPARTMENTS[n % len(DEPARTMENTS)]}/",
                group_id=unique_id("AGPA"),
            )
            for n in range(size.groups)
        ]
        Group.objects.bulk_create(groups, batch_size=BATCH)
        group_attachments = {
            (g.pk, p.pk): GroupPolicyAttachment(group=g, policy=p)
            for g in groups
            for p in rng.sample(policies, k=min(len(policies), rng.randint(1, 5)))
        }
        # The first group administers the account (AWS managed AdministratorAccess), as most accounts have.
        admin = ManagedPolicy.objects.filter(account__isnull=True, policy_name="AdministratorAccess").first()
        if admin is not None and groups:
            group_attachments[(groups[0].pk, admin.pk)] = GroupPolicyAttachment(group=groups[0], policy=admin)
        GroupPolicyAttachment.objects.bulk_create(group_attachments.values(), batch_size=BATCH)
        group_inline = [
            GroupPolicy(group=g, policy_name="team-extras", document=_policy_document(rng, acct, n))
            for n, g in enumerate(groups)
            if n % 5 == 0
        ]
        GroupPolicy.objects.bulk_create(group_inline, batch_size=BATCH)

        users = []
        for n in range(size.users):
            team = DEPARTMENTS[n % len(DEPARTMENTS)]
            users.append(
                User(
                    account=account,
                    user_name=f"{team}.user{n:05d}",
                    path=f"/{team}/",
                    user_id=unique_id("AIDA"),
                    password=unusable,
                    created=now - timedelta(days=rng.randint(1, 900)),
                    tags={"team": team},
                    permissions_boundary=rng.choice(boundaries) if n % 33 == 0 else None,
                )
            )
        User.objects.bulk_create(users, batch_size=BATCH)
        department_groups = {d: [g for g in groups if g.path == f"/{d}/"] or groups for d in DEPARTMENTS}
        memberships = {
            (u.pk, g.pk): GroupMembership(group=g, user=u)
            for u in users
            for g in rng.sample(
                department_groups[u.tags["team"]],
                k=min(3, rng.randint(1, 3), len(department_groups[u.tags["team"]])),
            )
        }
        GroupMembership.objects.bulk_create(memberships.values(), batch_size=BATCH)
        direct = [
            UserPolicyAttachment(user=u, policy=rng.choice(policies))
            for n, u in enumerate(users)
            if n % 10 == 0
        ]
        UserPolicyAttachment.objects.bulk_create(direct, batch_size=BATCH)
        user_inline = [
            UserPolicy(user=u, policy_name="personal", document=_policy_document(rng, acct, n))
            for n, u in enumerate(users)
            if n % 20 == 0
        ]
        UserPolicy.objects.bulk_create(user_inline, batch_size=BATCH)
        console_users = [u for n, u in enumerate(users) if n % 10 < 7]
        LoginProfile.objects.bulk_create(
            [LoginProfile(user=u, password_changed=u.created) for u in console_users], batch_size=BATCH
        )

        keys = []
        for n, u in enumerate(users):
            for k in range((n % 10 < 6) + (n % 10 == 0)):  # 60% have a key, 10% two
                key_id, created = new_access_key_id(), now - timedelta(days=rng.randint(0, 400))
                used = created + timedelta(days=rng.randint(0, max(0, (now - created).days)))
                keys.append(
                    AccessKey(
                        user=u,
                        access_key_id=key_id,
                        secret_ciphertext=secretbox.encrypt(
                            new_secret_access_key(), context=key_context(key_id)
                        ),
                        status=AccessKey.INACTIVE if (n + k) % 15 == 0 else AccessKey.ACTIVE,
                        created=created,
                        last_used_date=None if n % 7 == 0 else used,
                        last_used_service="" if n % 7 == 0 else rng.choice(SERVICES),
                        last_used_region="" if n % 7 == 0 else "us-east-1",
                    )
                )
        AccessKey.objects.bulk_create(keys, batch_size=BATCH)
        devices = []
        for n, u in enumerate(console_users):
            if n % 2:
                continue
            serial = device_arn(acct, "/", u.user_name)
            seed_text = base64.b32encode(secrets.token_bytes(20)).decode()
            devices.append(
                MFADevice(
                    account=account,
                    device_name=u.user_name,
                    serial_number=serial,
                    seed_ciphertext=secretbox.encrypt(seed_text, context=seed_context(serial)),
                    user=u,
                    enable_date=u.created,
                )
            )
        MFADevice.objects.bulk_create(devices, batch_size=BATCH)

        trust = _document(
            {"Effect": "Allow", "Principal": {"AWS": arns.root(acct)}, "Action": "sts:AssumeRole"}
        )
        ec2_trust = _document(
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        )
        roles = [
            Role(
                account=account,
                role_name=f"{DEPARTMENTS[n % len(DEPARTMENTS)]}-role-{n:03d}",
                path="/",
                role_id=unique_id("AROA"),
                assume_role_policy_document=ec2_trust if n % 3 == 0 else trust,
            )
            for n in range(size.roles)
        ]
        Role.objects.bulk_create(roles, batch_size=BATCH)
        role_attachments = {
            (r.pk, p.pk): RolePolicyAttachment(role=r, policy=p)
            for r in roles
            for p in rng.sample(policies, k=min(len(policies), 2))
        }
        RolePolicyAttachment.objects.bulk_create(role_attachments.values(), batch_size=BATCH)

        authz.bump_generation(account)
        counts = {
            "users": len(users),
            "groups": len(groups),
            "managed_policies": len(policies),
            "roles": len(roles),
            "memberships": len(memberships),
            "group_attachments": len(group_attachments),
            "user_attachments": len(direct),
            "role_attachments": len(role_attachments),
            "inline_policies": len(group_inline) + len(user_inline),
            "login_profiles": len(console_users),
            "access_keys": len(keys),
            "mfa_devices": len(devices),
        }
        audit.record(ctx, "portal:SeedDemo", target=account.root_arn, **counts)
    return counts
