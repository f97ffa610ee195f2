"""Benchmark: the access matrix (accounts/selectors/access_matrix.py) on a large account.

Run from the project root: `.venv/bin/python bench/access_matrix.py` (see bench/README.md). It seeds one
account with 5,000 users, 300 groups, 1,000 customer managed policies and 100 roles (a realistic mix:
team and function groups, group attachments, some direct attachments, inline policies, permissions
boundaries, Deny statements, conditions and policy variables) straight through the ORM with
bulk_create, not through the services: the services authorize, audit and bump generations one entity
at a time, which would take minutes and measure nothing this benchmark is about. Then it times, as the
median of several runs:

- who_can(iam:DeleteUser, arn:aws:iam::<account>:user/x), against the naive way (the baseline, in the
  same run): each principal's policy set loaded through accounts/authz.py's loaders and evaluated;
- principal_actions for one principal (every catalogued action), against the naive way: its policy set
  loaded through accounts/authz.py and each action evaluated.

It prints the times, the ratios, the query counts, the first (cold: documents compiled) run, and peak
memory (tracemalloc's peak of one who_can run; the process's ru_maxrss). It checks that the matrix
and the baseline agree on who is allowed. SQLite in a temporary file by default; PostgreSQL with
--database-url postgres://postgres@127.0.0.1:5432/NAME (the database is dropped, created, and dropped
at the end). A benchmark, not a test: it exits 0 unless something crashed (or they disagree).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import resource as rusage
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.0  # "well under a second" for who_can on 5,000 users


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--groups", type=int, default=300)
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--roles", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each query (median)")
    parser.add_argument("--baseline-runs", type=int, default=3, help="timed runs of the naive baseline")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--database-url", help="postgres://…/NAME (default: SQLite in a temporary file)")
    return parser.parse_args()


@contextmanager
def database(url: str | None) -> Iterator[str]:
    """A fresh, empty database: a temporary SQLite file, or the PostgreSQL database named (recreated)."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="bench-access-matrix-") as tmp:
            yield f"sqlite:///{tmp}/portal.sqlite3"
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = parts._replace(path="/postgres").geturl()

    def execute(sql: str) -> None:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(sql)

    execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    execute(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        from django.db import connections

        connections.close_all()
        execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- The account --------------------------------------------------------------------------------------


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def policy_document(rng: random.Random, p: int, acct: str) -> str:
    """A customer managed policy: mostly team permissions on parts of IAM, some Denies and conditions."""
    if p == 0:
        return document({"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"})
    if p == 1:
        return document(
            {"Sid": "ManageUsers", "Effect": "Allow", "Action": ["iam:*User*", "iam:*Group*"],
             "Resource": [f"arn:aws:iam::{acct}:user/*", f"arn:aws:iam::{acct}:group/*"]}
        )  # fmt: skip
    if p < 6:  # permissions boundaries
        return document(
            {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "sts:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:Delete*", "Resource": "*"},
        )
    team = f"team{p % 60}"
    statements: list[dict] = [
        {"Sid": f"Read{p}", "Effect": "Allow", "Action": rng.sample(["iam:Get*", "iam:List*", "iam:Simulate*",
         "iam:GenerateCredentialReport", "iam:GetCredentialReport"], 2), "Resource": "*"},
        {"Effect": "Allow", "Action": ["iam:*AccessKey*", "iam:*LoginProfile", "iam:ChangePassword"],
         "Resource": f"arn:aws:iam::{acct}:user/${{aws:username}}"},
    ]  # fmt: skip
    roll = rng.random()
    if roll < 0.08:
        statements.append(
            {"Effect": "Allow", "Action": ["iam:CreateUser", "iam:DeleteUser", "iam:TagUser"],
             "Resource": f"arn:aws:iam::{acct}:user/{team}/*"}
        )  # fmt: skip
    elif roll < 0.12:
        statements.append(
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
        )  # fmt: skip
    elif roll < 0.16:
        statements.append(
            {"Effect": "Allow", "Action": ["iam:*Role*", "iam:PassRole"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalTag/team": team}}}
        )  # fmt: skip
    if rng.random() < 0.06:
        statements.append(
            {"Sid": "Protect", "Effect": "Deny", "Action": ["iam:Delete*", "iam:Remove*"],
             "Resource": [f"arn:aws:iam::{acct}:user/admin*", f"arn:aws:iam::{acct}:role/admin*"]}
        )  # fmt: skip
    if rng.random() < 0.05:
        statements.append(
            {"Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*"], "Resource": "*",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
        )  # fmt: skip
    return document(*statements)


def seed(args: argparse.Namespace):
    """The account, bulk-created; returns its root user."""
    from accounts.models import Group, GroupMembership, Role, User, unique_id
    from accounts.services.account import create_account
    from policies.models import (
        GroupPolicy,
        GroupPolicyAttachment,
        ManagedPolicy,
        PolicyVersion,
        RolePolicy,
        RolePolicyAttachment,
        UserPolicy,
        UserPolicyAttachment,
    )

    rng = random.Random(args.seed)
    root = create_account(email="bench@example.com", password="correct horse battery staple")
    account, acct = root.account, root.account.account_id
    policies = ManagedPolicy.objects.bulk_create(
        ManagedPolicy(
            account=account, policy_name=f"policy-{p:04d}", policy_id=unique_id("ANPA"),
            arn=f"arn:aws:iam::{acct}:policy/policy-{p:04d}",
        )
        for p in range(args.policies)
    )  # fmt: skip
    if policies[0].pk is None:  # a backend that does not return keys from bulk_create
        policies = list(ManagedPolicy.objects.filter(account=account).order_by("policy_name"))
    PolicyVersion.objects.bulk_create(
        PolicyVersion(policy=policy, version_id="v1", document=policy_document(rng, p, acct), is_default=True)
        for p, policy in enumerate(policies)
    )
    groups = Group.objects.bulk_create(
        Group(account=account, group_name=f"group-{g:03d}", group_id=unique_id("AGPA"))
        for g in range(args.groups)
    )
    if groups[0].pk is None:
        groups = list(Group.objects.filter(account=account).order_by("group_name"))
    # Group 0 holds the administrators, group 1 the user administrators; the others 2-5 policies each.
    attachments = [GroupPolicyAttachment(group=groups[0], policy=policies[0])]
    attachments.append(GroupPolicyAttachment(group=groups[1], policy=policies[1]))
    for group in groups[2:]:
        for policy in rng.sample(policies[6:], rng.randint(2, 5)):
            attachments.append(GroupPolicyAttachment(group=group, policy=policy))
    GroupPolicyAttachment.objects.bulk_create(attachments)
    GroupPolicy.objects.bulk_create(
        GroupPolicy(group=group, policy_name="inline", document=policy_document(rng, 1000 + g, acct))
        for g, group in enumerate(groups[2:])
        if rng.random() < 0.2
    )
    teams = max(1, (args.groups - 2) * 2 // 3)  # team groups; the rest are function groups
    users = User.objects.bulk_create(
        User(
            account=account, user_name=f"user-{i:05d}", user_id=unique_id("AIDA"), password="!",
            tags={"team": f"team{i % 60}"},
            permissions_boundary=policies[2 + i % 4] if rng.random() < 0.05 and args.policies > 6 else None,
        )
        for i in range(args.users)
    )  # fmt: skip
    if users[0].pk is None:
        users = list(User.objects.filter(account=account, is_root=False).order_by("user_name"))
    memberships = []
    for i, user in enumerate(users):
        chosen = {2 + i % teams}
        if rng.random() < 0.5 and args.groups > teams + 2:
            chosen.add(rng.randrange(teams + 2, args.groups))
        if i < 20:
            chosen.add(0)  # twenty administrators
        elif i < 60:
            chosen.add(1)  # forty user administrators
        memberships += [GroupMembership(group=groups[g], user=user) for g in chosen]
    GroupMembership.objects.bulk_create(memberships)
    UserPolicyAttachment.objects.bulk_create(
        UserPolicyAttachment(user=user, policy=policy)
        for user in users
        if rng.random() < 0.1
        for policy in rng.sample(policies[6:], rng.randint(1, 2))
    )
    UserPolicy.objects.bulk_create(
        UserPolicy(user=user, policy_name="own", document=policy_document(rng, 2000 + i, acct))
        for i, user in enumerate(users)
        if rng.random() < 0.1
    )
    trust = document(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )
    roles = Role.objects.bulk_create(
        Role(
            account=account,
            role_name=f"role-{r:03d}",
            role_id=unique_id("AROA"),
            assume_role_policy_document=trust,
        )
        for r in range(args.roles)
    )
    if roles and roles[0].pk is None:
        roles = list(Role.objects.filter(account=account).order_by("role_name"))
    RolePolicyAttachment.objects.bulk_create(
        RolePolicyAttachment(role=role, policy=policy)
        for role in roles
        for policy in ([policies[0]] if role.role_name == "role-000" else rng.sample(policies[6:], 2))
    )
    RolePolicy.objects.bulk_create(
        RolePolicy(role=role, policy_name="own", document=policy_document(rng, 3000 + r, acct))
        for r, role in enumerate(roles)
        if rng.random() < 0.3
    )
    return root


# --- The naive baselines ------------------------------------------------------------------------------


def naive_who_can(account, action: str, resource: str) -> set[str]:
    """Each principal's policy set loaded through accounts/authz.py (a few queries each), evaluated."""
    from accounts import authz
    from accounts.models import Role, SessionCredential, User
    from accounts.selectors.access_matrix import _Principal, principal_context
    from policies.engine import Request

    allowed = set()
    for user in User.objects.filter(account=account, is_root=False).select_related("account"):
        principal = _Principal(user.pk, "User", user.user_name, user.arn, user.user_id, user.tags, None)
        context = principal_context(account.account_id, principal, None)
        if authz._load_policy_set(user).evaluate(Request(user.arn, action, resource, context)).allowed:
            allowed.add(user.arn)
    for role in Role.objects.filter(account=account).select_related("account"):
        session = SessionCredential(account=account, access_key_id="bench", role=role, role_session_name="s")
        principal = _Principal(role.pk, "Role", role.role_name, role.arn, role.role_id, role.tags, None)
        context = principal_context(account.account_id, principal, None)
        policy_set = authz._load_role_policy_set(role, session)
        if policy_set.evaluate(Request(role.arn, action, resource, context)).allowed:
            allowed.add(role.arn)
    return allowed


def naive_principal_actions(user) -> set[str]:
    """One user's policy set loaded through accounts/authz.py, each catalogued action evaluated on "*"."""
    from accounts import authz
    from accounts.selectors.access_matrix import CATALOGUE, _Principal, principal_context
    from policies.engine import Request

    principal = _Principal(user.pk, "User", user.user_name, user.arn, user.user_id, user.tags, None)
    context = principal_context(user.account.account_id, principal, None)
    policy_set = authz._load_policy_set(user)
    return {a for a in CATALOGUE if policy_set.evaluate(Request(user.arn, a, "*", context)).allowed}


# --- Measuring ----------------------------------------------------------------------------------------


def timed(fn: Callable[[], object], runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def queries_of(fn: Callable[[], object]) -> int:
    """Queries run by fn (counted as they run: Django's query log keeps only the last 9,000)."""
    from django.db import connection

    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        fn()
    return count


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> int:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    with database(args.database_url) as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iam_portal.settings")
        # DEBUG off (Django keeps no query log), with throwaway keys: nothing secret is made here.
        os.environ["DJANGO_DEBUG"] = "false"
        os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(40))
        os.environ.setdefault(
            "IAM_PORTAL_SECRET_KEY", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        )
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # one root password
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        print(f"database: {engine}; migrating …", flush=True)
        call_command("migrate", verbosity=0)
        start = time.perf_counter()
        root = seed(args)
        print(f"seeded in {time.perf_counter() - start:.1f} s (bulk_create through the ORM)")
        return measure(args, root)


def measure(args: argparse.Namespace, root) -> int:
    from django.db.models import F

    from accounts.context import system_context
    from accounts.models import GroupMembership, Role, User
    from accounts.selectors.access_matrix import CATALOGUE, principal_actions, who_can
    from policies.models import GroupPolicy, GroupPolicyAttachment, PolicyVersion, UserPolicy

    account, acct = root.account, root.account.account_id
    ctx = system_context(root)
    print(
        f"account: {User.objects.filter(account=account, is_root=False).count()} users, "
        f"{account.groups.count()} groups, {Role.objects.filter(account=account).count()} roles, "
        f"{PolicyVersion.objects.filter(policy__account=account).count()} customer managed policies, "
        f"{GroupMembership.objects.filter(group__account=account).count()} memberships, "
        f"{GroupPolicyAttachment.objects.filter(group__account=account).count()} group attachments, "
        f"{UserPolicy.objects.filter(user__account=account).count()} user and "
        f"{GroupPolicy.objects.filter(group__account=account).count()} group inline policies, "
        f"{User.objects.filter(account=account, permissions_boundary__isnull=False).count()} boundaries"
    )
    action, resource = "iam:DeleteUser", f"arn:aws:iam::{acct}:user/x"

    def matrix() -> object:
        return who_can(ctx, action_name=action, resource_arn=resource, max_items=1000)

    # The subject of principal_actions: the user with the most policies (groups, direct, inline, boundary).
    subject = (
        User.objects.filter(account=account, is_root=False)
        .select_related("account")
        .order_by(F("permissions_boundary").desc(nulls_last=True), "pk")
        .filter(inline_policies__isnull=False, policy_attachments__isnull=False)
        .first()
    ) or User.objects.filter(account=account, is_root=False).select_related("account").first()

    def actions() -> object:
        return principal_actions(ctx, principal_arn=subject.arn, max_items=1000)

    cold_times, _ = timed(matrix, 1)
    cold_actions, _ = timed(actions, 1)
    who_times, page = timed(matrix, args.runs)
    act_times, listed = timed(actions, args.runs)
    base_times, naive_allowed = timed(lambda: naive_who_can(account, action, resource), args.baseline_runs)
    base_act_times, naive_actions = timed(lambda: naive_principal_actions(subject), args.runs)

    matrix_allowed = {row.principal_arn for row in page.items}
    allowed_actions = {a.action for a in listed.page.items if a.access in ("all-resources", "some-resources")}
    # On "*", some-resources also covers actions allowed only on some ARNs: compare the all-resources ones.
    everywhere = {a.action for a in listed.page.items if a.access == "all-resources"}
    agree_who = matrix_allowed == naive_allowed
    agree_actions = everywhere <= naive_actions <= allowed_actions

    who, base = statistics.median(who_times), statistics.median(base_times)
    act, base_act = statistics.median(act_times), statistics.median(base_act_times)
    print()
    print(f"who can {action} on {resource}: {len(matrix_allowed)} principals allowed")
    print(f"  matrix   median {ms(who)} of {args.runs} (cold first run {ms(cold_times[0])}), "
          f"{queries_of(matrix)} queries")  # fmt: skip
    print(f"  baseline median {ms(base)} of {args.baseline_runs} (authz loaders per principal), "
          f"{queries_of(lambda: naive_who_can(account, action, resource))} queries")  # fmt: skip
    print(f"  ratio baseline/matrix {base / who:.1f}x; {'PASS' if who < TARGET_SECONDS else 'FAIL'} "
          f"(< {TARGET_SECONDS:.0f} s); agreement {'PASS' if agree_who else 'FAIL'}")  # fmt: skip
    print(f"principal actions of {subject.arn} ({len(CATALOGUE)} catalogued actions): "
          f"{len(listed.page.items)} listed ({len(everywhere)} on all resources)")  # fmt: skip
    print(f"  matrix   median {ms(act)} of {args.runs} (cold first run {ms(cold_actions[0])}), "
          f"{queries_of(actions)} queries")  # fmt: skip
    print(f"  baseline median {ms(base_act)} of {args.runs} (authz loader, decisions only), "
          f"{queries_of(lambda: naive_principal_actions(subject))} queries")  # fmt: skip
    print(f"  ratio baseline/matrix {base_act / act:.2f}x; agreement {'PASS' if agree_actions else 'FAIL'}")

    pattern_times, pattern_page = timed(
        lambda: who_can(ctx, action_name="iam:Delete*", resource_arn=resource, max_items=1000), 1
    )
    print(f"who can iam:Delete* (a pattern: one evaluation per matching action): {ms(pattern_times[0])}, "
          f"{len(pattern_page.items)} principals")  # fmt: skip

    tracemalloc.start()
    matrix()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = rusage.getrusage(rusage.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memory: who_can's tracemalloc peak {peak / 2**20:.1f} MiB; process ru_maxrss {rss:.0f} MiB")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if agree_who and agree_actions else 1


if __name__ == "__main__":
    sys.exit(main())
