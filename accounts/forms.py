"""Console forms: the shape of what a page posts. Rules live in the services, not here."""

from __future__ import annotations

from django import forms


class SignUpForm(forms.Form):
    email = forms.EmailField(label="Root user email address", max_length=254)
    password = forms.CharField(
        label="Root user password",
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        max_length=128,
    )
    account_alias = forms.CharField(label="Account alias (optional)", required=False, max_length=63)


class RootSignInForm(forms.Form):
    email = forms.EmailField(label="Root user email address", max_length=254)
    password = forms.CharField(widget=forms.PasswordInput, strip=False, max_length=128)


class IamUserSignInForm(forms.Form):
    account = forms.CharField(label="Account ID (12 digits) or account alias", max_length=63)
    user_name = forms.CharField(label="IAM user name", max_length=64)
    password = forms.CharField(widget=forms.PasswordInput, strip=False, max_length=128)


class MfaCodeForm(forms.Form):
    code = forms.CharField(
        label="MFA code",
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
    serial_number = forms.CharField(required=False, widget=forms.HiddenInput)


class MfaEnrollForm(forms.Form):
    authentication_code_1 = forms.CharField(
        label="MFA code 1", min_length=6, max_length=6, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    authentication_code_2 = forms.CharField(
        label="MFA code 2", min_length=6, max_length=6, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )


class MfaResyncForm(MfaEnrollForm):
    serial_number = forms.CharField(max_length=256, widget=forms.HiddenInput)


class ChangePasswordForm(forms.Form):
    old_password = forms.CharField(
        label="Old password", widget=forms.PasswordInput, strip=False, max_length=128
    )
    new_password = forms.CharField(
        label="New password", widget=forms.PasswordInput, strip=False, max_length=128
    )
    confirm_password = forms.CharField(
        label="Retype new password", widget=forms.PasswordInput, strip=False, max_length=128
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", "The new passwords do not match.")
        return data
