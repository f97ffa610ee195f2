"""Benchmark: what the largest reads cost the server at 5,000 users, against the same account at 50.

Run from the project root: `.venv/bin/python bench/scale.py` (SQLite in a temporary folder) or with
`--database-url postgres://postgres@127.0.0.1:5432/bench_scale`. For each size (the baseline, 50 users
by default, then `--users`, 5,000 by default) it migrates a fresh database, signs up an account
(manage.py createaccount), fills it (manage.py seeddemo: users, groups, policies, memberships,
attachments, inline policies, keys, MFA devices), serves it with one gunicorn worker
(IAM_PORTAL_SERVER_TIMING on, DEBUG off) and asks for, `--repeat` times each:

- the console's user list and one user's detail page (a signed-in root session);
- ListUsers, its first page (MaxItems 100) and every page (MaxItems 1000);
- GetAccountAuthorizationDetails, its first page (MaxItems 100) and every page (MaxItems 1000);
- GenerateCredentialReport (which builds the report) and GetCredentialReport, once (the first call).

The server's own time and query count come from the Server-Timing header of each response (the median
of the repeats; a whole listing adds its pages up). It prints both sizes side by side with the ratio,
the seeding time, and the peak resident memory (VmHWM) of the worker after everything (target: under
200 MB). A benchmark, not a test: it exits 0 unless something failed.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from query_api import (
    ROOT,
    BenchError,
    PortalSetup,
    Server,
    free_port,
    make_client,
    postgres_database,
    prepare_portal,
)

TIMING = re.compile(r'app;dur=([\d.]+), db;dur=([\d.]+);desc="(\d+) queries"')
WORKER_RSS_TARGET_MIB = 200


@dataclass(frozen=True)
class Cost:
    """What the server spent on one operation (a listing: all its pages added up)."""

    ms: float
    db_ms: float
    queries: int
    calls: int = 1


def _cost(header: str | None) -> Cost:
    found = TIMING.fullmatch(header or "")
    if found is None:
        raise BenchError(f"no Server-Timing header in the response ({header!r})")
    return Cost(float(found[1]), float(found[2]), int(found[3]))


def _total(costs: list[Cost]) -> Cost:
    return Cost(
        sum(c.ms for c in costs), sum(c.db_ms for c in costs), sum(c.queries for c in costs), len(costs)
    )


def _median(runs: list[Cost]) -> Cost:
    middle = sorted(runs, key=lambda c: c.ms)[len(runs) // 2]
    return Cost(statistics.median(c.ms for c in runs), middle.db_ms, middle.queries, middle.calls)


def manage(setup: PortalSetup, *argv: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *argv],
        cwd=ROOT,
        env=setup.env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BenchError(f"manage.py {argv[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


ACCOUNT_SNIPPET = """
import django
django.setup()
from accounts.models import Account
print(Account.objects.get().account_id)
"""
SESSION_SNIPPET = """
import django, json
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User
root = User.objects.get(is_root=True)
session = SessionStore()
session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(root.pk), "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = root.get_session_auth_hash()
session.create()
users = User.objects.filter(is_root=False).order_by("user_name")
user = users[users.count() // 2]
print(json.dumps({"session": session.session_key, "user": user.user_name}))
"""


def seed(setup: PortalSetup, args: argparse.Namespace, users: int) -> tuple[dict[str, str], float]:
    """Fill the account; the console session of its root user, a user in the middle, the seeding time."""
    python = [sys.executable, "-c"]
    account = subprocess.run([*python, ACCOUNT_SNIPPET], cwd=ROOT, env=setup.env, capture_output=True,
                             text=True, check=True).stdout.strip()  # fmt: skip
    groups, policies = max(1, users * args.groups // args.users), max(1, users * args.policies // args.users)
    out = manage(setup, "seeddemo", "--account", account, "--users", str(users), "--groups", str(groups),
                 "--policies", str(policies), "--roles", str(max(1, users // 50)))  # fmt: skip
    seconds = float(re.search(r"seeded in ([\d.]+) s", out)[1])
    done = subprocess.run([*python, SESSION_SNIPPET], cwd=ROOT, env=setup.env, capture_output=True, text=True,
                          check=True)  # fmt: skip
    return json.loads(done.stdout), seconds


def console_get(url: str, session: str) -> Cost:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        if response.status != 200 or "/signin" in response.url:
            raise BenchError(f"{url} answered {response.status} at {response.url}")
        response.read()
        return _cost(response.headers.get("Server-Timing"))


def _timing(response: dict[str, Any]) -> Cost:
    return _cost(response["ResponseMetadata"]["HTTPHeaders"].get("server-timing"))


def all_pages(call: Callable[..., dict[str, Any]], page_size: int) -> Cost:
    costs, marker = [], None
    while True:
        response = call(MaxItems=page_size, **({"Marker": marker} if marker else {}))
        costs.append(_timing(response))
        if not response.get("IsTruncated"):
            return _total(costs)
        marker = response["Marker"]


def measure(server: Server, setup: PortalSetup, found: dict[str, str], repeat: int) -> dict[str, Cost]:
    iam = make_client(server.url, *setup.root_key)
    base = server.url

    def new_credential_report() -> Cost:
        """Generate builds the report (a later call within 4 hours keeps it, as AWS does), then Get."""
        return _total([_timing(iam.generate_credential_report()), _timing(iam.get_credential_report())])

    operations: dict[str, Callable[[], Cost]] = {
        "console: user list": lambda: console_get(f"{base}/console/users/", found["session"]),
        "console: user detail": lambda: console_get(
            f"{base}/console/users/{found['user']}/", found["session"]
        ),
        "ListUsers, first page (100)": lambda: _timing(iam.list_users(MaxItems=100)),
        "ListUsers, every page (1000)": lambda: all_pages(iam.list_users, 1000),
        "GetAccountAuthorizationDetails, first page (100)": lambda: _timing(
            iam.get_account_authorization_details(MaxItems=100)
        ),
        "GetAccountAuthorizationDetails, every page (1000)": lambda: all_pages(
            iam.get_account_authorization_details, 1000
        ),
    }
    results = {"Generate (builds) + GetCredentialReport, once": new_credential_report()}
    for name, operation in operations.items():
        operation()  # warm: the worker's caches, as in a running deployment
        results[name] = _median([operation() for _ in range(repeat)])
    return results


def run_size(args: argparse.Namespace, users: int, tmp: Path) -> tuple[dict[str, Cost], float, int]:
    with ExitStack() as stack:
        if args.database_url:
            stack.enter_context(postgres_database(args.database_url))
            database_url = args.database_url
        else:
            database_url = f"sqlite:///{tmp / f'scale-{users}.sqlite3'}"
        setup = prepare_portal(database_url, tmp)
        found, seeded = seed(setup, args, users)
        port = free_port()
        env = {**setup.env, "IAM_PORTAL_SERVER_TIMING": "true"}
        argv = [sys.executable, "-m", "gunicorn", "iam_portal.wsgi", "--bind", f"127.0.0.1:{port}",
                "--workers", "1", "--timeout", "300", "--chdir", str(ROOT),
                "--log-level", "warning"]  # fmt: skip
        server = Server("portal (gunicorn, 1 worker)", argv, env, tmp / f"gunicorn-{users}.log", port)
        stack.callback(server.stop)
        server.wait_ready("/healthz")
        results = measure(server, setup, found, args.repeat)
        worker_peak_kib = max(server.peak_rss_kib()[1:] or [0])
        return results, seeded, worker_peak_kib


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--groups", type=int, default=300)
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--baseline-users", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", help="postgres://…/<scratch database> (dropped and created)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="iam-scale-") as folder:
        tmp = Path(folder)
        small, small_seed, small_rss = run_size(args, args.baseline_users, tmp)
        large, large_seed, large_rss = run_size(args, args.users, tmp)
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"\n{database}; server time (median of {args.repeat}) and queries per operation, one gunicorn worker"
    )
    head = f"{'operation':<52} {args.baseline_users:>6} users      {args.users:>6} users        ratio"
    print(head)
    print("-" * len(head))
    for name, cost in large.items():
        base = small[name]
        print(
            f"{name:<52} {base.ms:8.1f} ms {base.queries:4d} q  {cost.ms:9.1f} ms {cost.queries:5d} q  "
            f"{cost.ms / base.ms:7.1f}x"
        )
    seeding = f"{small_seed:.1f} s ({args.baseline_users} users), {large_seed:.1f} s ({args.users} users)"
    print(f"\nseeding (manage.py seeddemo): {seeding}")
    verdict = "PASS" if large_rss / 1024 < WORKER_RSS_TARGET_MIB else "FAIL"
    print(
        f"worker peak RSS: {small_rss / 1024:.0f} MiB ({args.baseline_users} users), "
        f"{large_rss / 1024:.0f} MiB ({args.users} users): {verdict} (target < {WORKER_RSS_TARGET_MIB} MiB)"
    )
    print(f"run time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
