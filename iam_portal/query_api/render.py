"""XML of Query API responses: `<ActionResponse><ActionResult>…`, `<ErrorResponse>`, and the model's shapes.

A result is a dict of member name → value: a str, int, bool or datetime, a nested dict (a structure),
a list (`<member>` items), an `Entries` (a map: `<entry><key/><value/></entry>`) or None (omitted).
Policy documents are URL-encoded, as AWS sends them (botocore decodes them again).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from django.http import HttpResponse

IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
CONTENT_TYPE = "text/xml; charset=utf-8"

Result = dict[str, Any]
# Anything outside XML 1.0's Char production (control characters, lone surrogates, U+FFFE/U+FFFF)
# would make the whole document unparseable for botocore: such a character becomes U+FFFD.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Entries(dict):
    """A map member (GetAccountSummary's SummaryMap), rendered as `<entry><key/><value/></entry>`."""


def timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with a Z, as AWS writes timestamps."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def policy_document(text: str) -> str:
    """A policy document as AWS returns it: URL-encoded JSON text."""
    return quote(text, safe="")


def blob(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def element(name: str, value: Any) -> str:
    """One member as XML; None renders nothing."""
    if value is None:
        return ""
    return f"<{name}>{_content(value)}</{name}>"


def _content(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, Entries):
        return "".join(f"<entry>{element('key', k)}{element('value', v)}</entry>" for k, v in value.items())
    if isinstance(value, dict):
        return "".join(element(k, v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return "".join(element("member", item) for item in value)
    return escape(_NOT_XML_CHAR.sub("\ufffd", str(value)))


def response(body: str, status: int, request_id: str) -> HttpResponse:
    out = HttpResponse(body, status=status, content_type=CONTENT_TYPE)
    out["x-amzn-RequestId"] = request_id
    out["Cache-Control"] = "no-store"  # some results carry a secret shown this once
    return out


def success(action: str, result: Result | None, request_id: str, namespace: str = IAM_NAMESPACE) -> str:
    """`<ActionResponse>` with `<ActionResult>` (left out for actions without output)."""
    inner = element(f"{action}Result", result) if result is not None else ""
    return (
        f'<{action}Response xmlns="{namespace}">{inner}'
        f"<ResponseMetadata><RequestId>{escape(request_id)}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )


def error(code: str, message: str, status: int, request_id: str, namespace: str = IAM_NAMESPACE) -> str:
    """`<ErrorResponse>`: Type Receiver for server faults (5xx), Sender for everything else."""
    kind = "Receiver" if status >= 500 else "Sender"
    return (
        f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type>'
        f"{element('Code', code)}{element('Message', message)}</Error>"
        f"<RequestId>{escape(request_id)}</RequestId></ErrorResponse>"
    )


# --- Shapes of the IAM model ---------------------------------------------------------------------


def tags(values: dict[str, str] | Iterable[tuple[str, str]] | None) -> list[Result] | None:
    """list<Tag>; None (omitted) when there are none, as AWS leaves Tags out."""
    pairs = list(values.items() if isinstance(values, dict) else values or [])
    return [{"Key": k, "Value": v} for k, v in pairs] or None


def boundary(policy_arn: str | None) -> Result | None:
    """AttachedPermissionsBoundary."""
    if not policy_arn:
        return None
    return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": policy_arn}


def user(u: Any, *, detail: bool = False) -> Result:
    """User. The root user has no name or path; its UserId is the account id, as in AWS. List
    actions leave out PermissionsBoundary and Tags (detail=False), as AWS's ListUsers does."""
    if u.is_root:
        return {"UserId": u.account.account_id, "Arn": u.arn, "CreateDate": u.created}
    out: Result = {
        "Path": u.path,
        "UserName": u.user_name,
        "UserId": u.user_id,
        "Arn": u.arn,
        "CreateDate": u.created,
    }
    if detail:
        out["PasswordLastUsed"] = u.last_login
        if u.permissions_boundary_id:
            out["PermissionsBoundary"] = boundary(u.permissions_boundary.arn)
        out["Tags"] = tags(u.tags)
    return out


def group(g: Any) -> Result:
    """Group."""
    return {
        "Path": g.path,
        "GroupName": g.group_name,
        "GroupId": g.group_id,
        "Arn": g.arn,
        "CreateDate": g.created,
    }


def role(r: Any, *, detail: bool = False) -> Result:
    """Role, with its trust policy URL-encoded; PermissionsBoundary and Tags only with detail."""
    out: Result = {
        "Path": r.path,
        "RoleName": r.role_name,
        "RoleId": r.role_id,
        "Arn": r.arn,
        "CreateDate": r.created,
        "AssumeRolePolicyDocument": policy_document(r.assume_role_policy_document),
        "Description": r.description or None,
        "MaxSessionDuration": r.max_session_duration,
    }
    if detail:
        if r.permissions_boundary_id:
            out["PermissionsBoundary"] = boundary(r.permissions_boundary.arn)
        out["Tags"] = tags(r.tags)
    return out


def policy(p: Any, *, detail: bool = False) -> Result:
    """Policy (managed). A policy just created has no usage annotations: v1, attached nowhere."""
    out: Result = {
        "PolicyName": p.policy_name,
        "PolicyId": p.policy_id,
        "Arn": p.arn,
        "Path": p.path,
        "DefaultVersionId": getattr(p, "default_version_id", None) or "v1",
        "AttachmentCount": getattr(p, "attachment_count", 0),
        "PermissionsBoundaryUsageCount": getattr(p, "permissions_boundary_usage_count", 0),
        "IsAttachable": getattr(p, "is_attachable", True),
        "Description": (p.description or None) if detail else None,
        "CreateDate": p.created,
        "UpdateDate": p.updated,
    }
    if detail:
        out["Tags"] = tags(p.tags)
    return out


def policy_version(v: Any, *, with_document: bool = True) -> Result:
    """PolicyVersion; ListPolicyVersions leaves the document out, as AWS does."""
    return {
        "Document": policy_document(v.document) if with_document else None,
        "VersionId": v.version_id,
        "IsDefaultVersion": v.is_default,
        "CreateDate": v.created,
    }


def attached_policy(p: Any) -> Result:
    """AttachedPolicy."""
    return {"PolicyName": p.policy_name, "PolicyArn": p.arn}


def access_key(issued: Any) -> Result:
    """AccessKey of CreateAccessKey: the one response that carries the secret."""
    key = issued.access_key
    return {
        "UserName": None if key.user.is_root else key.user.user_name,
        "AccessKeyId": key.access_key_id,
        "Status": key.status,
        "SecretAccessKey": issued.secret_access_key,
        "CreateDate": key.created,
    }


def credentials(c: Any) -> Result:
    """STS Credentials: shown in this one response only."""
    return {
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key,
        "SessionToken": c.session_token,
        "Expiration": c.expiration,
    }


def assumed_role(a: Any) -> Result:
    """AssumeRole's result members."""
    return {
        "Credentials": credentials(a.credentials),
        "AssumedRoleUser": {"AssumedRoleId": a.assumed_role_id, "Arn": a.arn},
        "PackedPolicySize": a.packed_policy_size,
        "SourceIdentity": a.source_identity,
    }


def access_key_metadata(m: Any) -> Result:
    """AccessKeyMetadata: never the secret."""
    return {
        "UserName": m.user_name,
        "AccessKeyId": m.access_key_id,
        "Status": m.status,
        "CreateDate": m.create_date,
    }


def login_profile(p: Any) -> Result:
    """LoginProfile."""
    return {
        "UserName": p.user.user_name,
        "CreateDate": p.created,
        "PasswordResetRequired": p.password_reset_required,
    }


def virtual_mfa_device(device: Any, *, seed: str | None = None, qr_code_png: bytes | None = None) -> Result:
    """VirtualMFADevice; the seed and QR code only in CreateVirtualMFADevice's answer (base64 blobs)."""
    return {
        "SerialNumber": device.serial_number,
        "Base32StringSeed": blob(seed.encode("ascii")) if seed is not None else None,
        "QRCodePNG": blob(qr_code_png) if qr_code_png is not None else None,
        "User": user(device.user) if device.user_id else None,
        "EnableDate": device.enable_date,
        "Tags": tags(device.tags),
    }


def mfa_device(m: Any) -> Result:
    """MFADevice (ListMFADevices)."""
    return {"UserName": m.user_name, "SerialNumber": m.serial_number, "EnableDate": m.enable_date}


def password_policy(p: Any) -> Result:
    """PasswordPolicy."""
    return {
        "MinimumPasswordLength": p.minimum_password_length,
        "RequireSymbols": p.require_symbols,
        "RequireNumbers": p.require_numbers,
        "RequireUppercaseCharacters": p.require_uppercase_characters,
        "RequireLowercaseCharacters": p.require_lowercase_characters,
        "AllowUsersToChangePassword": p.allow_users_to_change_password,
        "ExpirePasswords": p.expire_passwords,
        "MaxPasswordAge": p.max_password_age,
        "PasswordReusePrevention": p.password_reuse_prevention,
        "HardExpiry": p.hard_expiry,
    }


def credential_report_state(s: Any) -> Result:
    """GenerateCredentialReport: State (STARTED|INPROGRESS|COMPLETE) and Description."""
    return {"State": s.state, "Description": s.description}


def credential_report(r: Any) -> Result:
    """GetCredentialReport: the CSV as a base64 blob (boto3 decodes it to bytes)."""
    return {
        "Content": blob(r.content.encode("utf-8")),
        "ReportFormat": "text/csv",
        "GeneratedTime": r.generated_time,
    }


def service_last_accessed(s: Any) -> Result:
    """ServiceLastAccessed; TrackedActionsLastAccessed only in ACTION_LEVEL reports."""
    tracked = s.tracked_actions_last_accessed
    return {
        "ServiceName": s.service_name,
        "LastAuthenticated": s.last_authenticated,
        "ServiceNamespace": s.service_namespace,
        "LastAuthenticatedEntity": s.last_authenticated_entity,
        "LastAuthenticatedRegion": s.last_authenticated_region,
        "TotalAuthenticatedEntities": s.total_authenticated_entities,
        "TrackedActionsLastAccessed": None
        if tracked is None
        else [
            {
                "ActionName": t.action_name,
                "LastAccessedEntity": t.last_accessed_entity,
                "LastAccessedTime": t.last_accessed_time,
                "LastAccessedRegion": t.last_accessed_region,
            }
            for t in tracked
        ],
    }


def service_last_accessed_details(r: Any) -> Result:
    """GetServiceLastAccessedDetails: the job, then a page of ServicesLastAccessed."""
    return {
        "JobStatus": r.job_status,
        "JobType": r.job_type,
        "JobCreationDate": r.job_creation_date,
        **page("ServicesLastAccessed", r.services, service_last_accessed),
        "JobCompletionDate": r.job_completion_date,
    }


def service_last_accessed_entities(r: Any) -> Result:
    """GetServiceLastAccessedDetailsWithEntities: the job, then a page of EntityDetailsList."""
    return {
        "JobStatus": r.job_status,
        "JobCreationDate": r.job_creation_date,
        "JobCompletionDate": r.job_completion_date,
        **page(
            "EntityDetailsList",
            r.entities,
            lambda d: {
                "EntityInfo": {"Arn": d.arn, "Name": d.name, "Type": d.type, "Id": d.id, "Path": d.path},
                "LastAuthenticated": d.last_authenticated,
            },
        ),
    }


def page(member: str, found: Any, shape: Any = None) -> Result:
    """A List* result: the items under `member`, then IsTruncated and (when truncated) Marker."""
    items = [shape(item) for item in found.items] if shape else list(found.items)
    return {member: items, "IsTruncated": found.is_truncated, "Marker": found.marker}


# --- Policy simulation (SimulatePrincipalPolicy, SimulateCustomPolicy, GetContextKeysFor*Policy) -------


def _position(p: Any) -> Result | None:
    return None if p is None else {"Line": p.line, "Column": p.column}


def simulated_statement(m: Any) -> Result:
    """Statement: the policy it is in and where (AWS's simulator names no Sid or effect)."""
    return {
        "SourcePolicyId": m.source_policy_id,
        "SourcePolicyType": m.source_policy_type,
        "StartPosition": _position(m.start_position),
        "EndPosition": _position(m.end_position),
    }


def _boundary_detail(allowed: bool | None) -> Result | None:
    return None if allowed is None else {"AllowedByPermissionsBoundary": allowed}


def _details(details: Any) -> Entries | None:
    return None if details is None else Entries(details)


def _resource_specific_result(s: Any) -> Result:
    """ResourceSpecificResult: one resource's decision, statements, missing keys and details."""
    return {
        "EvalResourceName": s.eval_resource_name,
        "EvalResourceDecision": s.eval_resource_decision,
        "MatchedStatements": [simulated_statement(m) for m in s.matched_statements],
        "MissingContextValues": list(s.missing_context_values),
        "EvalDecisionDetails": _details(s.eval_decision_details),
        "PermissionsBoundaryDecisionDetail": _boundary_detail(s.allowed_by_permissions_boundary),
    }


def evaluation_result(r: Any) -> Result:
    """EvaluationResult: one per action, the aggregate over its resources at the top, each resource
    in ResourceSpecificResults (left out for "*"); EvalDecisionDetails an entry map, left out when None."""
    return {
        "EvalActionName": r.eval_action_name,
        "EvalResourceName": r.eval_resource_name,
        "EvalDecision": r.eval_decision,
        "MatchedStatements": [simulated_statement(m) for m in r.matched_statements],
        "MissingContextValues": list(r.missing_context_values),
        "PermissionsBoundaryDecisionDetail": _boundary_detail(r.allowed_by_permissions_boundary),
        "EvalDecisionDetails": _details(r.eval_decision_details),
        "ResourceSpecificResults": [_resource_specific_result(s) for s in r.resource_specific_results]
        or None,
    }


def simulation_results(found: Any) -> Result:
    """SimulatePrincipalPolicy / SimulateCustomPolicy: EvaluationResults (one per action),
    IsTruncated, Marker."""
    return page("EvaluationResults", found, evaluation_result)


def context_key_names(keys: Any) -> Result:
    """GetContextKeysForPrincipalPolicy / GetContextKeysForCustomPolicy."""
    return {"ContextKeyNames": list(keys)}
