"""Access advisor from the audit log: GenerateServiceLastAccessedDetails, GetServiceLastAccessedDetails,
GetServiceLastAccessedDetailsWithEntities and the console's preview; exact times from crafted audit
events (denied attempts and role sessions count), group and policy aggregation, errors, audit, queries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent, Group, GroupMembership, Role, ServiceLastAccessedJob, User
from accounts.selectors import access_advisor as reads
from accounts.services.access_advisor import generate_service_last_accessed_details as generate
from accounts.services.groups import add_user_to_group, create_group
from accounts.services.policy_attachments import attach_role_policy, attach_user_policy, put_user_policy
from accounts.services.roles import create_role, delete_role
from accounts.services.users import create_user, delete_user
from iam_portal.errors import AccessDeniedError, IamError
from policies.engine.catalog import ACTIONS
from policies.models import GroupPolicyAttachment, RolePolicy
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
T1, T2, T3, T4 = (NOW - timedelta(days=d) for d in (40, 30, 20, 10))
BORN = NOW - timedelta(days=500)  # the entities' creation, before every crafted attempt
IAM_NAME, STS_NAME = "AWS Identity and Access Management", "AWS Security Token Service"
TRUST = f.document(
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
)


def event(ctx, actor_arn: str, action: str, when, outcome: str = AuditEvent.SUCCESS) -> None:
    """An audited attempt, as the audit log would hold it."""
    AuditEvent.objects.create(
        time=when, account=ctx.account, actor_arn=actor_arn, channel="query", action=action, outcome=outcome
    )


def user_with(ctx, name: str, *statements: dict, created=BORN) -> User:
    """A user created at `created` (attempts before an entity's creation are another entity's)."""
    user = create_user(ctx, user_name=name)
    if statements:
        put_user_policy(ctx, user_name=name, policy_name="perms", policy_document=f.document(*statements))
    User.objects.filter(pk=user.pk).update(created=created)
    return User.objects.get(pk=user.pk)


def role_with(ctx, name: str, path: str = "/", created=BORN) -> Role:
    role = create_role(ctx, role_name=name, path=path, assume_role_policy_document=TRUST)
    Role.objects.filter(pk=role.pk).update(created=created)
    return Role.objects.get(pk=role.pk)


def session(acct: str, role: str, name: str = "s1") -> str:
    return f"arn:aws:sts::{acct}:assumed-role/{role}/{name}"


def services(ctx, job: ServiceLastAccessedJob, **kwargs) -> list:
    return reads.get_service_last_accessed_details(ctx, job_id=job.job_id, **kwargs).services.items


def row(item) -> tuple:
    return (
        item.service_namespace,
        item.service_name,
        item.last_authenticated,
        item.last_authenticated_entity,
        item.last_authenticated_region,
        item.total_authenticated_entities,
    )


def entities(ctx, job, namespace: str) -> list[tuple]:
    found = reads.get_service_last_accessed_details_with_entities(
        ctx, job_id=job.job_id, service_namespace=namespace
    )
    return [(d.name, d.type, d.last_authenticated) for d in found.entities.items]


class UserReportTests:
    def test_last_attempt_per_allowed_service_counts_denied_and_failed_attempts(self, ctx, acct):
        alice = user_with(ctx, "alice", f.allow("iam:*"), f.allow("s3:GetObject"))
        other = user_with(ctx, "bob")
        event(ctx, alice.arn, "iam:CreateUser", T1)
        event(ctx, alice.arn, "iam:DeleteUser", T2, AuditEvent.DENIED)  # an attempt: AWS counts it
        event(ctx, alice.arn, "iam:CreateGroup", T1, AuditEvent.FAILED)
        event(ctx, alice.arn, "sts:AssumeRole", T3)  # not allowed: sts is not listed
        event(ctx, alice.arn, "iam:TagUser", NOW - timedelta(days=401))  # before the tracking period
        event(ctx, other.arn, "iam:CreateUser", T4)  # someone else

        job = generate(ctx, arn=alice.arn)

        assert (job.job_type, job.job_status, job.entity_arn) == ("SERVICE_LEVEL", "COMPLETED", alice.arn)
        assert [row(s) for s in services(ctx, job)] == [
            ("iam", IAM_NAME, T2, alice.arn, "us-east-1", 1),
            ("s3", "Amazon S3", None, None, None, 0),
        ]
        assert all(s.tracked_actions_last_accessed is None for s in services(ctx, job))
        assert entities(ctx, job, "iam") == [("alice", "USER", T2)]
        assert entities(ctx, job, "s3") == [("alice", "USER", None)]

    def test_group_policies_count_for_the_user_and_boundaries_do_not_narrow(self, ctx, acct):
        alice = user_with(ctx, "alice")
        group = create_group(ctx, group_name="ops")
        add_user_to_group(ctx, group_name="ops", user_name="alice")
        f.put_group_policy(group, "g", f.allow("sts:GetCallerIdentity"))
        event(ctx, alice.arn, "sts:AssumeRole", T3)
        job = generate(ctx, arn=alice.arn)
        assert [row(s) for s in services(ctx, job)] == [("sts", STS_NAME, T3, alice.arn, "us-east-1", 1)]

    def test_star_means_every_catalogued_service_and_a_new_user_allows_none(self, ctx):
        admin = user_with(ctx, "admin", f.allow("*"))
        nobody = user_with(ctx, "nobody")
        assert [s.service_namespace for s in services(ctx, generate(ctx, arn=admin.arn))] == ["iam", "sts"]
        assert services(ctx, generate(ctx, arn=nobody.arn)) == []

    def test_not_action_allows_every_catalogued_service_it_does_not_exclude_entirely(self, ctx):
        user = user_with(ctx, "u", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
        assert [s.service_namespace for s in services(ctx, generate(ctx, arn=user.arn))] == ["sts"]

    def test_the_report_is_as_of_generation(self, ctx):
        alice = user_with(ctx, "alice", f.allow("iam:*"))
        job = generate(ctx, arn=alice.arn)
        event(ctx, alice.arn, "iam:CreateUser", NOW)
        assert services(ctx, job)[0].last_authenticated is None
        assert services(ctx, generate(ctx, arn=alice.arn))[0].last_authenticated == NOW


class RoleReportTests:
    def test_sessions_of_the_role_count_for_the_role_and_no_other(self, ctx, acct):
        role = role_with(ctx, "deployer", path="/ci/")
        RolePolicy.objects.create(role=role, policy_name="p", document=f.document(f.allow("iam:*")))
        event(ctx, session(acct, "deployer", "build-1"), "iam:CreateUser", T1)
        event(ctx, session(acct, "deployer", "build-2"), "iam:PutUserPolicy", T2, AuditEvent.DENIED)
        event(ctx, session(acct, "deployer2", "x"), "iam:CreateUser", T4)  # another role, same prefix
        event(ctx, session(acct, "deployer_", "x"), "iam:CreateUser", T4)  # LIKE's _ is not a wildcard
        job = generate(ctx, arn=role.arn)
        assert [row(s) for s in services(ctx, job)] == [
            ("iam", IAM_NAME, T2, f"arn:aws:iam::{acct}:role/ci/deployer", "us-east-1", 1)
        ]
        assert entities(ctx, job, "iam") == [("deployer", "ROLE", T2)]

    def test_a_real_role_session_denied_is_attributed_to_the_role(self, ctx, acct):
        from accounts.services.sts import assume_role
        from tests.accounts.test_sts import as_session, make_role, trust

        user = user_with(ctx, "dev", f.allow("sts:AssumeRole"))
        role = make_role(ctx, "reader", trust(f"arn:aws:iam::{acct}:root"), allows=[f.allow("iam:Get*")])
        creds = assume_role(f.context_for(user), role_arn=role.arn, role_session_name="morning")
        with pytest.raises(AccessDeniedError):
            create_user(as_session(creds.credentials), user_name="nope")
        denied = AuditEvent.objects.get(action="iam:CreateUser", outcome="denied")
        assert denied.actor_arn == session(acct, "reader", "morning")
        [iam] = services(ctx, generate(ctx, arn=role.arn))
        assert (iam.last_authenticated, iam.last_authenticated_entity) == (denied.time, role.arn)


class GroupAndPolicyReportTests:
    def test_a_group_reports_its_members_attempts(self, ctx, acct):
        alice, bob, carol = (user_with(ctx, n) for n in ("alice", "bob", "carol"))
        group = create_group(ctx, group_name="devs")
        for name in ("alice", "bob"):
            add_user_to_group(ctx, group_name="devs", user_name=name)
        f.put_group_policy(group, "all", f.allow("*"))
        event(ctx, alice.arn, "iam:CreateUser", T1)
        event(ctx, bob.arn, "iam:CreateGroup", T2)
        event(ctx, bob.arn, "sts:AssumeRole", T3, AuditEvent.DENIED)
        event(ctx, carol.arn, "iam:CreateUser", T4)  # not a member

        job = generate(ctx, arn=group.arn)

        assert [row(s) for s in services(ctx, job)] == [
            ("iam", IAM_NAME, T2, bob.arn, "us-east-1", 2),
            ("sts", STS_NAME, T3, bob.arn, "us-east-1", 1),
        ]
        assert entities(ctx, job, "iam") == [("bob", "USER", T2), ("alice", "USER", T1)]
        assert entities(ctx, job, "sts") == [("bob", "USER", T3), ("alice", "USER", None)]
        assert entities(ctx, job, "s3") == []  # not in the report

    def test_a_policy_reports_the_users_and_roles_it_is_attached_to(self, ctx, acct):
        policy = f.managed_policy(ctx.account, "Deploy", f.allow("iam:CreateUser"), f.allow("sts:*"))
        alice, bob, _carol = (user_with(ctx, n) for n in ("alice", "bob", "carol"))
        attach_user_policy(ctx, user_name="alice", policy_arn=policy.arn)
        group = create_group(ctx, group_name="devs")
        add_user_to_group(ctx, group_name="devs", user_name="bob")
        GroupPolicyAttachment.objects.create(group=group, policy=policy)
        role = role_with(ctx, "ci")
        attach_role_policy(ctx, role_name="ci", policy_arn=policy.arn)
        event(ctx, alice.arn, "iam:CreateUser", T1)
        event(ctx, bob.arn, "iam:CreateUser", T2, AuditEvent.DENIED)
        event(ctx, session(acct, "ci"), "iam:CreateUser", T3)
        event(ctx, session(acct, "ci"), "sts:AssumeRole", T1)
        event(ctx, _carol.arn, "iam:CreateUser", T4)  # not attached

        job = generate(ctx, arn=policy.arn, granularity="ACTION_LEVEL")

        iam, sts = services(ctx, job)
        assert row(iam) == ("iam", IAM_NAME, T3, role.arn, "us-east-1", 3)
        assert row(sts) == ("sts", STS_NAME, T1, role.arn, "us-east-1", 1)
        assert [
            (t.action_name, t.last_accessed_time, t.last_accessed_entity)
            for t in iam.tracked_actions_last_accessed
        ] == [("CreateUser", T3, role.arn)]
        assert entities(ctx, job, "iam") == [("ci", "ROLE", T3), ("bob", "USER", T2), ("alice", "USER", T1)]

    def test_an_aws_managed_policy_can_be_reported(self, ctx):
        policy = f.managed_policy(None, "IAMReadOnlyAccess", f.allow(["iam:Get*", "iam:List*"]))
        [iam] = services(ctx, generate(ctx, arn=policy.arn))
        assert (iam.service_namespace, iam.last_authenticated, iam.total_authenticated_entities) == (
            "iam",
            None,
            0,
        )


class ActionLevelTests:
    def test_tracked_actions_are_the_allowed_writes_each_with_its_last_attempt(self, ctx):
        alice = user_with(ctx, "alice", f.allow("iam:Create*"), f.allow("iam:GetUser"))
        event(ctx, alice.arn, "iam:CreateUser", T1)
        event(ctx, alice.arn, "iam:CreateUser", T3, AuditEvent.DENIED)
        event(ctx, alice.arn, "iam:CreateGroup", T2)
        job = generate(ctx, arn=alice.arn, granularity="ACTION_LEVEL")
        [iam] = services(ctx, job)
        tracked = {t.action_name: t for t in iam.tracked_actions_last_accessed}
        expected = sorted(
            a for a, level in ACTIONS["iam"].items() if a.startswith("Create") and level != "Read"
        )
        assert [t.action_name for t in iam.tracked_actions_last_accessed] == expected
        assert "GetUser" not in tracked  # a read: not audited on success, so not tracked
        assert (tracked["CreateUser"].last_accessed_time, tracked["CreateUser"].last_accessed_entity) == (
            T3,
            alice.arn,
        )
        assert tracked["CreateUser"].last_accessed_region == "us-east-1"
        assert tracked["CreateGroup"].last_accessed_time == T2
        assert (tracked["CreateRole"].last_accessed_time, tracked["CreateRole"].last_accessed_region) == (
            None,
            None,
        )
        assert iam.last_authenticated == T3


class JobTests:
    def test_pages_of_services(self, ctx):
        admin = user_with(ctx, "admin", f.allow("*"), f.allow("s3:*"))
        job = generate(ctx, arn=admin.arn)
        first = reads.get_service_last_accessed_details(ctx, job_id=job.job_id, max_items=2)
        assert [s.service_namespace for s in first.services.items] == ["iam", "s3"]
        assert first.services.is_truncated
        rest = reads.get_service_last_accessed_details(ctx, job_id=job.job_id, marker=first.services.marker)
        assert [s.service_namespace for s in rest.services.items] == ["sts"]
        assert not rest.services.is_truncated and rest.services.marker is None
        assert (first.job_creation_date, first.job_completion_date) == (job.created, job.completed)

    def test_only_the_caller_that_generated_a_job_may_read_it(self, ctx):
        admin = user_with(ctx, "admin", f.allow("iam:*"))
        job = generate(ctx, arn=admin.arn)
        with pytest.raises(IamError) as gone:
            reads.get_service_last_accessed_details(f.context_for(admin), job_id=job.job_id)
        assert (gone.value.code, gone.value.message) == (
            "NoSuchEntity",
            f"No service last accessed job with JobId {job.job_id} was found.",
        )

    def test_a_job_expires_after_a_week_and_the_next_generation_deletes_it(self, ctx):
        admin = user_with(ctx, "admin", f.allow("iam:*"))
        old = generate(ctx, arn=admin.arn)
        ServiceLastAccessedJob.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=7))
        with pytest.raises(IamError) as gone:
            reads.get_service_last_accessed_details(ctx, job_id=old.job_id)
        assert gone.value.code == "NoSuchEntity"
        new = generate(ctx, arn=admin.arn)
        assert list(ServiceLastAccessedJob.objects.values_list("job_id", flat=True)) == [new.job_id]


class ErrorTests:
    @pytest.mark.parametrize(
        ("arn", "code", "message"),
        [
            (
                "arn:aws:s3:::some-bucket-name",
                "InvalidInput",
                "ARN arn:aws:s3:::some-bucket-name is not valid.",
            ),
            ("arn:aws:iam::{acct}:root", "InvalidInput", "ARN arn:aws:iam::{acct}:root is not valid."),
            ("arn:aws:iam::{acct}:user/ghost", "NoSuchEntity", "The user with name ghost cannot be found."),
            ("arn:aws:iam::{acct}:group/ghost", "NoSuchEntity", "The group with name ghost cannot be found."),
            ("arn:aws:iam::{acct}:role/ghost", "NoSuchEntity", "The role with name ghost cannot be found."),
            (
                "arn:aws:iam::111122223333:user/alice",
                "NoSuchEntity",
                "The user with name alice cannot be found.",
            ),
            (
                "arn:aws:iam::{acct}:policy/Ghost",
                "NoSuchEntity",
                "Policy arn:aws:iam::{acct}:policy/Ghost does not exist or is not attachable.",
            ),
            (
                "arn:aws",
                "ValidationError",
                "1 validation error detected: Value 'arn:aws' at 'arn' failed to satisfy constraint: Member must have length between 20 and 2048",
            ),
        ],
    )
    def test_generate_refuses_what_names_no_entity_of_the_account(self, ctx, acct, arn, code, message):
        user_with(ctx, "alice")
        with pytest.raises(IamError) as refused:
            generate(ctx, arn=arn.format(acct=acct))
        assert (refused.value.code, refused.value.message) == (code, message.format(acct=acct))
        assert not ServiceLastAccessedJob.objects.exists()

    def test_an_unknown_granularity_is_a_validation_error(self, ctx):
        user = user_with(ctx, "alice")
        with pytest.raises(IamError) as refused:
            generate(ctx, arn=user.arn, granularity="RESOURCE_LEVEL")
        assert (refused.value.code, refused.value.message) == (
            "ValidationError",
            "1 validation error detected: Value 'RESOURCE_LEVEL' at 'granularity' failed to satisfy "
            "constraint: Member must satisfy enum value set: [SERVICE_LEVEL, ACTION_LEVEL]",
        )

    @pytest.mark.parametrize(
        ("job_id", "code"),
        [("0" * 36, "NoSuchEntity"), ("short", "ValidationError"), ("", "ValidationError")],
    )
    def test_get_with_an_unknown_or_malformed_job_id(self, ctx, job_id, code):
        for read in (
            lambda: reads.get_service_last_accessed_details(ctx, job_id=job_id),
            lambda: reads.get_service_last_accessed_details_with_entities(
                ctx, job_id=job_id, service_namespace="iam"
            ),
        ):
            with pytest.raises(IamError) as refused:
                read()
            assert refused.value.code == code

    def test_a_malformed_namespace_is_a_validation_error(self, ctx):
        user = user_with(ctx, "alice")
        job = generate(ctx, arn=user.arn)
        with pytest.raises(IamError) as refused:
            reads.get_service_last_accessed_details_with_entities(
                ctx, job_id=job.job_id, service_namespace="i a m"
            )
        assert refused.value.code == "ValidationError"


class AuthorizationAndAuditTests:
    def test_generate_is_audited_with_its_target_and_job(self, ctx):
        user = user_with(ctx, "alice")
        job = generate(ctx, arn=user.arn, granularity="ACTION_LEVEL")
        event_ = AuditEvent.objects.get(action="iam:GenerateServiceLastAccessedDetails")
        assert (event_.outcome, event_.target_arn, event_.actor_arn) == ("success", user.arn, ctx.caller_arn)
        assert event_.parameters == {"granularity": "ACTION_LEVEL", "job_id": job.job_id}

    def test_each_action_needs_its_permission_and_denials_are_audited(self, ctx, acct):
        target = user_with(ctx, "target")
        caller = user_with(ctx, "auditor", f.allow("iam:GenerateServiceLastAccessedDetails", target.arn))
        auditor = f.context_for(caller)
        job = generate(auditor, arn=target.arn)
        with pytest.raises(AccessDeniedError) as denied:
            reads.get_service_last_accessed_details(auditor, job_id=job.job_id)
        assert denied.value.message == f.denial(acct, "auditor", "iam:GetServiceLastAccessedDetails", "*")
        other = create_group(ctx, group_name="others")
        with pytest.raises(AccessDeniedError):
            generate(auditor, arn=other.arn)
        assert f.events("iam:GenerateServiceLastAccessedDetails") == [
            ("success", ""),
            ("denied", "AccessDenied"),
        ]
        assert f.events("iam:GetServiceLastAccessedDetails") == [("denied", "AccessDenied")]
        with pytest.raises(AccessDeniedError):
            reads.preview_service_last_accessed(auditor, arn=target.arn)  # the console needs both
        assert f.events("iam:GetServiceLastAccessedDetails")[-1] == ("denied", "AccessDenied")


class QueryCountTests:
    def _group(self, ctx, members: int) -> Group:
        group = create_group(ctx, group_name="big")
        f.put_group_policy(group, "all", f.allow("*"), f.allow("s3:*"))
        for n in range(members):
            user = User.objects.create(
                account=ctx.account, user_name=f"u{n}", user_id=f"AIDA{n:017d}", created=BORN
            )
            GroupMembership.objects.create(group=group, user=user)
        return group

    def _events(self, ctx, count: int) -> None:
        users = list(User.objects.filter(account=ctx.account, is_root=False))
        actions = ["iam:CreateUser", "iam:DeleteUser", "sts:AssumeRole", "iam:TagUser"]
        AuditEvent.objects.bulk_create(
            AuditEvent(
                time=NOW - timedelta(minutes=n),
                account=ctx.account,
                actor_arn=users[n % len(users)].arn,
                channel="query",
                action=actions[n % len(actions)],
                outcome="success",
            )
            for n in range(count)
        )

    def _count(self, work) -> int:
        with CaptureQueriesContext(connection) as queries:
            work()
        return len(queries)

    def test_generate_get_and_preview_cost_the_same_with_ten_times_the_audit_events(self, ctx):
        group = self._group(ctx, 5)
        self._events(ctx, 20)

        def run():
            job = generate(ctx, arn=group.arn, granularity="ACTION_LEVEL")
            reads.get_service_last_accessed_details(ctx, job_id=job.job_id)
            reads.get_service_last_accessed_details_with_entities(
                ctx, job_id=job.job_id, service_namespace="iam"
            )
            reads.preview_service_last_accessed(ctx, arn=group.arn)

        small = self._count(run)
        self._events(ctx, 200)
        for n in range(5, 15):  # more members too
            user = User.objects.create(
                account=ctx.account, user_name=f"u{n}", user_id=f"AIDA{n:017d}", created=BORN
            )
            GroupMembership.objects.create(group=group, user=user)
        assert self._count(run) == small
        with CaptureQueriesContext(connection) as queries:
            reads.preview_service_last_accessed(ctx, arn=group.arn)
        aggregations = [q for q in queries if "MAX(" in q["sql"].upper()]
        assert len(aggregations) == 1 and "GROUP BY" in aggregations[0]["sql"].upper()

    def test_the_aggregation_counts_every_event_once_per_actor_and_action(self, ctx):
        group = self._group(ctx, 2)
        self._events(ctx, 8)  # u0 and u1 alternate over four actions: u0 gets CreateUser and AssumeRole
        job = generate(ctx, arn=group.arn)
        by_namespace = {s.service_namespace: s for s in services(ctx, job)}
        assert by_namespace["iam"].last_authenticated == NOW  # u0's CreateUser at n=0
        assert by_namespace["iam"].total_authenticated_entities == 2
        assert by_namespace["sts"].last_authenticated == NOW - timedelta(minutes=2)
        assert by_namespace["sts"].total_authenticated_entities == 1
        assert by_namespace["s3"].total_authenticated_entities == 0
        assert Role.objects.count() == 0


class ReviewFindingsTests:
    """Fixes from review: subqueries not OR'd joins, attempts bounded by creation, the compact stored
    entities and one job per requester, entity and granularity."""

    def test_user_and_policy_subjects_use_subqueries_without_distinct(self, ctx):
        policy = f.managed_policy(ctx.account, "Both", f.allow("iam:CreateUser"))
        alice = user_with(ctx, "alice")
        attach_user_policy(ctx, user_name="alice", policy_arn=policy.arn)
        for name in ("devs", "ops"):  # attached directly and through two groups: still once
            group = create_group(ctx, group_name=name)
            add_user_to_group(ctx, group_name=name, user_name="alice")
            GroupPolicyAttachment.objects.create(group=group, policy=policy)
        with CaptureQueriesContext(connection) as queries:
            by_user = reads.subject_for(ctx.account, alice.arn)
            by_policy = reads.subject_for(ctx.account, policy.arn)
        assert len(by_user.documents) == 1
        assert [a.name for a in by_policy.actors] == ["alice"]
        sql = [q["sql"].upper() for q in queries]
        assert not [q for q in sql if "DISTINCT" in q or "OUTER JOIN" in q]
        assert sum("IN (SELECT" in q for q in sql) == 2  # the user's policies; the policy's users

    def test_a_user_created_again_does_not_inherit_the_old_ones_attempts(self, ctx):
        old = user_with(ctx, "alice")
        event(ctx, old.arn, "iam:CreateUser", T2)
        event(ctx, old.arn, "sts:AssumeRole", T2)
        delete_user(ctx, user_name="alice")
        new = user_with(ctx, "alice", f.allow("iam:*"), f.allow("sts:*"), created=T3)
        assert new.arn == old.arn and new.user_id != old.user_id
        event(ctx, new.arn, "iam:CreateUser", T4)
        job = generate(ctx, arn=new.arn)
        assert [row(s) for s in services(ctx, job)] == [
            ("iam", IAM_NAME, T4, new.arn, "us-east-1", 1),
            ("sts", STS_NAME, None, None, None, 0),
        ]
        assert entities(ctx, job, "sts") == [("alice", "USER", None)]

    def test_a_role_created_again_and_a_member_created_again_in_a_group(self, ctx, acct):
        role_with(ctx, "ci")
        event(ctx, session(acct, "ci", "old"), "iam:CreateUser", T2)
        delete_role(ctx, role_name="ci")
        role = role_with(ctx, "ci", created=T3)
        RolePolicy.objects.create(role=role, policy_name="p", document=f.document(f.allow("iam:*")))
        assert services(ctx, generate(ctx, arn=role.arn))[0].last_authenticated is None
        event(ctx, session(acct, "ci", "new"), "iam:CreateUser", T4)
        assert services(ctx, generate(ctx, arn=role.arn))[0].last_authenticated == T4

        alice = user_with(ctx, "alice")
        bob = user_with(ctx, "bob", created=T3)  # a bob before him made the T1 and T2 attempts
        group = create_group(ctx, group_name="devs")
        for name in ("alice", "bob"):
            add_user_to_group(ctx, group_name="devs", user_name=name)
        f.put_group_policy(group, "all", f.allow("*"))
        event(ctx, alice.arn, "iam:CreateGroup", T2)
        event(ctx, bob.arn, "iam:CreateUser", T1)
        event(ctx, bob.arn, "sts:AssumeRole", T2)
        event(ctx, bob.arn, "iam:TagUser", T4)
        job = generate(ctx, arn=group.arn)
        assert [row(s) for s in services(ctx, job)] == [
            ("iam", IAM_NAME, T4, bob.arn, "us-east-1", 2),
            ("sts", STS_NAME, None, None, None, 0),
        ]
        assert entities(ctx, job, "iam") == [("bob", "USER", T4), ("alice", "USER", T2)]

    def test_the_job_stores_the_members_once_and_only_the_attempts_per_service(self, ctx):
        group = create_group(ctx, group_name="devs")
        for name in ("carol", "alice", "bob"):
            user_with(ctx, name)
            add_user_to_group(ctx, group_name="devs", user_name=name)
        f.put_group_policy(group, "all", f.allow("*"), f.allow("s3:*"))
        alice, bob, carol = (User.objects.get(user_name=n) for n in ("alice", "bob", "carol"))
        event(ctx, bob.arn, "iam:CreateUser", T2)
        event(ctx, carol.arn, "iam:CreateUser", T3)
        job = generate(ctx, arn=group.arn)
        stored = ServiceLastAccessedJob.objects.get(pk=job.pk).entities
        assert stored == {
            "@members": [[u.arn, u.user_name, "USER", u.user_id, "/"] for u in (alice, bob, carol)],
            "@seen": {"iam": [[1, T2.isoformat()], [2, T3.isoformat()]], "s3": [], "sts": []},
        }
        # EntityDetailsList as before: those with attempts most recent first, then the others by name.
        assert entities(ctx, job, "iam") == [
            ("carol", "USER", T3),
            ("bob", "USER", T2),
            ("alice", "USER", None),
        ]
        assert entities(ctx, job, "s3") == [
            ("alice", "USER", None),
            ("bob", "USER", None),
            ("carol", "USER", None),
        ]
        assert entities(ctx, job, "ec2") == []
        page = reads.get_service_last_accessed_details_with_entities(
            ctx, job_id=job.job_id, service_namespace="IAM", max_items=2
        ).entities
        assert ([d.name for d in page.items], page.is_truncated) == (["carol", "bob"], True)
        preview = reads.preview_service_last_accessed(ctx, arn=group.arn)
        assert [(d.name, d.last_authenticated) for d in preview.entities("iam")] == [
            ("carol", T3),
            ("bob", T2),
            ("alice", None),
        ]

    def test_the_stored_size_does_not_multiply_members_by_services(self, ctx):
        group = create_group(ctx, group_name="big")
        User.objects.bulk_create(
            User(account=ctx.account, user_name=f"u{n:03d}", user_id=f"AIDA{n:017d}", created=BORN)
            for n in range(100)
        )
        GroupMembership.objects.bulk_create(
            GroupMembership(group=group, user=u) for u in User.objects.filter(user_name__startswith="u")
        )

        def size(*namespaces: str) -> int:
            GroupPolicyAttachment.objects.all().delete()
            group.inline_policies.all().delete()
            f.put_group_policy(group, "p", f.allow([f"{n}:*" for n in namespaces]))
            job = generate(ctx, arn=group.arn)
            return len(json.dumps(ServiceLastAccessedJob.objects.get(pk=job.pk).entities))

        more = ("ec2", "lambda", "dynamodb", "kms", "sns", "sqs", "logs", "x1", "x2", "x3", "x4")
        one, twelve = size("s3"), size("s3", *more)
        # An empty list per service more, not the 100 members again.
        assert twelve - one == sum(len(f', "{n}": []') for n in more)

    def test_a_job_stored_in_the_earlier_form_still_reads(self, ctx):
        alice = user_with(ctx, "alice", f.allow("iam:*"))
        job = generate(ctx, arn=alice.arn)
        old_form = {"iam": [[alice.arn, "alice", "USER", alice.user_id, "/", T2.isoformat()]]}
        ServiceLastAccessedJob.objects.filter(pk=job.pk).update(entities=old_form)
        assert entities(ctx, job, "iam") == [("alice", "USER", T2)]
        assert entities(ctx, job, "sts") == []

    def test_generating_again_replaces_the_requesters_job_for_that_entity_and_granularity(self, ctx):
        alice = user_with(ctx, "alice", f.allow("iam:*"))
        bob = user_with(ctx, "bob", f.allow("iam:*"))
        auditor = f.context_for(
            user_with(ctx, "auditor", f.allow(["iam:GenerateServiceLastAccessedDetails", "iam:Get*"]))
        )
        first = generate(ctx, arn=alice.arn)
        kept = [
            generate(ctx, arn=alice.arn, granularity="ACTION_LEVEL"),  # another granularity
            generate(ctx, arn=bob.arn),  # another entity
            generate(auditor, arn=alice.arn),  # another requester
        ]
        second = generate(ctx, arn=alice.arn)
        assert second.job_id != first.job_id
        assert set(ServiceLastAccessedJob.objects.values_list("job_id", flat=True)) == {
            second.job_id,
            *(j.job_id for j in kept),
        }
        with pytest.raises(IamError) as gone:
            reads.get_service_last_accessed_details(ctx, job_id=first.job_id)
        assert (gone.value.code, gone.value.message) == (
            "NoSuchEntity",
            f"No service last accessed job with JobId {first.job_id} was found.",
        )
        assert [s.service_namespace for s in services(ctx, second)] == ["iam"]
        assert services(auditor, kept[2])[0].service_namespace == "iam"
