"""Console pages: Account settings — the password policy, the account alias (with the IAM users'
sign-in URL) and, for the root user, whether the root user must use MFA.

Thin views: each page reads through one selector or writes through one service; the services
authorize (a forged POST gets the AccessDenied page) and audit. Controls the caller may not use are
not shown (ConsoleView.may).
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse

from accounts.selectors.account import get_account_settings
from accounts.services import account as account_services
from accounts.services import passwords
from iam_portal.errors import AccessDeniedError, IamError, ValidationError

from . import ConsoleView, error_page

SETTINGS = "console:account_settings"
UPDATE_POLICY, DELETE_POLICY = "iam:UpdateAccountPasswordPolicy", "iam:DeleteAccountPasswordPolicy"
CREATE_ALIAS, DELETE_ALIAS = "iam:CreateAccountAlias", "iam:DeleteAccountAlias"
SYMBOLS_LABEL = "! @ # $ % ^ & * ( ) _ + - = [ ] { } | '"
# AWS's default password policy (QUOTAS.md §4), shown when the account has no policy of its own.
DEFAULT_POLICY_RULES = (
    "Minimum password length of 8 characters and a maximum of 128 characters",
    "At least three of these character types: uppercase letters, lowercase letters, numbers and "
    f"non-alphanumeric characters ({SYMBOLS_LABEL})",
    "Must not be identical to your AWS account name or email address",
    "Passwords never expire",
)
_MEMBER = re.compile(r"at '(\w+)' failed to satisfy constraint")


def _snake(member: str) -> str:
    """The form field of an AWS member name: minimumPasswordLength -> minimum_password_length."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", member).lower()


def _show_on_form(form: forms.Form, exc: IamError, default: str | None = None) -> None:
    """An IamError on the field it concerns (AWS names the member in validation errors), else on
    `default` (None: above the form)."""
    match = _MEMBER.search(exc.message) if isinstance(exc, ValidationError) else None
    field = _snake(match.group(1)) if match else default
    form.add_error(field if field in form.fields else None, exc.message)


def sign_in_url(request: HttpRequest, id_or_alias: str) -> str:
    """The IAM users' console sign-in URL of the account (with its id, or its alias)."""
    return request.build_absolute_uri(reverse("accounts:signin_account", args=[id_or_alias]))


def _not_allowed(view: ConsoleView, action: str) -> HttpResponse:
    """The AccessDenied page for opening a form whose action the caller may not perform.

    The service would refuse the POST anyway; refusing the form itself is kinder than letting someone
    fill it in for nothing.
    """
    message = f"User: {view.ctx.caller_arn} is not authorized to perform: {action} on resource: *"
    return error_page(view.request, AccessDeniedError(message))


# Forms --------------------------------------------------------------------------------------------


class PasswordPolicyForm(forms.Form):
    """Every member of UpdateAccountPasswordPolicy, labelled as the IAM console labels them.

    Ranges are not checked here: the service does, and its AWS messages are shown on the fields.
    """

    minimum_password_length = forms.IntegerField(
        label="Password minimum length",
        required=False,
        help_text="Between 6 and 128 characters. Empty: 6, AWS's value when none is given.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    require_uppercase_characters = forms.BooleanField(
        label="Require at least one uppercase letter from the Latin alphabet (A-Z)", required=False
    )
    require_lowercase_characters = forms.BooleanField(
        label="Require at least one lowercase letter from the Latin alphabet (a-z)", required=False
    )
    require_numbers = forms.BooleanField(label="Require at least one number", required=False)
    require_symbols = forms.BooleanField(
        label=f"Require at least one non-alphanumeric character ({SYMBOLS_LABEL})", required=False
    )
    expire_passwords = forms.BooleanField(label="Turn on password expiration", required=False)
    max_password_age = forms.IntegerField(
        label="Expire passwords in (days)",
        required=False,
        help_text="Between 1 and 1095 days. Used only when password expiration is on.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    hard_expiry = forms.BooleanField(
        label="Password expiration requires administrator reset",
        required=False,
        help_text="Users whose password expired cannot choose a new one: an administrator must reset it.",
    )
    allow_users_to_change_password = forms.BooleanField(
        label="Allow users to change their own password", required=False
    )
    prevent_reuse = forms.BooleanField(label="Prevent password reuse", required=False)
    password_reuse_prevention = forms.IntegerField(
        label="Remember (passwords)",
        required=False,
        help_text="Between 1 and 24 previous passwords. Used only when password reuse prevention is on.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        # A number only counts when its box is ticked, as in the IAM console.
        for switch, number in (
            ("expire_passwords", "max_password_age"),
            ("prevent_reuse", "password_reuse_prevention"),
        ):
            if not data.get(switch):
                data[number] = None
            elif data.get(number) is None and number not in self.errors:
                self.add_error(number, "Enter a number to use this setting.")
        return data

    def service_arguments(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "minimum_password_length",
                "require_symbols",
                "require_numbers",
                "require_uppercase_characters",
                "require_lowercase_characters",
                "allow_users_to_change_password",
                "max_password_age",
                "password_reuse_prevention",
                "hard_expiry",
            )
        }

    @classmethod
    def initial_for(cls, policy) -> dict[str, object]:
        """The form's starting values: the account's policy, or the IAM console's suggestions."""
        if policy is None:
            return {"minimum_password_length": 8, "max_password_age": 90, "password_reuse_prevention": 5}
        return {
            "minimum_password_length": policy.minimum_password_length,
            "require_symbols": policy.require_symbols,
            "require_numbers": policy.require_numbers,
            "require_uppercase_characters": policy.require_uppercase_characters,
            "require_lowercase_characters": policy.require_lowercase_characters,
            "allow_users_to_change_password": policy.allow_users_to_change_password,
            "expire_passwords": bool(policy.max_password_age),
            "max_password_age": policy.max_password_age or 90,
            "hard_expiry": policy.hard_expiry,
            "prevent_reuse": bool(policy.password_reuse_prevention),
            "password_reuse_prevention": policy.password_reuse_prevention or 5,
        }


class AccountAliasForm(forms.Form):
    # No length or pattern here: the service checks accountAliasType and says so in AWS's words.
    account_alias = forms.CharField(
        label="Preferred alias",
        help_text="3 to 63 lowercase letters, digits and hyphens; it must start and end with a letter or "
        "digit, and be unique across the portal.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}
        ),
    )


class AccountAliasDeleteForm(forms.Form):
    account_alias = forms.CharField(widget=forms.HiddenInput)


class RootMfaForm(forms.Form):
    required = forms.TypedChoiceField(
        choices=[("on", "on"), ("off", "off")], coerce=lambda value: value == "on"
    )


# Views --------------------------------------------------------------------------------------------


class AccountSettingsView(ConsoleView):
    """Account settings: password policy, account alias and sign-in URL, root user MFA."""

    def get(self, request: HttpRequest) -> HttpResponse:
        settings = get_account_settings(self.ctx)
        may = self.may(
            update_policy=(UPDATE_POLICY, "*"),
            delete_policy=(DELETE_POLICY, "*"),
            create_alias=(CREATE_ALIAS, "*"),
            delete_alias=(DELETE_ALIAS, "*"),
            credential_report=("iam:GenerateCredentialReport", "*"),
            authorization_details=("iam:GetAccountAuthorizationDetails", "*"),
        )
        return self.render(
            "console/account_settings/index.html",
            {
                "title": "Account settings",
                "settings": settings,
                "policy": settings.password_policy,
                "default_rules": DEFAULT_POLICY_RULES,
                "may": may,
                "sign_in_url": sign_in_url(request, settings.account_id),
                "alias_sign_in_url": (
                    sign_in_url(request, settings.account_alias) if settings.account_alias else None
                ),
                "is_root": self.ctx.caller.is_root,
            },
        )


class PasswordPolicyEditView(ConsoleView):
    """Edit password policy (UpdateAccountPasswordPolicy)."""

    template = "console/account_settings/password_policy_form.html"

    def show(self, form: PasswordPolicyForm, status: int = 200) -> HttpResponse:
        return self.render(self.template, {"title": "Edit password policy", "form": form}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        settings = get_account_settings(self.ctx)
        if not self.may(update=(UPDATE_POLICY, "*"))["update"]:
            return _not_allowed(self, UPDATE_POLICY)
        return self.show(PasswordPolicyForm(initial=PasswordPolicyForm.initial_for(settings.password_policy)))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PasswordPolicyForm(request.POST)
        if not form.is_valid():
            return self.show(form, status=400)
        try:
            passwords.update_account_password_policy(self.ctx, **form.service_arguments())
        except AccessDeniedError:
            raise  # the AccessDenied page, as for every forged request
        except IamError as exc:
            _show_on_form(form, exc)
            return self.show(form, status=exc.http_status)
        messages.success(request, "The password policy was saved.")
        return redirect(SETTINGS)


class PasswordPolicyDeleteView(ConsoleView):
    """Use the default policy (DeleteAccountPasswordPolicy), after a confirmation."""

    def show(self, has_policy: bool, error: IamError | None = None) -> HttpResponse:
        return self.render(
            "console/account_settings/password_policy_delete.html",
            {
                "title": "Use the default password policy?",
                "default_rules": DEFAULT_POLICY_RULES,
                "has_policy": has_policy,
                "error": error,
            },
            status=error.http_status if error else 200,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        settings = get_account_settings(self.ctx)
        if not self.may(delete=(DELETE_POLICY, "*"))["delete"]:
            return _not_allowed(self, DELETE_POLICY)
        return self.show(settings.password_policy is not None)

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            passwords.delete_account_password_policy(self.ctx)
        except AccessDeniedError:
            raise
        except IamError as exc:  # NoSuchEntity: the account already uses the default policy
            return self.show(False, exc)
        messages.success(request, "The account now uses the default password policy.")
        return redirect(SETTINGS)


class AccountAliasEditView(ConsoleView):
    """Create or change the account alias (CreateAccountAlias: a new alias replaces the old one)."""

    template = "console/account_settings/alias_form.html"

    def show(self, form: AccountAliasForm, current: str | None, status: int = 200) -> HttpResponse:
        title = "Edit account alias" if current else "Create account alias"
        return self.render(self.template, {"title": title, "form": form, "current": current}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        current = get_account_settings(self.ctx).account_alias
        if not self.may(create=(CREATE_ALIAS, "*"))["create"]:
            return _not_allowed(self, CREATE_ALIAS)
        return self.show(AccountAliasForm(initial={"account_alias": current or ""}), current)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = AccountAliasForm(request.POST)
        current = self.ctx.account.alias  # only for the page's title: no query
        if not form.is_valid():
            return self.show(form, current, status=400)
        alias = form.cleaned_data["account_alias"]
        try:
            account_services.create_account_alias(self.ctx, account_alias=alias)
        except AccessDeniedError:
            raise
        except IamError as exc:
            _show_on_form(form, exc, default="account_alias")
            return self.show(form, current, status=exc.http_status)
        messages.success(request, f"The account alias is now {alias}.")
        return redirect(SETTINGS)


class AccountAliasDeleteView(ConsoleView):
    """Delete the account alias (DeleteAccountAlias), after a confirmation."""

    template = "console/account_settings/alias_delete.html"

    def show(self, alias: str | None, error: IamError | None = None) -> HttpResponse:
        return self.render(
            self.template,
            {
                "title": "Delete account alias?",
                "alias": alias,
                "error": error,
                "sign_in_url": sign_in_url(self.request, self.ctx.account.account_id),
                "alias_sign_in_url": sign_in_url(self.request, alias) if alias else None,
            },
            status=error.http_status if error else 200,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        alias = get_account_settings(self.ctx).account_alias
        if not self.may(delete=(DELETE_ALIAS, "*"))["delete"]:
            return _not_allowed(self, DELETE_ALIAS)
        return self.show(alias)

    def post(self, request: HttpRequest) -> HttpResponse:
        # The alias the confirmation showed is what goes: if it changed meanwhile, nothing is deleted.
        form = AccountAliasDeleteForm(request.POST)
        alias = form.cleaned_data["account_alias"] if form.is_valid() else ""
        try:
            account_services.delete_account_alias(self.ctx, account_alias=alias)
        except AccessDeniedError:
            raise
        except IamError as exc:
            return self.show(self.ctx.account.alias, exc)
        messages.success(request, f"The account alias {alias} was deleted.")
        return redirect(SETTINGS)


class RootMfaView(ConsoleView):
    """Turn the root user's MFA requirement on or off (the root user only)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RootMfaForm(request.POST)
        if not form.is_valid():
            return error_page(request, ValidationError("Choose whether the root user must use MFA."))
        required = form.cleaned_data["required"]
        account_services.set_root_mfa_required(self.ctx, required=required)  # IamError: the error page
        if required:
            messages.success(request, "The root user must now use MFA to sign in.")
        else:
            messages.warning(request, "The root user no longer has to use MFA to sign in.")
        return redirect(SETTINGS)


urlpatterns: list = [
    path("account-settings/", AccountSettingsView.as_view(), name="account_settings"),
    path(
        "account-settings/password-policy/",
        PasswordPolicyEditView.as_view(),
        name="account_password_policy",
    ),
    path(
        "account-settings/password-policy/delete/",
        PasswordPolicyDeleteView.as_view(),
        name="account_password_policy_delete",
    ),
    path("account-settings/alias/", AccountAliasEditView.as_view(), name="account_alias"),
    path("account-settings/alias/delete/", AccountAliasDeleteView.as_view(), name="account_alias_delete"),
    path("account-settings/root-mfa/", RootMfaView.as_view(), name="account_root_mfa"),
]
