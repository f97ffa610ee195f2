"""Benchmark: a bounded, mixed AWS Query API load from several client processes against 2 gunicorn workers.

Run from the project root: `.venv/bin/python bench/load.py [--seconds 60] [--clients 4] [--users 5000]
[--database-url postgres://postgres@127.0.0.1:5432/NAME]` (SQLite in a temporary folder by default).
See bench/README.md ("Load benchmark").

Set-up (untimed): a fresh database is migrated, an account is created (`manage.py createaccount`) and
filled by `accounts.services.demo_data.seed_demo` (in a Django subprocess) so that it holds `--users`
users in all (5,000 is the account's quota): seeded users, bench-admin (AdministratorAccess, the signer
of every timed call), one own user per client and at most one user per client of its create/tag/delete
cycle. The portal is served by gunicorn with exactly 2 sync workers, DATABASE_CONN_MAX_AGE=60,
REDIS_URL=redis://127.0.0.1:6379/13, DEBUG off and IAM_PORTAL_SSL_REDIRECT=false (plain HTTP on
127.0.0.1).

The load: `--clients` processes (multiprocessing), each with its own boto3 client, run the mix below
for `--seconds`. Closed loop: a client sends its next request when the previous one has been answered
(at most one in flight per client), with no think time and no retries (botocore
`retries={"max_attempts": 1}`). Latency is the call's time as boto3 sees it (signing, the round trip,
parsing). Each pick of the mix is exactly one HTTP request; the weights are per request (they add up
to 100):

    reads (70)                                  writes (30), each on entities the client owns
    GetUser                   16  seeded user   user cycle      9  CreateUser -> TagUser -> DeleteUser
    ListUsers                  6  MaxItems 100,                    (the client's own names, in turn)
                                  a department  membership      6  AddUserToGroup <-> RemoveUserFromGroup
    ListGroupsForUser         10  seeded user                      (own user, the client's own groups)
    ListAttachedUserPolicies  10  seeded user   attachment      5  AttachUserPolicy <-> DetachUserPolicy
    GetPolicy                  5  seeded policy                    (own user, the client's own policies)
    GetPolicyVersion           5  its default   access key      5  CreateAccessKey <-> DeleteAccessKey
    GetAccountSummary          4                                   (own user)
    SimulatePrincipalPolicy   14  seeded user,  inline policy   5  PutUserPolicy <-> DeleteUserPolicy
                                  one action,                      (own user)
                                  one resource

"The client's own groups / policies" are disjoint slices of the seeded ones (index modulo the number
of clients): no two clients ever write about the same entity, so a conflict error is a bench bug.

Reported: requests, throughput, p50/p90/p99/max latency overall and per action, errors by code
(PASS when there are none), each gunicorn worker's peak RSS (VmHWM from /proc, reset before the load
through /proc/<pid>/clear_refs so that it is the load's peak), and two checks on the audit log read
after the run: the success audit events of write actions in the load's time window equal the
clients' successful writes, and no event of the window is `denied` or `failed`. `--server-timing`
also turns on the portal's Server-Timing header and prints each action's server time, database time
and queries next to the client's latency.

Baseline of the same run (house rule): the read-only part of the mix without SimulatePrincipalPolicy
(moto_server does not implement it) runs for `--baseline-seconds` against moto_server and against the
portal, in interleaved slices (portal, moto, portal, moto), on the same sample of entities (moto gets a
copy of it: 100 users per department, so that ListUsers pages are equally long on both - moto ignores
MaxItems - and for 25 of each their groups, attached policies and tags), and the portal/moto
throughput ratio is printed.

It is a benchmark, not a test: it exits 0 unless something crashed.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import queue
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from query_api import (  # noqa: E402  (bench/ is not a package)
    ADMIN_USER,
    PortalSetup,
    _children,
    _status_kib,
    _version,
    make_client,
    postgres_database,
    prepare_portal,
    running,
    set_up_admin,
    start_moto,
    start_portal,
)

WORKERS = 2  # the set-up: exactly two gunicorn workers
REDIS_URL = "redis://127.0.0.1:6379/13"
USERS_QUOTA = 5000  # accounts/quotas.py: the seeded users, bench-admin and the clients' users fit in it
LOAD_PATH = "/load/"
INLINE_POLICY = "load-inline"
MOTO_USERS_PER_PATH = 100  # = ListUsers' MaxItems: the same page length on moto, which ignores MaxItems
MOTO_DETAIL_PER_PATH = 25  # users whose groups, attached policies and tags moto also gets
SAMPLE_POLICIES = 50  # seeded policies the baseline reads (besides those attached to its users)
SERVER_TIMING = re.compile(r'app;dur=([\d.]+), db;dur=([\d.]+);desc="(\d+) queries"')
BARRIER_TIMEOUT = 180.0  # seconds the clients get to start (spawned interpreters importing boto3)

Json = dict[str, Any]


class BenchError(RuntimeError):
    """The set-up failed or a client crashed: the run stops here."""


# --------------------------------------------------------------------------------------------------
# The mix and the statistics (pure)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One entry of the mix: `weight` requests in 100 are of this kind."""

    name: str
    weight: int
    write: bool = False
    on_moto: bool = True  # moto_server implements it (the baseline's subset)


MIX: tuple[Kind, ...] = (
    Kind("GetUser", 16),
    Kind("ListUsers", 6),
    Kind("ListGroupsForUser", 10),
    Kind("ListAttachedUserPolicies", 10),
    Kind("GetPolicy", 5),
    Kind("GetPolicyVersion", 5),
    Kind("GetAccountSummary", 4),
    Kind("SimulatePrincipalPolicy", 14, on_moto=False),
    Kind("user cycle", 9, write=True),
    Kind("membership", 6, write=True),
    Kind("attachment", 5, write=True),
    Kind("access key", 5, write=True),
    Kind("inline policy", 5, write=True),
)

# The AWS actions the write kinds send (all audited as iam:<Action> on success).
WRITE_ACTIONS = (
    "CreateUser",
    "TagUser",
    "DeleteUser",
    "AddUserToGroup",
    "RemoveUserFromGroup",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "CreateAccessKey",
    "DeleteAccessKey",
    "PutUserPolicy",
    "DeleteUserPolicy",
)


def baseline_mix(mix: Sequence[Kind] = MIX) -> tuple[Kind, ...]:
    """The read-only kinds that moto_server implements, with their weights (relative to each other).

    >>> [k.name for k in baseline_mix()][-1], sum(k.weight for k in baseline_mix())
    ('GetAccountSummary', 56)
    """
    return tuple(k for k in mix if not k.write and k.on_moto)


def shares(mix: Sequence[Kind]) -> dict[str, float]:
    """Each kind's share of the requests (weights normalised to 1).

    >>> shares(MIX)["GetUser"], round(sum(shares(MIX).values()), 9)
    (0.16, 1.0)
    >>> round(shares(baseline_mix())["GetUser"], 4)
    0.2857
    """
    total = sum(k.weight for k in mix)
    if total <= 0:
        raise ValueError("the mix has no weight")
    return {k.name: k.weight / total for k in mix}


class Picker:
    """Draws kinds of a mix with their weights (random.Random.choices over cumulative weights)."""

    def __init__(self, mix: Sequence[Kind], rng: random.Random) -> None:
        self.kinds = [k for k in mix if k.weight > 0]
        if not self.kinds:
            raise ValueError("the mix has no weight")
        self._cumulative = []
        running_total = 0
        for kind in self.kinds:
            running_total += kind.weight
            self._cumulative.append(running_total)
        self._rng = rng

    def __call__(self) -> Kind:
        return self._rng.choices(self.kinds, cum_weights=self._cumulative)[0]


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of values sorted in ascending order: the smallest value such that at
    least q % of the values are at or below it (q in 0..100; q = 0 gives the minimum). Exact for
    decimal q (99.9 is 999/10, not the float just above it), so p99 of 100 values is the 99th.

    >>> percentile([1, 2, 3, 4], 50), percentile([1, 2, 3, 4], 51)
    (2, 3)
    >>> [percentile(list(range(1, 101)), q) for q in (0, 1, 50, 90, 99, 100)]
    [1, 1, 50, 90, 99, 100]
    >>> percentile(list(range(1, 1001)), 99.9), percentile([7.5], 99), percentile([], 50)
    (999, 7.5, 0.0)
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is not in 0..100")
    if not ordered:
        return 0.0
    rank = math.ceil(Fraction(str(q)) * len(ordered) / 100)
    return ordered[max(rank, 1) - 1]


@dataclass(frozen=True)
class Summary:
    """Latency figures of a set of calls, in seconds."""

    calls: int
    mean: float
    p50: float
    p90: float
    p99: float
    max: float

    @classmethod
    def of(cls, latencies: Iterable[float]) -> Summary:
        """
        >>> s = Summary.of([0.003, 0.001, 0.002, 0.010])
        >>> s.calls, s.p50, s.p90, s.p99, s.max, round(s.mean, 4)
        (4, 0.002, 0.01, 0.01, 0.01, 0.004)
        """
        ordered = sorted(latencies)
        if not ordered:
            return cls(0, 0.0, 0.0, 0.0, 0.0, 0.0)
        return cls(
            len(ordered),
            sum(ordered) / len(ordered),
            percentile(ordered, 50),
            percentile(ordered, 90),
            percentile(ordered, 99),
            ordered[-1],
        )


def seeded_size(users: int, clients: int) -> dict[str, int]:
    """demo_data.DemoSize for an account of `users` users in all: bench-admin and, per client, its own
    user and one of its cycle are not seeded. Groups, policies and roles scale like the issue's
    5,000 / 300 / 1,000 / 100, with at least one group and one policy per client.

    >>> seeded_size(5000, 4)
    {'users': 4991, 'groups': 300, 'policies': 1000, 'roles': 100}
    >>> seeded_size(500, 4)
    {'users': 491, 'groups': 30, 'policies': 100, 'roles': 10}
    """
    return {
        "users": users - 1 - 2 * clients,
        "groups": min(300, max(8, clients, round(users * 300 / 5000))),
        "policies": min(1500, max(12, clients, users // 5)),
        "roles": max(4, users // 50),
    }


# --------------------------------------------------------------------------------------------------
# What a client works on, and one request of each kind
# --------------------------------------------------------------------------------------------------

# SimulatePrincipalPolicy: one action on one resource (the seeded policies speak of these services).
SIMULATIONS = (
    ("s3:GetObject", "arn:aws:s3:::engineering-reports/2026/summary.csv"),
    ("ec2:DescribeInstances", "*"),
    ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:{account}:table/orders"),
    ("iam:GetUser", "{user}"),
    ("sqs:SendMessage", "arn:aws:sqs:us-east-1:{account}:jobs"),
)

INLINE_DOCUMENT = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::load-bucket/*"}
        ],
    }
)


@dataclass(frozen=True)
class Plan:
    """What one client reads and writes (picklable: it is handed to a spawned process)."""

    account_id: str
    users: tuple[tuple[str, str], ...]  # (name, path) of seeded users
    paths: tuple[str, ...]  # the departments' paths, for ListUsers
    policies: tuple[tuple[str, str], ...]  # (ARN, default version id) of seeded policies
    own_user: str = ""  # empty: a read-only run
    own_groups: tuple[str, ...] = ()
    own_policies: tuple[str, ...] = ()  # ARNs
    prefix: str = ""  # of the client's cycle users' names

    def user_arn(self, name: str, path: str) -> str:
        return f"arn:aws:iam::{self.account_id}:user{path}{name}"


@dataclass
class Owned:
    """The state of a client's own entities (changed only when a write succeeded)."""

    cycle_number: int = 0
    cycle_step: int = 0  # 0 create, 1 tag, 2 delete
    group: str | None = None  # the own group the own user is in
    policy: str | None = None  # the own policy attached to the own user
    access_key: str | None = None
    inline: bool = False


@dataclass
class Op:
    """One request: its AWS action, the call, and what a success or a failure changes."""

    action: str
    call: Callable[[], Any]
    succeeded: Callable[[Any], None] = lambda response: None
    failed: Callable[[], None] = lambda: None


def next_op(kind: str, c: Any, plan: Plan, owned: Owned, rng: random.Random) -> Op:
    """The next request of this kind for this client."""
    if kind in ("GetUser", "ListGroupsForUser", "ListAttachedUserPolicies", "SimulatePrincipalPolicy"):
        name, path = rng.choice(plan.users)
        if kind == "GetUser":
            return Op(kind, lambda: c.get_user(UserName=name))
        if kind == "ListGroupsForUser":
            return Op(kind, lambda: c.list_groups_for_user(UserName=name))
        if kind == "ListAttachedUserPolicies":
            return Op(kind, lambda: c.list_attached_user_policies(UserName=name))
        arn = plan.user_arn(name, path)
        action, resource = rng.choice(SIMULATIONS)
        resource = resource.format(account=plan.account_id, user=arn)
        return Op(
            kind,
            lambda: c.simulate_principal_policy(
                PolicySourceArn=arn, ActionNames=[action], ResourceArns=[resource]
            ),
        )
    if kind == "ListUsers":
        prefix = rng.choice(plan.paths)
        return Op(kind, lambda: c.list_users(PathPrefix=prefix, MaxItems=100))
    if kind in ("GetPolicy", "GetPolicyVersion"):
        policy_arn, version = rng.choice(plan.policies)
        if kind == "GetPolicy":
            return Op(kind, lambda: c.get_policy(PolicyArn=policy_arn))
        return Op(kind, lambda: c.get_policy_version(PolicyArn=policy_arn, VersionId=version))
    if kind == "GetAccountSummary":
        return Op(kind, lambda: c.get_account_summary())
    return _write_op(kind, c, plan, owned, rng)


def _write_op(kind: str, c: Any, plan: Plan, owned: Owned, rng: random.Random) -> Op:
    """A write on the client's own entities: each kind alternates between doing and undoing."""
    me = plan.own_user
    if kind == "user cycle":
        name = f"{plan.prefix}{owned.cycle_number}"

        def advance(response: Any = None) -> None:
            owned.cycle_step = (owned.cycle_step + 1) % 3
            if owned.cycle_step == 0:
                owned.cycle_number += 1

        def abandon() -> None:  # a failed step: go on with a new name (no error cascade)
            owned.cycle_step, owned.cycle_number = 0, owned.cycle_number + 1

        if owned.cycle_step == 0:
            return Op("CreateUser", lambda: c.create_user(UserName=name, Path=LOAD_PATH), advance, abandon)
        if owned.cycle_step == 1:
            tags = [{"Key": "cycle", "Value": str(owned.cycle_number)}]
            return Op("TagUser", lambda: c.tag_user(UserName=name, Tags=tags), advance, advance)
        return Op("DeleteUser", lambda: c.delete_user(UserName=name), advance, abandon)

    if kind == "membership":
        if owned.group is None:
            group = rng.choice(plan.own_groups)
            return Op(
                "AddUserToGroup",
                lambda: c.add_user_to_group(GroupName=group, UserName=me),
                lambda response: setattr(owned, "group", group),
            )
        group = owned.group

        def left(response: Any = None) -> None:
            owned.group = None

        return Op(
            "RemoveUserFromGroup", lambda: c.remove_user_from_group(GroupName=group, UserName=me), left, left
        )

    if kind == "attachment":
        if owned.policy is None:
            policy = rng.choice(plan.own_policies)
            return Op(
                "AttachUserPolicy",
                lambda: c.attach_user_policy(UserName=me, PolicyArn=policy),
                lambda response: setattr(owned, "policy", policy),
            )
        policy = owned.policy

        def detached(response: Any = None) -> None:
            owned.policy = None

        return Op(
            "DetachUserPolicy",
            lambda: c.detach_user_policy(UserName=me, PolicyArn=policy),
            detached,
            detached,
        )

    if kind == "access key":
        if owned.access_key is None:
            # The response holds the secret: only the key id is kept, nothing is printed.
            return Op(
                "CreateAccessKey",
                lambda: c.create_access_key(UserName=me),
                lambda response: setattr(owned, "access_key", response["AccessKey"]["AccessKeyId"]),
            )
        key_id = owned.access_key

        def deleted(response: Any = None) -> None:
            owned.access_key = None

        return Op(
            "DeleteAccessKey", lambda: c.delete_access_key(UserName=me, AccessKeyId=key_id), deleted, deleted
        )

    if kind == "inline policy":

        def flip(response: Any = None) -> None:
            owned.inline = not owned.inline

        def gone() -> None:
            owned.inline = False

        if not owned.inline:
            return Op(
                "PutUserPolicy",
                lambda: c.put_user_policy(
                    UserName=me, PolicyName=INLINE_POLICY, PolicyDocument=INLINE_DOCUMENT
                ),
                flip,
            )
        return Op(
            "DeleteUserPolicy",
            lambda: c.delete_user_policy(UserName=me, PolicyName=INLINE_POLICY),
            flip,
            gone,
        )
    raise ValueError(f"unknown kind of request {kind!r}")


# --------------------------------------------------------------------------------------------------
# The client processes
# --------------------------------------------------------------------------------------------------


@dataclass
class ClientResult:
    """What one client did: (action, seconds, error code or "") per call, its successful writes."""

    index: int
    calls: list[tuple[str, float, str]]
    writes_ok: Counter[str]
    started: float  # time.monotonic() (system-wide on Linux: comparable between processes)
    ended: float
    timings: list[tuple[str, float, float, int]] = field(default_factory=list)  # ms, db ms, queries
    cpu_seconds: float = 0.0  # the client process's own CPU time (user + system) during the load


def client_main(
    index: int,
    url: str,
    key: tuple[str, str],
    plan: Plan,
    kinds: tuple[Kind, ...],
    seconds: float,
    seed: int,
    barrier: Any,
    out: Any,
    server_timing: bool = False,
) -> None:
    """One client process: warm its connection, wait for the others, then run the mix for `seconds`.
    With server_timing, also the server's own time, database time and queries of each successful call
    (the portal's Server-Timing header, IAM_PORTAL_SERVER_TIMING)."""
    try:
        from botocore.exceptions import ClientError

        client = make_client(url, *key)
        rng = random.Random(seed * 1_000_003 + index)
        pick, owned = Picker(kinds, rng), Owned()
        client.get_user(UserName=plan.users[0][0])  # untimed: opens the connection
        barrier.wait(BARRIER_TIMEOUT)
        calls: list[tuple[str, float, str]] = []
        timings: list[tuple[str, float, float, int]] = []
        writes_ok: Counter[str] = Counter()
        cpu_before = _own_cpu_seconds()
        started = time.monotonic()
        deadline = started + seconds
        clock = time.perf_counter
        while time.monotonic() < deadline:
            kind = pick()
            op = next_op(kind.name, client, plan, owned, rng)
            began = clock()
            try:
                response = op.call()
            except ClientError as exc:
                calls.append(
                    (op.action, clock() - began, exc.response.get("Error", {}).get("Code") or "Unknown")
                )
                op.failed()
                continue
            except Exception as exc:  # a connection or read error: counted, not retried
                calls.append((op.action, clock() - began, type(exc).__name__))
                op.failed()
                continue
            calls.append((op.action, clock() - began, ""))
            if server_timing:
                header = response["ResponseMetadata"]["HTTPHeaders"].get("server-timing", "")
                found = SERVER_TIMING.fullmatch(header)
                if found:
                    timings.append((op.action, float(found[1]), float(found[2]), int(found[3])))
            op.succeeded(response)
            if kind.write:
                writes_ok[op.action] += 1
        # Plain types only: the parent cannot unpickle classes of the spawned child's __mp_main__.
        ended, cpu = time.monotonic(), _own_cpu_seconds() - cpu_before
        out.put(("done", index, calls, dict(writes_ok), started, ended, timings, cpu))
    except BaseException:
        with_barrier = getattr(barrier, "abort", None)
        if with_barrier is not None:
            with_barrier()  # the others and the parent stop waiting
        out.put(("crashed", index, traceback.format_exc()))


@dataclass
class LoadResult:
    """The clients' results together."""

    clients: list[ClientResult]
    since: float  # time.time() around the timed run (the audit window)
    until: float

    @property
    def calls(self) -> list[tuple[str, float, str]]:
        return [call for client in self.clients for call in client.calls]

    @property
    def seconds(self) -> float:
        return max(c.ended for c in self.clients) - min(c.started for c in self.clients)

    @property
    def requests(self) -> int:
        return sum(len(c.calls) for c in self.clients)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def writes_ok(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for client in self.clients:
            total.update(client.writes_ok)
        return total


def run_load(
    url: str,
    key: tuple[str, str],
    plans: Sequence[Plan],
    kinds: tuple[Kind, ...],
    seconds: float,
    seed: int,
    server_timing: bool = False,
) -> LoadResult:
    """One client process per plan, started together (a barrier), each running for `seconds`."""
    context = multiprocessing.get_context("spawn")  # no inherited sockets, threads or boto3 state
    barrier = context.Barrier(len(plans) + 1)
    out = context.Queue()
    processes = [
        context.Process(
            target=client_main,
            args=(i, url, key, plan, kinds, seconds, seed, barrier, out, server_timing),
            name=f"load-client-{i}",
            daemon=True,
        )
        for i, plan in enumerate(plans)
    ]
    for process in processes:
        process.start()
    results: list[ClientResult] = []
    try:
        try:
            since = time.time()
            barrier.wait(BARRIER_TIMEOUT)
        except Exception:
            pass  # a client crashed before the start: its traceback is in the queue
        while len(results) < len(plans):
            try:
                got = out.get(timeout=seconds + BARRIER_TIMEOUT)
            except queue.Empty:
                raise BenchError("a client did not report (it hung or died)") from None
            if got[0] == "crashed":
                raise BenchError(f"client {got[1]} crashed:\n{got[2]}")
            _, index, calls, writes_ok, client_started, client_ended, timings, cpu = got
            results.append(
                ClientResult(index, calls, Counter(writes_ok), client_started, client_ended, timings, cpu)
            )
        until = time.time()
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()
    return LoadResult(sorted(results, key=lambda r: r.index), since, until)


# --------------------------------------------------------------------------------------------------
# Set-up
# --------------------------------------------------------------------------------------------------


def django_task(setup: PortalSetup, command: str, payload: Json) -> Json:
    """Run `command` of this script's Django side (`--django`) in a subprocess with the portal's env."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--django", command, json.dumps(payload)]
    done = subprocess.run(argv, cwd=ROOT, env=setup.env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"{command} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def django_main(command: str, payload: Json) -> Json:
    """The Django side: `seed` (demo data into the one account) and `audit` (events of a time window)."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if command == "seed":
        from accounts.context import system_context
        from accounts.models import User
        from accounts.services.demo_data import DemoSize, seed_demo

        root = User.objects.select_related("account").get(is_root=True)  # createaccount made one
        return seed_demo(system_context(root), DemoSize(**payload["size"]), seed=payload["seed"])
    if command == "audit":
        from datetime import UTC, datetime

        from django.db.models import Count

        from accounts.models import AuditEvent

        window = AuditEvent.objects.filter(
            time__gte=datetime.fromtimestamp(payload["since"], UTC),
            time__lte=datetime.fromtimestamp(payload["until"], UTC),
        )
        rows = window.values_list("action", "outcome", "error_code").annotate(n=Count("id")).order_by()
        return {"events": [list(row) for row in rows]}
    raise ValueError(f"unknown command {command!r}")


def list_all(client: Any, operation: str, key: str, **params: Any) -> list[Json]:
    """Every item of a paginated List* call (pages of 100, as the load asks for: the set-up should not
    raise the workers' peak memory above what the load does)."""
    items: list[Json] = []
    for page in client.get_paginator(operation).paginate(**params, PaginationConfig={"PageSize": 100}):
        items.extend(page[key])
    return items


@dataclass
class Seeded:
    """The seeded entities as the portal lists them."""

    account_id: str
    users: list[tuple[str, str]]  # (name, path)
    groups: list[str]
    policies: list[Json]  # ListPolicies entries (Arn, PolicyName, Path, DefaultVersionId)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(sorted({path for _, path in self.users}))

    def policy_refs(self, policies: Iterable[Json]) -> tuple[tuple[str, str], ...]:
        return tuple((p["Arn"], p["DefaultVersionId"]) for p in policies)


def read_seeded(admin: Any, account_id: str) -> Seeded:
    users = [(u["UserName"], u["Path"]) for u in list_all(admin, "list_users", "Users")]
    users = [u for u in users if u[0] != ADMIN_USER]
    groups = sorted(g["GroupName"] for g in list_all(admin, "list_groups", "Groups"))
    policies = sorted(list_all(admin, "list_policies", "Policies", Scope="Local"), key=lambda p: p["Arn"])
    if not users or not policies or not groups:
        raise BenchError(f"the seeded account is empty ({len(users)} users, {len(groups)} groups)")
    return Seeded(account_id, sorted(users), groups, policies)


def portal_plans(seeded: Seeded, clients: int) -> list[Plan]:
    """Each client's plan for the mixed load: all seeded users and policies to read; its own user and
    its slice of the groups and policies to write about."""
    policies = seeded.policy_refs(seeded.policies)
    arns = [arn for arn, _ in policies]
    return [
        Plan(
            account_id=seeded.account_id,
            users=tuple(seeded.users),
            paths=seeded.paths,
            policies=policies,
            own_user=f"load-c{k}",
            own_groups=tuple(seeded.groups[k::clients]),
            own_policies=tuple(arns[k::clients]),
            prefix=f"load-c{k}-u",
        )
        for k in range(clients)
    ]


@dataclass
class Sample:
    """The baseline's entities, on both servers: users per department, the detailed ones, policies."""

    listed: list[tuple[str, str]]  # MOTO_USERS_PER_PATH per path
    detailed: list[tuple[str, str]]  # MOTO_DETAIL_PER_PATH per path, read by the baseline
    policies: list[Json]
    tags: dict[str, list[Json]] = field(default_factory=dict)
    groups_of: dict[str, list[Json]] = field(default_factory=dict)
    attached_to: dict[str, list[str]] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)  # policy ARN -> JSON document


def take_sample(portal: Any, seeded: Seeded) -> Sample:
    """The sample and what moto needs to hold it as the portal does (read from the portal)."""
    by_path: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for user in seeded.users:
        by_path[user[1]].append(user)
    listed = [u for path in sorted(by_path) for u in by_path[path][:MOTO_USERS_PER_PATH]]
    detailed = [u for path in sorted(by_path) for u in by_path[path][:MOTO_DETAIL_PER_PATH]]
    sample = Sample(listed, detailed, [])
    with ThreadPoolExecutor(max_workers=4) as pool:

        def details(name: str) -> None:
            sample.tags[name] = portal.get_user(UserName=name)["User"].get("Tags", [])
            sample.groups_of[name] = portal.list_groups_for_user(UserName=name)["Groups"]
            attached = portal.list_attached_user_policies(UserName=name)["AttachedPolicies"]
            sample.attached_to[name] = [p["PolicyArn"] for p in attached]

        list(pool.map(details, [name for name, _ in detailed]))
        wanted = {arn for arns in sample.attached_to.values() for arn in arns}
        wanted |= {p["Arn"] for p in seeded.policies[:SAMPLE_POLICIES]}
        sample.policies = [p for p in seeded.policies if p["Arn"] in wanted]

        def document(policy: Json) -> None:
            version = portal.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
            sample.documents[policy["Arn"]] = json.dumps(version["PolicyVersion"]["Document"])

        list(pool.map(document, sample.policies))
    return sample


def copy_to_moto(moto: Any, sample: Sample) -> str:
    """Create the sample on moto (same names, paths, tags, memberships, attachments, documents);
    returns moto's account id."""
    account_id = moto.get_user(UserName=ADMIN_USER)["User"]["Arn"].split(":")[4]
    moto_arn: dict[str, str] = {}

    def create_policy(policy: Json) -> None:
        name, path, document = policy["PolicyName"], policy["Path"], sample.documents[policy["Arn"]]
        try:
            created = moto.create_policy(PolicyName=name, Path=path, PolicyDocument=document)
        except moto.exceptions.MalformedPolicyDocumentException:
            # moto refuses IAM resources like `arn:aws:iam::ACCOUNT:*/team/*` (AWS takes them): the
            # same document with `user/` for `*/` (3 characters more).
            document = document.replace(":*/", ":user/")
            created = moto.create_policy(PolicyName=name, Path=path, PolicyDocument=document)
        moto_arn[policy["Arn"]] = created["Policy"]["Arn"]

    groups = {(g["GroupName"], g["Path"]) for gs in sample.groups_of.values() for g in gs}
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(create_policy, sample.policies))
        list(pool.map(lambda g: moto.create_group(GroupName=g[0], Path=g[1]), sorted(groups)))

        def create_user(user: tuple[str, str]) -> None:
            name, path = user
            tags = sample.tags.get(name)
            moto.create_user(UserName=name, Path=path, **({"Tags": tags} if tags else {}))
            for group in sample.groups_of.get(name, []):
                moto.add_user_to_group(GroupName=group["GroupName"], UserName=name)
            for arn in sample.attached_to.get(name, []):
                moto.attach_user_policy(UserName=name, PolicyArn=moto_arn[arn])

        list(pool.map(create_user, sample.listed))
    for policy in sample.policies:  # the baseline reads them by moto's ARN
        policy["MotoArn"] = moto_arn[policy["Arn"]]
    return account_id


def baseline_plans(sample: Sample, account_id: str, clients: int, *, moto: bool) -> list[Plan]:
    paths = tuple(sorted({path for _, path in sample.listed}))
    policies = tuple((p["MotoArn"] if moto else p["Arn"], p["DefaultVersionId"]) for p in sample.policies)
    plan = Plan(account_id=account_id, users=tuple(sample.detailed), paths=paths, policies=policies)
    return [plan] * clients


# --------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def print_latencies(result: LoadResult, indent: str = "  ") -> None:
    calls = result.calls
    overall = Summary.of(latency for _, latency, _ in calls)
    print(f"{indent}latency ms (all calls): p50 {_ms(overall.p50)}, p90 {_ms(overall.p90)}, "
          f"p99 {_ms(overall.p99)}, max {_ms(overall.max)}, mean {_ms(overall.mean)}")  # fmt: skip
    by_action: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    for action, latency, code in calls:
        by_action[action].append(latency)
        if code:
            errors[action] += 1
    print(f"{indent}{'action':<26} {'calls':>6} {'share':>6} {'errors':>6} {'p50 ms':>7} {'p90 ms':>7} "
          f"{'p99 ms':>7} {'max ms':>7}")  # fmt: skip
    for action in sorted(by_action, key=lambda a: len(by_action[a]), reverse=True):
        s = Summary.of(by_action[action])
        share = s.calls / len(calls) * 100
        print(f"{indent}{action:<26} {s.calls:>6} {share:>5.1f}% {errors[action]:>6} {_ms(s.p50):>7} "
              f"{_ms(s.p90):>7} {_ms(s.p99):>7} {_ms(s.max):>7}")  # fmt: skip


def print_server_timing(result: LoadResult, indent: str = "  ") -> None:
    """Medians of the server's own time, its database time and its queries per action (successful calls,
    the Server-Timing header), next to the client's median: the rest is boto3, the network and waiting."""
    by_action: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    for client in result.clients:
        for action, app_ms, db_ms, queries in client.timings:
            by_action[action].append((app_ms, db_ms, queries))
    client_ms: dict[str, list[float]] = defaultdict(list)
    for action, latency, code in result.calls:
        if not code:
            client_ms[action].append(latency * 1000)
    print(f"{indent}server side (Server-Timing, medians of successful calls):")
    print(f"{indent}{'action':<26} {'client ms':>9} {'server ms':>9} {'db ms':>7} {'queries':>7}")
    for action in sorted(by_action, key=lambda a: len(by_action[a]), reverse=True):
        rows = by_action[action]
        app = percentile(sorted(r[0] for r in rows), 50)
        db = percentile(sorted(r[1] for r in rows), 50)
        queries = percentile(sorted(r[2] for r in rows), 50)
        own = percentile(sorted(client_ms[action]), 50)
        print(f"{indent}{action:<26} {own:>9.1f} {app:>9.1f} {db:>7.1f} {queries:>7}")


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report_load(result: LoadResult, audit_events: list[list[Any]]) -> list[tuple[str, bool, str]]:
    """Prints the load's figures; returns the checks (name, passed, detail)."""
    calls = result.calls
    writes = sum(1 for action, _, _ in calls if action in WRITE_ACTIONS)
    print(f"  {result.requests:,} requests in {result.seconds:.2f} s: {result.rate:.1f} req/s "
          f"({result.requests - writes:,} reads, {writes:,} writes)")  # fmt: skip
    per_client = ", ".join(f"{len(c.calls):,}" for c in result.clients)
    print(f"  requests per client: {per_client}")
    print_latencies(result)
    if any(c.timings for c in result.clients):
        print_server_timing(result)

    checks = []
    errors = Counter((action, code) for action, _, code in calls if code)
    if errors:
        print("  errors by code:")
        for (action, code), n in errors.most_common():
            print(f"    {code:<28} {action:<26} {n:>6}")
    total_errors = sum(errors.values())
    checks.append(("ERRORS", total_errors == 0, f"{total_errors} of {result.requests:,} calls failed"))

    audited: Counter[str] = Counter()
    unexpected = []
    for action, outcome, code, n in audit_events:
        name = action.removeprefix("iam:")
        if outcome == "success" and name in WRITE_ACTIONS:
            audited[name] += n
        elif outcome != "success":
            unexpected.append((action, outcome, code, n))
        else:
            print(f"  note: {n} success audit event(s) of {action} during the load (not a write of the mix)")
    written = result.writes_ok
    print("  successful writes, clients / audit (success events of the action in the load's window):")
    for action in WRITE_ACTIONS:
        mark = "" if written[action] == audited[action] else "   <- differ"
        print(f"    {action:<24} {written[action]:>6} {audited[action]:>6}{mark}")
    same = sum(written.values()) == sum(audited.values()) and all(
        written[a] == audited[a] for a in WRITE_ACTIONS
    )
    checks.append(
        (
            "AUDIT",
            same,
            f"audit events {sum(audited.values()):,}, clients' successful writes {sum(written.values()):,}",
        )
    )
    for action, outcome, code, n in unexpected:
        print(f"    {outcome} event: {action} {code} x{n}")
    denied = sum(n for *_, n in unexpected)
    checks.append(("NO DENIALS", denied == 0, f"{denied} denied/failed audit event(s) during the load"))
    return checks


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + system, /proc/<pid>/stat), 0.0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def print_cpu(result: LoadResult, workers: dict[int, float]) -> None:
    """Who used the machine's CPU during the load: the workers (busy share of one core) and the clients."""
    window = result.seconds
    busy = ", ".join(
        f"worker {n} {seconds:.1f} s ({seconds / window * 100:.0f}% of a core)"
        for n, seconds in enumerate(workers.values(), 1)
    )
    clients = sum(c.cpu_seconds for c in result.clients)
    per_call = clients / result.requests * 1000 if result.requests else 0.0
    server = sum(workers.values()) / result.requests * 1000 if result.requests else 0.0
    print(f"  CPU during the load: {busy}, {server:.1f} ms per request; the {len(result.clients)} clients "
          f"{clients:.1f} s ({per_call:.1f} ms per call); {os.cpu_count()} cores")  # fmt: skip


def reset_peak_rss(pid: int) -> bool:
    """Reset a process's VmHWM to its current RSS (`5` to /proc/<pid>/clear_refs, Linux >= 4.0), so
    that the next reading is the peak of what ran since; False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def print_peak_rss(
    master: int, workers: list[int], setup_rss: dict[int, int], load_rss: dict[int, int], reset: bool
) -> None:
    print(f"\nPeak RSS (VmHWM from /proc; gunicorn master {_mib(_status_kib(master, 'VmHWM'))}):")
    during = (
        "during the mixed load (reset before it)" if reset else "over the worker's life (could not reset)"
    )
    for n, pid in enumerate(workers, 1):
        now = _status_kib(pid, "VmHWM")
        print(f"  worker {n} (pid {pid}): {_mib(load_rss.get(pid, 0))} {during}; set-up before it "
              f"{_mib(setup_rss.get(pid, 0))}; at the end {_mib(now)}")  # fmt: skip
    if len(workers) != WORKERS:
        print(f"  note: {len(workers)} worker processes found, {WORKERS} expected")


def _load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _step(what: str, started: float) -> None:
    print(f"  {what} ({time.perf_counter() - started:.1f} s)", flush=True)


# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--django"]:  # the Django side, in a subprocess (django_task)
        print(json.dumps(django_main(argv[1], json.loads(argv[2]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the mixed load (default 60)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (default 4)")
    parser.add_argument(
        "--users",
        type=int,
        default=USERS_QUOTA,
        help=f"users of the account in all, at most the quota (default {USERS_QUOTA})",
    )
    parser.add_argument(
        "--database-url",
        help="the portal's database, postgres://… (dropped and created by "
        "the script, dropped at the end); default: SQLite in a temporary folder",
    )
    parser.add_argument(
        "--baseline-seconds",
        type=float,
        default=10.0,
        help="read-only baseline per server, in two slices each (default 10)",
    )
    parser.add_argument("--no-moto", action="store_true", help="skip the moto baseline")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data and of the clients")
    parser.add_argument("--tmp-dir", type=Path, help="where the temporary folder is made")
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="KIND",
        help="leave a kind of the mix out (repeatable; for diagnosis only: the figures are then not "
        "the issue's mix), e.g. --exclude SimulatePrincipalPolicy",
    )
    parser.add_argument(
        "--server-timing",
        action="store_true",
        help="IAM_PORTAL_SERVER_TIMING on: also the server's time, database time and "
        "queries per action during the mixed load",
    )
    args = parser.parse_args(argv)
    size = seeded_size(args.users, args.clients)
    mix = tuple(k for k in MIX if k.name not in args.exclude)
    if set(args.exclude) - {k.name for k in MIX} or not mix:
        parser.error(f"--exclude takes kinds of the mix: {', '.join(k.name for k in MIX)}")
    if args.clients < 1 or args.seconds <= 0 or args.baseline_seconds <= 0:
        parser.error("--clients, --seconds and --baseline-seconds must be positive")
    if args.users > USERS_QUOTA or size["users"] < 8:
        parser.error(f"--users must leave at least 8 seeded users and be at most {USERS_QUOTA} (the quota)")
    if args.clients > size["groups"]:
        parser.error("at most one client per seeded group (300)")
    if args.database_url and not urlsplit(args.database_url).scheme.startswith("postgres"):
        parser.error("--database-url must be postgres://user@host:port/name (SQLite is the default)")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds, so the servers are stopped
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"Load benchmark: {args.clients} clients x {args.seconds:g} s, {args.users:,} users "
          f"({size['users']:,} seeded, {size['groups']} groups, {size['policies']} policies), "
          f"{WORKERS} sync gunicorn workers, {backend}")  # fmt: skip
    print(f"  gunicorn {_version('gunicorn')}, moto {_version('moto')}, boto3 {_version('boto3')}, "
          f"{os.cpu_count()} cores; load average {_load_average()}", flush=True)  # fmt: skip
    started = time.perf_counter()
    temporary = tempfile.TemporaryDirectory(prefix="bench-load-", dir=args.tmp_dir)
    with temporary as tmp_name, ExitStack() as stack:  # the servers stop before their folder goes
        tmp = Path(tmp_name)
        database_url = args.database_url or f"sqlite:///{tmp / 'portal.sqlite3'}"
        if args.database_url:
            stack.enter_context(postgres_database(database_url))
        prepared = prepare_portal(database_url, tmp)
        # Plain HTTP on 127.0.0.1: no redirect to HTTPS (on by default with DEBUG off).
        env = {
            **prepared.env,
            "DATABASE_CONN_MAX_AGE": "60",
            "REDIS_URL": REDIS_URL,
            "IAM_PORTAL_SSL_REDIRECT": "false",
            "IAM_PORTAL_SERVER_TIMING": "true" if args.server_timing else "false",
        }
        setup = PortalSetup(env, prepared.root_key)
        _step("migrated, account created", started)
        counts = django_task(setup, "seed", {"size": size, "seed": args.seed})
        seeded_what = (f"{counts['users']:,} users, {counts['groups']} groups, {counts['managed_policies']} "
                       f"policies, {counts['memberships']:,} memberships")  # fmt: skip
        _step(f"seeded {seeded_what}", started)

        server_args = argparse.Namespace(workers=WORKERS, worker_class="sync", threads=1)
        portal = stack.enter_context(running(start_portal(setup, tmp, server_args)))
        root = make_client(portal.url, *setup.root_key)
        account_id, key_id, secret = set_up_admin(root)
        root.close()
        admin_key = (key_id, secret)
        admin = make_client(portal.url, *admin_key)
        stack.callback(admin.close)
        seeded = read_seeded(admin, account_id)
        plans = portal_plans(seeded, args.clients)
        for plan in plans:
            admin.create_user(UserName=plan.own_user, Path=LOAD_PATH)
        _step(f"portal up at {portal.url}, {len(seeded.users):,} users listed", started)

        moto_server = moto = sample = None
        if not args.no_moto:
            moto_server = stack.enter_context(running(start_moto(tmp, auth=False)))
            moto_root = make_client(moto_server.url, "AKIAIOSFODNN7EXAMPLE", "bench-secret")
            _, *moto_key = set_up_admin(moto_root)
            moto_root.close()
            moto = make_client(moto_server.url, *moto_key)
            stack.callback(moto.close)
            sample = take_sample(admin, seeded)
            moto_account = copy_to_moto(moto, sample)
            _step(f"moto up, sample copied ({len(sample.listed)} users, {len(sample.detailed)} detailed, "
                  f"{len(sample.policies)} policies)", started)  # fmt: skip

        print(f"\nMixed load: {args.clients} clients x {args.seconds:g} s (load average {_load_average()})",
              flush=True)  # fmt: skip
        workers = sorted(_children(portal.proc.pid))
        setup_rss = {pid: _status_kib(pid, "VmHWM") for pid in workers}
        reset = all(reset_peak_rss(pid) for pid in workers)
        workers_cpu = {pid: cpu_seconds(pid) for pid in workers}
        if args.exclude:
            print(f"  NOT the issue's mix: without {', '.join(args.exclude)}")
        result = run_load(portal.url, admin_key, plans, mix, args.seconds, args.seed, args.server_timing)
        load_rss = {pid: _status_kib(pid, "VmHWM") for pid in workers}
        workers_cpu = {pid: cpu_seconds(pid) - workers_cpu[pid] for pid in workers}
        load_after = _load_average()
        events = django_task(setup, "audit", {"since": result.since, "until": result.until})["events"]
        checks = report_load(result, events)
        print_cpu(result, workers_cpu)

        baseline: dict[str, list[LoadResult]] = defaultdict(list)
        if moto_server is not None and moto is not None and sample is not None:
            kinds = baseline_mix()
            slice_seconds = args.baseline_seconds / 2
            portal_sample = baseline_plans(sample, account_id, args.clients, moto=False)
            moto_sample = baseline_plans(sample, moto_account, args.clients, moto=True)
            targets = (
                ("portal", portal.url, admin_key, portal_sample),
                ("moto", moto_server.url, (moto_key[0], moto_key[1]), moto_sample),
            )
            for _ in range(2):  # portal, moto, portal, moto: a change of the machine's load weighs on both
                for name, url, key, target_plans in targets:
                    baseline[name].append(run_load(url, key, target_plans, kinds, slice_seconds, args.seed))

        print_peak_rss(portal.proc.pid, workers, setup_rss, load_rss, reset)

        if baseline:
            print(f"\nBaseline, read-only subset without SimulatePrincipalPolicy ({args.clients} clients, "
                  f"2 slices of {args.baseline_seconds / 2:g} s per server, interleaved):")  # fmt: skip
            rates = {}
            for name, runs in baseline.items():
                requests = sum(r.requests for r in runs)
                seconds = sum(r.seconds for r in runs)
                errors = sum(1 for r in runs for _, _, code in r.calls if code)
                rates[name] = requests / seconds if seconds else 0.0
                lat = Summary.of(latency for r in runs for _, latency, _ in r.calls)
                print(f"  {name:<7} {requests:>7,} requests in {seconds:6.2f} s: {rates[name]:7.1f} req/s, "
                      f"p50 {_ms(lat.p50)} ms, p99 {_ms(lat.p99)} ms, {errors} errors")  # fmt: skip
                checks.append((f"BASELINE ERRORS ({name})", errors == 0, f"{errors} failed calls"))
            ratio = rates["portal"] / rates["moto"] if rates["moto"] else float("inf")
            print(f"  portal/moto throughput on the read-only subset: {ratio:.2f}x")
        print(f"\nLoad average after the load: {load_after}; at the end: {_load_average()} "
              f"({os.cpu_count()} cores; more means other processes shared them)")  # fmt: skip
        print()
        for name, ok, detail in checks:
            print(f"  {name}: {_verdict(ok)} ({detail})")
        print(f"\ntotal time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
