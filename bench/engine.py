"""Benchmark: decisions per second of the policy engine against @cloud-copilot/iam-simulate.

Run from the project root: `.venv/bin/python bench/engine.py` (or `make bench`). It builds a fixed,
deterministic workload (one user's ~10 policies, ~50 statements, a permissions boundary; 10,000
distinct requests), evaluates it with a `PolicySet` compiled once, with the naive per-request paths,
and with iam-simulate in Node (bench/iam_simulate_runner.mjs) on the same JSON workload, then compares
decisions request by request. It prints PASS/FAIL lines but exits 0 unless something crashed: it is
a benchmark, not a test. See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from policies.engine import PolicySet, Request, parse_policy  # noqa: E402
from policies.engine.cases import evaluate_case  # noqa: E402

RUNNER = BENCH / "iam_simulate_runner.mjs"
PACKAGE_DIR = BENCH / "node_modules" / "@cloud-copilot" / "iam-simulate"
TARGET_RATIO = 30.0
DECISIONS = ("Allowed", "ExplicitlyDenied", "ImplicitlyDenied")

Json = dict[str, Any]
# Makes a request's resource for a user (name, principal tags): (resource ARN, region, action-specific keys).
Maker = Callable[[str, dict[str, str]], tuple[str, str, Json]]

# --------------------------------------------------------------------------------------------------
# The workload: policies
# --------------------------------------------------------------------------------------------------

ACCT = "111122223333"
TEAMS = ("payments", "search", "data")
# The users who share this policy set (same groups, managed policies and boundary): principal tags.
USERS: dict[str, dict[str, str]] = {
    "alice": {"team": "payments", "role": "developer"},
    "bob": {"team": "search", "role": "developer"},
    "carol": {"team": "payments", "role": "lead"},
    "dave": {"role": "contractor"},  # no team tag: ${aws:PrincipalTag/team} cannot be resolved
    "erin": {"team": "data", "role": "developer"},
    "frank": {"team": "search", "role": "ops"},
}
CORP_NETS = ["10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32"]
HOME_REGIONS = ["us-east-1", "eu-west-1"]
BOUNDARY_ARN = f"arn:aws:iam::{ACCT}:policy/DeveloperBoundary"


def _doc(*statements: Json) -> Json:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _st(sid: str, effect: str, resource: str | list[str] | None = None, *, action: Any = None,
        not_action: Any = None, not_resource: Any = None, condition: Json | None = None) -> Json:
    """One statement; exactly one of action / not_action and of resource / not_resource."""
    out: Json = {"Sid": sid, "Effect": effect}
    out.update({"Action": action} if action is not None else {"NotAction": not_action})
    out.update({"Resource": resource} if resource is not None else {"NotResource": not_resource})
    if condition:
        out["Condition"] = condition
    return out


def build_policies() -> tuple[list[Json], list[Json]]:
    """The identity policies (user inline + managed + 3 groups' policies) and the boundary."""
    user = f"arn:aws:iam::{ACCT}:user/${{aws:username}}"
    team = "${aws:PrincipalTag/team}"
    instance = f"arn:aws:ec2:*:{ACCT}:instance/*"
    same_team = {"StringEquals": {"aws:ResourceTag/team": team}}
    identity = [
        {"name": "user-inline/SelfService", "policy": _doc(
            _st("SelfCredentials", "Allow", user, action=[
                "iam:GetUser", "iam:ChangePassword", "iam:*AccessKey*", "iam:ListGroupsForUser",
                "iam:EnableMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"]),
            _st("OwnVirtualMFA", "Allow", f"arn:aws:iam::{ACCT}:mfa/${{aws:username}}",
                action=["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"]),
            _st("ListAccount", "Allow", "*", action=[
                "iam:ListUsers", "iam:ListVirtualMFADevices", "iam:GetAccountSummary",
                "iam:GetAccountPasswordPolicy"]),
            _st("HomeObjects", "Allow", "arn:aws:s3:::corp-home/home/${aws:username}/*",
                action="s3:*Object*"),
            _st("HomeListing", "Allow", "arn:aws:s3:::corp-home", action="s3:ListBucket",
                condition={"StringLike": {"s3:prefix": ["home/${aws:username}/*", "home/"]}}),
            _st("DenyWithoutMFA", "Deny", "*", not_action=[
                "iam:ChangePassword", "iam:GetUser", "iam:CreateVirtualMFADevice", "iam:EnableMFADevice",
                "iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice",
                "sts:GetSessionToken"],
                condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
        )},
        {"name": "managed/IAMReadOnly", "policy": _doc(
            _st("IamRead", "Allow", "*", action=["iam:Get*", "iam:List*", "iam:Generate*"]),
            _st("NoAccountDumps", "Deny", "*",
                action=["iam:GetAccountAuthorizationDetails", "iam:GetCredentialReport"],
                condition={"StringNotEquals": {"aws:PrincipalTag/role": ["ops", "lead"]}}),
        )},
        {"name": "managed/DeveloperS3", "policy": _doc(
            _st("DevRead", "Allow", ["arn:aws:s3:::dev-*", "arn:aws:s3:::dev-*/*"],
                action=["s3:Get*", "s3:List*"]),
            _st("TeamWrite", "Allow", f"arn:aws:s3:::dev-{team}/*",
                action=["s3:PutObject", "s3:DeleteObject"],
                condition={"StringEqualsIfExists": {
                    "s3:x-amz-server-side-encryption": ["AES256", "aws:kms"]}}),
            _st("ListBuckets", "Allow", "*", action=["s3:ListAllMyBuckets", "s3:GetBucketLocation"]),
            _st("NoBucketAdmin", "Deny", "*", action=[
                "s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketAcl"]),
            _st("TlsOnly", "Deny", "*", action="s3:*",
                condition={"Bool": {"aws:SecureTransport": "false"}}),
            _st("PublicRead", "Allow", "arn:aws:s3:::corp-home/public/*", action="s3:GetObject"),
        )},
        {"name": "group/Developers/Compute", "policy": _doc(
            _st("Describe", "Allow", "*", action="ec2:Describe*"),
            _st("StartStopOwn", "Allow", instance,
                action=["ec2:StartInstances", "ec2:StopInstances", "ec2:RebootInstances"],
                condition=same_team),
            _st("TerminateOwnRecentMFA", "Allow", instance, action="ec2:TerminateInstances",
                condition={**same_team, "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
            _st("TagOwn", "Allow", instance, action="ec2:CreateTags", condition={
                "ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "project", "owner"]},
                "StringEqualsIfExists": {"aws:RequestTag/team": team}}),
            _st("NoReservedTags", "Deny", instance, action="ec2:CreateTags", condition={
                "ForAnyValue:StringLike": {"aws:TagKeys": ["aws:*", "security*"]}}),
            _st("TeamFunctions", "Allow", f"arn:aws:lambda:*:{ACCT}:function:{team}-*",
                action=["lambda:InvokeFunction", "lambda:GetFunction"]),
        )},
        {"name": "group/Developers/Data", "policy": _doc(
            _st("TeamTablesRead", "Allow", f"arn:aws:dynamodb:*:{ACCT}:table/{team}-*",
                action=["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem"]),
            _st("TeamTablesWrite", "Allow", f"arn:aws:dynamodb:*:{ACCT}:table/{team}-*",
                action=["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            _st("TeamMessaging", "Allow",
                [f"arn:aws:sqs:*:{ACCT}:{team}-*", f"arn:aws:sns:*:{ACCT}:{team}-*"],
                action=["sqs:SendMessage", "sqs:ReceiveMessage", "sns:Publish"]),
            _st("TeamLogs", "Allow", f"arn:aws:logs:*:{ACCT}:log-group:/app/{team}/*",
                action=["logs:CreateLogStream", "logs:PutLogEvents"]),
            _st("ProdChangeFreeze", "Deny", f"arn:aws:dynamodb:*:{ACCT}:table/*-prod",
                action=["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                condition={"DateGreaterThan": {"aws:CurrentTime": "2025-12-15T00:00:00Z"},
                           "DateLessThan": {"aws:CurrentTime": "2026-01-05T00:00:00Z"}}),
        )},
        {"name": "group/Operators/Roles", "policy": _doc(
            _st("AssumeOpsRoles", "Allow", f"arn:aws:iam::{ACCT}:role/ops-*", action="sts:AssumeRole",
                condition={"IpAddress": {"aws:SourceIp": CORP_NETS[:2]},
                           "Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            _st("PassAppRoles", "Allow", f"arn:aws:iam::{ACCT}:role/app-*", action="iam:PassRole",
                condition={"StringEquals": {
                    "iam:PassedToService": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}}),
            _st("NeverPassOpsRoles", "Deny", f"arn:aws:iam::{ACCT}:role/ops-*", action="iam:PassRole"),
            _st("KmsViaServices", "Allow", f"arn:aws:kms:*:{ACCT}:key/*",
                action=["kms:Decrypt", "kms:GenerateDataKey"],
                condition={"StringLike": {"kms:ViaService": ["s3.*.amazonaws.com",
                                                             "dynamodb.*.amazonaws.com"]}}),
            _st("ManageTeamUsers", "Allow", f"arn:aws:iam::{ACCT}:user/*",
                action=["iam:CreateUser", "iam:TagUser", "iam:AttachUserPolicy"],
                condition={"StringEquals": {"aws:PrincipalTag/role": ["ops", "lead"]}}),
        )},
        {"name": "group/Operators/Monitoring", "policy": _doc(
            _st("ReadMonitoring", "Allow", "*", action=[
                "cloudwatch:Get*", "cloudwatch:List*", "cloudwatch:Describe*", "logs:Describe*",
                "logs:Get*", "logs:FilterLogEvents"]),
            _st("TeamAlarms", "Allow", f"arn:aws:cloudwatch:*:{ACCT}:alarm:{team}-*",
                action="cloudwatch:PutMetricAlarm"),
            _st("OpsReboot", "Allow", "*", action="ec2:RebootInstances",
                condition={"StringEquals": {"aws:PrincipalTag/role": "ops"}}),
            _st("TerminateInHomeRegions", "Deny", "*", action="ec2:TerminateInstances",
                condition={"StringNotEquals": {"aws:RequestedRegion": HOME_REGIONS}}),
        )},
        {"name": "group/AllStaff/Guardrails", "policy": _doc(
            _st("HomeRegionsOnly", "Deny", "*",
                not_action=["iam:*", "sts:*", "s3:*", "cloudwatch:*", "support:*"],
                condition={"StringNotEquals": {"aws:RequestedRegion": HOME_REGIONS}}),
            _st("CorpNetworkOnly", "Deny", "*", action="*",
                condition={"NotIpAddress": {"aws:SourceIp": CORP_NETS},
                           "Bool": {"aws:ViaAWSService": "false"}}),
            _st("Identity", "Allow", "*", action=["sts:GetCallerIdentity", "sts:GetSessionToken"]),
            _st("OnlySelfIamWrites", "Deny", action=[
                "iam:Create*", "iam:Delete*", "iam:Update*", "iam:Put*", "iam:Attach*", "iam:Tag*"],
                not_resource=[user, f"arn:aws:iam::{ACCT}:mfa/${{aws:username}}"],
                condition={"StringNotEqualsIfExists": {"aws:PrincipalTag/role": "lead"}}),
            _st("StaleMFANoKeys", "Deny", user, action="iam:CreateAccessKey",
                condition={"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "43200"}}),
        )},
        {"name": "group/AllStaff/SharedData", "policy": _doc(
            _st("SharedRead", "Allow", "arn:aws:s3:::corp-shared/*", action="s3:GetObject"),
            _st("SharedList", "Allow", "arn:aws:s3:::corp-shared", action="s3:ListBucket"),
            _st("Restricted", "Deny", "arn:aws:s3:::corp-shared/restricted/*", action="s3:GetObject",
                condition={"StringNotLike": {"aws:PrincipalTag/role": ["lead", "ops*"]}}),
        )},
    ]
    boundary = [{"name": "boundary/DeveloperBoundary", "policy": _doc(
        _st("Everything", "Allow", "*", not_action=[
            "iam:CreateUser", "iam:DeleteUser", "iam:AttachUserPolicy", "iam:DetachUserPolicy",
            "iam:PutUserPermissionsBoundary", "iam:DeleteUserPermissionsBoundary",
            "iam:CreatePolicyVersion", "organizations:*", "account:*"]),
        _st("CreateBoundedTeamUsers", "Allow", f"arn:aws:iam::{ACCT}:user/{team}/*",
            action=["iam:CreateUser", "iam:AttachUserPolicy"],
            condition={"StringEquals": {"iam:PermissionsBoundary": BOUNDARY_ARN}}),
        _st("KeepBoundary", "Deny", "*",
            action=["iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary"]),
        _st("NoDestruction", "Deny", "*", action=["s3:DeleteBucket*", "kms:ScheduleKeyDeletion"]),
    )}]
    return identity, boundary


# --------------------------------------------------------------------------------------------------
# The workload: requests
# --------------------------------------------------------------------------------------------------

class RequestMaker:
    """Draws realistic requests: the action picks its resource and its action-specific context keys."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.actions: list[tuple[str, Maker]] = []
        self.weights: list[float] = []
        for weight, names, make in self._catalog():
            for name in names:
                self.actions.append((name, make))
                self.weights.append(weight / len(names))

    # ----- helpers

    def pick(self, seq: Sequence[Any]) -> Any:
        return self.rng.choice(seq)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def hexid(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def team_of(self, tags: dict[str, str]) -> str:
        """Usually the caller's own team, sometimes another one."""
        own = tags.get("team")
        return own if own and self.chance(0.7) else self.pick(TEAMS)

    def region(self) -> str:
        return self.rng.choices(["us-east-1", "eu-west-1", "ap-southeast-2"], [65, 30, 5])[0]

    def user_arn(self, me: str) -> str:
        name = me if self.chance(0.65) else self.pick([*USERS, f"svc-{self.hexid(4)}"])
        return f"arn:aws:iam::{ACCT}:user/{name}"

    # ----- action families: each returns (resource, region, action-specific context)

    def iam_user(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        return self.user_arn(me), "us-east-1", {}

    def iam_star(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        return "*", "us-east-1", {}

    def iam_mfa(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        name = me if self.chance(0.75) else self.pick(list(USERS))
        return f"arn:aws:iam::{ACCT}:mfa/{name}", "us-east-1", {}

    def iam_role(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        role = self.pick(["app-web", "app-worker", "ops-admin", "ops-readonly", "ci-deploy"])
        return f"arn:aws:iam::{ACCT}:role/{role}-{self.hexid(3)}", "us-east-1", {}

    def iam_pass_role(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        arn, region, _ = self.iam_role(me, tags)
        service = self.pick(["ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com"])
        return arn, region, {"iam:PassedToService": service}

    def iam_create_user(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        path = f"{self.team_of(tags)}/" if self.chance(0.7) else ""
        ctx: Json = {}
        if self.chance(0.7):
            ctx["iam:PermissionsBoundary"] = (
                BOUNDARY_ARN if self.chance(0.8) else f"arn:aws:iam::{ACCT}:policy/PowerUser")
        return f"arn:aws:iam::{ACCT}:user/{path}new-{self.hexid(5)}", "us-east-1", ctx

    def iam_tag_user(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        keys = self.rng.sample(["team", "project", "cost-center", "owner"], self.rng.randint(1, 2))
        ctx: Json = {"aws:TagKeys": keys}
        ctx.update({f"aws:RequestTag/{k}": self.pick([*TEAMS, "x"]) for k in keys})
        return self.user_arn(me), "us-east-1", ctx

    def s3_object(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        key = f"{self.hexid(6)}/{self.pick(['report.csv', 'data.json', 'img.png', 'notes.txt'])}"
        where = self.rng.choices(["home", "dev", "shared", "restricted", "public", "prod"],
                                 [30, 30, 15, 5, 5, 15])[0]
        if where == "home":
            owner = me if self.chance(0.75) else self.pick(list(USERS))
            arn = f"arn:aws:s3:::corp-home/home/{owner}/{key}"
        elif where == "dev":
            arn = f"arn:aws:s3:::dev-{self.team_of(tags)}/{key}"
        elif where in ("shared", "restricted"):
            arn = f"arn:aws:s3:::corp-shared/{'restricted/' if where == 'restricted' else ''}{key}"
        elif where == "public":
            arn = f"arn:aws:s3:::corp-home/public/{key}"
        else:
            arn = f"arn:aws:s3:::prod-{self.pick(TEAMS)}/{key}"
        return arn, "us-east-1", {}

    def s3_put(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        arn, region, ctx = self.s3_object(me, tags)
        sse = self.rng.choices([None, "AES256", "aws:kms"], [40, 40, 20])[0]
        if sse:
            ctx["s3:x-amz-server-side-encryption"] = sse
        return arn, region, ctx

    def s3_bucket(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        bucket = self.pick(["corp-home", "corp-shared", f"dev-{self.team_of(tags)}",
                            f"prod-{self.pick(TEAMS)}"])
        return f"arn:aws:s3:::{bucket}", "us-east-1", {}

    def s3_list(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        arn, region, ctx = self.s3_bucket(me, tags)
        if self.chance(0.85):
            owner = me if self.chance(0.7) else self.pick(list(USERS))
            ctx["s3:prefix"] = self.pick([f"home/{owner}/", f"home/{owner}/{self.hexid(3)}/", "home/",
                                          "", f"{self.hexid(4)}/"])
        return arn, region, ctx

    def ec2_star(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        return "*", self.region(), {}

    def ec2_instance(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        region = self.region()
        ctx: Json = {}
        if self.chance(0.9):
            ctx["aws:ResourceTag/team"] = self.team_of(tags)
        return f"arn:aws:ec2:{region}:{ACCT}:instance/i-0{self.hexid(16)}", region, ctx

    def ec2_tags(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        arn, region, ctx = self.ec2_instance(me, tags)
        pool = ["team", "project", "owner", "Name", "security-zone", "aws:cloudformation:stack-name"]
        keys = self.rng.sample(pool, self.rng.randint(1, 3))
        ctx["aws:TagKeys"] = keys
        ctx.update({f"aws:RequestTag/{k}": self.team_of(tags) if k == "team" else self.hexid(4)
                    for k in keys})
        return arn, region, ctx

    def sts_role(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        return self.iam_role(me, tags)

    def sts_star(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        return "*", "us-east-1", {}

    def regional(self, service: str, template: str) -> Maker:
        """A maker for `arn:aws:{service}:{region}:{account}:{template}` (team and id filled in)."""
        def make(me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
            region = self.region()
            tail = template.format(team=self.team_of(tags), id=self.hexid(6),
                                   suffix=self.pick(["", "", "-prod"]))
            return f"arn:aws:{service}:{region}:{ACCT}:{tail}", region, {}
        return make

    def kms_key(self, me: str, tags: dict[str, str]) -> tuple[str, str, Json]:
        region = self.region()
        ctx: Json = {}
        if self.chance(0.8):
            service = self.pick(["s3", "dynamodb", "secretsmanager"])
            ctx["kms:ViaService"] = f"{service}.{region}.amazonaws.com"
        return f"arn:aws:kms:{region}:{ACCT}:key/{self.hexid(8)}-{self.hexid(4)}", region, ctx

    def _catalog(self) -> list[tuple[float, list[str], Maker]]:
        """(weight of the family, actions, resource maker)."""
        return [
            (6, ["iam:GetUser", "iam:ChangePassword", "iam:CreateAccessKey", "iam:ListAccessKeys",
                 "iam:DeleteAccessKey", "iam:UpdateAccessKey", "iam:ListGroupsForUser",
                 "iam:EnableMFADevice", "iam:ListMFADevices", "iam:DeleteUser",
                 "iam:DeleteUserPermissionsBoundary"], self.iam_user),
            (3, ["iam:ListUsers", "iam:GetAccountSummary", "iam:ListVirtualMFADevices",
                 "iam:GetAccountPasswordPolicy", "iam:GetAccountAuthorizationDetails",
                 "iam:GetCredentialReport", "iam:ListRoles"], self.iam_star),
            (1.5, ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"], self.iam_mfa),
            (1.5, ["iam:GetRole"], self.iam_role),
            (1.5, ["iam:PassRole"], self.iam_pass_role),
            (2, ["iam:CreateUser", "iam:AttachUserPolicy"], self.iam_create_user),
            (1, ["iam:TagUser"], self.iam_tag_user),
            (16, ["s3:GetObject", "s3:DeleteObject", "s3:GetObjectTagging"], self.s3_object),
            (7, ["s3:PutObject"], self.s3_put),
            (5, ["s3:ListBucket"], self.s3_list),
            (3, ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucket", "s3:GetBucketLocation"],
             self.s3_bucket),
            (1, ["s3:ListAllMyBuckets"], self.sts_star),
            (6, ["ec2:DescribeInstances", "ec2:DescribeVpcs", "ec2:DescribeSecurityGroups"], self.ec2_star),
            (8, ["ec2:StartInstances", "ec2:StopInstances", "ec2:RebootInstances",
                 "ec2:TerminateInstances"], self.ec2_instance),
            (3, ["ec2:CreateTags"], self.ec2_tags),
            (3, ["sts:AssumeRole"], self.sts_role),
            (2, ["sts:GetCallerIdentity", "sts:GetSessionToken"], self.sts_star),
            (7, ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"],
             self.regional("dynamodb", "table/{team}-orders{suffix}")),
            (3, ["lambda:InvokeFunction", "lambda:GetFunction"],
             self.regional("lambda", "function:{team}-handler-{id}")),
            (3, ["sqs:SendMessage", "sqs:ReceiveMessage"], self.regional("sqs", "{team}-jobs-{id}")),
            (2, ["sns:Publish"], self.regional("sns", "{team}-events-{id}")),
            (3, ["logs:CreateLogStream", "logs:PutLogEvents"],
             self.regional("logs", "log-group:/app/{team}/api:log-stream:{id}")),
            (2, ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms"],
             self.regional("cloudwatch", "alarm:{team}-latency-{id}")),
            (2, ["logs:DescribeLogGroups", "ec2:DescribeVolumes"], self.ec2_star),
            (3, ["kms:Decrypt", "kms:GenerateDataKey"], self.kms_key),
        ]

    # ----- the request

    def global_context(self, me: str, tags: dict[str, str], region: str) -> Json:
        """The keys AWS puts in every request of an IAM user: principal, network, MFA, time."""
        rng = self.rng
        ctx: Json = {
            "aws:username": me,
            "aws:userid": f"AIDA{zlib.crc32(me.encode()):010d}",
            "aws:PrincipalArn": f"arn:aws:iam::{ACCT}:user/{me}",
            "aws:PrincipalAccount": ACCT,
            "aws:PrincipalType": "User",
            "aws:RequestedRegion": region,
            "aws:SecureTransport": "true" if self.chance(0.95) else "false",
            "aws:ViaAWSService": "false",
        }
        ctx.update({f"aws:PrincipalTag/{k}": v for k, v in tags.items()})
        net = rng.choices(["corp", "vpn", "v6", "outside"], [72, 15, 8, 5])[0]
        ctx["aws:SourceIp"] = {
            "corp": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            "vpn": f"192.0.2.{rng.randint(1, 254)}",
            "v6": f"2001:db8:{rng.randint(0, 0xffff):x}::{rng.randint(1, 0xffff):x}",
            "outside": f"{self.pick(['198.51.100', '203.0.113'])}.{rng.randint(1, 254)}",
        }[net]
        mfa = rng.choices(["yes", "no", "absent"], [90, 5, 5])[0]
        if mfa == "yes":
            ctx["aws:MultiFactorAuthPresent"] = "true"
            ctx["aws:MultiFactorAuthAge"] = str(rng.choice([rng.randint(0, 3599), rng.randint(3600, 86400)]))
        elif mfa == "no":
            ctx["aws:MultiFactorAuthPresent"] = "false"
        moment = datetime(2025, 6, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 300 * 86400))
        ctx["aws:CurrentTime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        ctx["aws:EpochTime"] = str(int(moment.timestamp()))
        return ctx

    def request(self) -> Json:
        me = self.pick(list(USERS))
        tags = USERS[me]
        action, make = self.rng.choices(self.actions, self.weights)[0]
        resource, region, specific = make(me, tags)
        context = self.global_context(me, tags, region)
        context.update(specific)
        return {"principal": f"arn:aws:iam::{ACCT}:user/{me}", "action": action, "resource": resource,
                "resourceAccount": ACCT, "context": context}


def build_workload(n: int, seed: int) -> Json:
    """The whole workload: policies plus `n` distinct requests (deterministic for a seed)."""
    identity, boundary = build_policies()
    maker = RequestMaker(random.Random(seed))
    seen: set[str] = set()
    requests: list[Json] = []
    while len(requests) < n:
        req = maker.request()
        key = json.dumps(req, sort_keys=True)
        if key not in seen:
            seen.add(key)
            requests.append(req)
    return {"identityPolicies": identity, "permissionBoundaries": boundary, "resourcePolicy": None,
            "requests": requests}


# --------------------------------------------------------------------------------------------------
# Our engine
# --------------------------------------------------------------------------------------------------

def compile_set(workload: Json) -> PolicySet:
    """Parse every policy once and build the PolicySet the timed loop uses."""
    def parse(entries: list[Json]) -> list:
        return [parse_policy(p["policy"], kind="identity", name=p["name"]) for p in entries]

    return PolicySet(parse(workload["identityPolicies"]), parse(workload["permissionBoundaries"]))


def to_requests(workload: Json) -> list[Request]:
    return [Request(r["principal"], r["action"], r["resource"], r["context"], r.get("resourceAccount"))
            for r in workload["requests"]]


def run_compiled(policy_set: PolicySet, requests: list[Request]) -> list[str]:
    evaluate = policy_set.evaluate
    return [evaluate(r).decision for r in requests]


def time_compiled(workload: Json, runs: int = 3) -> tuple[list[str], list[float], float]:
    """Decisions, the seconds of each timed run, and the one-off compile time (parse + PolicySet)."""
    start = time.perf_counter()
    policy_set = compile_set(workload)
    compile_seconds = time.perf_counter() - start
    requests = to_requests(workload)
    times: list[float] = []
    decisions: list[str] = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        decisions = run_compiled(policy_set, requests)
        times.append(time.perf_counter() - start)
    return decisions, times, compile_seconds


def case_for(workload: Json, req: Json) -> Json:
    return {"identityPolicies": [p["policy"] for p in workload["identityPolicies"]],
            "permissionBoundaries": [p["policy"] for p in workload["permissionBoundaries"]],
            "resourcePolicy": workload["resourcePolicy"], "request": req}


def time_evaluate_case(workload: Json) -> tuple[list[str], float]:
    """The JSON contract per request: dumps each document for its parse cache, new PolicySet each time."""
    cases = [case_for(workload, r) for r in workload["requests"]]
    gc.collect()
    start = time.perf_counter()
    decisions = [evaluate_case(c)["decision"] for c in cases]
    return decisions, time.perf_counter() - start


def time_reparse(workload: Json, sample: int) -> tuple[list[str], float]:
    """Truly naive: parse_policy every document for every request (on the first `sample` requests)."""
    docs = [(p["policy"], p["name"]) for p in workload["identityPolicies"]]
    bdocs = [(p["policy"], p["name"]) for p in workload["permissionBoundaries"]]
    requests = to_requests(workload)[:sample]
    gc.collect()
    start = time.perf_counter()
    decisions = []
    for req in requests:
        ps = PolicySet([parse_policy(d, kind="identity", name=n) for d, n in docs],
                       [parse_policy(d, kind="identity", name=n) for d, n in bdocs])
        decisions.append(ps.evaluate(req).decision)
    return decisions, time.perf_counter() - start


def traced_peak(workload: Json) -> int:
    """Peak bytes allocated by Python (tracemalloc) while compiling and evaluating everything once."""
    gc.collect()
    tracemalloc.start()
    run_compiled(compile_set(workload), to_requests(workload))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def profile_compiled(workload: Json, top: int) -> str:
    """cProfile of one pass of the compiled loop: the top functions by own time."""
    policy_set = compile_set(workload)
    requests = to_requests(workload)
    run_compiled(policy_set, requests)  # warm the per-action cache, as the timed best run is
    profiler = cProfile.Profile()
    profiler.enable()
    run_compiled(policy_set, requests)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


# --------------------------------------------------------------------------------------------------
# iam-simulate (Node)
# --------------------------------------------------------------------------------------------------

def ensure_package() -> str | None:
    """None when the runner can run; otherwise why not (node missing, install failed)."""
    node = shutil.which("node")
    if node is None:
        return "node is not installed"
    if PACKAGE_DIR.is_dir():
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed (needed once: npm ci --prefix bench)"
    print("installing @cloud-copilot/iam-simulate: npm ci --prefix bench ...", flush=True)
    done = subprocess.run([npm, "ci", "--prefix", str(BENCH), "--no-audit", "--no-fund"],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0 or not PACKAGE_DIR.is_dir():
        return f"npm ci --prefix bench failed: {done.stderr.strip()[-500:]}"
    return None


def run_iam_simulate(workload_path: Path, mode: str) -> Json:
    """Run the Node runner on the workload file; its JSON result."""
    done = subprocess.run(["node", str(RUNNER), str(workload_path), mode], capture_output=True,
                          text=True, check=False, cwd=BENCH)
    if done.returncode != 0:
        raise RuntimeError(f"iam-simulate runner failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------

def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def counts_line(decisions: Sequence[str]) -> str:
    counts = Counter(decisions)
    total = len(decisions) or 1
    parts = [f"{d} {counts.get(d, 0)} ({100 * counts.get(d, 0) / total:.1f}%)" for d in DECISIONS]
    others = {k: v for k, v in counts.items() if k not in DECISIONS}
    if others:
        parts.append(f"other {sum(others.values())} {dict(others)}")
    return ", ".join(parts)


def short_context(ctx: Json) -> Json:
    """The request context without the keys that are the same in every request of a user."""
    skip = {"aws:userid", "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalType",
            "aws:ViaAWSService", "aws:EpochTime"}
    return {k: v for k, v in ctx.items() if k not in skip}


def variable_starts_resource_part(policy_set: PolicySet, request: Request) -> bool:
    """Whether a statement that decided this request has a Resource like arn:aws:sqs:*:1:${aws:x}-*.

    iam-simulate 0.1.173 splits the resource part at the first '/' or ':' to find a resource type
    before it substitutes variables, so it never matches such a pattern (AWS does: variables may
    stand anywhere in the resource part). These disagreements are its limitation, not ours.
    """
    by_name = {p.name: p for p in (*policy_set.identity_policies, *(policy_set.permission_boundaries or ()))}
    for matched in policy_set.evaluate(request).matched:
        statement = by_name[matched.policy].statements[matched.index]
        for pattern in statement.resources or ():
            parts = pattern.text.split(":", 5)
            if len(parts) == 6 and parts[5].startswith("${"):
                return True
    return False


def disagreements(workload: Json, ours: list[str], theirs: list[str], show: int, label: str) -> list[int]:
    """Print the disagreements (grouped by kind, then the first few in full); return their indexes."""
    diff = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
    print(f"  disagreements with {label}: {len(diff)} of {len(ours)}")
    if not diff:
        return []
    kinds = Counter((workload["requests"][i]["action"], ours[i], theirs[i]) for i in diff)
    print("  by kind (action: ours -> theirs: count):")
    for (action, a, b), n in kinds.most_common():
        print(f"    {action}: {a} -> {b}: {n}")
    print(f"  first {min(show, len(diff))}, one per kind first:")
    firsts: dict[tuple[str, str, str], int] = {}
    for i in diff:
        firsts.setdefault((workload["requests"][i]["action"], ours[i], theirs[i]), i)
    order = list(firsts.values()) + [i for i in diff if i not in firsts.values()]
    for i in order[:show]:
        r = workload["requests"][i]
        print(f"    #{i} {r['action']} on {r['resource']} by {r['principal'].rsplit('/', 1)[-1]}")
        print(f"       ours={ours[i]} {label}={theirs[i]}")
        print(f"       context={json.dumps(short_context(r['context']), sort_keys=True)}")
    return diff


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000, help="distinct requests (default 10000)")
    parser.add_argument("--seed", type=int, default=20240917, help="workload seed")
    parser.add_argument("--no-node", action="store_true", help="skip iam-simulate")
    parser.add_argument("--unsafe", action="store_true",
                        help="also time iam-simulate's runUnsafeSimulation (no validation)")
    parser.add_argument("--show", type=int, default=8, help="disagreements to print in full")
    parser.add_argument("--reparse-sample", type=int, default=500,
                        help="requests for the parse-every-time baseline")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the top N functions of a cProfile of the compiled loop "
                             "(done anyway, top 15, when the 30x target is missed)")
    parser.add_argument("--keep-workload", type=Path, help="also write the workload JSON here")
    args = parser.parse_args(argv)

    workload = build_workload(args.requests, args.seed)
    n = len(workload["requests"])
    statements = sum(len(p["policy"]["Statement"])
                     for p in workload["identityPolicies"] + workload["permissionBoundaries"])
    actions = {r["action"] for r in workload["requests"]}
    print("== workload")
    print(f"  policies: {len(workload['identityPolicies'])} identity + "
          f"{len(workload['permissionBoundaries'])} boundary, {statements} statements")
    print(f"  requests: {n} distinct, {len(actions)} actions in "
          f"{len({a.split(':')[0] for a in actions})} services, {len(USERS)} users, seed {args.seed}")

    print("== our engine: PolicySet compiled once")
    ours, times, compile_s = time_compiled(workload)
    best = min(times)
    ours_rate = n / best
    print(f"  compile (parse {len(workload['identityPolicies']) + len(workload['permissionBoundaries'])} "
          f"policies + PolicySet): {compile_s * 1000:.1f} ms")
    print(f"  runs: {', '.join(f'{t:.3f}s' for t in times)} (first run fills the per-action cache)")
    print(f"  decisions: {counts_line(ours)}")
    print(f"  throughput (best of {len(times)}): {ours_rate:,.0f} decisions/s")

    print("== our engine: naive paths")
    case_decisions, case_s = time_evaluate_case(workload)
    case_rate = n / case_s
    print(f"  evaluate_case per request (JSON contract; parse cache keyed by json.dumps, new PolicySet "
          f"each time): {case_rate:,.0f} decisions/s -> compiled is {ours_rate / case_rate:.1f}x faster;"
          f" disagreements with compiled: {sum(a != b for a, b in zip(ours, case_decisions, strict=True))}")
    sample = min(args.reparse_sample, n)
    reparse_decisions, reparse_s = time_reparse(workload, sample)
    reparse_rate = sample / reparse_s
    print(f"  parse_policy every document for every request ({sample} requests): {reparse_rate:,.0f} "
          f"decisions/s -> compiled is {ours_rate / reparse_rate:.0f}x faster; disagreements with "
          f"compiled: {sum(a != b for a, b in zip(ours, reparse_decisions, strict=False))}")

    py_peak = traced_peak(workload)
    py_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    print("== @cloud-copilot/iam-simulate")
    theirs: list[str] | None = None
    sim: Json = {}
    unsafe: Json | None = None
    why_not = "skipped (--no-node)" if args.no_node else ensure_package()
    if why_not:
        print(f"  SKIPPED: {why_not}")
    else:
        with tempfile.TemporaryDirectory(prefix="iam-bench-") as tmp:
            path = Path(tmp) / "workload.json"
            path.write_text(json.dumps(workload))
            if args.keep_workload:
                args.keep_workload.write_text(json.dumps(workload, indent=1))
            sim = run_iam_simulate(path, "safe")
            if args.unsafe:
                unsafe = run_iam_simulate(path, "unsafe")
        theirs = sim["decisions"]
        print(f"  version {sim['version']} ({sim['api']})")
        print(f"  decisions: {counts_line(theirs)}")
        sim_rate = n / sim["seconds"]
        print(f"  throughput (one timed pass after a warm-up): {sim_rate:,.0f} decisions/s")
        if unsafe is not None:
            print(f"  runUnsafeSimulation: {n / unsafe['seconds']:,.0f} decisions/s; "
                  f"decisions: {counts_line(unsafe['decisions'])}")

    print("== comparison")
    print(f"  requests: {n}")
    print(f"  ours (compiled): {ours_rate:,.0f} decisions/s")
    print(f"  ours (evaluate_case per request): {case_rate:,.0f} decisions/s")
    ratio = None
    if theirs is not None:
        sim_rate = n / sim["seconds"]
        ratio = ours_rate / sim_rate
        print(f"  iam-simulate: {sim_rate:,.0f} decisions/s")
        print(f"  ratio ours/iam-simulate: {ratio:.1f}x (evaluate_case path: {case_rate / sim_rate:.1f}x)")
    print(f"  peak memory, ours: tracemalloc peak {mib(py_peak)} (compile + one pass); "
          f"process maxrss {mib(py_rss)}")
    if theirs is not None:
        print(f"  peak memory, iam-simulate: process maxRSS {mib(sim['rss_peak'])}; "
              f"V8 heap used after the loop {mib(sim['heap_used'])}")
    unexplained: list[int] = []
    if theirs is not None:
        diff = disagreements(workload, ours, theirs, args.show, "iam-simulate")
        policy_set, requests = compile_set(workload), to_requests(workload)
        unexplained = [i for i in diff if not variable_starts_resource_part(policy_set, requests[i])]
        print(f"  of which iam-simulate's known limitation (a policy variable starts the ARN's resource "
              f"part; see bench/README.md): {len(diff) - len(unexplained)}; unexplained: {len(unexplained)}")
        if unsafe is not None:
            disagreements(workload, ours, unsafe["decisions"], min(args.show, 3), "iam-simulate unsafe")

    print("== verdict")
    if ratio is None:
        print("  SPEED: SKIPPED (no iam-simulate run)")
        print("  AGREEMENT: SKIPPED (no iam-simulate run)")
    else:
        verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
        print(f"  SPEED: {verdict} ({ratio:.1f}x iam-simulate; target >= {TARGET_RATIO:.0f}x)")
        print(f"  AGREEMENT: {'PASS' if not unexplained else 'FAIL'} "
              f"({len(unexplained)} of {n} decisions differ from iam-simulate beyond its known limitation)")
    if args.profile or (ratio is not None and ratio < TARGET_RATIO):
        print(f"== profile of the compiled loop (top {args.profile or 15} by own time)")
        print(profile_compiled(workload, args.profile or 15))
    return 0


if __name__ == "__main__":
    sys.exit(main())
