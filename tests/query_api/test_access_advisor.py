"""Access advisor through a real boto3 client against the live server: GenerateServiceLastAccessedDetails,
then GetServiceLastAccessedDetails page by page, and GetServiceLastAccessedDetailsWithEntities."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from django.utils import timezone

from accounts.models import AuditEvent, Role, User

pytestmark = pytest.mark.django_db(transaction=True)

ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["*", "s3:*"], "Resource": "*"}]}
)


def _event(root, actor_arn: str, action: str, when: datetime, outcome: str = "success") -> None:
    # The report counts an entity's attempts since its creation: the entities existed before.
    for model in (User, Role):
        model.objects.filter(account=root.account, created__gt=when).update(created=when - timedelta(days=1))
    AuditEvent.objects.create(
        time=when, account=root.account, actor_arn=actor_arn, channel="query", action=action, outcome=outcome
    )


class AccessAdvisorTests:
    def test_generate_then_get_a_group_report_page_by_page_and_its_entities(self, iam, root):
        acct = root.account.account_id
        iam.create_group(GroupName="devs")
        iam.put_group_policy(GroupName="devs", PolicyName="all", PolicyDocument=ALL)
        for name in ("alice", "bob"):
            iam.create_user(UserName=name)
            iam.add_user_to_group(GroupName="devs", UserName=name)
        when = timezone.now().replace(microsecond=0) - timedelta(days=3)
        _event(root, f"arn:aws:iam::{acct}:user/alice", "iam:CreateUser", when - timedelta(hours=1))
        _event(root, f"arn:aws:iam::{acct}:user/bob", "iam:DeleteUser", when, "denied")

        job_id = iam.generate_service_last_accessed_details(
            Arn=f"arn:aws:iam::{acct}:group/devs", Granularity="ACTION_LEVEL"
        )["JobId"]
        assert len(job_id) == 36

        first = iam.get_service_last_accessed_details(JobId=job_id, MaxItems=2)
        assert (first["JobStatus"], first["JobType"]) == ("COMPLETED", "ACTION_LEVEL")
        assert isinstance(first["JobCreationDate"], datetime) and isinstance(
            first["JobCompletionDate"], datetime
        )
        assert first["IsTruncated"] is True
        iam_row, s3_row = first["ServicesLastAccessed"]
        assert (
            iam_row["ServiceNamespace"],
            iam_row["ServiceName"],
            iam_row["LastAuthenticated"],
            iam_row["LastAuthenticatedEntity"],
            iam_row["LastAuthenticatedRegion"],
            iam_row["TotalAuthenticatedEntities"],
        ) == (
            "iam",
            "AWS Identity and Access Management",
            when,
            f"arn:aws:iam::{acct}:user/bob",
            "us-east-1",
            2,
        )
        tracked = {t["ActionName"]: t for t in iam_row["TrackedActionsLastAccessed"]}
        assert tracked["DeleteUser"] == {
            "ActionName": "DeleteUser",
            "LastAccessedEntity": f"arn:aws:iam::{acct}:user/bob",
            "LastAccessedTime": when,
            "LastAccessedRegion": "us-east-1",
        }
        assert tracked["CreateRole"] == {"ActionName": "CreateRole"}
        assert s3_row == {
            "ServiceName": "Amazon S3",
            "ServiceNamespace": "s3",
            "TotalAuthenticatedEntities": 0,
        }

        rest = iam.get_service_last_accessed_details(JobId=job_id, Marker=first["Marker"])
        assert [s["ServiceNamespace"] for s in rest["ServicesLastAccessed"]] == ["sts"]
        assert rest["IsTruncated"] is False and "Marker" not in rest

        entities = iam.get_service_last_accessed_details_with_entities(JobId=job_id, ServiceNamespace="iam")
        assert entities["JobStatus"] == "COMPLETED"
        assert [
            (e["EntityInfo"]["Name"], e["EntityInfo"]["Type"], e.get("LastAuthenticated"))
            for e in entities["EntityDetailsList"]
        ] == [
            ("bob", "USER", when),
            ("alice", "USER", when - timedelta(hours=1)),
        ]
        bob = entities["EntityDetailsList"][0]["EntityInfo"]
        assert (bob["Arn"], bob["Path"], bob["Id"][:4]) == (f"arn:aws:iam::{acct}:user/bob", "/", "AIDA")

    def test_errors_as_aws_sends_them(self, iam, root):
        acct = root.account.account_id
        with pytest.raises(ClientError) as missing:
            iam.generate_service_last_accessed_details(Arn=f"arn:aws:iam::{acct}:user/ghost")
        assert missing.value.response["Error"]["Code"] == "NoSuchEntity"
        assert missing.value.response["Error"]["Message"] == "The user with name ghost cannot be found."
        assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

        with pytest.raises(ClientError) as invalid:
            iam.generate_service_last_accessed_details(Arn="arn:aws:s3:::a-bucket-name")
        assert (
            invalid.value.response["Error"]["Code"],
            invalid.value.response["ResponseMetadata"]["HTTPStatusCode"],
        ) == (
            "InvalidInput",
            400,
        )

        with pytest.raises(ClientError) as unknown:
            iam.get_service_last_accessed_details(JobId="00000000-0000-0000-0000-000000000000")
        assert unknown.value.response["Error"]["Code"] == "NoSuchEntity"

        iam.create_user(UserName="carol")
        job_id = iam.generate_service_last_accessed_details(Arn=f"arn:aws:iam::{acct}:user/carol")["JobId"]
        answer = iam.get_service_last_accessed_details(JobId=job_id)
        assert (answer["JobType"], answer["ServicesLastAccessed"], answer["IsTruncated"]) == (
            "SERVICE_LEVEL",
            [],
            False,
        )
        with pytest.raises(ClientError) as no_namespace:
            iam.get_service_last_accessed_details_with_entities(JobId=job_id, ServiceNamespace="no space")
        assert no_namespace.value.response["Error"]["Code"] == "ValidationError"
