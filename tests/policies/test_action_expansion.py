"""policies/action_expansion.py: typed action names and wildcards to the catalogue's concrete actions
(no database)."""

from __future__ import annotations

import pytest

from policies.action_expansion import (
    MAX_ACTIONS,
    SERVICES,
    ActionNameError,
    expand_actions,
    service_actions,
    split_names,
)
from policies.engine.catalog import ACTIONS


class ServiceActionsTests:
    def test_each_catalogued_service_by_name(self):
        assert SERVICES == ("iam", "sts")
        iam = service_actions("iam")
        assert len(iam) == len(ACTIONS["iam"]) == 190
        assert iam == tuple(sorted(iam))
        assert iam[0] == "iam:AcceptDelegationRequest"
        assert "sts:AssumeRole" in service_actions("sts")

    def test_an_uncatalogued_service_has_none(self):
        assert service_actions("s3") == ()


class SplitNamesTests:
    def test_commas_spaces_and_line_ends(self):
        assert split_names(" iam:GetUser,iam:ListUsers\n sts:*\t, ,") == [
            "iam:GetUser",
            "iam:ListUsers",
            "sts:*",
        ]
        assert split_names("") == []


class ExpandActionsTests:
    def test_a_wildcard_expands_as_the_engine_matches_in_any_case(self):
        expansion = expand_actions(["IAM:get*"])
        assert len(expansion.actions) == 34
        assert all(action.startswith("iam:Get") for action in expansion.actions)
        assert expansion.patterns == (("IAM:get*", 34),)

    def test_question_mark_and_star_alone(self):
        assert expand_actions(["sts:GetSessionToke?"]).actions == ("sts:GetSessionToken",)
        every = expand_actions(["*"])
        assert len(every.actions) == 206
        assert every.patterns == (("*", 206),)

    def test_concrete_names_take_the_catalogue_s_spelling_and_come_once(self):
        expansion = expand_actions(["iam:getuser", "iam:Get*", "IAM:GETUSER"])
        assert expansion.actions[0] == "iam:GetUser"
        assert expansion.actions.count("iam:GetUser") == 1
        assert len(expansion.actions) == 34

    def test_another_service_s_concrete_action_is_kept_as_written(self):
        assert expand_actions(["s3:GetObject", "ec2:DescribeInstances"]).actions == (
            "s3:GetObject",
            "ec2:DescribeInstances",
        )
        assert expand_actions(["s3:GetObject", "S3:GETOBJECT"]).actions == ("s3:GetObject",)

    def test_blank_names_are_skipped(self):
        assert expand_actions(["", "  "]).actions == ()

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            (
                "s3:Get*",
                "s3:Get*: wildcards expand only over the catalogued services (iam, sts); name s3 actions one by one.",
            ),
            ("iam:Nope*", "iam:Nope* matches no action in the catalogue."),
            ("iam:GetUsr", "iam:GetUsr is not an action of iam in the catalogue."),
            ("GetUser", "GetUser is not an action name: write service:Action, e.g. iam:GetUser."),
            ("iam:Get User", "iam:Get User is not an action name: write service:Action, e.g. iam:GetUser."),
            ("iam:", "iam: is not an action name: write service:Action, e.g. iam:GetUser."),
        ],
    )
    def test_names_that_cannot_be_simulated(self, name, message):
        with pytest.raises(ActionNameError) as raised:
            expand_actions([name])
        assert raised.value.message == message

    def test_the_cap_counts_distinct_actions(self):
        names = [f"s3:Action{i}" for i in range(MAX_ACTIONS)]
        assert len(expand_actions([*names, "s3:action0"]).actions) == MAX_ACTIONS
        with pytest.raises(ActionNameError) as raised:
            expand_actions([*names, "s3:OneMore"])
        assert raised.value.message == (
            "The actions expand to more than 1,000 action names; at most 1,000 can be simulated at once. "
            "Choose fewer actions or narrower patterns."
        )
        assert len(expand_actions(["*"], limit=206).actions) == 206
        with pytest.raises(ActionNameError):
            expand_actions(["*"], limit=205)
