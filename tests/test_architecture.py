"""The dependency rules of DESIGN.md, checked on the source tree with `ast`.

Each rule is a function over one module's source; every rule is also run against a small
snippet that breaks it, so a rule that silently stopped checking would fail here.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("iam_portal", "accounts", "policies")
ADAPTER_MODULES = {"iam_portal.console", "iam_portal.rest", "iam_portal.query_api"}
ADAPTER_LEAVES = {"views", "api", "urls", "api_urls"}
URL_LEAVES = {"urls", "api_urls"}  # the modules that wire adapters (api_urls: the REST API's routes)
ACCOUNTS_KERNEL = {"accounts.context", "accounts.authz", "accounts.audit"}
WRITE_METHODS = {
    "save",
    "delete",
    "create",
    "update",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
}
DRF_ALLOWED_PERMISSIONS = {"IsAuthenticated"}


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. "policies.engine.document"
    path: Path
    tree: ast.Module

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


def module_from_source(name: str, source: str, path: str = "<snippet>.py") -> Module:
    return Module(name, Path(path), ast.parse(source))


def project_modules() -> list[Module]:
    modules = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules.append(Module(name, path, ast.parse(path.read_text(), str(path))))
    return modules


def imported_names(module: Module) -> set[str]:
    """Absolute dotted names a module imports (relative imports resolved; `from x import y` gives x.y)."""
    names: set[str] = set()
    package = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            names.add(prefix)
            names.update(f"{prefix}.{alias.name}" for alias in node.names)
    return names


def is_adapter(name: str) -> bool:
    """views, api, urls modules (or packages: accounts.api.users), and the adapter packages."""
    return any(part in ADAPTER_LEAVES for part in name.split(".")[1:]) or any(
        name == a or name.startswith(a + ".") for a in ADAPTER_MODULES
    )


def is_urls(name: str) -> bool:
    return name.split(".")[-1] in URL_LEAVES


def check_imports_go_downward(module: Module) -> list[str]:
    """Rule 1: below the adapters nothing imports an adapter; only urls.py (and api_urls.py) wire them."""
    if is_adapter(module.name) and not is_urls(module.name):
        return [
            f"{module.name} imports adapter {name}"
            for name in imported_names(module)
            if is_urls(name) and name.startswith(PACKAGES)
        ]
    if is_adapter(module.name):
        return []
    return [
        f"{module.name} imports adapter {name}"
        for name in sorted(imported_names(module))
        if name.startswith(PACKAGES) and is_adapter(name)
    ]


def check_policies_uses_accounts_kernel_only(module: Module) -> list[str]:
    """Rule 2: policies imports from accounts only the kernel; policies.models nothing at all."""
    if not module.name.startswith("policies"):
        return []
    problems = []
    for name in sorted(imported_names(module)):
        if not name.startswith("accounts."):
            continue  # the bare package comes from `from accounts import audit`, checked by its member
        if module.name == "policies.models":
            problems.append(f"policies.models imports {name} (use string model references)")
        elif not any(name == k or name.startswith(k + ".") for k in ACCOUNTS_KERNEL):
            problems.append(f"{module.name} imports {name}, outside the accounts kernel")
    return problems


def check_adapters_do_not_write(module: Module) -> list[str]:
    """Rule 3: adapters never save, delete, open transactions, authorize or use lookups."""
    if not is_adapter(module.name):
        return []
    problems = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                if func.attr in {"save", "delete"}:
                    problems.append(f"{module.name}:{node.lineno} calls .{func.attr}()")
                elif (
                    func.attr in WRITE_METHODS
                    and isinstance(func.value, ast.Attribute)
                    and func.value.attr == "objects"
                ):
                    problems.append(f"{module.name}:{node.lineno} calls .objects.{func.attr}()")
                elif func.attr == "atomic":
                    problems.append(f"{module.name}:{node.lineno} opens transaction.atomic")
                elif func.attr == "authorize":
                    problems.append(f"{module.name}:{node.lineno} calls authorize()")
            elif isinstance(func, ast.Name) and func.id in {"authorize", "atomic"}:
                problems.append(f"{module.name}:{node.lineno} calls {func.id}()")
    problems += [
        f"{module.name} imports {name}"
        for name in sorted(imported_names(module))
        if name.endswith(".lookups") or name.endswith(".authz.authorize")
    ]
    return problems


def check_engine_is_stdlib_only(module: Module) -> list[str]:
    """Rule 4: policies.engine imports only the standard library and itself."""
    if not module.name.startswith("policies.engine"):
        return []
    problems = []
    for name in sorted(imported_names(module)):
        top = name.split(".")[0]
        if name.startswith("policies.engine") or top in sys.stdlib_module_names or top == "__future__":
            continue
        if name.startswith("policies.engine") is False and top == "policies":
            problems.append(f"{module.name} imports {name}, outside the engine")
        elif top not in sys.stdlib_module_names:
            problems.append(f"{module.name} imports {name}, not in the standard library")
    return sorted(set(problems))


def check_drf_permissions(module: Module) -> list[str]:
    """Rule 5: DRF views use IsAuthenticated only; authorization lives in the services."""
    problems = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "permission_classes" for t in node.targets
        ):
            for element in ast.walk(node.value):
                if isinstance(element, ast.Name) and element.id not in DRF_ALLOWED_PERMISSIONS:
                    problems.append(f"{module.name}:{node.lineno} uses permission class {element.id}")
        if isinstance(node, ast.ClassDef) and any(
            isinstance(b, ast.Name | ast.Attribute) and (getattr(b, "id", None) or b.attr) == "BasePermission"
            for b in node.bases
        ):
            problems.append(f"{module.name}:{node.lineno} defines permission class {node.name}")
    return problems


RULES = [
    check_imports_go_downward,
    check_policies_uses_accounts_kernel_only,
    check_adapters_do_not_write,
    check_engine_is_stdlib_only,
    check_drf_permissions,
]

MODULES = project_modules()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_project_obeys_rule(rule):
    problems = [p for module in MODULES for p in rule(module)]
    assert problems == []


def test_the_tree_is_scanned():
    names = {m.name for m in MODULES}
    assert {"iam_portal.settings", "policies.engine", "policies.engine.evaluate"} <= names


BREAKING_SNIPPETS = [
    (check_imports_go_downward, "accounts.services.users", "from accounts import views"),
    (check_imports_go_downward, "policies.selectors", "from iam_portal.query_api import render"),
    (check_imports_go_downward, "accounts.services.users", "from accounts import api_urls"),
    (check_imports_go_downward, "accounts.api", "from accounts import api_urls"),
    (check_policies_uses_accounts_kernel_only, "policies.services", "from accounts.models import User"),
    (check_policies_uses_accounts_kernel_only, "policies.models", "from accounts import context"),
    (check_adapters_do_not_write, "accounts.views", "def f(u):\n    u.save()"),
    (check_adapters_do_not_write, "accounts.api", "def f():\n    User.objects.create(name='x')"),
    (
        check_adapters_do_not_write,
        "policies.views",
        "from django.db import transaction\ndef f():\n    with transaction.atomic():\n        pass",
    ),
    (check_adapters_do_not_write, "accounts.views", "from accounts import lookups"),
    (check_adapters_do_not_write, "accounts.api", "def f(ctx):\n    authorize(ctx, 'iam:GetUser', '*')"),
    (check_engine_is_stdlib_only, "policies.engine.evaluate", "import django"),
    (check_engine_is_stdlib_only, "policies.engine.evaluate", "from policies import models"),
    (check_engine_is_stdlib_only, "policies.engine.lint", "from ..models import ManagedPolicy"),
    (check_drf_permissions, "accounts.api", "class V:\n    permission_classes = [IsAdminUser]"),
    (check_drf_permissions, "accounts.api", "class CanEdit(BasePermission):\n    pass"),
    (check_adapters_do_not_write, "accounts.api.groups", "def f(u):\n    u.save()"),
]


@pytest.mark.parametrize(("rule", "name", "source"), BREAKING_SNIPPETS)
def test_rule_catches_a_violation(rule, name, source):
    assert rule(module_from_source(name, source)) != []


@pytest.mark.parametrize(
    ("rule", "name", "source"),
    [
        (
            check_engine_is_stdlib_only,
            "policies.engine.evaluate",
            "import json\nfrom .document import Policy",
        ),
        (
            check_policies_uses_accounts_kernel_only,
            "policies.services",
            "from accounts.authz import authorize",
        ),
        (check_imports_go_downward, "accounts.urls", "from accounts import views"),
        (check_imports_go_downward, "accounts.api_urls", "from accounts import api"),
        (
            check_adapters_do_not_write,
            "accounts.views",
            "from accounts.services import users\ndef f(ctx):\n    users.create_user(ctx, user_name='a')",
        ),
    ],
)
def test_rule_allows_the_intended_shape(rule, name, source):
    assert rule(module_from_source(name, source)) == []
