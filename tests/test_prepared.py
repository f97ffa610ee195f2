"""iam_portal/prepared.py: queries and statements the ORM builds once, run with new values."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.db.models import Count, ProtectedError
from django.test.utils import CaptureQueriesContext

from accounts.models import AccessKey, Account, AuditEvent, GroupMembership, LoginProfile, MFADevice, User
from accounts.services import access_keys, groups, users
from iam_portal.prepared import (
    PreparedDelete,
    PreparedInsert,
    PreparedQuery,
    PreparedStatement,
    lock_row,
)
from policies.models import UserPolicy, UserPolicyAttachment

pytestmark = pytest.mark.django_db

user_named = PreparedQuery(
    lambda account_id, name: User.objects.select_related("account").filter(
        account_id=account_id, user_name__lower=name
    )[:1],
    account_id=int,
    name=str,
)


@pytest.fixture
def made(ctx):
    users.create_user(ctx, user_name="Alice", tags=[{"Key": "team", "Value": "red"}])
    users.create_user(ctx, user_name="bob")
    return ctx


class PreparedQueryTests:
    def test_a_model_comes_back_with_its_select_related_rows_in_one_query(self, made):
        with CaptureQueriesContext(connection) as queries:
            alice = user_named.first(account_id=made.account.pk, name="alice")
            assert alice.account.account_id == made.account.account_id  # no second query
        assert len(queries) == 1
        orm = User.objects.get(user_name="Alice")
        assert (alice.pk, alice.user_name, alice.tags, alice.created) == (orm.pk, "Alice", {"team": "red"}, orm.created)
        assert isinstance(alice.created, datetime) and alice.created.tzinfo is not None  # converted
        assert alice._state.adding is False and alice._state.db == "default"

    def test_each_call_binds_its_own_values(self, made):
        assert user_named.first(account_id=made.account.pk, name="bob").user_name == "bob"
        assert user_named.first(account_id=made.account.pk, name="carol") is None
        assert user_named.first(account_id=made.account.pk + 1000, name="bob") is None

    def test_values_list_rows_are_tuples(self, made):
        names = PreparedQuery(
            lambda account_id: User.objects.filter(account_id=account_id, is_root=False)
            .order_by("user_name")
            .values_list("user_name", "path"),
            account_id=int,
        )
        assert names.all(account_id=made.account.pk) == [("Alice", "/"), ("bob", "/")]

    def test_a_window_slices_like_the_queryset(self, made):
        users.create_user(made, user_name="carol")
        names = PreparedQuery(
            lambda account_id: User.objects.filter(account_id=account_id, is_root=False)
            .order_by("user_name")
            .values_list("user_name"),
            account_id=int,
        )
        assert names.all(account_id=made.account.pk, window=(1, 3)) == [("bob",), ("carol",)]
        assert names.all(account_id=made.account.pk, window=(0, 1)) == [("Alice",)]

    def test_a_slot_the_orm_transforms_is_refused_at_the_first_call(self, made):
        prefixed = PreparedQuery(lambda prefix: User.objects.filter(path__startswith=prefix), prefix=str)
        with pytest.raises(ValueError, match=r"slots not found in the compiled parameters: \['prefix'\]"):
            prefixed.all(prefix="/")

    def test_the_values_must_name_every_slot(self, made):
        with pytest.raises(TypeError, match="expected values for"):
            user_named.all(account_id=made.account.pk)


class PreparedStatementTests:
    def test_count_and_exists(self, made):
        count = PreparedStatement(
            lambda account_id: User.objects.filter(account_id=account_id, is_root=False).count(), account_id=int
        )
        exists = PreparedStatement(
            lambda name: User.objects.filter(user_name__lower=name).exists(), name=str
        )
        assert count.scalar(account_id=made.account.pk) == 2
        assert exists.scalar(name="bob") == 1 and exists.scalar(name="nobody") is None
        with CaptureQueriesContext(connection) as queries:
            assert count.scalar(account_id=made.account.pk) == 2
        assert len(queries) == 1

    def test_update_and_delete_say_how_many_rows_changed(self, made):
        bob = User.objects.get(user_name="bob")
        groups.create_group(made, group_name="devs")
        groups.add_user_to_group(made, group_name="devs", user_name="bob")
        rename = PreparedStatement(
            lambda pk, path: User.objects.filter(pk=pk).update(path=path), pk=int, path=str
        )
        assert rename.execute(pk=bob.pk, path="/x/") == 1
        assert User.objects.get(pk=bob.pk).path == "/x/"
        leave = PreparedStatement(lambda user_id: GroupMembership.objects.filter(user_id=user_id).delete(), user_id=int)
        assert leave.execute(user_id=bob.pk) == 1
        assert leave.execute(user_id=bob.pk) == 0

    def test_a_delete_with_cascades_is_refused(self, made):
        # Finding no row for the marker, Django's Collector sends only its SELECT.
        cascade = PreparedStatement(lambda pk: User.objects.filter(pk=pk).delete(), pk=int)
        with pytest.raises(ValueError, match="expected UPDATE or DELETE, the call sent 'SELECT"):
            cascade.execute(pk=1)

    def test_a_call_that_sends_several_statements_is_refused(self, made):
        def two(pk):
            User.objects.filter(pk=pk).exists()
            User.objects.filter(pk=pk).count()

        with pytest.raises(ValueError, match="must send one SELECT, UPDATE or DELETE"):
            PreparedStatement(two, pk=int).scalar(pk=1)

    def test_lock_row_says_whether_the_row_is_there(self, made):
        assert lock_row(Account, made.account.pk) is True
        assert lock_row(Account, made.account.pk + 1000) is False


class PreparedInsertTests:
    def test_the_row_is_the_one_create_would_write(self, made):
        insert = PreparedInsert(AuditEvent)
        event = insert.create(
            account=made.account, actor_arn="arn:aws:iam::1:root", action="iam:Test", parameters={"a": [1, "b"]}
        )
        stored = AuditEvent.objects.get(pk=event.pk)
        assert (stored.action, stored.parameters, stored.account_id) == ("iam:Test", {"a": [1, "b"]}, made.account.pk)
        assert stored.time == event.time  # auto_now_add filled in once, as save() does
        again = insert.create(account=made.account, actor_arn="x", action="iam:Again")
        assert again.pk != event.pk and again._state.adding is False


class PreparedDeleteTests:
    def test_the_row_goes_with_the_rows_that_cascade(self, made):
        bob = User.objects.get(user_name="bob")
        access_keys.create_access_key(made, user_name="bob")
        PreparedDelete(User).delete(bob.pk)
        assert not User.objects.filter(pk=bob.pk).exists()
        assert not AccessKey.objects.filter(user_id=bob.pk).exists()

    def test_a_protected_reference_stops_it(self, made):
        bob = User.objects.get(user_name="bob")
        MFADevice.objects.create(account=made.account, device_name="d", serial_number="arn:d", user=bob)
        with pytest.raises(ProtectedError, match="still referenced by MFADevice"):
            PreparedDelete(User).delete(bob.pk)
        assert User.objects.filter(pk=bob.pk).exists()

    def test_a_model_whose_dependents_need_the_collector_is_refused(self, made):
        # An account's users have dependents of their own: Django must collect them row by row.
        with pytest.raises(ValueError, match="needs Django's Collector"):
            PreparedDelete(Account).delete(made.account.pk)
        assert Account.objects.filter(pk=made.account.pk).exists()

    def test_login_profiles_are_deleted_too(self, made):
        bob = User.objects.get(user_name="bob")
        LoginProfile.objects.create(user=bob)
        PreparedDelete(User).delete(bob.pk)
        assert not LoginProfile.objects.filter(user_id=bob.pk).exists()


def test_models_checked_absent_are_skipped(made, django_assert_num_queries):
    bob = User.objects.get(user_name="bob")
    delete = PreparedDelete(User)
    delete.delete(User.objects.get(user_name="Alice").pk)  # compiled
    checked = [MFADevice, GroupMembership, AccessKey, LoginProfile, UserPolicy, UserPolicyAttachment]
    with django_assert_num_queries(5):  # LogEntry, PasswordHistory, RecoveryCode, the STS sessions, the row
        delete.delete(bob.pk, checked_absent=checked)
    assert not User.objects.filter(pk=bob.pk).exists()


def test_annotations_are_set_on_the_instances(made):
    access_keys.create_access_key(made, user_name="bob")
    keys = PreparedQuery(
        lambda account_id: User.objects.filter(account_id=account_id, is_root=False)
        .annotate(keys=Count("access_keys"))
        .order_by("user_name"),
        account_id=int,
    )
    assert [(user.user_name, user.keys) for user in keys.all(account_id=made.account.pk)] == [
        ("Alice", 0),
        ("bob", 1),
    ]
