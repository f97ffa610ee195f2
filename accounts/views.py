"""Console pages for signing up, signing in (root and IAM users), MFA, and changing a password.

Signing in is a short sequence: the password, then (as the identity needs) an MFA code or MFA
enrollment, then a password change; only at the end is the Django session logged in (which
rotates the session key). Until then the session holds the pending steps and nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters

from accounts.context import CONSOLE, RequestContext
from accounts.selectors import mfa as mfa_reads
from accounts.selectors.passwords import login_profile_exists
from accounts.selectors.users import user_for_session
from accounts.services import mfa, passwords, signin
from iam_portal.console import MFA_AT, ConsoleView, client_ip, error_page, safe_next
from iam_portal.errors import IamError

from . import forms

PENDING = "iam_pending_sign_in"
BACKEND = "django.contrib.auth.backends.ModelBackend"
sensitive = method_decorator(sensitive_post_parameters(), name="dispatch")


def _pending_context(request: HttpRequest, user) -> RequestContext:
    return RequestContext(
        caller=user,
        channel=CONSOLE,
        source_ip=client_ip(request),
        secure_transport=request.is_secure(),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


def _continue(
    request: HttpRequest, user, steps: list[str], mfa_at: str | None, next_url: str
) -> HttpResponse:
    """Go to the next pending step, or finish signing in."""
    if not steps:
        request.session.pop(PENDING, None)
        # Fresh from the database: a step may have changed the password, which the session hash follows.
        login(request, user_for_session(user.pk), backend=BACKEND)  # a new session key: no fixation
        if mfa_at:
            request.session[MFA_AT] = mfa_at
        return redirect(next_url)
    previous = request.session.get(PENDING) or {}
    request.session[PENDING] = {
        "user": user.pk,
        "steps": steps,
        "mfa_at": mfa_at,
        "next": next_url,
        # What was proved, and when: a password change or a removed login profile ends it.
        "auth_hash": user_for_session(user.pk).get_session_auth_hash(),
        "started": previous.get("started") or timezone.now().isoformat(),
        "device": previous.get("device"),
    }
    return redirect(reverse(f"accounts:signin_{steps[0]}"))


PENDING_LIFETIME = timedelta(minutes=10)


def _still_valid(pending: dict, user) -> bool:
    """The sign-in in progress still stands: same password, console access, not too old."""
    if not constant_time_compare(pending.get("auth_hash", ""), user.get_session_auth_hash()):
        return False
    if not user.is_root and not login_profile_exists(user):
        return False
    return timezone.now() - datetime.fromisoformat(pending["started"]) <= PENDING_LIFETIME


EXPIRY_WARNING_DAYS = 14


def _start(request: HttpRequest, result: signin.SignInResult) -> HttpResponse:
    logout(request)  # whoever was signed in before is not any more
    days = result.days_until_expiry
    if days is not None and 0 < days <= EXPIRY_WARNING_DAYS and not result.password_change_required:
        plural = "s" if days != 1 else ""
        messages.warning(request, f"Your password expires in {days} day{plural}. Change it before then.")
    steps = []
    if result.mfa_required:
        steps.append("mfa")
    elif result.mfa_enrollment_required:
        steps.append("enroll")
    if result.password_change_required:
        steps.append("password" if result.password_change_allowed else "expired")
    return _continue(request, result.user, steps, None, safe_next(request, reverse("home")))


class PendingStepView(View):
    """A step of a sign-in in progress: the user proved the password and has steps left."""

    step = ""
    template_name = ""
    form_class = forms.MfaCodeForm

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.pending = request.session.get(PENDING)
        user = user_for_session(self.pending["user"]) if self.pending else None
        if user is None or self.pending["steps"][:1] != [self.step] or not _still_valid(self.pending, user):
            request.session.pop(PENDING, None)
            return redirect("accounts:signin")
        self.user = user
        return super().dispatch(request, *args, **kwargs)

    def done(self, mfa_at: str | None = None) -> HttpResponse:
        p = self.pending
        return _continue(self.request, self.user, p["steps"][1:], mfa_at or p["mfa_at"], p["next"])

    def render(self, form, **extra) -> HttpResponse:
        return TemplateResponse(self.request, self.template_name, {"form": form, "user": self.user, **extra})

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(self.form_class())


@sensitive
class SignUpView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return TemplateResponse(request, "registration/signup.html", {"form": forms.SignUpForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = forms.SignUpForm(request.POST)
        if form.is_valid():
            try:
                root = signin.sign_up(
                    email=form.cleaned_data["email"],
                    password=form.cleaned_data["password"],
                    account_alias=form.cleaned_data["account_alias"] or None,
                    source_ip=client_ip(request),
                )
            except IamError as exc:
                form.add_error(None, exc.message)
            else:
                result = signin.authenticate_root(
                    email=root.email, password=form.cleaned_data["password"], source_ip=client_ip(request)
                )
                return _start(request, result)
        return TemplateResponse(request, "registration/signup.html", {"form": form}, status=400)


@sensitive
class RootSignInView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return TemplateResponse(request, "registration/signin_root.html", {"form": forms.RootSignInForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = forms.RootSignInForm(request.POST)
        if form.is_valid():
            try:
                return _start(
                    request,
                    signin.authenticate_root(
                        email=form.cleaned_data["email"],
                        password=form.cleaned_data["password"],
                        source_ip=client_ip(request),
                    ),
                )
            except IamError as exc:
                form.add_error(None, exc.message)
        return TemplateResponse(request, "registration/signin_root.html", {"form": form}, status=400)


@sensitive
class IamUserSignInView(View):
    """The IAM user sign-in page; /signin/<account id or alias>/ fills in the account."""

    def get(self, request: HttpRequest, account: str = "") -> HttpResponse:
        return TemplateResponse(
            request,
            "registration/signin.html",
            {"form": forms.IamUserSignInForm(initial={"account": account})},
        )

    def post(self, request: HttpRequest, account: str = "") -> HttpResponse:
        form = forms.IamUserSignInForm(request.POST)
        if form.is_valid():
            try:
                return _start(
                    request,
                    signin.authenticate_iam_user(
                        account=form.cleaned_data["account"],
                        user_name=form.cleaned_data["user_name"],
                        password=form.cleaned_data["password"],
                        source_ip=client_ip(request),
                    ),
                )
            except IamError as exc:
                form.add_error(None, exc.message)
        return TemplateResponse(request, "registration/signin.html", {"form": form}, status=400)


RESYNC_AFTER_FAILURES = 3


@sensitive  # codes and recovery codes stay out of error reports
class MfaStepView(PendingStepView):
    """The MFA code (choosing the device when there are several); resync offered after failures."""

    step, template_name = "mfa", "registration/signin_mfa.html"

    def render(self, form, **extra) -> HttpResponse:
        failures = self.pending.get("mfa_failures", 0)
        return super().render(
            form,
            devices=mfa_reads.enabled_devices(self.user),
            offer_resync=failures >= RESYNC_AFTER_FAILURES,
            **extra,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = forms.MfaCodeForm(request.POST)
        if form.is_valid():
            try:
                at = signin.complete_mfa(
                    self.user,
                    form.cleaned_data["code"],
                    serial_number=form.cleaned_data["serial_number"] or None,
                    source_ip=client_ip(request),
                )
                return self.done(mfa_at=at.isoformat())
            except IamError as exc:
                form.add_error("code", exc.message)
                self.pending["mfa_failures"] = self.pending.get("mfa_failures", 0) + 1
                request.session[PENDING] = self.pending
        return self.render(form)


@sensitive
class MfaResyncStepView(PendingStepView):
    """Resynchronize a device whose clock drifted: two consecutive codes (ResyncMFADevice)."""

    step, template_name, form_class = "mfa", "registration/signin_resync.html", forms.MfaResyncForm

    def render(self, form, **extra) -> HttpResponse:
        return super().render(form, devices=mfa_reads.enabled_devices(self.user), **extra)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = forms.MfaResyncForm(request.POST)
        if form.is_valid():
            try:
                mfa.resync_mfa_device(
                    _pending_context(request, self.user),
                    user_name=None if self.user.is_root else self.user.user_name,
                    serial_number=form.cleaned_data["serial_number"],
                    authentication_code_1=form.cleaned_data["authentication_code_1"],
                    authentication_code_2=form.cleaned_data["authentication_code_2"],
                )
            except IamError as exc:
                form.add_error(None, exc.message)
            else:
                self.pending["mfa_failures"] = 0
                request.session[PENDING] = self.pending
                messages.success(request, "Your MFA device is in sync again. Enter a new code.")
                return redirect("accounts:signin_mfa")
        return self.render(form)


@sensitive
class MfaEnrollStepView(PendingStepView):
    """Forced MFA enrollment: a QR code, the seed as text for typing in, and two consecutive codes."""

    step, template_name, form_class = "enroll", "registration/signin_enroll.html", forms.MfaEnrollForm

    def pending_device(self):
        """This sign-in's own pending device (its serial is kept in the session, nowhere else)."""
        ctx = _pending_context(self.request, self.user)
        pending = mfa.pending_device_for(ctx, self.user, self.pending.get("device"))
        self.pending["device"] = mfa.enrollment_token(pending.device)
        self.request.session[PENDING] = self.pending
        return pending

    def render(self, form, **extra) -> HttpResponse:
        try:
            pending = self.pending_device()
        except IamError as exc:
            return error_page(self.request, exc)
        response = super().render(form, device=pending, **extra)
        response["Cache-Control"] = "no-store"  # the seed is on this page
        return response

    def post(self, request: HttpRequest) -> HttpResponse:
        form = forms.MfaEnrollForm(request.POST)
        if form.is_valid():
            ctx = _pending_context(request, self.user)
            try:
                device = self.pending_device().device
                mfa.enable_mfa_device(
                    ctx,
                    user_name=None if self.user.is_root else self.user.user_name,
                    serial_number=device.serial_number,
                    authentication_code_1=form.cleaned_data["authentication_code_1"],
                    authentication_code_2=form.cleaned_data["authentication_code_2"],
                )
                return self.done(mfa_at=timezone.now().isoformat())
            except IamError as exc:
                form.add_error(None, exc.message)
        return self.render(form)


@sensitive
class PasswordStepView(PendingStepView):
    """The password must be changed now (reset required by an administrator, or expired)."""

    step, template_name, form_class = (
        "password",
        "registration/signin_password.html",
        forms.ChangePasswordForm,
    )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = forms.ChangePasswordForm(request.POST)
        if form.is_valid():
            try:
                passwords.change_password(
                    _pending_context(request, self.user),
                    old_password=form.cleaned_data["old_password"],
                    new_password=form.cleaned_data["new_password"],
                )
                return self.done()
            except IamError as exc:
                form.add_error(None, exc.message)
        return self.render(form)


class ExpiredStepView(PendingStepView):
    """Hard expiry: the user may not set a new password; an administrator must."""

    step, template_name = "expired", "registration/signin_expired.html"


@sensitive
class PasswordChangeView(ConsoleView):
    """Change my password (an IAM user with iam:ChangePassword, as in AWS)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return TemplateResponse(
            request, "registration/password_change.html", {"form": forms.ChangePasswordForm()}
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = forms.ChangePasswordForm(request.POST)
        if form.is_valid():
            try:
                passwords.change_password(
                    self.ctx,
                    old_password=form.cleaned_data["old_password"],
                    new_password=form.cleaned_data["new_password"],
                )
            except IamError as exc:
                form.add_error(None, exc.message)
            else:
                mfa_at = request.session.get(MFA_AT)
                login(request, user_for_session(request.user.pk), backend=BACKEND)  # keep signed in
                if mfa_at:
                    request.session[MFA_AT] = mfa_at
                return TemplateResponse(request, "registration/password_changed.html", {})
        return TemplateResponse(request, "registration/password_change.html", {"form": form}, status=400)


RECENT_MFA = timedelta(minutes=15)


class RecoveryCodesView(ConsoleView):
    """The root user's one-time recovery codes: new ones replace the old, and are shown once."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return TemplateResponse(request, "registration/recovery_codes.html", {"codes": None})

    def post(self, request: HttpRequest) -> HttpResponse:
        proved = self.ctx.mfa_authenticated_at
        if self.ctx.caller.is_root and (proved is None or timezone.now() - proved > RECENT_MFA):
            return TemplateResponse(
                request, "registration/recovery_codes.html", {"codes": None, "stale_mfa": True}, status=403
            )
        codes = mfa.generate_recovery_codes(self.ctx)
        response = TemplateResponse(request, "registration/recovery_codes.html", {"codes": codes})
        response["Cache-Control"] = "no-store"  # the codes are rendered exactly once
        return response


class SignOutView(View):
    def post(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        return redirect("accounts:signin")


class HomeView(View):
    """The landing page: where to sign in; a signed-in user goes on to the console's dashboard."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect("console:dashboard")
        return TemplateResponse(request, "home.html")
