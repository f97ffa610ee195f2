"""Decoding of Query protocol members (`Name`, `Name.member.N`, `Name.member.N.Key`) into Python values.

Member types come from the botocore IAM model; a member name has the same type in every operation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.http import HttpRequest

from iam_portal.errors import ValidationError, validation_error

INTEGER_MEMBERS = frozenset(
    {
        "MaxItems",
        "MaxSessionDuration",
        "MaxSigninSessionDuration",
        "MinimumPasswordLength",
        "MaxPasswordAge",
        "PasswordReusePrevention",
        "DurationSeconds",
    }
)
BOOLEAN_MEMBERS = frozenset(
    {
        "OnlyAttached",
        "SetAsDefault",
        "PasswordResetRequired",
        "ResetMaxSigninSessionDuration",
        "RequireSymbols",
        "RequireNumbers",
        "RequireUppercaseCharacters",
        "RequireLowercaseCharacters",
        "AllowUsersToChangePassword",
        "HardExpiry",
    }
)
# list<Tag>: Tags.member.N.Key / .Value; STS's list<PolicyDescriptorType>: PolicyArns.member.N.arn
STRUCTURE_LIST_MEMBERS = {"Tags": ("Key", "Value"), "PolicyArns": ("arn",)}
STRING_LIST_MEMBERS = frozenset({"TagKeys", "TransitiveTagKeys", "Filter"})  # TagKeys.member.N
# The simulation's members: list<ContextEntry> (ContextEntries.member.N.ContextKeyName / .ContextKeyType,
# and the list ContextEntries.member.N.ContextKeyValues.member.M) and its lists of strings.
STRUCTURE_LIST_MEMBERS["ContextEntries"] = ("ContextKeyName", "ContextKeyType")
STRUCTURE_STRING_LIST_FIELDS = {"ContextEntries": ("ContextKeyValues",)}
STRING_LIST_MEMBERS = STRING_LIST_MEMBERS | {
    "ActionNames",
    "ResourceArns",
    "PolicyInputList",
    "PermissionsBoundaryPolicyInputList",
}
MISSING = object()


def request_params(request: HttpRequest) -> dict[str, str]:
    """The request's members: the query string's, then the form body's (read after request.body)."""
    params = {name: request.GET[name] for name in request.GET}
    if request.method == "POST":
        params.update({name: request.POST[name] for name in request.POST})
    return params


def lower_camel(member: str) -> str:
    """AWS names members this way in ValidationError messages ("userName")."""
    return member[:1].lower() + member[1:]


def missing_member(member: str) -> ValidationError:
    return ValidationError(
        "1 validation error detected: Value null at "
        f"'{lower_camel(member)}' failed to satisfy constraint: Member must not be null"
    )


def decode(params: Mapping[str, str], member: str) -> object:
    """The member's value with its model type, or MISSING when the request does not send it."""
    if member in STRUCTURE_LIST_MEMBERS:
        return _structure_list(params, member, STRUCTURE_LIST_MEMBERS[member])
    if member in STRING_LIST_MEMBERS:
        return _string_list(params, member)
    if member not in params:
        return MISSING
    value = params[member]
    if member in INTEGER_MEMBERS:
        return _integer(value, member)
    if member in BOOLEAN_MEMBERS:
        return _boolean(value, member)
    return value


def _integer(value: str, member: str) -> int:
    if not re.fullmatch(r"-?[0-9]{1,18}", value):
        raise validation_error(value, lower_camel(member), "be an integer")
    return int(value)


def _boolean(value: str, member: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise validation_error(value, lower_camel(member), "be a boolean (true or false)")
    return value.lower() == "true"


def _indexes(params: Mapping[str, str], prefix: str) -> list[int]:
    """The N of every `prefix.N...` member, in order (1-based, as botocore numbers them)."""
    pattern = re.compile(re.escape(prefix) + r"\.([0-9]{1,4})(?:\.|$)")
    return sorted({int(m.group(1)) for name in params if (m := pattern.match(name))})


def _string_list(params: Mapping[str, str], member: str) -> list[str] | object:
    if member in params and params[member] == "":
        return []  # botocore sends an empty list as `Name=`
    indexes = _indexes(params, f"{member}.member")
    if not indexes:
        return MISSING
    return [params.get(f"{member}.member.{i}", "") for i in indexes]


def _structure_list(params: Mapping[str, str], member: str, fields: tuple[str, ...]) -> list[dict] | object:
    if member in params and params[member] == "":
        return []
    indexes = _indexes(params, f"{member}.member")
    if not indexes:
        return MISSING
    items = []
    for i in indexes:
        prefix = f"{member}.member.{i}."
        item = {f: params[prefix + f] for f in fields if prefix + f in params}
        for name in STRUCTURE_STRING_LIST_FIELDS.get(member, ()):
            values = _string_list(params, prefix + name)
            if values is not MISSING:
                item[name] = values
        items.append(item)
    return items
