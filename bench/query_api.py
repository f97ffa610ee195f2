"""Benchmark: requests per second of the portal's AWS Query API against moto_server.

Run from the project root: `.venv/bin/python bench/query_api.py` (or `make bench`). It serves the portal
with gunicorn on a fresh database (SQLite in a temporary folder, or PostgreSQL with --database-url) and
starts `moto_server` (PyPI `moto[server]`), then runs the same fixed boto3 workload against both, phase
by phase in turn: create N users, N/10 groups, memberships, N/10 customer managed policies,
attachments, inline policies and access keys; read them back; delete everything. It prints requests
per second per phase for both servers, the ratio portal/moto, a PASS/FAIL line for "portal >= moto"
and each server's peak memory. Every response must succeed (a failed call stops the run), but the
script exits 0 unless something crashed: it is a benchmark, not a test. See bench/README.md.

`--profile` also runs the workload once against a single profiled gunicorn worker (cProfile around
each request, see `profiled_application`) and prints where the portal spends its time.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import cProfile
import io
import json
import os
import pstats
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_USER = "bench-admin"
BENCH_PATH = "/bench/"
REGION = "us-east-1"
START_TIMEOUT = 60.0  # seconds a server gets to answer its first request
PHASES = ("create", "read", "delete")

Json = dict[str, Any]


class BenchError(RuntimeError):
    """A server failed a call, answered wrongly, or did not start: the run stops here."""


# --------------------------------------------------------------------------------------------------
# The workload: fixed and deterministic for a number of users
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """Names and relations of the workload's entities, all derived from the number of users."""

    users: int

    @property
    def groups(self) -> int:
        return max(1, self.users // 10)

    @property
    def policies(self) -> int:
        return max(1, self.users // 10)

    def user(self, i: int) -> str:
        return f"bench-user-{i:04d}"

    def group(self, g: int) -> str:
        return f"bench-group-{g:03d}"

    def policy(self, p: int) -> str:
        return f"bench-policy-{p:03d}"

    def groups_of(self, i: int) -> list[int]:
        """Each user is in one group, every other user in a second one."""
        first, second = i % self.groups, (i * 7 + 3) % self.groups
        return [first, second] if i % 2 == 0 and second != first else [first]

    def members(self, g: int) -> int:
        return sum(g in self.groups_of(i) for i in range(self.users))

    def group_policies(self, g: int) -> list[int]:
        """Two managed policies per group (one when there is only one policy)."""
        return sorted({g % self.policies, (g + 1) % self.policies})

    def user_policy(self, i: int) -> int | None:
        """Every fifth user also has a managed policy attached directly."""
        return i % self.policies if i % 5 == 0 else None

    def policy_document(self, p: int) -> Json:
        bucket = f"arn:aws:s3:::bench-bucket-{p:03d}"
        return {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                 "Resource": [bucket, f"{bucket}/*"]},
                {"Sid": "Describe", "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*",
                 "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}}},
            ],
        }  # fmt: skip

    def inline_document(self, i: int) -> Json:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["iam:GetUser", "iam:*AccessKey*"],
                 "Resource": f"arn:aws:iam::*:user/bench/{self.user(i)}"},
            ],
        }  # fmt: skip


@dataclass
class State:
    """What one run learns from the server: the account id and the new access keys' ids."""

    account_id: str
    access_keys: dict[int, str] = field(default_factory=dict)

    def policy_arn(self, shape: Shape, p: int) -> str:
        return f"arn:aws:iam::{self.account_id}:policy{BENCH_PATH}{shape.policy(p)}"


# A task makes one or more calls with the client; a stage is a list of tasks that may run in any order
# (and in parallel); a phase is a sequence of stages.
Task = Callable[[Any, State], None]


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise BenchError(f"wrong answer: {what}")


def create_stages(shape: Shape) -> list[list[Task]]:
    """Groups and policies; users; then each user's memberships, attachments, inline policy and key."""

    def create_group(g: int) -> Task:
        return lambda c, s: c.create_group(GroupName=shape.group(g), Path=BENCH_PATH)

    def create_policy(p: int) -> Task:
        def task(c: Any, s: State) -> None:
            arn = c.create_policy(
                PolicyName=shape.policy(p), Path=BENCH_PATH, Description=f"bench policy {p}",
                PolicyDocument=json.dumps(shape.policy_document(p)),
            )["Policy"]["Arn"]  # fmt: skip
            _check(arn == s.policy_arn(shape, p), f"CreatePolicy ARN {arn}")

        return task

    def create_user(i: int) -> Task:
        return lambda c, s: c.create_user(
            UserName=shape.user(i), Path=BENCH_PATH, Tags=[{"Key": "team", "Value": f"team-{i % 7}"}]
        )

    def set_up_user(i: int) -> Task:
        def task(c: Any, s: State) -> None:
            name = shape.user(i)
            for g in shape.groups_of(i):
                c.add_user_to_group(GroupName=shape.group(g), UserName=name)
            p = shape.user_policy(i)
            if p is not None:
                c.attach_user_policy(UserName=name, PolicyArn=s.policy_arn(shape, p))
            document = json.dumps(shape.inline_document(i))
            c.put_user_policy(UserName=name, PolicyName=f"inline-{name}", PolicyDocument=document)
            s.access_keys[i] = c.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]

        return task

    def attach_group_policies(g: int) -> Task:
        def task(c: Any, s: State) -> None:
            for p in shape.group_policies(g):
                c.attach_group_policy(GroupName=shape.group(g), PolicyArn=s.policy_arn(shape, p))

        return task

    users, groups, policies = range(shape.users), range(shape.groups), range(shape.policies)
    return [
        [create_group(g) for g in groups] + [create_policy(p) for p in policies],
        [create_user(i) for i in users],
        [set_up_user(i) for i in users] + [attach_group_policies(g) for g in groups],
    ]


def read_stages(shape: Shape) -> list[list[Task]]:
    """Every entity read back, with the answers checked (the same checks on both servers)."""

    def read_user(i: int) -> Task:
        def task(c: Any, s: State) -> None:
            name = shape.user(i)
            user = c.get_user(UserName=name)["User"]
            _check(user["UserName"] == name and user["Path"] == BENCH_PATH, f"GetUser {name}")
            attached = c.list_attached_user_policies(UserName=name)["AttachedPolicies"]
            _check(len(attached) == (shape.user_policy(i) is not None), f"ListAttachedUserPolicies {name}")
            document = c.get_user_policy(UserName=name, PolicyName=f"inline-{name}")["PolicyDocument"]
            _check(document == shape.inline_document(i), f"GetUserPolicy {name}")
            keys = c.list_access_keys(UserName=name)["AccessKeyMetadata"]
            _check([k["AccessKeyId"] for k in keys] == [s.access_keys[i]], f"ListAccessKeys {name}")

        return task

    def list_users(c: Any, s: State) -> None:
        paginator = c.get_paginator("list_users")
        pages = paginator.paginate(PathPrefix=BENCH_PATH, PaginationConfig={"PageSize": 100})
        names = [user["UserName"] for page in pages for user in page["Users"]]
        _check(sorted(names) == [shape.user(i) for i in range(shape.users)], "ListUsers")

    def read_group(g: int) -> Task:
        def task(c: Any, s: State) -> None:
            users = c.get_group(GroupName=shape.group(g))["Users"]
            _check(len(users) == shape.members(g), f"GetGroup {shape.group(g)}")

        return task

    def read_policy(p: int) -> Task:
        def task(c: Any, s: State) -> None:
            arn = s.policy_arn(shape, p)
            version = c.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = c.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            _check(document == shape.policy_document(p), f"GetPolicyVersion {arn}")

        return task

    return [
        [read_user(i) for i in range(shape.users)]
        + [list_users]
        + [read_group(g) for g in range(shape.groups)]
        + [read_policy(p) for p in range(shape.policies)]
    ]


def delete_stages(shape: Shape) -> list[list[Task]]:
    """Keys, inline policies, attachments and memberships first; then users, groups and policies."""

    def strip_user(i: int) -> Task:
        def task(c: Any, s: State) -> None:
            name = shape.user(i)
            c.delete_access_key(UserName=name, AccessKeyId=s.access_keys[i])
            c.delete_user_policy(UserName=name, PolicyName=f"inline-{name}")
            p = shape.user_policy(i)
            if p is not None:
                c.detach_user_policy(UserName=name, PolicyArn=s.policy_arn(shape, p))
            for g in shape.groups_of(i):
                c.remove_user_from_group(GroupName=shape.group(g), UserName=name)

        return task

    def detach_group_policies(g: int) -> Task:
        def task(c: Any, s: State) -> None:
            for p in shape.group_policies(g):
                c.detach_group_policy(GroupName=shape.group(g), PolicyArn=s.policy_arn(shape, p))

        return task

    def delete_user(i: int) -> Task:
        return lambda c, s: c.delete_user(UserName=shape.user(i))

    def delete_group(g: int) -> Task:
        return lambda c, s: c.delete_group(GroupName=shape.group(g))

    def delete_policy(p: int) -> Task:
        return lambda c, s: c.delete_policy(PolicyArn=s.policy_arn(shape, p))

    return [
        [strip_user(i) for i in range(shape.users)] + [detach_group_policies(g) for g in range(shape.groups)],
        [delete_user(i) for i in range(shape.users)]
        + [delete_group(g) for g in range(shape.groups)]
        + [delete_policy(p) for p in range(shape.policies)],
    ]


def workload(shape: Shape) -> dict[str, list[list[Task]]]:
    return {"create": create_stages(shape), "read": read_stages(shape), "delete": delete_stages(shape)}


# --------------------------------------------------------------------------------------------------
# Running it
# --------------------------------------------------------------------------------------------------


def make_client(url: str, access_key_id: str, secret_access_key: str) -> Any:
    """An IAM client of the server: keep-alive as botocore does by default, no retries."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "iam",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=32),
    )


class RequestCounter:
    """Counts the HTTP requests a client sends by operation (botocore's before-send event), and adds up
    each API call's time as the client sees it (before-call to after-call: signing, the round trip,
    parsing), also by operation."""

    def __init__(self, client: Any) -> None:
        self.counts: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._events = client.meta.events
        self._handlers = (
            ("before-send.iam", self._sent),
            ("before-call.iam", self._called),
            ("after-call.iam", self._done),
        )
        for event, handler in self._handlers:
            self._events.register(event, handler)

    def close(self) -> None:
        for event, handler in self._handlers:
            self._events.unregister(event, handler)

    def _sent(self, event_name: str = "", **kwargs: Any) -> None:
        with self._lock:
            self.counts[event_name.rsplit(".", 1)[-1]] += 1

    def _called(self, context: dict[str, Any], **kwargs: Any) -> None:
        context["bench_started"] = time.perf_counter()  # per call, so right with several threads

    def _done(self, context: dict[str, Any], event_name: str = "", **kwargs: Any) -> None:
        elapsed = time.perf_counter() - context.pop("bench_started", time.perf_counter())
        with self._lock:
            self.seconds[event_name.rsplit(".", 1)[-1]] += elapsed

    def total(self) -> int:
        with self._lock:
            return sum(self.counts.values())


@dataclass
class PhaseResult:
    requests: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class RunResult:
    phases: dict[str, PhaseResult]
    by_operation: Counter[str]  # requests
    seconds_by_operation: Counter[str]  # summed call times (wall time per call, client side)

    @property
    def total(self) -> PhaseResult:
        return PhaseResult(
            sum(p.requests for p in self.phases.values()), sum(p.seconds for p in self.phases.values())
        )


def run_stage(tasks: Sequence[Task], client: Any, state: State, concurrency: int) -> None:
    """All of a stage's tasks: in order on this thread, or dealt round-robin to `concurrency` threads."""

    def run(chunk: Sequence[Task]) -> None:
        for task in chunk:
            task(client, state)

    if concurrency <= 1:
        run(tasks)
        return
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(run, tasks[k::concurrency]) for k in range(concurrency)]:
            future.result()  # re-raises the first failure


@dataclass(frozen=True)
class Admin:
    """bench-admin, the IAM user (AdministratorAccess) who signs the workload's calls."""

    account_id: str
    access_key_id: str
    secret_access_key: str


@dataclass
class Target:
    """A server under test and bench-admin's client of it."""

    name: str
    server: Server
    admin: Admin
    client: Any


def run_interleaved(targets: Sequence[Target], shape: Shape, concurrency: int) -> dict[str, RunResult]:
    """The workload on every target, phase by phase in turn (portal create, moto create, portal read, …),
    so that a change in the machine's load during the run weighs on all of them alike."""
    states = {t.name: State(t.admin.account_id) for t in targets}
    counters = {t.name: RequestCounter(t.client) for t in targets}
    phases: dict[str, dict[str, PhaseResult]] = {t.name: {} for t in targets}
    try:
        for phase, stages in workload(shape).items():
            for target in targets:
                counter = counters[target.name]
                before, started = counter.total(), time.perf_counter()
                for stage in stages:
                    run_stage(stage, target.client, states[target.name], concurrency)
                elapsed = time.perf_counter() - started
                phases[target.name][phase] = PhaseResult(counter.total() - before, elapsed)
    finally:
        for counter in counters.values():
            counter.close()
    return {
        t.name: RunResult(phases[t.name], counters[t.name].counts, counters[t.name].seconds) for t in targets
    }


def set_up_admin(root_client: Any) -> tuple[str, str, str]:
    """Root makes bench-admin (AdministratorAccess, one access key): (account id, key id, secret)."""
    arn = root_client.create_user(UserName=ADMIN_USER)["User"]["Arn"]
    root_client.attach_user_policy(UserName=ADMIN_USER, PolicyArn=ADMIN_ACCESS)
    key = root_client.create_access_key(UserName=ADMIN_USER)["AccessKey"]
    return arn.split(":")[4], key["AccessKeyId"], key["SecretAccessKey"]


def warm_up(client: Any, calls: int) -> None:
    """Untimed, uncounted calls, so that every worker has loaded its code before the clock starts."""
    for _ in range(calls):
        client.get_user(UserName=ADMIN_USER)


# --------------------------------------------------------------------------------------------------
# The servers
# --------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _children(pid: int) -> list[int]:
    """The direct children of a process (gunicorn's workers), from /proc/*/stat."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _status_kib(pid: int, field_name: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmHWM: peak resident set size), 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    """A server process in its own process group, stopped (group and all) by stop()."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path, port: int) -> None:
        self.name, self.log, self.url = name, log, f"http://127.0.0.1:{port}"
        self._log_file = log.open("ab")
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        _RUNNING.append(self)

    def wait_ready(self, probe_path: str | None) -> None:
        """Until the server answers an HTTP request (any status) on probe_path, or accepts a connection."""
        deadline = time.monotonic() + START_TIMEOUT
        host, port = "127.0.0.1", int(self.url.rsplit(":", 1)[1])
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.proc.returncode}:\n{_tail(self.log)}")
            try:
                if probe_path is None:
                    socket.create_connection((host, port), timeout=1).close()
                else:
                    urllib.request.urlopen(self.url + probe_path, timeout=5).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.1)
        raise BenchError(f"{self.name} did not answer within {START_TIMEOUT:.0f}s:\n{_tail(self.log)}")

    def peak_rss_kib(self) -> list[int]:
        """VmHWM of the process and of each of its children (gunicorn's master and its workers)."""
        return [_status_kib(pid, "VmHWM") for pid in [self.proc.pid, *_children(self.proc.pid)]]

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the whole process group (graceful: gunicorn's workers finish), SIGKILL if need be."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        # Whatever is left in the group (a worker that outlived its master) goes too.
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._log_file.close()
        if self in _RUNNING:
            _RUNNING.remove(self)


_RUNNING: list[Server] = []


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop(timeout=5)


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


@contextmanager
def postgres_database(url: str) -> Iterator[None]:
    """A new, empty PostgreSQL database for the portal (dropped and created again, dropped after)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise BenchError(f"unusable database name {name!r} in --database-url")
    maintenance = urlunsplit(parts._replace(path="/postgres"))

    def execute(sql: str) -> None:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(sql)

    execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    execute(f'CREATE DATABASE "{name}"')
    try:
        yield
    finally:
        execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class PortalSetup:
    env: dict[str, str]
    root_key: tuple[str, str]


def prepare_portal(database_url: str, tmp: Path) -> PortalSetup:
    """Migrate the database and sign up an account with a root access key (manage.py createaccount)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "iam_portal.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "IAM_PORTAL_SECRET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "IAM_PORTAL_SSL_REDIRECT": "false",  # plain HTTP on loopback: no TLS proxy in front
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
        # As in production under gunicorn (docs): a worker keeps its database connection.
        "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "60"),
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    for argv in (
        [*manage, "migrate", "--noinput", "-v", "0"],
        [*manage, "createaccount", "--email", "bench@example.com", "--password", secrets.token_urlsafe(16),
         "--root-access-key", "--json"],
    ):  # fmt: skip
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"{' '.join(argv[1:3])} failed:\n{done.stdout}\n{done.stderr}")
    account = json.loads(done.stdout.strip().splitlines()[-1])
    return PortalSetup(env, (account["access_key_id"], account["secret_access_key"]))


def start_portal(setup: PortalSetup, tmp: Path, args: argparse.Namespace, *, profile_dir: Path | None = None,
                 ) -> Server:  # fmt: skip
    port = free_port()
    app, env, workers = "iam_portal.wsgi", dict(setup.env), args.workers
    if profile_dir is not None:  # this module as the WSGI app, wrapping the portal's (one worker)
        app, workers = "query_api:profiled_application", 1
        env["BENCH_PROFILE_DIR"] = str(profile_dir)
    argv = [
        sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", args.worker_class, "--threads", str(args.threads), "--chdir", str(ROOT),
        "--pythonpath", str(BENCH), "--log-level", "warning", "--graceful-timeout", "10",
    ]  # fmt: skip
    server = Server("portal (gunicorn)", argv, env, tmp / "gunicorn.log", port)
    try:
        server.wait_ready("/signin/")
    except BaseException:
        server.stop()
        raise
    return server


def start_moto(tmp: Path, *, auth: bool) -> Server:
    port = free_port()
    # AWS managed policies (AdministratorAccess) are only there when asked for, as the portal has them.
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    name = "moto_server (auth on)" if auth else "moto_server"
    server = Server(name, argv, env, tmp / f"moto{'-auth' if auth else ''}.log", port)
    try:
        server.wait_ready(None)  # a request to / would be an S3 call
    except BaseException:
        server.stop()
        raise
    return server


def moto_enable_auth(url: str) -> None:
    """From now on moto verifies every signature and authorizes every call (its IAM access control)."""
    # Not a form: Flask would consume a form-encoded body before moto reads it.
    request = urllib.request.Request(
        url + "/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"}
    )
    urllib.request.urlopen(request, timeout=10).close()


# --------------------------------------------------------------------------------------------------
# Profiling one portal worker
# --------------------------------------------------------------------------------------------------

_profiler: cProfile.Profile | None = None


def profiled_application(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The portal's WSGI app under cProfile (gunicorn's app with --profile; stats written at exit)."""
    global _profiler
    from iam_portal.wsgi import application

    if _profiler is None:
        _profiler = cProfile.Profile()
        path = Path(os.environ["BENCH_PROFILE_DIR"]) / f"worker-{os.getpid()}.prof"
        atexit.register(_profiler.dump_stats, str(path))
    _profiler.enable()
    try:
        return list(application(environ, start_response))
    finally:
        _profiler.disable()


def report_profile(profile_dir: Path, top: int, keep: Path | None) -> None:
    files = sorted(profile_dir.glob("worker-*.prof"))
    if not files:
        print("  (no profile was written: the worker did not exit cleanly)")
        return
    if keep is not None:
        pstats.Stats(*map(str, files)).dump_stats(str(keep))
        print(f"\nprofile written to {keep} (python -m pstats {keep})")
    for sort in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(*map(str, files), stream=out)
        stats.strip_dirs().sort_stats(sort).print_stats(top)
        print(f"\n--- portal worker, top {top} by {sort} ---")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:20000])


# --------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def print_comparison(label: str, ours: RunResult, theirs: RunResult, their_name: str) -> float:
    print(f"\n{label}")
    other = their_name[:10]
    print(f"  {'phase':<8} {'requests':>8} {'portal s':>9} {'portal req/s':>12}  {'requests':>8} "
          f"{other + ' s':>12} {other + ' req/s':>16}  {'portal/' + other:>17}")  # fmt: skip
    rows = [*((p, ours.phases[p], theirs.phases[p]) for p in PHASES), ("total", ours.total, theirs.total)]
    for phase, a, b in rows:
        ratio = a.rate / b.rate if b.rate else float("inf")
        print(f"  {phase:<8} {a.requests:>8} {a.seconds:>9.2f} {a.rate:>12.1f}  {b.requests:>8} "
              f"{b.seconds:>12.2f} {b.rate:>16.1f}  {ratio:>17.2f}")  # fmt: skip
    return ours.total.rate / theirs.total.rate


def print_operations(ours: RunResult, theirs: RunResult | None, their_name: str) -> None:
    """Mean time per call by operation as the client saw it (slowest on the portal first)."""
    print(f"  {'operation':<26} {'calls':>6} {'portal ms':>10}", end="")
    print(f" {their_name + ' ms':>12} {'portal/' + their_name:>12}" if theirs else "")
    mean = {op: ours.seconds_by_operation[op] / n * 1000 for op, n in ours.by_operation.items()}
    for op in sorted(mean, key=mean.__getitem__, reverse=True):
        print(f"  {op:<26} {ours.by_operation[op]:>6} {mean[op]:>10.2f}", end="")
        if theirs and theirs.by_operation[op]:
            other = theirs.seconds_by_operation[op] / theirs.by_operation[op] * 1000
            print(f" {other:>12.2f} {mean[op] / other if other else 0:>12.2f}")
        else:
            print()


def check_same_requests(ours: RunResult, theirs: RunResult, their_name: str) -> None:
    """The same calls on both servers; only the number of pages of a List* call may differ (moto 5.2
    ignores MaxItems for ListUsers and answers in one page, where the portal pages by 100)."""
    for op in sorted(set(ours.by_operation) | set(theirs.by_operation)):
        a, b = ours.by_operation[op], theirs.by_operation[op]
        if a == b:
            continue
        if not op.startswith("List"):
            raise BenchError(f"the servers got different requests: {op} {a} (portal) vs {b} ({their_name})")
        print(f"  note: {op} took {a} page(s) on the portal, {b} on {their_name} (each rate counts its own)")


# --------------------------------------------------------------------------------------------------


def admin_of(server: Server, root_key: tuple[str, str], *, moto_auth: bool = False) -> Admin:
    """Root makes bench-admin; with moto_auth, moto checks every request from then on."""
    root = make_client(server.url, *root_key)
    try:
        admin = Admin(*set_up_admin(root))
    finally:
        root.close()
    if moto_auth:
        moto_enable_auth(server.url)
    return admin


def target_of(name: str, server: Server, admin: Admin, stack: ExitStack, warm: int) -> Target:
    client = make_client(server.url, admin.access_key_id, admin.secret_access_key)
    stack.callback(client.close)
    warm_up(client, warm)
    return Target(name, server, admin, client)


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """The server until the block ends; its log's tail when the block failed (a 500's traceback)."""
    try:
        yield server
    except BaseException:
        gone = server.proc.poll()  # it died under us (None: it was still running)
        server.stop()
        if gone is not None:
            why = f"killed by signal {-gone}" if gone < 0 else f"exit status {gone}"
            print(f"--- {server.name} had stopped by itself ({why})", file=sys.stderr)
        if gone is not None or "Traceback" in _tail(server.log, 200):
            print(f"--- last lines of {server.name}'s log ---\n{_tail(server.log, 80)}", file=sys.stderr)
        raise
    finally:
        server.stop()


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500, help="users of the workload (default 500)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1], metavar="K",
                        help="client threads; several values run the workload once per value (default 1)")
    parser.add_argument("--database-url", help="the portal's database, postgres://… (created and dropped "
                        "by the script); default: SQLite in a temporary folder")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="gunicorn workers (default: one per core)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (default sync)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread)")
    parser.add_argument("--moto-auth", action="store_true",
                        help="also run moto with its IAM access control on (signatures and policies checked)")
    parser.add_argument("--no-moto", action="store_true", help="the portal only")
    parser.add_argument("--by-operation", action="store_true",
                        help="also print the mean time per call of each operation")
    parser.add_argument("--tmp-dir", type=Path, help="where the temporary folder (the SQLite database, "
                        "the servers' logs) is made (default: the system's)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one portal worker over the workload (concurrency 1)")
    parser.add_argument("--top", type=int, default=30, help="profile lines to print (default 30)")
    parser.add_argument("--profile-out", type=Path, help="with --profile: also write the stats to this file")
    args = parser.parse_args(argv)  # fmt: skip
    if args.users < 1 or min(args.concurrency) < 1 or args.workers < 1 or args.threads < 1:
        parser.error("--users, --concurrency, --workers and --threads must be at least 1")
    if args.database_url and not urlsplit(args.database_url).scheme.startswith("postgres"):
        parser.error("--database-url must be postgres://user@host:port/name (SQLite is the default)")

    shape = Shape(args.users)
    warm = 4 * args.workers * args.threads
    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C, so that the servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    temporary = tempfile.TemporaryDirectory(prefix="bench-query-api-", dir=args.tmp_dir)
    with temporary as tmp_name, ExitStack() as stack:  # the servers stop before their folder goes
        tmp = Path(tmp_name)
        database_url = args.database_url or f"sqlite:///{tmp / 'portal.sqlite3'}"
        backend = "PostgreSQL" if args.database_url else "SQLite"
        threads = f" x {args.threads} threads" if args.threads > 1 else ""
        print(f"Query API benchmark: {shape.users} users, {shape.groups} groups, {shape.policies} policies; "
              f"client concurrency {', '.join(map(str, args.concurrency))}")
        workers = f"{args.workers} {args.worker_class} workers{threads}"
        print(f"  portal: gunicorn {_version('gunicorn')}, {workers}, {backend}, DEBUG off; "
              f"moto {_version('moto')}; boto3 {_version('boto3')}; {os.cpu_count()} cores", flush=True)

        if args.database_url:
            stack.enter_context(postgres_database(database_url))
        setup = prepare_portal(database_url, tmp)
        portal = stack.enter_context(running(start_portal(setup, tmp, args)))
        admin = admin_of(portal, setup.root_key)
        targets = [target_of("portal", portal, admin, stack, warm)]
        if not args.no_moto:
            for auth in (False, True) if args.moto_auth else (False,):
                moto = stack.enter_context(running(start_moto(tmp, auth=auth)))
                # moto takes any key for the set-up calls; from then on (auth) only bench-admin's.
                moto_admin = admin_of(moto, ("AKIAIOSFODNN7EXAMPLE", "bench-secret"), moto_auth=auth)
                targets.append(target_of("moto+auth" if auth else "moto", moto, moto_admin, stack, warm))

        load_before = _load()
        results: dict[int, dict[str, RunResult]] = {}
        for k in args.concurrency:
            results[k] = run_interleaved(targets, shape, k)
            for t in targets:
                total = results[k][t.name].total
                print(f"  {t.name}, concurrency {k}: {total.requests} requests in {total.seconds:.2f}s "
                      f"({total.rate:.1f} req/s)", flush=True)  # fmt: skip
        load_after = _load()
        rss = {t.name: t.server.peak_rss_kib() for t in targets}
        for t in targets:
            t.server.stop()

        verdicts = []
        for k in args.concurrency:
            ours = results[k]["portal"]
            for t in targets[1:]:
                theirs = results[k][t.name]
                ratio = print_comparison(f"portal vs {t.name}, client concurrency {k}:", ours, theirs, t.name)
                check_same_requests(ours, theirs, t.name)
                if args.by_operation:
                    print_operations(ours, theirs, t.name)
                verdicts.append((t.name, k, ratio))
            if len(targets) == 1:
                print(f"\nportal, client concurrency {k}:")
                for phase, result in [*ours.phases.items(), ("total", ours.total)]:
                    print(f"  {phase:<8} {result.requests:>8} requests {result.seconds:>8.2f}s "
                          f"{result.rate:>8.1f} req/s")  # fmt: skip
                if args.by_operation:
                    print_operations(ours, None, "")

        print("\nPeak memory (VmHWM; gunicorn: master + workers, shared pages counted in each):")
        for t in targets:
            parts = f" ({' + '.join(_mib(kib) for kib in rss[t.name])})" if len(rss[t.name]) > 1 else ""
            print(f"  {t.name}: {_mib(sum(rss[t.name]))}{parts}")
        print(f"Machine load (1/5/15-minute averages) before the timed runs: {load_before}, after: "
              f"{load_after} ({os.cpu_count()} cores; more than that means other processes shared them)")
        print()
        for name, k, ratio in verdicts:
            verdict = "PASS" if ratio >= 1.0 else "FAIL"
            print(f"  TARGET portal >= {name} (concurrency {k}): {verdict} (portal/{name} = {ratio:.2f}x)")

        if args.profile:
            profile_dir = tmp / "profile"
            profile_dir.mkdir()
            profiled = stack.enter_context(running(start_portal(setup, tmp, args, profile_dir=profile_dir)))
            run_interleaved([target_of("portal (profiled)", profiled, admin, stack, warm)], shape, 1)
            profiled.stop()  # the worker's graceful exit writes its stats
            report_profile(profile_dir, args.top, args.profile_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
