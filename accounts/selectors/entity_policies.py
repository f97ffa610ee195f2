"""What the console's group and role pages read alike: a page of the list with its total, the
policies of one group or role (attached, inline, one inline document) and the managed policies it
could still attach. Each list costs one query whatever its length; authorization stays with the
callers in groups.py and roles.py (a role's tags are part of its requests' context).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import models
from django.db.models import Q, QuerySet

from iam_portal.errors import NoSuchEntityError
from iam_portal.pagination import Page
from policies.models import GroupPolicy, ManagedPolicy, RolePolicy

from ..authz import is_allowed
from ..context import RequestContext

CHOICES_SHOWN = 100  # rows offered to choose from on one page; a search narrows them down
T = TypeVar("T")


@dataclass(frozen=True)
class Listing(Generic[T]):
    """One page of a console list, and how many rows match in all."""

    page: Page[T]
    total: int


def first_shown(rows: QuerySet) -> tuple[list, bool]:
    """The first CHOICES_SHOWN rows, and whether there are more."""
    found = list(rows[: CHOICES_SHOWN + 1])
    return found[:CHOICES_SHOWN], len(found) > CHOICES_SHOWN


def attachable_policies(ctx: RequestContext) -> QuerySet[ManagedPolicy]:
    """The managed policies the account's identities can have: its own and AWS's."""
    return ManagedPolicy.objects.filter(Q(account=ctx.account) | Q(account__isnull=True))


@dataclass(frozen=True)
class _Kind:
    """What differs between groups and roles for these reads."""

    noun: str  # "group": in action names, related names, messages
    inline: type[models.Model]  # its inline policies' model

    @property
    def _attached_to(self) -> str:
        return f"{self.noun}_attachments__{self.noun}"

    def attached(self, entity: models.Model) -> list[ManagedPolicy]:
        """The managed policies attached to it, by name."""
        policies = ManagedPolicy.objects.filter(**{self._attached_to: entity})
        return list(policies.order_by("policy_name", "pk"))

    def inline_names(self, entity: models.Model) -> list[str]:
        """The names of its inline policies, in order."""
        names = self.inline.objects.filter(**{self.noun: entity}).order_by("policy_name")
        return list(names.values_list("policy_name", flat=True))

    def inline_document(self, entity: models.Model, policy_name: str) -> str:
        """One inline policy's document as it was put (NoSuchEntity if it has none by that name)."""
        found = self.inline.objects.filter(**{self.noun: entity}, policy_name=policy_name)
        document = found.values_list("document", flat=True).first()
        if document is None:
            raise NoSuchEntityError(f"The {self.noun} policy with name {policy_name} cannot be found.")
        return document

    def listed(
        self, ctx: RequestContext, entity: models.Model, tags: dict[str, object] | None = None
    ) -> tuple[list[ManagedPolicy] | None, list[str] | None]:
        """What ListAttached{Group,Role}Policies and List{Group,Role}Policies answer, each None when
        the caller may not call it."""
        title = self.noun.capitalize()
        attached = inline = None
        if is_allowed(ctx, f"iam:ListAttached{title}Policies", entity.arn, tags):
            attached = self.attached(entity)
        if is_allowed(ctx, f"iam:List{title}Policies", entity.arn, tags):
            inline = self.inline_names(entity)
        return attached, inline

    def not_attached(
        self, ctx: RequestContext, entity: models.Model | None, search: str
    ) -> tuple[list[ManagedPolicy], bool]:
        """Policies not attached to it yet (any, for a new one) whose names contain `search` (any
        case): first_shown of them by name."""
        rows = attachable_policies(ctx)
        if entity is not None:
            rows = rows.exclude(**{self._attached_to: entity})
        if search:
            rows = rows.filter(policy_name__icontains=search)
        return first_shown(rows.order_by("policy_name", "pk"))


GROUP = _Kind("group", GroupPolicy)
ROLE = _Kind("role", RolePolicy)
