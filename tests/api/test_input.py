"""JSON bodies must hold the types the schema gives: DRF alone would read 12 as "12" (IamViewSet.body)."""

from __future__ import annotations

import pytest

from accounts.models import Account, AuditEvent, User

pytestmark = pytest.mark.django_db


def test_a_number_for_a_name_is_refused_naming_the_field(signed, root_key):
    answer = signed("POST", "/api/v1/users/", root_key, {"user_name": 12, "path": "/"})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "ValidationError" and error["fields"] == {"user_name": ["Not a valid string."]}
    assert not User.objects.filter(user_name="12").exists()
    assert not AuditEvent.objects.filter(action="iam:CreateUser").exists()  # refused before the service


def test_nested_values_are_checked_too_and_reported_with_the_other_errors(signed, root_key):
    answer = signed("POST", "/api/v1/users/", root_key, {"tags": [{"key": 1, "value": "x"}]})
    assert answer.status_code == 400
    fields = answer.json()["error"]["fields"]
    assert fields["user_name"] == ["This field is required."] and fields["tags.0.key"] == ["Not a valid string."]


def test_a_string_for_a_boolean_is_refused(signed, root_key):
    answer = signed("PUT", "/api/v1/account/password-policy/", root_key, {"require_symbols": "true"})
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"] == {"require_symbols": ["Must be a valid boolean."]}


def test_an_alias_must_be_a_string(signed, root_key, ctx):
    answer = signed("PUT", "/api/v1/account/alias/", root_key, {"account_alias": 1553})
    assert answer.status_code == 400
    assert Account.objects.get(pk=ctx.account.pk).alias in (None, "")
