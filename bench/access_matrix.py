"""Benchmark: the access matrix (accounts/selectors/access_matrix.py) on a large account.

Run from the project root: `.venv/bin/python bench/access_matrix.py` (see bench/README.md). It seeds one
account with 5,000 users, 300 groups, 1,000 customer managed policies and 100 roles with
`manage.py seeddemo`'s generator (accounts/services/demo_data.py: team groups, group attachments,
some direct attachments, inline policies, permissions boundaries, Deny statements, conditions and
policy variables, AdministratorAccess on one group), in bulk rather than through the services. Then
it times, as the median of several runs:

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
import os
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


def seed(args: argparse.Namespace):
    """The account (manage.py seeddemo's, accounts/services/demo_data.py); returns its root user."""
    from accounts.context import system_context
    from accounts.services.account import create_account
    from accounts.services.demo_data import DemoSize, seed_demo

    root = create_account(email="bench@example.com", password="correct horse battery staple")
    size = DemoSize(users=args.users, groups=args.groups, policies=args.policies, roles=args.roles)
    seed_demo(system_context(root), size, seed=args.seed)
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
        print(f"seeded in {time.perf_counter() - start:.1f} s (accounts/services/demo_data.py)")
        return measure(args, root)


def measure(args: argparse.Namespace, root) -> int:

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

    # The subject of principal_actions: an administrator (AdministratorAccess through a group, no
    # boundary): every catalogued action is listed with its grant.
    subject = (
        User.objects.filter(account=account, is_root=False, permissions_boundary__isnull=True)
        .filter(memberships__group__policy_attachments__policy__policy_name="AdministratorAccess")
        .select_related("account")
        .order_by("pk")
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
