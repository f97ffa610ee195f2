"""TagMFADevice, UntagMFADevice and ListMFADeviceTags through a real boto3 client against a live server."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent, MFADevice

pytestmark = pytest.mark.django_db(transaction=True)


def status_of(exc) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


class MFADeviceTagTests:
    def test_tag_list_and_untag_round_trip(self, iam):
        serial = iam.create_virtual_mfa_device(
            VirtualMFADeviceName="phone", Tags=[{"Key": "team", "Value": "blue"}]
        )["VirtualMFADevice"]["SerialNumber"]

        tagged = iam.tag_mfa_device(
            SerialNumber=serial, Tags=[{"Key": "Team", "Value": "red"}, {"Key": "cost", "Value": "42"}]
        )
        assert set(tagged) == {"ResponseMetadata"}
        assert tagged["ResponseMetadata"]["HTTPStatusCode"] == 200

        listed = iam.list_mfa_device_tags(SerialNumber=serial)
        assert listed["Tags"] == [{"Key": "cost", "Value": "42"}, {"Key": "Team", "Value": "red"}]
        assert listed["IsTruncated"] is False and "Marker" not in listed

        untagged = iam.untag_mfa_device(SerialNumber=serial, TagKeys=["team", "absent"])
        assert set(untagged) == {"ResponseMetadata"}
        assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "cost", "Value": "42"}]
        assert MFADevice.objects.get(serial_number=serial).tags == {"cost": "42"}
        outcomes = AuditEvent.objects.filter(target_arn=serial).values_list("action", "outcome", "channel")
        assert list(outcomes) == [
            ("iam:CreateVirtualMFADevice", "success", "query"),
            ("iam:TagMFADevice", "success", "query"),
            ("iam:UntagMFADevice", "success", "query"),
        ]

    def test_pages_with_marker_and_max_items(self, iam):
        serial = iam.create_virtual_mfa_device(
            VirtualMFADeviceName="phone", Tags=[{"Key": k, "Value": k.upper()} for k in ["c", "a", "b"]]
        )["VirtualMFADevice"]["SerialNumber"]
        first = iam.list_mfa_device_tags(SerialNumber=serial, MaxItems=2)
        assert first["Tags"] == [{"Key": "a", "Value": "A"}, {"Key": "b", "Value": "B"}]
        assert first["IsTruncated"] is True
        rest = iam.list_mfa_device_tags(SerialNumber=serial, MaxItems=2, Marker=first["Marker"])
        assert rest["Tags"] == [{"Key": "c", "Value": "C"}] and rest["IsTruncated"] is False
        paged = iam.get_paginator("list_mfa_device_tags").paginate(
            SerialNumber=serial, PaginationConfig={"PageSize": 1}
        )
        assert [tag["Key"] for page in paged for tag in page["Tags"]] == ["a", "b", "c"]

    def test_an_unknown_device_is_no_such_entity(self, iam, root):
        serial = f"arn:aws:iam::{root.account.account_id}:mfa/nothing"
        message = f"MFA Device with serial number {serial} does not exist."
        calls = [
            lambda: iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "a", "Value": "1"}]),
            lambda: iam.untag_mfa_device(SerialNumber=serial, TagKeys=["a"]),
            lambda: iam.list_mfa_device_tags(SerialNumber=serial),
        ]
        for call in calls:
            with pytest.raises(iam.exceptions.NoSuchEntityException) as missing:
                call()
            assert missing.value.response["Error"]["Code"] == "NoSuchEntity"
            assert missing.value.response["Error"]["Message"] == message
            assert status_of(missing.value) == 404

    def test_the_fifty_first_tag_is_limit_exceeded(self, iam):
        serial = iam.create_virtual_mfa_device(
            VirtualMFADeviceName="phone", Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)]
        )["VirtualMFADevice"]["SerialNumber"]
        with pytest.raises(iam.exceptions.LimitExceededException) as limit:
            iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "one-more", "Value": "x"}])
        assert limit.value.response["Error"]["Message"] == (
            "The number of tags has reached the maximum limit of 50."
        )
        assert status_of(limit.value) == 409
        assert len(MFADevice.objects.get(serial_number=serial).tags) == 50
