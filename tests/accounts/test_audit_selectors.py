"""Audit log reads (list_audit_events, get_audit_event) and the Account settings read (get_account_settings)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from accounts.selectors.account import get_account_settings
from accounts.selectors.audit import get_audit_event, list_audit_events
from accounts.services import passwords
from accounts.services.policy_attachments import attach_user_policy
from accounts.services.users import create_user
from iam_portal.errors import AccessDeniedError, NoSuchEntityError, ValidationError
from tests import factories as f

pytestmark = pytest.mark.django_db
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)  # the fixture's events are between T0 and T1; the sign-up's is now


def event(ctx, minutes: int, **fields) -> AuditEvent:
    values = {
        "account": ctx.account,
        "actor_arn": ctx.caller_arn,
        "channel": "console",
        "action": "iam:CreateUser",
        "outcome": AuditEvent.SUCCESS,
        "time": T0 + timedelta(minutes=minutes),
        **fields,
    }
    return AuditEvent.objects.create(**values)


@pytest.fixture
def logged(ctx, acct):
    """Four events of this account (T0 … T0+3 min) and one of another account, after a clean slate."""
    other = f.root_context()
    event(other, 1)
    return [
        event(ctx, 0, target_arn=f"arn:aws:iam::{acct}:user/alice"),
        event(
            ctx,
            1,
            actor_arn=f"arn:aws:iam::{acct}:user/Alice2",
            channel="query",
            outcome="failed",
            error_code="EntityAlreadyExists",
            target_arn=f"arn:aws:iam::{acct}:user/bob",
        ),
        event(ctx, 2, action="iam:DeleteUser", outcome="denied", error_code="AccessDenied"),
        event(ctx, 3, action="iam:CreateGroup", channel="rest", target_arn=f"arn:aws:iam::{acct}:user/ALICE"),
    ]


def ids(page) -> list[int]:
    return [e.pk for e in page.items]


def mine(ctx, **filters) -> list[int]:
    """The ids of the fixture's events a filter keeps (not the account's sign-up event)."""
    return ids(list_audit_events(ctx, since=T0, until=T1, **filters))


class ListAuditEventsTests:
    def test_only_the_callers_account_newest_first(self, ctx, logged):
        page = list_audit_events(ctx)
        # The sign-up event (now) is the newest; then the fixture's, from 2024; not the other account's.
        assert ids(page) == [
            AuditEvent.objects.get(action="portal:CreateAccount", account=ctx.account).pk
        ] + [e.pk for e in reversed(logged)]
        assert not page.is_truncated and page.marker is None

    def test_actor_filter_is_a_case_insensitive_substring(self, ctx, acct, logged):
        assert mine(ctx, actor_arn="user/alice") == [logged[1].pk]  # "Alice2" contains "alice"
        assert mine(ctx, actor_arn=":ROOT") == [logged[3].pk, logged[2].pk, logged[0].pk]
        assert mine(ctx, actor_arn="nobody") == []

    def test_target_filter_is_the_whole_arn(self, ctx, acct, logged):
        alice = f"arn:aws:iam::{acct}:user/alice"
        assert mine(ctx, target_arn=alice) == [logged[3].pk, logged[0].pk]  # names are case-insensitive
        assert mine(ctx, target_arn=f"arn:aws:iam::{acct}:user/ali") == []

    def test_involving_is_the_whole_arn_as_actor_or_target(self, ctx, acct, logged):
        alice2 = f"arn:aws:iam::{acct}:user/alice2"
        assert mine(ctx, involving_arn=alice2) == [logged[1].pk]  # its actor (written "Alice2")
        alice = f"arn:aws:iam::{acct}:user/alice"
        assert mine(ctx, involving_arn=alice) == [logged[3].pk, logged[0].pk]  # targets; not alice2's

    def test_action_outcome_channel_filters(self, ctx, logged):
        assert mine(ctx, action="iam:createuser") == [logged[1].pk, logged[0].pk]
        assert mine(ctx, outcome="failed") == [logged[1].pk]
        assert mine(ctx, outcome="denied") == [logged[2].pk]
        assert mine(ctx, channel="rest") == [logged[3].pk]
        assert mine(ctx, channel="query", outcome="success") == []

    def test_time_range_since_inclusive_until_exclusive(self, ctx, logged):
        page = list_audit_events(ctx, since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))
        assert ids(page) == [logged[2].pk, logged[1].pk]

    def test_an_unknown_outcome_is_a_validation_error(self, ctx):
        with pytest.raises(ValidationError) as caught:
            list_audit_events(ctx, outcome="maybe")
        assert caught.value.message == (
            "1 validation error detected: Value 'maybe' at 'outcome' failed to satisfy constraint: "
            "Member must satisfy enum value set: [success, failed, denied]"
        )

    def test_marker_paging(self, ctx, logged):
        first = list_audit_events(ctx, since=T0, until=T1, max_items=3)
        assert ids(first) == [logged[3].pk, logged[2].pk, logged[1].pk] and first.is_truncated
        rest = list_audit_events(ctx, since=T0, until=T1, max_items=3, marker=first.marker)
        assert ids(rest) == [logged[0].pk] and not rest.is_truncated
        with pytest.raises(ValidationError):
            list_audit_events(ctx, marker="bogus!")

    def test_the_marker_is_a_cursor_new_events_do_not_shift_the_next_page(self, ctx, logged):
        first = list_audit_events(ctx, until=T1, max_items=2)
        assert ids(first) == [logged[3].pk, logged[2].pk]
        event(ctx, 30)  # recorded while the caller reads page one (newer than all of them)
        rest = list_audit_events(ctx, until=T1, max_items=2, marker=first.marker)
        assert ids(rest) == [logged[1].pk, logged[0].pk]  # an offset would have repeated logged[2]

    def test_events_of_the_same_instant_are_ordered_by_id_across_pages(self, ctx):
        same = [event(ctx, 5) for _ in range(3)]
        first = list_audit_events(ctx, since=T0, until=T1, max_items=2)
        rest = list_audit_events(ctx, since=T0, until=T1, max_items=2, marker=first.marker)
        assert ids(first) + ids(rest) == [same[2].pk, same[1].pk, same[0].pk]

    def test_an_iam_user_needs_cloudtrail_lookup_events(self, ctx, acct):
        alice = create_user(ctx, user_name="alice")
        as_alice = f.context_for(alice)
        with pytest.raises(AccessDeniedError) as caught:
            list_audit_events(as_alice)
        assert caught.value.message == f.denial(acct, "alice", "cloudtrail:LookupEvents", "*")
        assert f.events("cloudtrail:LookupEvents") == [("denied", "AccessDenied")]
        # IAMReadOnlyAccess is iam:Get*/List*: not enough.
        attach_user_policy(ctx, user_name="alice", policy_arn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        with pytest.raises(AccessDeniedError):
            list_audit_events(f.context_for(alice))
        f.put_user_policy(alice, "Audit", f.allow("cloudtrail:LookupEvents"))
        page = list_audit_events(f.context_for(alice), action="iam:CreateUser")
        assert [e.target_arn for e in page.items] == [f"arn:aws:iam::{acct}:user/alice"]

    def test_constant_queries_whatever_the_number_of_events(self, ctx):
        def count(n: int) -> int:
            AuditEvent.objects.bulk_create(
                AuditEvent(
                    account=ctx.account,
                    actor_arn=ctx.caller_arn,
                    channel="query",
                    action="iam:ListUsers",
                    outcome="success",
                )
                for _ in range(n)
            )
            with CaptureQueriesContext(connection) as queries:
                page = list_audit_events(ctx, max_items=100)
                assert len(page.items) == min(100, AuditEvent.objects.filter(account=ctx.account).count())
            return len(queries) - 1  # minus the check's COUNT

        assert count(10) == count(990) == 1


class GetAuditEventTests:
    def test_an_event_of_the_account(self, ctx, logged):
        assert get_audit_event(ctx, event_id=logged[1].pk).error_code == "EntityAlreadyExists"

    def test_another_accounts_event_is_not_found(self, ctx):
        other = f.root_context()
        theirs = event(other, 0)
        with pytest.raises(NoSuchEntityError) as caught:
            get_audit_event(ctx, event_id=theirs.pk)
        assert caught.value.message == f"The audit event with id {theirs.pk} cannot be found."
        with pytest.raises(NoSuchEntityError):
            get_audit_event(ctx, event_id=10**9)

    def test_an_iam_user_needs_cloudtrail_lookup_events(self, ctx, acct, logged):
        alice = create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            get_audit_event(f.context_for(alice), event_id=logged[0].pk)
        assert caught.value.message == f.denial(acct, "alice", "cloudtrail:LookupEvents", "*")


class GetAccountSettingsTests:
    def test_no_policy_then_a_policy_in_one_query(self, ctx, acct):
        with CaptureQueriesContext(connection) as queries:
            settings = get_account_settings(ctx)
        assert len(queries) == 1
        assert (settings.account_id, settings.password_policy, settings.account_alias) == (acct, None, None)
        assert settings.require_root_mfa is True
        passwords.update_account_password_policy(ctx, minimum_password_length=12, require_symbols=True)
        with CaptureQueriesContext(connection) as queries:
            policy = get_account_settings(ctx).password_policy
        assert len(queries) == 1
        assert (policy.minimum_password_length, policy.require_symbols, policy.require_numbers) == (
            12,
            True,
            False,
        )

    def test_reads_the_row_afresh(self, ctx):
        from accounts.services.account import create_account_alias, set_root_mfa_required

        create_account_alias(ctx, account_alias="acme-co")
        set_root_mfa_required(ctx, required=False)
        settings = get_account_settings(ctx)  # ctx.account is the object loaded before those writes
        assert (settings.account_alias, settings.require_root_mfa) == ("acme-co", False)

    def test_authorized_as_get_account_password_policy(self, ctx, acct):
        alice = create_user(ctx, user_name="alice")
        with pytest.raises(AccessDeniedError) as caught:
            get_account_settings(f.context_for(alice))
        assert caught.value.message == f.denial(acct, "alice", "iam:GetAccountPasswordPolicy", "*")
        # AllowUsersToChangePassword lets every IAM user read the policy, as GetAccountPasswordPolicy does.
        passwords.update_account_password_policy(ctx, allow_users_to_change_password=True)
        assert get_account_settings(f.context_for(alice)).password_policy.allow_users_to_change_password
