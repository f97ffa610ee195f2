"""REST resource: the audit log as CloudTrail records in JSON lines (docs/audit-export.md).

ExportAuditEvents (a portal extension): GET /api/v1/audit-events/export/, filtered as the list,
streamed (one record per line, application/x-ndjson) so that memory stays flat whatever the size
of the log. Authorization (cloudtrail:LookupEvents) is the selector's and happens before the first
byte is sent, so a refusal is an ordinary JSON error.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from accounts.selectors import audit_export
from iam_portal.rest import IamViewSet, errors

from .account import AuditFilters

CONTENT_TYPE = audit_export.CONTENT_TYPE


class JsonLinesRenderer(JSONRenderer):
    """Lets a client ask for application/x-ndjson; an error answer is then one JSON line."""

    media_type = CONTENT_TYPE
    format = "ndjson"


class ExportAuditEventsQuery(AuditFilters):
    action = serializers.CharField(
        required=False,
        max_length=128,
        trim_whitespace=False,
        help_text='Only this action ("iam:CreateUser") or eventName ("CreateUser"), in any case.',
    )


def streamed_export(records: Iterator[dict[str, object]], filename: str) -> StreamingHttpResponse:
    """The records as a streamed JSON lines download."""
    response = StreamingHttpResponse(audit_export.json_lines(records), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response  # Cache-Control: the house rule for reads (IamViewSet.finalize_response)


class AuditExportViewSet(IamViewSet):
    """/api/v1/audit-events/export/: the audit log as CloudTrail records, one per line."""

    renderer_classes = [JSONRenderer, JsonLinesRenderer]

    @extend_schema(
        operation_id="ExportAuditEvents",
        summary="Export audit events (CloudTrail JSON lines)",
        description=(
            "The account's audit events, oldest first, as CloudTrail records (eventVersion 1.08), one "
            "JSON object per line, streamed. Filtered as ListAuditEvents. Needs cloudtrail:LookupEvents "
            'on "*". No secret is ever part of a record.'
        ),
        # Negotiated by the Accept header; DRF's ?format= is no documented parameter of the API.
        parameters=[ExportAuditEventsQuery, OpenApiParameter("format", exclude=True)],
        responses={
            (200, CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.STR, description="One CloudTrail record (a JSON object) per line."
            ),
            **errors(e400="ValidationError, naming the parameter."),
        },
        tags=["audit-events"],
    )
    def list(self, request: Request) -> StreamingHttpResponse:
        query = self.query(ExportAuditEventsQuery)
        records = audit_export.export_audit_events(
            self.ctx,
            actor_arn=query.get("actor_arn_contains"),
            action=query.get("action"),
            outcome=query.get("outcome"),
            channel=query.get("channel"),
            since=query.get("since"),
            until=query.get("until"),
        )
        return streamed_export(records, f"audit-events-{self.ctx.account.account_id}.jsonl")


ROUTES = [("audit-events/export", AuditExportViewSet, "audit-events-export")]
