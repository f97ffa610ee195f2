"""Console pages: Activity — the account's audit log, filtered and paged, and each event in full;
and its download as CloudTrail records in JSON lines, with the page's filters (ExportAuditEvents).

Reading the log needs cloudtrail:LookupEvents (the selector authorizes; the root user may, an IAM
user needs a policy). The list costs one query per page whatever the number of events.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode

from accounts.context import CONSOLE, INTERNAL, QUERY, REST
from accounts.models import AuditEvent
from accounts.selectors.audit import get_audit_event, list_audit_events
from accounts.selectors.audit_export import CONTENT_TYPE, export_audit_events, json_lines

from . import ConsoleView

PAGE_SIZE = 100
OUTCOMES = (AuditEvent.SUCCESS, AuditEvent.FAILED, AuditEvent.DENIED)
CHANNELS = ((CONSOLE, "Console"), (QUERY, "Query API"), (REST, "REST API"), (INTERNAL, "Internal"))
FILTERS = ("actor", "action", "outcome", "channel", "since", "until")


class ActivityFilterForm(forms.Form):
    actor = forms.CharField(
        label="Actor ARN contains",
        required=False,
        max_length=2048,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "e.g. user/alice"}),
    )
    action = forms.CharField(
        label="Action",
        required=False,
        max_length=128,
        widget=forms.TextInput(attrs={"placeholder": "e.g. iam:CreateUser"}),
    )
    outcome = forms.ChoiceField(
        label="Outcome", required=False, choices=[("", "All"), *((o, o.capitalize()) for o in OUTCOMES)]
    )
    channel = forms.ChoiceField(label="Channel", required=False, choices=[("", "All"), *CHANNELS])
    since = forms.DateField(
        label="From (UTC)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(label="To (UTC)", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date must be on or after the start date.")
        return data

    def selector_arguments(self) -> dict[str, object]:
        """The filters as list_audit_events takes them; `until` is a whole day, so up to the next midnight."""
        data = self.cleaned_data
        return {
            "actor_arn": data["actor"].strip() or None,
            "action": data["action"].strip() or None,
            "outcome": data["outcome"] or None,
            "channel": data["channel"] or None,
            "since": _midnight(data["since"]) if data["since"] else None,
            "until": _midnight(data["until"] + timedelta(days=1)) if data["until"] else None,
        }


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _query(params: dict[str, str], **changes: str | None) -> str:
    """A query string: `params` with `changes` applied (None or "" removes a key)."""
    merged = {**params, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v}) if any(merged.values()) else "?"


class ActivityListView(ConsoleView):
    """The audit log, newest first, with filters (actor, action, outcome, channel, dates)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = ActivityFilterForm(request.GET)
        current = {name: request.GET.get(name, "") for name in FILTERS}
        current = {k: v for k, v in current.items() if v}
        marker = request.GET.get("marker") or None
        if not form.is_valid():
            return self.show(form, current, page=None, marker=marker, status=400)
        page = list_audit_events(self.ctx, **form.selector_arguments(), marker=marker, max_items=PAGE_SIZE)
        return self.show(form, current, page=page, marker=marker)

    def show(self, form, current, *, page, marker, status: int = 200) -> HttpResponse:
        choice_filters = [
            {
                "title": title,
                "choices": [
                    {
                        "label": label,
                        "selected": current.get(name, "") == value,
                        "query": _query(current, **{name: value}),
                    }
                    for value, label in [("", "All"), *choices]
                ],
            }
            for name, title, choices in (
                ("outcome", "By outcome", [(o, o.capitalize()) for o in OUTCOMES]),
                ("channel", "By channel", list(CHANNELS)),
            )
        ]
        return self.render(
            "console/activity/list.html",
            {
                "title": "Activity",
                "form": form,
                "page": page,
                "events": page.items if page else [],
                "filters": choice_filters,
                "filtered": bool(current),
                "hidden_filters": {k: v for k, v in current.items() if k in ("outcome", "channel")},
                "next_query": _query(current, marker=page.marker) if page and page.is_truncated else None,
                "first_query": _query(current) if marker else None,
                "export_query": _query(current),
            },
            status=status,
        )


class ActivityEventView(ConsoleView):
    """One audit event in full."""

    def get(self, request: HttpRequest, event_id: int) -> HttpResponse:
        event = get_audit_event(self.ctx, event_id=event_id)
        return self.render(
            "console/activity/event.html",
            {
                "title": f"Event {event.pk}",
                "event": event,
                "parameters": json.dumps(event.parameters, indent=2, sort_keys=True, ensure_ascii=False),
                "actor_query": _query({}, actor=event.actor_arn),
            },
        )


class ActivityExportView(ActivityListView):
    """The filtered audit log as CloudTrail records, one JSON object per line, streamed."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = ActivityFilterForm(request.GET)
        current = {name: request.GET.get(name, "") for name in FILTERS if request.GET.get(name)}
        if not form.is_valid():
            return self.show(form, current, page=None, marker=None, status=400)
        records = export_audit_events(self.ctx, **form.selector_arguments())  # authorizes now
        response = StreamingHttpResponse(json_lines(records), content_type=CONTENT_TYPE)
        filename = f"audit-events-{self.ctx.account.account_id}.jsonl"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response


urlpatterns: list = [
    path("activity/", ActivityListView.as_view(), name="activity"),
    path("activity/export/", ActivityExportView.as_view(), name="activity_export"),
    path("activity/<int:event_id>/", ActivityEventView.as_view(), name="activity_event"),
]
