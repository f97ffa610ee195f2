"""Action names for the policy simulator: wildcards (iam:Get*, sts:*, *) expanded from the action
catalogue to the concrete actions it holds, as AWS's simulator lists them.

SimulatePrincipalPolicy and SimulateCustomPolicy take concrete action names only, at most 1,000 of
them (the REST API's cap); a pattern is expanded here, before the call. Pure: no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .engine.catalog import ACTIONS, lookup_action, matching_actions
from .engine.matching import has_wildcard

MAX_ACTIONS = 1000  # what one simulation takes (policies/api.py MAX_SIMULATED)
SERVICES: tuple[str, ...] = tuple(sorted(ACTIONS))
# Separators between typed names: commas, white space (a name never holds either).
_SEPARATORS = re.compile(r"[\s,]+")
_NAME = re.compile(r"[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+|\*")


class ActionNameError(ValueError):
    """A typed name or pattern the simulator cannot use; the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Expansion:
    """The concrete action names, each once (in the order first named), and what each wildcard
    pattern expanded to (the count the page shows)."""

    actions: tuple[str, ...]
    patterns: tuple[tuple[str, int], ...]


def service_actions(service: str) -> tuple[str, ...]:
    """The catalogue's actions of a service ("iam"), as "iam:AddUserToGroup", by name."""
    return tuple(f"{service}:{name}" for name in sorted(ACTIONS.get(service, {})))


def split_names(text: str) -> list[str]:
    """Names typed in one field, separated by commas, spaces or line ends."""
    return [name for name in _SEPARATORS.split(text) if name]


def expand_actions(names: Iterable[str], *, limit: int = MAX_ACTIONS) -> Expansion:
    """Concrete names for names and patterns. A catalogued service's action is spelled as the
    catalogue does; another service's concrete action is kept as written (the engine evaluates any
    name), but its wildcards cannot be expanded. ActionNameError when a name is not one, a pattern
    matches nothing, or there are more than `limit` actions."""
    chosen: dict[str, str] = {}  # lower-case name -> name: the same action twice counts once
    patterns: list[tuple[str, int]] = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        if not _NAME.fullmatch(name):
            raise ActionNameError(f"{name} is not an action name: write service:Action, e.g. iam:GetUser.")
        if has_wildcard(name):
            found = _expand(name)
            patterns.append((name, len(found)))
            for action in found:
                chosen.setdefault(action.lower(), action)
        else:
            chosen.setdefault(name.lower(), _concrete(name))
        if len(chosen) > limit:  # checked as we go: "*" on a big catalogue stops early
            break
    if len(chosen) > limit:
        raise ActionNameError(
            f"The actions expand to more than {limit:,} action names; at most {limit:,} can be simulated "
            "at once. Choose fewer actions or narrower patterns."
        )
    return Expansion(tuple(chosen.values()), tuple(patterns))


def _expand(name: str) -> tuple[str, ...]:
    service = name.partition(":")[0].lower()
    if service and not has_wildcard(service) and service not in ACTIONS:
        raise ActionNameError(
            f"{name}: wildcards expand only over the catalogued services ({', '.join(SERVICES)}); "
            f"name {service} actions one by one."
        )
    found = matching_actions(name)
    if not found:
        raise ActionNameError(f"{name} matches no action in the catalogue.")
    return found


def _concrete(name: str) -> str:
    service, _, _ = name.partition(":")
    if service.lower() not in ACTIONS:
        return name
    known = lookup_action(name)
    if known is None:
        raise ActionNameError(f"{name} is not an action of {service.lower()} in the catalogue.")
    return known[0]
