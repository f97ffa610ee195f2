"""Tags of virtual MFA devices: TagMFADevice, UntagMFADevice, ListMFADeviceTags (services and selector)."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent, MFADevice, User
from accounts.selectors import mfa as mfa_reads
from accounts.services import mfa
from accounts.services.users import create_user
from iam_portal.errors import AccessDeniedError, LimitExceededError, NoSuchEntityError, ValidationError
from tests import factories as f
from tests.factories import events

pytestmark = pytest.mark.django_db

KEY_RULE = (
    r"satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+ and have length between 1 and 128"
)


def new(ctx, name: str = "phone", **kwargs) -> MFADevice:
    return mfa.create_virtual_mfa_device(ctx, virtual_mfa_device_name=name, **kwargs).device


def tags_of(device: MFADevice) -> dict[str, str]:
    return MFADevice.objects.values_list("tags", flat=True).get(pk=device.pk)


def listed(ctx, device: MFADevice, **kwargs) -> list[tuple[str, str]]:
    return mfa_reads.list_mfa_device_tags(ctx, serial_number=device.serial_number, **kwargs).items


@pytest.fixture
def alice(ctx) -> User:
    return create_user(ctx, user_name="alice")


class TagMFADeviceTests:
    def test_tag_list_and_untag(self, ctx):
        device = new(ctx, tags=[{"Key": "team", "Value": "blue"}])
        mfa.tag_mfa_device(
            ctx,
            serial_number=device.serial_number,
            tags=[{"Key": "Team", "Value": "red"}, {"Key": "cost", "Value": "42"}],
        )
        # The same key in another case is the same tag: it takes the new spelling and value.
        assert tags_of(device) == {"Team": "red", "cost": "42"}
        assert listed(ctx, device) == [("cost", "42"), ("Team", "red")]
        mfa.untag_mfa_device(ctx, serial_number=device.serial_number, tag_keys=["TEAM"])
        assert listed(ctx, device) == [("cost", "42")]

    def test_a_tag_of_the_same_key_is_overwritten(self, ctx):
        device = new(ctx)
        mfa.tag_mfa_device(ctx, serial_number=device.serial_number, tags=[{"Key": "env", "Value": "dev"}])
        mfa.tag_mfa_device(ctx, serial_number=device.serial_number, tags=[{"Key": "env", "Value": "prod"}])
        assert tags_of(device) == {"env": "prod"}
        assert events("iam:TagMFADevice") == [("success", "")] * 2

    def test_success_is_audited_with_the_device_and_the_tags(self, ctx):
        device = new(ctx)
        mfa.tag_mfa_device(ctx, serial_number=device.serial_number, tags=[{"Key": "env", "Value": "dev"}])
        mfa.untag_mfa_device(ctx, serial_number=device.serial_number, tag_keys=["env"])
        tagged = AuditEvent.objects.get(action="iam:TagMFADevice")
        assert (tagged.outcome, tagged.target_arn, tagged.actor_arn) == (
            "success",
            device.serial_number,
            ctx.caller_arn,
        )
        assert tagged.parameters == {"serial_number": device.serial_number, "tags": {"env": "dev"}}
        untagged = AuditEvent.objects.get(action="iam:UntagMFADevice")
        assert (untagged.outcome, untagged.target_arn) == ("success", device.serial_number)
        assert untagged.parameters == {"serial_number": device.serial_number, "tag_keys": ["env"]}

    def test_at_most_fifty_tags(self, ctx):
        device = new(ctx, tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])
        with pytest.raises(LimitExceededError) as caught:
            mfa.tag_mfa_device(
                ctx, serial_number=device.serial_number, tags=[{"Key": "one-more", "Value": "x"}]
            )
        assert caught.value.message == "The number of tags has reached the maximum limit of 50."
        assert len(tags_of(device)) == 50 and "one-more" not in tags_of(device)
        assert events("iam:TagMFADevice") == [("failed", "LimitExceeded")]
        # Overwriting one of the 50 adds nothing, so it is allowed.
        mfa.tag_mfa_device(ctx, serial_number=device.serial_number, tags=[{"Key": "K0", "Value": "new"}])
        assert len(tags_of(device)) == 50 and tags_of(device)["K0"] == "new" and "k0" not in tags_of(device)

    def test_more_than_fifty_tags_in_one_request(self, ctx):
        device = new(ctx)
        with pytest.raises(ValidationError, match="^1 validation error detected: .* at 'tags' failed"):
            mfa.tag_mfa_device(
                ctx,
                serial_number=device.serial_number,
                tags=[{"Key": f"k{i}", "Value": ""} for i in range(51)],
            )
        assert tags_of(device) == {}

    def test_an_invalid_key_fails_the_whole_request(self, ctx):
        device = new(ctx)
        with pytest.raises(ValidationError) as caught:
            mfa.tag_mfa_device(
                ctx,
                serial_number=device.serial_number,
                tags=[{"Key": "good", "Value": "1"}, {"Key": "bad!key", "Value": "2"}],
            )
        assert caught.value.message == (
            f"1 validation error detected: Value 'bad!key' at 'tags.2.member.key' failed to satisfy "
            f"constraint: Member must {KEY_RULE}"
        )
        assert tags_of(device) == {}
        assert not AuditEvent.objects.filter(action="iam:TagMFADevice").exists()

    def test_an_invalid_serial_number(self, ctx):
        with pytest.raises(ValidationError, match="^1 validation error detected: .* at 'serialNumber'"):
            mfa.tag_mfa_device(ctx, serial_number="short", tags=[{"Key": "a", "Value": "1"}])


class UntagMFADeviceTests:
    def test_a_key_that_is_not_there_is_ignored(self, ctx):
        device = new(ctx, tags=[{"Key": "team", "Value": "blue"}])
        mfa.untag_mfa_device(ctx, serial_number=device.serial_number, tag_keys=["absent"])
        assert tags_of(device) == {"team": "blue"}
        assert events("iam:UntagMFADevice") == [("success", "")]

    def test_keys_match_in_any_case(self, ctx):
        device = new(ctx, tags=[{"Key": "Team", "Value": "blue"}, {"Key": "cost", "Value": "42"}])
        mfa.untag_mfa_device(ctx, serial_number=device.serial_number, tag_keys=["team", "COST"])
        assert tags_of(device) == {}

    def test_the_seed_and_assignment_are_left_alone(self, ctx, alice):
        device = new(ctx, tags=[{"Key": "team", "Value": "blue"}])
        before = MFADevice.objects.values_list("seed_ciphertext", "user", "enable_date").get(pk=device.pk)
        mfa.tag_mfa_device(ctx, serial_number=device.serial_number, tags=[{"Key": "x", "Value": "1"}])
        mfa.untag_mfa_device(ctx, serial_number=device.serial_number, tag_keys=["team"])
        after = MFADevice.objects.values_list("seed_ciphertext", "user", "enable_date").get(pk=device.pk)
        assert after == before


class ListMFADeviceTagsTests:
    def test_pages_by_key(self, ctx):
        device = new(ctx, tags=[{"Key": k, "Value": v} for k, v in [("b", "2"), ("C", "3"), ("a", "1")]])
        first = mfa_reads.list_mfa_device_tags(ctx, serial_number=device.serial_number, max_items=2)
        assert (first.items, first.is_truncated) == ([("a", "1"), ("b", "2")], True)
        rest = mfa_reads.list_mfa_device_tags(
            ctx, serial_number=device.serial_number, marker=first.marker, max_items=2
        )
        assert (rest.items, rest.is_truncated, rest.marker) == ([("C", "3")], False, None)

    def test_an_untagged_device_has_none(self, ctx):
        device = new(ctx)
        page = mfa_reads.list_mfa_device_tags(ctx, serial_number=device.serial_number)
        assert (page.items, page.is_truncated, page.marker) == ([], False, None)


class UnknownDeviceTests:
    def test_an_unknown_device_or_one_of_another_account(self, ctx, acct):
        theirs = new(f.root_context(), "theirs", tags=[{"Key": "team", "Value": "red"}])
        for serial in [f"arn:aws:iam::{acct}:mfa/nothing", theirs.serial_number]:
            message = f"^MFA Device with serial number {serial} does not exist.$"
            with pytest.raises(NoSuchEntityError, match=message):
                mfa.tag_mfa_device(ctx, serial_number=serial, tags=[{"Key": "a", "Value": "1"}])
            with pytest.raises(NoSuchEntityError, match=message):
                mfa.untag_mfa_device(ctx, serial_number=serial, tag_keys=["team"])
            with pytest.raises(NoSuchEntityError, match=message):
                mfa_reads.list_mfa_device_tags(ctx, serial_number=serial)
        assert tags_of(theirs) == {"team": "red"}


class AuthorizationTests:
    def test_a_new_iam_user_may_not(self, ctx, alice, acct):
        device = new(ctx, tags=[{"Key": "team", "Value": "blue"}])
        serial = device.serial_number
        alice_ctx = f.context_for(alice)
        with pytest.raises(AccessDeniedError) as tag_denied:
            mfa.tag_mfa_device(alice_ctx, serial_number=serial, tags=[{"Key": "x", "Value": "1"}])
        assert tag_denied.value.message == f.denial(acct, "alice", "iam:TagMFADevice", serial)
        with pytest.raises(AccessDeniedError) as untag_denied:
            mfa.untag_mfa_device(alice_ctx, serial_number=serial, tag_keys=["team"])
        assert untag_denied.value.message == f.denial(acct, "alice", "iam:UntagMFADevice", serial)
        with pytest.raises(AccessDeniedError) as list_denied:
            mfa_reads.list_mfa_device_tags(alice_ctx, serial_number=serial)
        assert list_denied.value.message == f.denial(acct, "alice", "iam:ListMFADeviceTags", serial)
        assert tags_of(device) == {"team": "blue"}
        for action in ["iam:TagMFADevice", "iam:UntagMFADevice", "iam:ListMFADeviceTags"]:
            assert events(action) == [("denied", "AccessDenied")]
            assert AuditEvent.objects.get(action=action).target_arn == serial

    def test_resource_tags_reach_the_policy(self, ctx):
        blue = new(ctx, "blue", tags=[{"Key": "team", "Value": "blue"}])
        red = new(ctx, "red", tags=[{"Key": "team", "Value": "red"}])
        tagger = create_user(ctx, user_name="tagger")
        f.put_user_policy(
            tagger,
            "BlueOnly",
            f.allow(
                ["iam:TagMFADevice", "iam:UntagMFADevice", "iam:ListMFADeviceTags"],
                Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}},
            ),
        )
        tagger_ctx = f.context_for(tagger)
        mfa.tag_mfa_device(tagger_ctx, serial_number=blue.serial_number, tags=[{"Key": "x", "Value": "1"}])
        mfa.untag_mfa_device(tagger_ctx, serial_number=blue.serial_number, tag_keys=["x"])
        assert listed(tagger_ctx, blue) == [("team", "blue")]
        with pytest.raises(AccessDeniedError):
            mfa.tag_mfa_device(tagger_ctx, serial_number=red.serial_number, tags=[{"Key": "x", "Value": "1"}])
        with pytest.raises(AccessDeniedError):
            mfa.untag_mfa_device(tagger_ctx, serial_number=red.serial_number, tag_keys=["team"])
        with pytest.raises(AccessDeniedError):
            listed(tagger_ctx, red)
        assert tags_of(red) == {"team": "red"}

    def test_request_tags_and_tag_keys_reach_the_policy(self, ctx):
        device = new(ctx, tags=[{"Key": "owner", "Value": "ops"}])
        tagger = create_user(ctx, user_name="tagger")
        f.put_user_policy(
            tagger,
            "EnvOnly",
            f.allow(
                "iam:TagMFADevice",
                Condition={
                    "StringEquals": {"aws:RequestTag/env": "dev"},
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["env"]},
                },
            ),
            f.allow("iam:UntagMFADevice", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}),
        )
        tagger_ctx = f.context_for(tagger)
        serial = device.serial_number
        mfa.tag_mfa_device(tagger_ctx, serial_number=serial, tags=[{"Key": "env", "Value": "dev"}])
        with pytest.raises(AccessDeniedError):
            mfa.tag_mfa_device(tagger_ctx, serial_number=serial, tags=[{"Key": "env", "Value": "prod"}])
        with pytest.raises(AccessDeniedError):
            mfa.tag_mfa_device(tagger_ctx, serial_number=serial, tags=[{"Key": "owner", "Value": "me"}])
        with pytest.raises(AccessDeniedError):
            mfa.untag_mfa_device(tagger_ctx, serial_number=serial, tag_keys=["owner"])
        mfa.untag_mfa_device(tagger_ctx, serial_number=serial, tag_keys=["env"])
        assert tags_of(device) == {"owner": "ops"}
        assert events("iam:TagMFADevice") == [("success", "")] + [("denied", "AccessDenied")] * 2
