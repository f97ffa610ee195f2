"""/api/v1/access-advisor/jobs/: POST GenerateServiceLastAccessedDetails, GET GetServiceLastAccessedDetails,
GET …/entities/?service= GetServiceLastAccessedDetailsWithEntities, signed with SigV4: shapes, AWS codes
and statuses, audit rows, only the generating caller reads a job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Role, User
from accounts.services import users
from accounts.services.groups import add_user_to_group, create_group
from accounts.services.policy_attachments import put_group_policy
from tests import factories as f

from .conftest import ADMIN_ACCESS, denial, error, iam_user, issue_key

pytestmark = pytest.mark.django_db
JOBS = "/api/v1/access-advisor/jobs/"


def _event(ctx, actor_arn: str, action: str, when, outcome: str = "success") -> None:
    # The report counts an entity's attempts since its creation: the entities existed before.
    for model in (User, Role):
        model.objects.filter(account=ctx.account, created__gt=when).update(created=when - timedelta(days=1))
    AuditEvent.objects.create(
        time=when, account=ctx.account, actor_arn=actor_arn, channel="query", action=action, outcome=outcome
    )


class AccessAdvisorJobTests:
    def test_generate_then_read_the_report_and_its_entities(self, signed, root_key, ctx, acct):
        alice = users.create_user(ctx, user_name="alice")
        create_group(ctx, group_name="devs")
        add_user_to_group(ctx, group_name="devs", user_name="alice")
        put_group_policy(
            ctx, group_name="devs", policy_name="p", policy_document=f.document(f.allow(["iam:*", "s3:*"]))
        )
        when = timezone.now().replace(microsecond=0) - timedelta(days=2)
        _event(ctx, alice.arn, "iam:CreateUser", when, "denied")

        made = signed("POST", JOBS, root_key, {"arn": f"arn:aws:iam::{acct}:group/devs"})
        assert made.status_code == 201
        job_id = made.json()["job_id"]
        assert set(made.json()) == {"job_id"} and len(job_id) == 36
        assert made["Location"] == f"http://testserver{JOBS}{job_id}/"
        assert (
            AuditEvent.objects.filter(
                action="iam:GenerateServiceLastAccessedDetails", channel="rest", outcome="success"
            ).count()
            == 1
        )

        got = signed("GET", f"{JOBS}{job_id}/?max_items=1", root_key)
        assert got.status_code == 200
        body = got.json()
        assert (body["job_status"], body["job_type"], body["is_truncated"]) == (
            "COMPLETED",
            "SERVICE_LEVEL",
            True,
        )
        assert body["job_creation_date"].endswith("Z") and body["job_completion_date"].endswith("Z")
        assert body["items"] == [
            {
                "service_name": "AWS Identity and Access Management",
                "service_namespace": "iam",
                "last_authenticated": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "last_authenticated_entity": alice.arn,
                "last_authenticated_region": "us-east-1",
                "total_authenticated_entities": 1,
                "tracked_actions_last_accessed": None,
            }
        ]
        rest = signed("GET", f"{JOBS}{job_id}/?marker={body['marker']}", root_key).json()
        assert [(s["service_namespace"], s["last_authenticated"]) for s in rest["items"]] == [("s3", None)]
        assert (rest["is_truncated"], rest["marker"]) == (False, None)

        entities = signed("GET", f"{JOBS}{job_id}/entities/?service=iam", root_key)
        assert entities.status_code == 200
        assert entities.json()["items"] == [
            {
                "entity_info": {
                    "arn": alice.arn,
                    "name": "alice",
                    "type": "USER",
                    "id": alice.user_id,
                    "path": "/",
                },
                "last_authenticated": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ]

    def test_action_level_lists_tracked_actions(self, signed, root_key, ctx, acct):
        users.create_user(ctx, user_name="bob")
        job_id = signed(
            "POST", JOBS, root_key, {"arn": f"arn:aws:iam::{acct}:user/bob", "granularity": "ACTION_LEVEL"}
        ).json()["job_id"]
        body = signed("GET", f"{JOBS}{job_id}/", root_key).json()
        assert (body["job_type"], body["items"]) == ("ACTION_LEVEL", [])  # bob is allowed nothing

    def test_errors(self, signed, root_key, ctx, acct):
        assert error(signed("POST", JOBS, root_key, {"arn": f"arn:aws:iam::{acct}:user/ghost"})) == (
            404,
            "NoSuchEntity",
            "The user with name ghost cannot be found.",
        )
        assert error(signed("POST", JOBS, root_key, {"arn": "arn:aws:s3:::my-bucket-name"})) == (
            400,
            "InvalidInput",
            "ARN arn:aws:s3:::my-bucket-name is not valid.",
        )
        status, code, _ = error(signed("POST", JOBS, root_key, {"arn": "short"}))
        assert (status, code) == (400, "ValidationError")
        status, code, _ = error(signed("POST", JOBS, root_key, {"arn": "x" * 30, "granularity": "FINE"}))
        assert (status, code) == (400, "ValidationError")
        missing = "00000000-0000-0000-0000-000000000000"
        assert error(signed("GET", f"{JOBS}{missing}/", root_key)) == (
            404,
            "NoSuchEntity",
            f"No service last accessed job with JobId {missing} was found.",
        )
        status, code, _ = error(signed("GET", f"{JOBS}not-a-job/", root_key))
        assert (status, code) == (400, "ValidationError")
        status, code, _ = error(signed("GET", f"{JOBS}{missing}/entities/", root_key))  # no ?service=
        assert (status, code) == (400, "ValidationError")

    def test_a_job_is_the_callers_own_and_permissions_are_checked(self, signed, root_key, ctx, acct):
        users.create_user(ctx, user_name="carol")
        job_id = signed("POST", JOBS, root_key, {"arn": f"arn:aws:iam::{acct}:user/carol"}).json()["job_id"]
        iam_user(ctx, "admin", ADMIN_ACCESS)
        admin = issue_key(ctx, "admin")
        assert error(signed("GET", f"{JOBS}{job_id}/", admin))[:2] == (404, "NoSuchEntity")
        iam_user(ctx, "nobody")
        nobody = issue_key(ctx, "nobody")
        action = "iam:GenerateServiceLastAccessedDetails"
        carol = f"arn:aws:iam::{acct}:user/carol"
        assert error(signed("POST", JOBS, nobody, {"arn": carol})) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", action, carol),
        )
        assert error(signed("GET", f"{JOBS}{job_id}/", nobody)) == (
            403,
            "AccessDenied",
            denial(acct, "nobody", "iam:GetServiceLastAccessedDetails", "*"),
        )
        assert list(
            AuditEvent.objects.filter(action=action, channel="rest").values_list("outcome", flat=True)
        ) == ["success", "denied"]
