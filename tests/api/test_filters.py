"""The lists' name_contains filter (groups, roles, policies; users have theirs in test_users.py)."""

from __future__ import annotations

import pytest

from accounts.services import groups, roles
from policies import services as policies
from tests import factories as f

pytestmark = pytest.mark.django_db

TRUST = f.document({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/groups/?name_contains=DEV", "group_name"),
        ("/api/v1/roles/?name_contains=DEV", "role_name"),
        ("/api/v1/policies/?name_contains=DEV&scope=Local", "policy_name"),
    ],
)
def test_name_contains_matches_part_of_the_name_in_any_case(ctx, signed, root_key, url, name):
    for each in ("Developers", "devops", "Admins"):
        groups.create_group(ctx, group_name=each)
        roles.create_role(ctx, role_name=each, assume_role_policy_document=TRUST)
        policies.create_policy(ctx, policy_name=each, policy_document=f.document(f.allow("s3:*")))
    answer = signed("GET", url, root_key)
    assert answer.status_code == 200, answer.content
    assert [item[name] for item in answer.json()["items"]] == ["Developers", "devops"]


def test_an_empty_filter_is_a_validation_error_naming_it(signed, root_key):
    answer = signed("GET", "/api/v1/groups/?name_contains=", root_key)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "ValidationError" and list(error["fields"]) == ["name_contains"]
