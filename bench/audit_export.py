"""Benchmark: the audit export (accounts/selectors/audit_export.py) — rows per second and memory.

Run from the project root: `.venv/bin/python bench/audit_export.py [--events 100000]
[--database-url postgres://…]`. On a fresh database (SQLite in a temporary folder, or an existing
empty PostgreSQL database) it writes N audit events with bulk_create, then exports them as the
console and the REST API do (export_audit_events → json_lines, every byte consumed), and prints
rows per second, the Python heap's peak (tracemalloc) and the process's peak RSS growth while
exporting. It exports N/10 events too, so that the two peaks show memory flat with size, and the
same N records built into one list first (what a non-streamed export would do) as the baseline.
Not a test: exits 0."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_kib() -> int:
    """The process's peak resident set size (VmHWM), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux: clear_refs 5); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure(label: str, run: Callable[[], int]) -> None:
    """Rows per second and peak RSS growth in one run; the Python heap's peak in a second run
    under tracemalloc (which slows allocation several times over, so it is not timed)."""
    reset = reset_peak_rss()
    rss_before = peak_rss_kib()
    started = time.perf_counter()
    rows = run()
    elapsed = time.perf_counter() - started
    rss_growth = peak_rss_kib() - rss_before
    tracemalloc.start()
    run()
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = f"{rss_growth / 1024:7.1f} MiB" if reset else "   n/a (no clear_refs)"
    print(
        f"{label:<36} {rows:>8} rows {rows / elapsed:>9,.0f} rows/s  "
        f"heap peak {heap_peak / 2**20:7.1f} MiB  RSS peak growth {rss}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="audit-export-bench-")
    os.environ["DATABASE_URL"] = options.database_url or f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iam_portal.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from accounts.context import system_context
    from accounts.models import AuditEvent
    from accounts.selectors.audit_export import export_audit_events, json_lines
    from accounts.services.account import create_account

    root = create_account(email=f"bench-{time.time_ns()}@example.com", password="bench password 1")
    ctx = system_context(root)
    acct = ctx.account.account_id
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    total = options.events
    started = time.perf_counter()
    batch = 5000
    for start in range(0, total, batch):
        AuditEvent.objects.bulk_create(
            AuditEvent(
                account=ctx.account,
                actor_arn=f"arn:aws:iam::{acct}:user/user{i % 50}",
                access_key_id=f"AKIAEXAMPLE{i % 50:09d}",
                channel="query",
                source_ip="203.0.113.9",
                request_id=f"req-{i}",
                action="iam:CreateUser" if i % 3 else "iam:ListUsers",
                target_arn=f"arn:aws:iam::{acct}:user/new{i}",
                parameters={"user_name": f"new{i}", "path": "/", "tags": [{"Key": "team", "Value": "a"}]},
                outcome="success" if i % 7 else "denied",
                error_code="" if i % 7 else "AccessDenied",
                time=t0 + timedelta(seconds=i),
            )
            for i in range(start, min(start + batch, total))
        )
    print(f"wrote {total} events in {time.perf_counter() - started:.1f} s ({django.db.connection.vendor})")

    def streamed(until_index: int) -> Callable[[], int]:
        def run() -> int:
            until = t0 + timedelta(seconds=until_index)
            lines = json_lines(export_audit_events(ctx, since=t0, until=until))
            return sum(1 for _ in lines)

        return run

    def buffered() -> int:
        # The baseline: every record built and serialized into one body before anything is sent.
        records = list(export_audit_events(ctx, since=t0))
        body = b"".join(json_lines(iter(records)))
        return body.count(b"\n")

    measure(f"streamed, {total // 10} events", streamed(total // 10))
    measure(f"streamed, {total} events", streamed(total))
    measure(f"buffered (baseline), {total} events", buffered)


if __name__ == "__main__":
    main()
