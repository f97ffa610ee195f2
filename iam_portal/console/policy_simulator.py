"""Console page: Policy simulator (CONSOLE.md §11, AWS's policy simulator): SimulatePrincipalPolicy
for a user, group or role of the account, or SimulateCustomPolicy for pasted policy documents and an
optional permissions boundary; the actions chosen from the action catalogue or typed (wildcards
expanded, policies/action_expansion.py), resources and context entries; a results table of one row
per action (the most restrictive decision over the resources, as AWS's EvaluationResult gives it)
whose several resources open as rows of their own, and whose deciding statements open their policy
document with the statement highlighted.

Thin: the page offers a subject kind when the caller may simulate it (self.may); the POST always
calls the service, which authorizes (a forged request is refused and audited there) and whose
IamError lands on the form. The documents a result points at are read through their selectors
(GetUserPolicy, GetPolicyVersion, …) after the page checks that the caller may read them (self.may,
no audit), so a caller who may simulate but not read sees a note, and no denial is audited per run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.urls import path

from accounts.selectors import groups as group_reads
from accounts.selectors import policy_attachments as inline_reads
from accounts.selectors import roles as role_reads
from accounts.selectors import users as user_reads
from iam_portal.errors import (
    AccessDeniedError,
    IamError,
    InvalidInputError,
    MalformedPolicyDocumentError,
    NoSuchEntityError,
    ValidationError,
)
from iam_portal.pagination import Page
from policies import selectors as policy_reads
from policies import simulation
from policies.action_expansion import (
    MAX_ACTIONS,
    SERVICES,
    ActionNameError,
    Expansion,
    expand_actions,
    service_actions,
    split_names,
)
from policies.engine.catalog import GLOBAL_CONDITION_KEYS

from . import ConsoleView

KINDS = ("user", "group", "role")
CUSTOM = "custom"
SUBJECT_LABELS = {"user": "User", "group": "User group", "role": "Role", CUSTOM: "Custom policies"}
CHOICES_SHOWN = 100  # more than this many names: a search box with suggestions, not a select list
MAX_ROWS = 1000  # resources and context entries, as the REST API caps them (policies/api.py)
RESULTS_PER_PAGE = 1000  # MaxItems' maximum (actions; fewer when many resources make a page long)
CONTEXT_ROWS_MIN = 3
LIST_ACTIONS = {"user": "iam:ListUsers", "group": "iam:ListGroups", "role": "iam:ListRoles"}
DECISIONS = {
    "allowed": ("allowed", "allowed"),
    "explicitDeny": ("explicit deny", "explicit-deny"),
    "implicitDeny": ("implicit deny", "implicit-deny"),
}
# Suggestions for a context key: the global keys (a tag key's placeholder is left to the user).
CONDITION_KEYS = sorted((key for key in GLOBAL_CONDITION_KEYS if "${" not in key), key=str.lower)


def _every(account_id: str, kind: str) -> str:
    return f"arn:aws:iam::{account_id}:{kind}/*"


# What was typed -----------------------------------------------------------------------------------


@dataclass
class ContextRow:
    key: str = ""
    type: str = "string"
    values: str = ""


@dataclass
class SimulatorInput:
    """The form as posted (or as a "Simulate" link preselects it); nothing is checked here."""

    subject_type: str = ""
    names: dict[str, str] = field(default_factory=dict)  # kind -> the name (or ARN) typed or chosen
    policies: list[str] = field(default_factory=list)
    boundary: str = ""
    actions: list[str] = field(default_factory=list)  # the catalogue's checkboxes
    all_services: list[str] = field(default_factory=list)  # "select all" of a service, without JS
    service: str = SERVICES[0]  # the service whose actions are shown first
    action_names: str = ""
    resources: str = "*"
    context: list[ContextRow] = field(default_factory=list)
    marker: str = ""

    @classmethod
    def from_post(cls, data: QueryDict) -> SimulatorInput:
        def document(value: str) -> str:
            return value.replace("\r\n", "\n")  # as typed; positions point into the LF text

        columns = (data.getlist(name) for name in ("context_key", "context_type", "context_values"))
        rows = [
            ContextRow(key.strip(), kind or "string", value)
            for key, kind, value in zip_longest(*columns, fillvalue="")
        ]
        return cls(
            subject_type=data.get("subject_type", ""),
            names={kind: data.get(f"{kind}_name", "").strip() for kind in KINDS},
            policies=[document(text) for text in data.getlist("policy_document")],
            boundary=document(data.get("boundary", "")),
            actions=data.getlist("actions"),
            all_services=data.getlist("all_services"),
            service=data.get("service", SERVICES[0]),
            action_names=data.get("action_names", ""),
            resources=data.get("resources", ""),
            context=rows,
            marker=data.get("marker", ""),
        )

    def filled_policies(self) -> list[str]:
        return [text for text in self.policies if text.strip()]

    def policy_boxes(self) -> list[str]:
        """The documents typed and one empty box more (no JavaScript needed to add a policy)."""
        return [*self.filled_policies(), ""]

    def context_rows(self) -> list[ContextRow]:
        filled = [row for row in self.context if row.key or row.values.strip()]
        return filled + [ContextRow() for _ in range(max(1, CONTEXT_ROWS_MIN - len(filled)))]


# Subject choices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    """A kind's names offered: a select list when they all fit, else suggestions for a search box."""

    kind: str
    names: list[str]
    arns: dict[str, str]  # name -> ARN, so a chosen name needs no further read
    searchable: bool  # more than CHOICES_SHOWN: type the name (suggestions from the first ones)


def _names_page(ctx, kind: str, search: str, max_items: int) -> Page:
    listing: dict[str, Callable[..., Page]] = {
        "user": user_reads.list_users,
        "group": group_reads.list_groups,
        "role": role_reads.list_roles,
    }
    return listing[kind](ctx, name_contains=search, max_items=max_items)


def _choices(ctx, kind: str) -> Choices:
    """One query: the first CHOICES_SHOWN names by name, whatever the number of entities."""
    page = _names_page(ctx, kind, "", CHOICES_SHOWN)
    names = [getattr(entity, f"{kind}_name") for entity in page.items]
    arns = {getattr(entity, f"{kind}_name"): entity.arn for entity in page.items}
    return Choices(kind, names, arns, page.is_truncated)


def _arn_of(ctx, kind: str, name: str, choices: Choices | None) -> str:
    """The ARN SimulatePrincipalPolicy takes: typed, known from the choices, or read (Get*)."""
    if name.startswith("arn:"):
        return name
    if choices is not None and name in choices.arns:
        return choices.arns[name]
    if kind == "user":
        return user_reads.get_user(ctx, user_name=name).arn
    if kind == "group":
        return group_reads.get_group(ctx, group_name=name, max_items=1).group.arn
    return role_reads.get_role(ctx, role_name=name).arn


# Highlighting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    text: str
    marked: bool


def _offset(line_starts: list[int], position: simulation.Position) -> int | None:
    if not 1 <= position.line <= len(line_starts) or position.column < 1:
        return None
    return line_starts[position.line - 1] + position.column - 1


def _span(
    text: str, start: simulation.Position | None, end: simulation.Position | None
) -> tuple[int, int, dict] | None:
    """The offsets of the JSON object from `start` to `end` (its braces) and the object, or None
    when the positions do not frame exactly one object of this text."""
    if start is None or end is None:
        return None
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    begin, finish = _offset(line_starts, start), _offset(line_starts, end)
    if begin is None or finish is None or not begin <= finish < len(text) or text[begin] != "{":
        return None
    try:
        found, after = json.JSONDecoder().raw_decode(text, begin)
    except ValueError:
        return None
    if after != finish + 1 or not isinstance(found, dict):
        return None
    return begin, after, found


def highlight(
    text: str, start: simulation.Position | None, end: simulation.Position | None
) -> list[Chunk] | None:
    """The document cut around a statement (start and end: its braces, 1-based line and column),
    widened to whole lines when nothing else shares them; None when the positions do not frame a
    statement of this text (the document changed since)."""
    span = _span(text, start, end)
    if span is None:
        return None
    begin, finish, _ = span
    line_begin = text.rfind("\n", 0, begin) + 1
    if not text[line_begin:begin].strip():  # only indentation before it: mark the whole line
        begin = line_begin
    line_end = text.find("\n", finish)
    line_end = len(text) if line_end == -1 else line_end
    if not text[finish:line_end].strip(" \t,"):  # only a comma after it
        finish = line_end
    chunks = [Chunk(text[:begin], False), Chunk(text[begin:finish], True), Chunk(text[finish:], False)]
    return [chunk for chunk in chunks if chunk.text]


# The documents results point at -------------------------------------------------------------------


@dataclass
class ShownStatement:
    """A deciding statement, shown once under the results however many results it decided."""

    anchor: str
    policy_label: str
    source_type: str
    layer: str
    sid: str | None
    effect: str
    index: int
    chunks: list[Chunk] | None = None
    note: str = ""


@dataclass(frozen=True)
class Subject:
    kind: str  # user | group | role | custom
    name: str = ""  # the principal's name (from its ARN)
    arn: str = ""
    custom: dict[str, str] = field(default_factory=dict)  # PolicyInputList.N -> the document


class Documents:
    """The text of each policy a statement came from, read once per page through its selector, once
    the caller is known to be allowed to read it (no audited denial for a page that only shows)."""

    def __init__(self, ctx, subject: Subject, may: Callable[..., dict[str, bool]]):
        self.ctx, self.subject, self.may = ctx, subject, may
        self.found: dict[tuple[str, str, str | None, str | None], str | IamError] = {}

    def text(self, statement: simulation.MatchedStatement) -> str | IamError:
        key = (
            statement.source_policy_type,
            statement.source_policy_id,
            statement.policy_arn,
            statement.source_entity_arn,
        )
        if key not in self.found:
            try:
                self.found[key] = self._read(statement)
            except IamError as exc:  # e.g. the policy was deleted since: the note says so
                self.found[key] = exc
        return self.found[key]

    def _may_read(self, *checks: tuple[str, str]) -> None:
        verdicts = self.may(**{f"c{n}": check for n, check in enumerate(checks)})
        for n, (action, resource) in enumerate(checks):
            if not verdicts[f"c{n}"]:
                raise AccessDeniedError(f"Your permissions do not allow {action} on {resource}.")

    def _read(self, statement: simulation.MatchedStatement) -> str:
        kind, name, ctx = statement.source_policy_type, statement.source_policy_id, self.ctx
        if kind == simulation.NONE:
            return self.subject.custom[name]
        if statement.policy_arn is not None:  # AWS or customer managed: its default version
            arn = statement.policy_arn
            self._may_read(("iam:GetPolicy", arn), ("iam:GetPolicyVersion", arn))
            policy = policy_reads.get_policy(ctx, policy_arn=arn)
            version = policy_reads.get_policy_version(
                ctx, policy_arn=policy.arn, version_id=policy.default_version_id
            )
            return version.document
        owner, owner_arn = statement.source_entity, statement.source_entity_arn
        if kind not in INLINE_READS or owner is None or owner_arn is None:
            raise NoSuchEntityError(
                f"The document of policy {name} is not available here."
            )  # e.g. a resource policy
        action, read = INLINE_READS[kind]
        self._may_read((action, owner_arn))
        return read(ctx, owner, name).policy_document


# An inline policy's read: the action the page checks first, and the selector (owner, policy name).
INLINE_READS: dict[str, tuple[str, Callable]] = {
    simulation.USER: (
        "iam:GetUserPolicy",
        lambda ctx, owner, name: inline_reads.get_user_policy(ctx, user_name=owner, policy_name=name),
    ),
    simulation.GROUP: (
        "iam:GetGroupPolicy",
        lambda ctx, owner, name: inline_reads.get_group_policy(ctx, group_name=owner, policy_name=name),
    ),
    simulation.ROLE: (
        "iam:GetRolePolicy",
        lambda ctx, owner, name: inline_reads.get_role_policy(ctx, role_name=owner, policy_name=name),
    ),
}


def _policy_label(statement: simulation.MatchedStatement) -> str:
    if statement.source_policy_type == simulation.NONE:
        number = statement.source_policy_id.rsplit(".", 1)[-1]
        if statement.policy_type == "boundary":
            return "Permissions boundary (custom)"
        return f"Custom policy {number}"
    return statement.source_policy_id


@dataclass
class ResourceRow:
    """One resource of an action simulated on several (AWS's ResourceSpecificResult)."""

    result: simulation.ResourceSpecificResult
    decision_label: str
    decision_class: str
    statements: list[ShownStatement]


@dataclass
class ResultRow:
    """One action: the aggregate decision over its resources, and each resource when several."""

    result: simulation.EvaluationResult
    decision_label: str
    decision_class: str
    statements: list[ShownStatement]
    resource: str  # the one resource simulated ("*" included); "" when several
    missing: list[str]  # the missing context keys, wherever AWS's shape puts them
    resources: list[ResourceRow] = field(default_factory=list)  # when several


class _Shown:
    """Each deciding statement once, whichever rows point at it (its document read once)."""

    def __init__(self, documents: Documents):
        self.documents = documents
        self.items: dict[tuple, ShownStatement] = {}

    def __call__(self, statements: Sequence[simulation.MatchedStatement]) -> list[ShownStatement]:
        return [self._one(m) for m in statements]

    def _one(self, m: simulation.MatchedStatement) -> ShownStatement:
        key = (
            m.source_policy_type,
            m.source_policy_id,
            m.policy_arn,
            m.source_entity_arn,
            m.policy_type,
            m.statement_index,
        )
        if key not in self.items:
            item = ShownStatement(
                anchor=f"statement-{len(self.items) + 1}",
                policy_label=_policy_label(m),
                source_type=m.source_policy_type,
                layer=m.policy_type,
                sid=m.sid,
                effect=m.effect,
                index=m.statement_index,
            )
            text = self.documents.text(m)
            if isinstance(text, IamError):
                item.note = f"The policy document cannot be shown: {text.message}"
            else:
                item.chunks = highlight(text, m.start_position, m.end_position)
                if item.chunks is None:
                    item.chunks = [Chunk(text, False)]
                    item.note = "The policy has changed since: the statement is not highlighted."
            self.items[key] = item
        return self.items[key]


def _present(
    results: Sequence[simulation.EvaluationResult], documents: Documents
) -> tuple[list[ResultRow], list[ShownStatement]]:
    """A row per action (its resources' rows when several), and each deciding statement once."""
    shown = _Shown(documents)
    rows = []
    for result in results:
        specific = result.resource_specific_results
        label, css = DECISIONS[result.eval_decision]
        row = ResultRow(
            result,
            label,
            css,
            shown(result.matched_statements),
            resource=specific[0].eval_resource_name if len(specific) == 1 else "" if specific else "*",
            # AWS puts the keys at the top for "*" and per resource otherwise: the row shows them all.
            missing=list(
                dict.fromkeys(
                    [*result.missing_context_values, *(k for r in specific for k in r.missing_context_values)]
                )
            ),
        )
        if len(specific) > 1:
            for each in specific:
                label, css = DECISIONS[each.eval_resource_decision]
                row.resources.append(ResourceRow(each, label, css, shown(each.matched_statements)))
        rows.append(row)
    return rows, list(shown.items.values())


# Checking the input -------------------------------------------------------------------------------


class Errors(dict):
    """Messages by field: subject, policies, boundary, actions, resources, context; "form" is
    above the form."""

    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)


def _field_of(exc: IamError) -> str:
    """Which field an IamError of the service concerns (AWS names the member in a ValidationError)."""
    message = exc.message
    if isinstance(exc, AccessDeniedError):
        return "form"
    if isinstance(exc, MalformedPolicyDocumentError):
        return "boundary" if message.startswith("PermissionsBoundaryPolicyInputList") else "policies"
    if isinstance(exc, ValidationError):
        for member, name in (
            ("'permissionsBoundaryPolicyInputList", "boundary"),
            ("'policyInputList", "policies"),
            ("'actionNames", "actions"),
            ("'resourceArns", "resources"),
            ("'contextEntries", "context"),
            ("'policySourceArn", "subject"),
        ):
            if member in message:
                return name
        return "form"
    if isinstance(exc, NoSuchEntityError) or (isinstance(exc, InvalidInputError) and "ARN" in message):
        return "subject"
    if isinstance(exc, InvalidInputError) and "context key" in message:
        return "context"
    return "form"


def _context_entries(rows: list[ContextRow], errors: Errors) -> list[dict[str, object]]:
    """ContextEntries as the service takes them; several values (a *List type) separated by commas."""
    entries = []
    for row in rows:
        if not row.key and not row.values.strip():
            continue
        if not row.key:
            errors.add("context", "Enter the context key name of each entry with values.")
            continue
        if row.type.endswith("List"):
            values = [value.strip() for value in row.values.split(",") if value.strip()]
        else:
            values = [row.values.strip()]
        entries.append({"ContextKeyName": row.key, "ContextKeyValues": values, "ContextKeyType": row.type})
    if len(entries) > MAX_ROWS:
        errors.add("context", f"At most {MAX_ROWS:,} context entries can be given.")
    return entries


def _resources(text: str, errors: Errors) -> list[str]:
    arns = [line.strip() for line in text.splitlines() if line.strip()]
    if len(arns) > MAX_ROWS:
        errors.add("resources", f"At most {MAX_ROWS:,} resources can be simulated at once.")
    return arns or ["*"]


def _actions(data: SimulatorInput, errors: Errors) -> Expansion | None:
    chosen = [name for name in data.actions if name]
    for service in data.all_services:
        chosen += service_actions(service)
    try:
        expansion = expand_actions([*chosen, *split_names(data.action_names)])
    except ActionNameError as exc:
        errors.add("actions", exc.message)
        return None
    if not expansion.actions:
        errors.add("actions", "Select at least one action, or type one (wildcards such as iam:Get* work).")
        return None
    return expansion


# The page -----------------------------------------------------------------------------------------


class PolicySimulatorView(ConsoleView):
    """GET: the form (a "Simulate" link preselects ?subject=user&name=…); POST: run the simulation."""

    template = "console/policy_simulator.html"

    def allowed_kinds(self) -> dict[str, bool]:
        acct = self.ctx.account.account_id
        checks = {kind: ("iam:SimulatePrincipalPolicy", _every(acct, kind)) for kind in KINDS}
        checks[CUSTOM] = ("iam:SimulateCustomPolicy", "*")
        checks.update({f"list_{kind}": (action, _every(acct, kind)) for kind, action in LIST_ACTIONS.items()})
        return self.may(**checks)

    def choices(self, may: dict[str, bool]) -> dict[str, Choices | None]:
        """Each kind's names, if the caller may simulate that kind and list it (one query each)."""
        return {
            kind: _choices(self.ctx, kind) if may[kind] and may[f"list_{kind}"] else None for kind in KINDS
        }

    def show(self, data: SimulatorInput, may: dict[str, bool], status: int = 200, **extra) -> HttpResponse:
        kinds = [(kind, SUBJECT_LABELS[kind]) for kind in (*KINDS, CUSTOM) if may[kind]]
        offered = bool(kinds)
        if not data.subject_type and kinds:
            data.subject_type = kinds[0][0]
        choices = extra.pop("choices", None) or self.choices(may)
        principals = [
            {
                "kind": kind,
                "label": label,
                "choices": choices[kind],
                "value": data.names.get(kind, ""),
                "chosen": data.subject_type == kind,
            }
            for kind, label in kinds
            if kind != CUSTOM
        ]
        checked = {name.lower() for name in data.actions}
        services = [
            {
                "name": service,
                "actions": [(action, action.lower() in checked) for action in service_actions(service)],
                "all": service in data.all_services,
            }
            for service in SERVICES
        ]
        return self.render(
            self.template,
            {
                "title": "Policy simulator",
                "offered": offered,
                "kinds": kinds,
                "data": data,
                "principals": principals,
                "custom": may[CUSTOM],
                "services": services,
                "context_types": simulation.CONTEXT_KEY_TYPES,
                "condition_keys": CONDITION_KEYS,
                "errors": extra.pop("errors", Errors()),
                "max_actions": MAX_ACTIONS,
                **extra,
            },
            status=status if offered else 403,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        may = self.allowed_kinds()
        data = SimulatorInput()
        kind = request.GET.get("subject", "")
        if kind in KINDS and may[kind]:
            data.subject_type = kind
            data.names[kind] = request.GET.get("name", "")
        elif kind == CUSTOM and may[CUSTOM]:
            data.subject_type = CUSTOM
        return self.show(data, may)

    def post(self, request: HttpRequest) -> HttpResponse:
        may = self.allowed_kinds()
        data = SimulatorInput.from_post(request.POST)
        choices = self.choices(may)
        errors = Errors()
        if data.subject_type not in (*KINDS, CUSTOM):
            errors.add("subject", "Choose a user, group or role, or custom policies, to simulate.")
        elif data.subject_type in KINDS and not data.names.get(data.subject_type):
            label = SUBJECT_LABELS[data.subject_type].lower()
            errors.add("subject", f"Choose the {label} to simulate: its name or ARN.")
        expansion = _actions(data, errors)
        resources = _resources(data.resources, errors)
        context = _context_entries(data.context_rows(), errors)
        if errors:
            return self.show(data, may, 400, errors=errors, choices=choices)
        assert expansion is not None
        try:
            subject, page = self._simulate(data, choices, expansion, resources, context)
        except IamError as exc:  # AccessDenied included: the service audited it; the form says it
            errors.add(_field_of(exc), exc.message)
            return self.show(data, may, exc.http_status, errors=errors, choices=choices)
        rows, statements = _present(page.items, Documents(self.ctx, subject, self.may))
        counts = {
            label: sum(1 for row in rows if row.decision_label == label) for label, _ in DECISIONS.values()
        }
        return self.show(
            data,
            may,
            choices=choices,
            ran=True,
            subject=subject,
            expansion=expansion,
            resource_count=len(resources),
            rows=rows,
            statements=statements,
            counts=counts,
            next_marker=page.marker if page.is_truncated else None,
        )

    def _simulate(
        self,
        data: SimulatorInput,
        choices: dict[str, Choices | None],
        expansion: Expansion,
        resources: list[str],
        context: list[dict[str, object]],
    ) -> tuple[Subject, Page[simulation.EvaluationResult]]:
        common = {
            "action_names": list(expansion.actions),
            "resource_arns": resources,
            "context_entries": context,
            "marker": data.marker or None,
            "max_items": RESULTS_PER_PAGE,
        }
        if data.subject_type == CUSTOM:
            policies = data.filled_policies()
            boundaries = [data.boundary] if data.boundary.strip() else []
            subject = Subject(
                CUSTOM,
                custom={
                    **{f"PolicyInputList.{n}": text for n, text in enumerate(policies, 1)},
                    **{f"PermissionsBoundaryPolicyInputList.{n}": t for n, t in enumerate(boundaries, 1)},
                },
            )
            page = simulation.simulate_custom_policy(
                self.ctx,
                policy_input_list=policies,
                permissions_boundary_policy_input_list=boundaries,
                **common,
            )
            return subject, page
        kind = data.subject_type
        arn = _arn_of(self.ctx, kind, data.names[kind], choices[kind])
        page = simulation.simulate_principal_policy(self.ctx, policy_source_arn=arn, **common)
        return Subject(kind, arn.rsplit("/", 1)[-1], arn), page


class PolicySimulatorNamesView(ConsoleView):
    """The search box's suggestions: names of a kind containing ?q= (any case), the first 100 by name;
    ListUsers / ListGroups / ListRoles, so one query whatever the number."""

    def get(self, request: HttpRequest) -> HttpResponse:
        kind = request.GET.get("kind", "")
        if kind not in KINDS:
            return JsonResponse({"error": "kind must be user, group or role."}, status=400)
        search = request.GET.get("q", "").strip()[:128]
        try:
            page = _names_page(self.ctx, kind, search, CHOICES_SHOWN)
        except IamError as exc:
            return JsonResponse({"error": exc.message, "code": exc.code}, status=exc.http_status)
        names = [getattr(entity, f"{kind}_name") for entity in page.items]
        return JsonResponse({"names": names, "more": page.is_truncated})


urlpatterns: list = [
    path("policy-simulator/", PolicySimulatorView.as_view(), name="policy_simulator"),
    path("policy-simulator/names/", PolicySimulatorNamesView.as_view(), name="policy_simulator_names"),
]
