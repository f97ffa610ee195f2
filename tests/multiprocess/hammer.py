"""One hammering client of tests/multiprocess/test_two_servers.py: reads a job as JSON on standard
input ({"endpoints", "key", "operation", "calls"}), makes each call with boto3, alternating between the
endpoints, and prints the outcomes as JSON ({"ok": n, "<AWS error code>": n, …})."""

from __future__ import annotations

import json
import sys
from collections import Counter

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def main() -> None:
    job = json.load(sys.stdin)
    key_id, secret = job["key"]
    clients = [
        boto3.client(
            "iam",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}),
        )
        for url in job["endpoints"]
    ]
    outcomes: Counter = Counter()
    for number, call in enumerate(job["calls"]):
        client = clients[number % len(clients)]
        try:
            getattr(client, job["operation"])(**call)
            outcomes["ok"] += 1
        except ClientError as exc:
            outcomes[exc.response["Error"]["Code"]] += 1
    print(json.dumps(outcomes))


if __name__ == "__main__":
    main()
