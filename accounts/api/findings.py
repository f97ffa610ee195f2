"""REST resource: the account's findings (docs/findings.md).

ListFindings (a portal extension): IAM users with console access and no MFA, unused and old
access keys, unused roles, policies that allow "*" on "*", users with policies of their own; each
with every affected item. It parses nothing, calls ONE selector with the caller's RequestContext,
and shapes the answer; authorization is the selector's (iam_portal/rest.py).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import findings as finding_reads
from iam_portal.rest import IamViewSet

KINDS = (
    finding_reads.USER,
    finding_reads.ACCESS_KEY,
    finding_reads.ROLE,
    finding_reads.POLICY,
    finding_reads.USER_POLICY,
    finding_reads.GROUP_POLICY,
    finding_reads.ROLE_POLICY,
)


class FindingItemOut(serializers.Serializer):
    """One affected user, access key, role or policy."""

    kind = serializers.ChoiceField(
        KINDS, help_text="user, access-key, role, policy (customer managed), or an inline policy's kind."
    )
    name = serializers.CharField(help_text="The user, role or policy name, or the access key id.")
    arn = serializers.CharField(
        help_text="The item's ARN; for an access key its user's, for an inline policy its owner's."
    )
    owner = serializers.CharField(
        allow_null=True,
        help_text="An access key's user, or the user, group or role of an inline policy; else null.",
    )
    detail = serializers.CharField(help_text='What was found, e.g. "Never used; created 120 days ago."')
    attached_to = serializers.ListField(
        child=serializers.CharField(),
        help_text='Where a policy is attached: "user/alice", "group/Admins", "role/Deploy".',
    )


class FindingOut(serializers.Serializer):
    code = serializers.ChoiceField(finding_reads.CODES, help_text="The finding's stable code.")
    severity = serializers.ChoiceField(finding_reads.SEVERITIES)
    title = serializers.CharField()
    recommendation = serializers.CharField(help_text="What to do about it.")
    count = serializers.IntegerField(help_text="How many items are affected (all of them are listed).")
    items = FindingItemOut(many=True)


class UncheckedOut(serializers.Serializer):
    check = serializers.CharField(help_text="What was not checked.")
    action = serializers.CharField(help_text="The permission that check needs.")


@extend_schema_serializer(many=False)
class FindingsOut(serializers.Serializer):
    """ListFindings: the findings with affected items, most urgent first, and the checks skipped."""

    findings = FindingOut(many=True)
    unchecked = UncheckedOut(
        many=True, help_text="Checks the caller may not run: not passed, just not checked."
    )


def _item(item: finding_reads.FindingItem) -> dict[str, object]:
    return {
        "kind": item.kind,
        "name": item.name,
        "arn": item.arn,
        "owner": item.owner or None,
        "detail": item.detail,
        "attached_to": list(item.attached_to),
    }


class FindingsViewSet(IamViewSet):
    """/api/v1/account/findings/: what in the account breaks a best practice."""

    @extend_schema(
        operation_id="ListFindings",
        summary="Security findings",
        description=(
            "The account's findings (a portal extension), most urgent first, each with every affected "
            "item. The users' MFA and access key checks need iam:GetCredentialReport; the role and "
            "policy checks need iam:GetAccountAuthorizationDetails; a check the caller may not run is "
            "listed in `unchecked`. A caller allowed neither is refused (AccessDenied)."
        ),
        responses={200: FindingsOut},
        tags=["account"],
    )
    def list(self, request: Request) -> Response:
        found = finding_reads.list_findings(self.ctx)
        return Response(
            FindingsOut(
                {
                    "findings": [
                        {
                            "code": f.code,
                            "severity": f.severity,
                            "title": f.title,
                            "recommendation": f.recommendation,
                            "count": f.count,
                            "items": [_item(i) for i in f.items],
                        }
                        for f in found.findings
                    ],
                    "unchecked": [{"check": u.check, "action": u.action} for u in found.unchecked],
                }
            ).data
        )


ROUTES = [("account/findings", FindingsViewSet, "findings")]
