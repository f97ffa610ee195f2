"""Console URLs of the accounts app: sign-up, sign-in and its steps, password change, sign-out."""

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.SignUpView.as_view(), name="signup"),
    path("signin/", views.IamUserSignInView.as_view(), name="signin"),
    path("signin/root/", views.RootSignInView.as_view(), name="signin_root"),
    path("signin/mfa/", views.MfaStepView.as_view(), name="signin_mfa"),
    path("signin/mfa/resync/", views.MfaResyncStepView.as_view(), name="signin_mfa_resync"),
    path("signin/mfa/enroll/", views.MfaEnrollStepView.as_view(), name="signin_enroll"),
    path("signin/password/", views.PasswordStepView.as_view(), name="signin_password"),
    path("signin/expired/", views.ExpiredStepView.as_view(), name="signin_expired"),
    path("signin/<str:account>/", views.IamUserSignInView.as_view(), name="signin_account"),
    path("signout/", views.SignOutView.as_view(), name="signout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("mfa/recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery_codes"),
]
