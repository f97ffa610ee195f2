"""The console in a real browser, as a newcomer meets it: sign up, secure the account with the
"Secure your new account" checklist until every step is green, hand over to an administrator IAM
user, then the exercises ("a new developer joins", "a developer becomes a security engineer", a
policy whose syntax error is shown with its line and column); and what a read-only user is offered.

With IAM_PORTAL_SCREENSHOTS=<dir> (`make screenshots`), the walkthrough also saves the README's
screenshots into that directory: full pages 1280 pixels wide, the dashboard also on a 390-pixel
phone and in the dark theme.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from django.urls import reverse
from django_otp.oath import hotp
from playwright.sync_api import Page, expect

from accounts.models import Group, User
from accounts.selectors.users import get_user
from accounts.services import access_keys, groups, passwords, policy_attachments, users
from policies.models import ManagedPolicy
from tests import factories as f
from tests.browser.conftest import CHROMIUM

pytestmark = pytest.mark.django_db(transaction=True)

ROOT_EMAIL = "owner@example.com"
ROOT_PASSWORD = "Correct-Horse-Battery-9"
ALIAS = "example-co"
ADMIN = "alice"
ADMIN_FIRST_PASSWORD = "Alice-First-Pass-1"  # typed by the root user; alice must change it
ADMIN_PASSWORD = "Alice-Own-Pass-2"
DEVELOPER = "dana"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
WIDTH, HEIGHT, PHONE = 1280, 900, 390
STEPS = (
    "root-mfa",
    "root-access-keys",
    "password-policy",
    "admins-group",
    "admin-user",
    "admin-sign-in",
    "job-function-groups",
)
# A missing comma after "Action": the engine reports line 7, column 13, where "Resource" starts.
MISSING_COMMA = """{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "iam:ChangePassword"
            "Resource": "arn:aws:iam::*:user/${aws:username}"
        }
    ]
}"""
SYNTAX_ERROR = "Json syntax error: Fix the JSON syntax error at index 146 line 7 column 13"


@pytest.fixture(scope="session", autouse=True)  # session: before the browser fixture would skip
def screenshots_need_chromium():
    """`make screenshots` must not pass without taking them: no Chromium is an error there, not a skip."""
    if os.environ.get("IAM_PORTAL_SCREENSHOTS") and not shutil.which(CHROMIUM):
        pytest.fail(f"IAM_PORTAL_SCREENSHOTS is set but Chromium is missing at {CHROMIUM}")


@pytest.fixture(autouse=True)
def aws_managed_policies(transactional_db):
    """transaction=True tests flush the database, migration data included: load the AWS policies again."""
    if not ManagedPolicy.objects.filter(account__isnull=True, policy_name="AdministratorAccess").exists():
        from django.apps import apps

        from policies import managed

        managed.sync(apps, None)


@pytest.fixture(autouse=True)
def live_server_quiesced(live_server):
    """Wait for the live server's request threads at teardown, so that none is still closing its
    database connection when the next test flushes the database."""
    yield live_server
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=5)


def code(seed: str, at: float) -> str:
    """The six-digit TOTP code of a Base32 seed at a time (RFC 6238, 30-second steps)."""
    key = base64.b32decode(seed + "=" * (-len(seed) % 8))
    return f"{hotp(key, int(at) // 30, digits=6):06d}"


class Screenshots:
    """Saves full-page PNGs into $IAM_PORTAL_SCREENSHOTS when it is set; does nothing otherwise."""

    def __init__(self, page: Page):
        self.page = page
        target = os.environ.get("IAM_PORTAL_SCREENSHOTS")
        self.directory = Path(target) if target else None
        if self.directory:
            self.directory.mkdir(parents=True, exist_ok=True)

    def take(self, name: str) -> None:
        no_template_source(self.page)
        if self.directory:
            self.page.evaluate("window.scrollTo(0, 0)")  # the sticky sidebar sits at the top
            self.page.screenshot(path=str(self.directory / f"{name}.png"), full_page=True)

    def phone(self, name: str) -> None:
        """The current page on a phone-sized viewport, then back to the desktop size."""
        if self.directory:
            self.page.set_viewport_size({"width": PHONE, "height": 844})
            self.page.reload()
            self.take(name)
            self.page.set_viewport_size({"width": WIDTH, "height": HEIGHT})

    def dark(self, name: str) -> None:
        """The current page in the admin's dark theme (theme.js reads localStorage 'theme')."""
        if self.directory:
            self.page.evaluate("localStorage.setItem('theme', 'dark')")
            self.page.reload()
            assert self.page.evaluate("document.documentElement.dataset.theme") == "dark"
            self.take(name)
            self.page.evaluate("localStorage.setItem('theme', 'auto')")
            self.page.reload()


def message(page: Page, text: str) -> None:
    """The page shows this message (Django's messages framework, as in the admin)."""
    expect(page.locator("ul.messagelist li").filter(has_text=text)).to_be_visible()
    no_template_source(page)


def no_template_source(page: Page) -> None:
    """No template tag or comment leaked into the page as text (a {# #} comment is one line only)."""
    text = page.locator("body").inner_text()
    assert not re.search(r"\{[#%]|[#%]\}|\{\{|\}\}", text), page.url


def checklist(page: Page, url: str) -> dict[str, bool]:
    """The onboarding steps as the page shows them: {step key: done}."""
    page.goto(url)
    no_template_source(page)
    return {key: page.locator(f"#step-{key}").get_attribute("data-done") == "true" for key in STEPS}


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in as IAM user").wait_for()


def walk_checklist_step(page: Page, key: str, link: str) -> None:
    """Follow a step's own link from the checklist, as a newcomer would."""
    page.locator(f"#step-{key}").get_by_role("link", name=link).click()


class WalkthroughTests:
    def test_sign_up_secure_the_account_then_work_as_the_admin_user(self, live_server, page, totp_clock):
        page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
        script_errors: list[str] = []
        page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
        shots = Screenshots(page)
        base = live_server.url
        onboarding = base + reverse("console:onboarding")
        sign_in_url = base + reverse("accounts:signin_account", args=[ALIAS])

        # Sign up: a new account's root user enrols an MFA device (typing the text seed) first.
        page.goto(base + reverse("accounts:signup"))
        page.get_by_label("Root user email address").fill(ROOT_EMAIL)
        page.get_by_label("Root user password").fill(ROOT_PASSWORD)
        page.get_by_label("Account alias (optional)").fill(ALIAS)
        page.get_by_role("button", name="Create account").click()
        page.get_by_role("heading", name="Set up multi-factor authentication").wait_for()
        seed = page.locator("#mfa-secret").inner_text().strip()
        page.get_by_label("MFA code 1").fill(code(seed, totp_clock.now))
        page.get_by_label("MFA code 2").fill(code(seed, totp_clock.now + 30))
        page.get_by_role("button", name="Add MFA").click()
        page.get_by_role("heading", name="IAM dashboard").wait_for()
        account_id = User.objects.get(email=ROOT_EMAIL, is_root=True).account.account_id

        # Root sign-in: email, password, then a code from the device.
        sign_out(page)
        page.get_by_role("link", name="Sign in using root user email").click()
        page.get_by_label("Root user email address").fill(ROOT_EMAIL)
        page.get_by_label("Password").fill(ROOT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Multi-factor authentication").wait_for()
        totp_clock.now += 90  # the enrollment's codes are spent
        page.get_by_label("MFA code").fill(code(seed, totp_clock.now))
        page.get_by_role("button", name="Submit").click()
        page.get_by_role("heading", name="IAM dashboard").wait_for()
        expect(page.locator("#sign-in-url")).to_contain_text(sign_in_url)
        expect(page.locator(".whoami")).to_contain_text("(root user)")

        # The checklist: MFA was enrolled at sign-up, and a new account has no root access keys.
        page.get_by_role("link", name="Get started").first.click()
        page.get_by_role("heading", name="Secure your new account").wait_for()
        assert checklist(page, onboarding) == dict.fromkeys(STEPS, False) | {
            "root-mfa": True,
            "root-access-keys": True,
        }
        expect(page.locator("#step-root-mfa .step-state")).to_have_text("The root user has an MFA device.")
        expect(page.locator("#onboarding-progress-label")).to_have_text("2 of 7 steps done")

        # Step 2 the AWS way: a root access key is created, then deactivated, then deleted by typing its id.
        walk_checklist_step(page, "root-access-keys", "Open the root user's security credentials")
        page.get_by_role("heading", name="My security credentials (root user)").wait_for()
        page.get_by_role("link", name="Create access key").click()
        page.get_by_role("button", name="Create access key").click()
        expect(page.locator(".errornote")).to_contain_text("Please correct the errors below.")
        page.get_by_label("I understand creating a root access key is not a best practice").check()
        page.get_by_role("button", name="Create access key").click()
        page.get_by_role("heading", name="Retrieve access key").wait_for()
        key_id = page.locator("#access-key-id").inner_text().strip()
        assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key_id)
        page.get_by_role("link", name="Done").click()
        assert checklist(page, onboarding)["root-access-keys"] is False
        expect(page.locator("#step-root-access-keys .step-state")).to_have_text(
            "The root user has access keys."
        )

        walk_checklist_step(page, "root-access-keys", "Open the root user's security credentials")
        row = page.locator("#access-key-list tbody tr", has_text=key_id)
        row.get_by_role("link", name="Deactivate").click()
        page.get_by_role("button", name="Deactivate").click()
        message(page, f"Access key {key_id} deactivated.")
        row = page.locator("#access-key-list tbody tr", has_text=key_id)
        expect(row.locator("td").first).to_have_text("Inactive")
        row.get_by_role("link", name="Delete").click()
        page.get_by_label("Access key ID").fill(key_id[:-1])
        page.get_by_role("button", name="Delete").click()
        expect(page.locator(".errorlist")).to_have_text("The access key ID you entered does not match.")
        page.get_by_label("Access key ID").fill(key_id)
        page.get_by_role("button", name="Delete").click()
        message(page, f"Access key {key_id} deleted.")
        expect(page.locator("#access-keys")).to_contain_text("No access keys.")

        # Step 3: a password policy.
        assert checklist(page, onboarding)["root-access-keys"] is True
        walk_checklist_step(page, "password-policy", "Set a password policy")
        page.get_by_role("link", name="Edit", exact=True).click()
        page.get_by_label("Password minimum length").fill("12")
        page.get_by_label("Require at least one uppercase letter").check()
        page.get_by_label("Require at least one lowercase letter").check()
        page.get_by_label("Require at least one number").check()
        page.get_by_label("Allow users to change their own password").check()
        page.get_by_role("button", name="Save changes").click()
        message(page, "The password policy was saved.")
        expect(page.locator("#password-policy")).to_contain_text("12 characters")

        # Step 4: the Admins group with AdministratorAccess.
        assert checklist(page, onboarding)["password-policy"] is True
        walk_checklist_step(page, "admins-group", "Create a group")
        create_group(page, "Admins", "AdministratorAccess")

        # Step 5: your own admin user in it, with a custom password to change at first sign-in.
        assert checklist(page, onboarding)["admins-group"] is True
        walk_checklist_step(page, "admin-user", "Create a user")
        page.get_by_role("heading", name="Create user").wait_for()
        page.get_by_label("User name").fill(ADMIN)
        page.get_by_label("Provide user access to the console").check()
        page.get_by_role("radio", name="Custom password").check()
        expect(page.get_by_label("Users must create a new password at next sign-in")).to_be_checked()
        page.get_by_role("button", name="Next").click()
        page.get_by_role("radio", name="Add user to group").check()
        page.get_by_role("checkbox", name="Admins", exact=True).check()
        page.get_by_role("button", name="Next").click()
        page.get_by_role("button", name="Next").click()  # no tags
        review = page.locator("#content-main")
        expect(review).to_contain_text("Enabled, custom password")
        expect(review.locator("tr", has_text="Group")).to_contain_text("Admins")
        page.get_by_role("button", name="Create user").click()
        expect(page.locator(".errorlist")).to_have_text("Type the custom password.")
        page.get_by_label("Custom password").fill(ADMIN_FIRST_PASSWORD)
        page.get_by_role("button", name="Create user").click()
        page.get_by_role("heading", name="Retrieve password").wait_for()
        expect(page.locator("#content-main")).to_contain_text(sign_in_url)
        expect(page.locator("#new-password")).to_have_text(ADMIN_FIRST_PASSWORD)  # shown this once

        state = checklist(page, onboarding)
        assert state == dict.fromkeys(STEPS, True) | {"admin-sign-in": False, "job-function-groups": False}
        expect(page.locator("#onboarding-progress-label")).to_have_text("5 of 7 steps done")

        # Step 6: sign out, sign in as alice at the account's sign-in URL; the password must change.
        sign_out(page)
        page.goto(sign_in_url)
        expect(page.get_by_label("Account ID (12 digits) or account alias")).to_have_value(ALIAS)
        page.get_by_label("IAM user name").fill(ADMIN)
        page.get_by_label("Password").fill(ADMIN_FIRST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Change your password").wait_for()
        page.get_by_label("Old password").fill(ADMIN_FIRST_PASSWORD)
        page.get_by_label("New password", exact=True).fill("short")
        page.get_by_label("Retype new password").fill("short")
        page.get_by_role("button", name="Confirm password change").click()
        expect(page.locator(".errornote")).to_have_text(  # the policy just set, in AWS's words
            "Password should have a minimum length of 12, Password should have at least one uppercase "
            "letter, Password should have at least one number"
        )
        page.get_by_label("Old password").fill(ADMIN_FIRST_PASSWORD)
        page.get_by_label("New password", exact=True).fill(ADMIN_PASSWORD)
        page.get_by_label("Retype new password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Confirm password change").click()
        page.get_by_role("heading", name="IAM dashboard").wait_for()
        expect(page.locator(".whoami")).to_have_text(f"{ADMIN} @ {ALIAS}")

        # The admin secures their own user with MFA (the console's Assign MFA device wizard).
        page.get_by_role("link", name="Security credentials").first.click()
        page.get_by_role("heading", name="My security credentials").wait_for()
        page.get_by_role("link", name="Assign MFA device").click()
        expect(page.get_by_label("Device name")).to_have_value(ADMIN)
        page.get_by_role("button", name="Next").click()
        page.get_by_role("heading", name="Set up device").wait_for()
        assert page.locator(".qr svg").count() == 1
        shots.take("mfa-enrollment")
        page.get_by_text("Show secret key").click()
        admin_seed = page.locator("#mfa-secret").inner_text().strip()
        page.get_by_label("MFA code 1").fill(code(admin_seed, totp_clock.now))
        page.get_by_label("MFA code 2").fill(code(admin_seed, totp_clock.now + 30))
        page.get_by_role("button", name="Add MFA").click()
        message(page, "MFA device assigned.")
        expect(page.locator("#mfa-devices tbody tr")).to_have_count(1)

        # Step 7, as alice: groups by job function.
        state = checklist(page, onboarding)
        assert state == dict.fromkeys(STEPS, True) | {"job-function-groups": False}
        expect(page.locator("#step-root-mfa .step-links")).to_contain_text(
            "Sign in as the root user to do this."
        )
        walk_checklist_step(page, "job-function-groups", "Create a group")
        create_group(page, "Developers", "PowerUserAccess")
        page.goto(base + reverse("console:groups"))
        page.get_by_role("link", name="Create group").click()
        create_group(page, "Security", "IAMReadOnlyAccess", already_open=True)

        # All green, from the account's real state.
        assert checklist(page, onboarding) == dict.fromkeys(STEPS, True)
        expect(page.locator("#onboarding-progress-label")).to_have_text("7 of 7 steps done")
        expect(page.locator(".all-good")).to_have_text("Your account is secured. Try the exercises next.")
        shots.take("onboarding")

        # Exercise: a new developer joins (the Create user wizard, autogenerated password, Developers).
        page.goto(base + reverse("console:users"))
        page.get_by_role("link", name="Add users").click()
        page.get_by_label("User name").fill(DEVELOPER)
        page.get_by_label("Provide user access to the console").check()
        expect(page.get_by_role("radio", name="Autogenerated password")).to_be_checked()
        page.get_by_role("button", name="Next").click()
        page.get_by_role("checkbox", name="Developers", exact=True).check()
        shots.take("create-user")
        page.get_by_role("button", name="Next").click()
        page.get_by_label("Key 1").fill("team")
        page.get_by_label("Value 1").fill("dev")
        page.get_by_role("button", name="Next").click()
        expect(page.locator("#content-main")).to_contain_text("Enabled, autogenerated password")
        page.get_by_role("button", name="Create user").click()
        page.get_by_role("heading", name="Retrieve password").wait_for()
        temporary = page.locator("#new-password").inner_text().strip()
        assert len(temporary) >= 12
        assert page.get_by_role("link", name="Download .csv file").get_attribute("download") == (
            f"{DEVELOPER}_credentials.csv"
        )
        page.get_by_role("link", name="Return to users list").click()
        row = page.locator("#result_list tbody tr", has_text=DEVELOPER)
        expect(row).to_contain_text("Developers")
        expect(page.locator("#result_list tbody tr", has_text=ADMIN)).to_contain_text("Admins")
        shots.take("users")

        # Exercise: the developer becomes a security engineer (the user's Groups tab).
        row.get_by_role("link", name=DEVELOPER).click()
        page.get_by_role("navigation", name="User tabs").get_by_role("link", name="Groups").click()
        page.get_by_role("link", name="Add user to groups").click()
        page.get_by_role("checkbox", name="Security", exact=True).check()
        page.get_by_role("button", name="Add permissions").click()
        message(page, f"Added permissions to user {DEVELOPER}.")
        page.get_by_role("navigation", name="User tabs").get_by_role("link", name="Groups").click()
        memberships = page.locator("#result_list tbody tr")
        expect(memberships).to_have_count(2)
        memberships.filter(has_text="Developers").get_by_role("button", name="Remove").click()
        message(page, f"Removed user {DEVELOPER} from group Developers.")
        expect(page.locator("#result_list tbody tr")).to_have_count(1)
        expect(page.locator("#result_list tbody tr")).to_contain_text("Security")
        assert [g.group_name for g in Group.objects.filter(memberships__user__user_name=DEVELOPER)] == [
            "Security"
        ]

        # Exercise: a policy with a syntax error is refused, with its line and column.
        page.goto(base + reverse("console:policies"))
        page.get_by_role("link", name="Create policy").click()
        page.get_by_label("Policy name").fill("ChangeOwnPassword")
        page.get_by_label("Policy editor (JSON)").fill(MISSING_COMMA)
        finding = page.locator(".findings .finding-error")
        expect(finding).to_have_count(1)
        expect(finding.locator(".finding-location")).to_have_text("Ln 7, Col 13")
        expect(finding).to_contain_text(SYNTAX_ERROR)
        expect(page.locator("#policy-findings-summary")).to_contain_text("Errors: 1")
        finding.locator(".finding-location").click()  # puts the caret on the error
        assert page.evaluate("document.activeElement.id") == "id_policy_document"
        assert page.evaluate("document.activeElement.selectionStart") == 146
        shots.take("policy-editor")
        page.get_by_role("button", name="Create policy").click()
        # The same error from the server (a form posts the text with CRLF line ends: the index moves).
        expect(page.locator(".field-policy_document .errorlist")).to_have_text(
            re.compile(
                r"^Json syntax error: Fix the JSON syntax error at index \d+ line 7 column 13: "
                r"Expecting ',' delimiter\. \(line 7, column 13\)$"
            )
        )
        assert not ManagedPolicy.objects.filter(policy_name="ChangeOwnPassword").exists()

        # Fixed, it is saved and passes the third exercise's check.
        page.get_by_label("Policy editor (JSON)").fill(
            MISSING_COMMA.replace('"iam:ChangePassword"', '"iam:ChangePassword",').replace(
                "arn:aws:iam::*:", f"arn:aws:iam::{account_id}:"
            )
        )
        expect(page.locator(".findings .finding-none")).to_have_text("No findings: the policy is valid.")
        page.get_by_role("button", name="Create policy").click()
        message(page, "Policy ChangeOwnPassword created.")
        page.goto(base + reverse("console:exercises"))
        for key in ("new-developer", "developer-to-security", "own-password-policy"):
            expect(page.locator(f"#exercise-{key}")).to_have_attribute("data-done", "true")

        # The dashboard, from the real state: the checklist still all green.
        page.goto(base + reverse("console:dashboard"))
        expect(page.locator("#security-recommendations")).to_contain_text(DEVELOPER)
        shots.take("dashboard")
        shots.phone("dashboard-phone")
        shots.dark("dashboard-dark")
        assert checklist(page, onboarding) == dict.fromkeys(STEPS, True)
        assert script_errors == []


def create_group(page: Page, name: str, policy: str, *, already_open: bool = False) -> None:
    """User groups → Create group: a name and one managed policy."""
    if not already_open:
        page.get_by_role("link", name="Create group").first.click()
    page.get_by_role("heading", name="Create user group").wait_for()
    page.get_by_label("User group name").fill(name)
    page.get_by_role("checkbox", name=policy, exact=True).check()
    page.get_by_role("button", name="Create user group").click()
    message(page, f"User group {name} created.")


class ReadOnlyUserTests:
    def test_no_create_or_delete_controls_and_forged_posts_are_denied(self, live_server, page):
        root = f.root_context(f.root_user("ro-owner@example.com"))
        account_id = root.account.account_id
        users.create_user(root, user_name="reader")
        users.create_user(root, user_name="victim")
        passwords.create_login_profile(root, user_name="reader", password="Reader-Pass-1")
        policy_attachments.attach_user_policy(root, user_name="reader", policy_arn=READ_ONLY)
        groups.create_group(root, group_name="Ops")
        groups.add_user_to_group(root, group_name="Ops", user_name="victim")
        policy_attachments.attach_group_policy(
            root, group_name="Ops", policy_arn="arn:aws:iam::aws:policy/PowerUserAccess"
        )
        victim_key = access_keys.create_access_key(root, user_name="victim").access_key.access_key_id

        page.goto(live_server.url + reverse("accounts:signin_account", args=[account_id]))
        page.get_by_label("IAM user name").fill("reader")
        page.get_by_label("Password").fill("Reader-Pass-1")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="IAM dashboard").wait_for()

        changes = re.compile(
            r"^(Add|Create|Delete|Edit|Remove|Attach|Detach|Assign|Enable|Manage|Deactivate)\b", re.I
        )
        # Each page shows what the reader may read (so an empty page cannot pass), and nothing to change it.
        for path, heading, shown in (
            (reverse("console:users"), "Users", "victim"),
            (reverse("console:user_detail", args=["victim"]), "victim", "PowerUserAccess"),
            (reverse("console:user_groups", args=["victim"]), "victim", "Ops"),
            (
                reverse("console:user_credentials", args=["victim"]),
                "Security credentials: victim",
                victim_key,
            ),
            (reverse("console:groups"), "User groups", "Ops"),
            (reverse("console:group_detail", args=["Ops"]), "Ops", "victim"),
            (reverse("console:policies"), "Policies", "IAMReadOnlyAccess"),
            (reverse("console:policy_detail", args=[READ_ONLY]), "IAMReadOnlyAccess", "iam:Get*"),
        ):
            page.goto(live_server.url + path)
            page.get_by_role("heading", name=heading, exact=True).wait_for()
            content = page.locator("#content")
            expect(content).to_contain_text(shown)
            controls = content.get_by_role("link").all() + content.get_by_role("button").all()
            offered = [" ".join(c.text_content().split()) for c in controls if c.is_visible()]
            assert not [label for label in offered if changes.match(label)], (path, offered)
            assert content.locator(".addlink, .changelink, .deletelink, div.actions").count() == 0, path

        # A forged form post (the page's own CSRF token, as a cross-site script would have to use).
        page.goto(live_server.url + reverse("console:groups"))
        with page.expect_navigation() as navigation:
            page.evaluate(
                """([action, token]) => {
                    const form = document.createElement("form");
                    form.method = "post";
                    form.action = action;
                    for (const [name, value] of [["csrfmiddlewaretoken", token], ["group_name", "Forged"],
                                                 ["policies", "arn:aws:iam::aws:policy/AdministratorAccess"]]) {
                        const input = document.createElement("input");
                        input.type = "hidden"; input.name = name; input.value = value;
                        form.appendChild(input);
                    }
                    document.body.appendChild(form);
                    form.submit();
                }""",
                [
                    reverse("console:group_create"),
                    page.locator("#logout-form [name=csrfmiddlewaretoken]").input_value(),
                ],
            )
        assert navigation.value.status == 403
        page.get_by_role("heading", name="Access denied").wait_for()
        expect(page.get_by_role("alert")).to_have_text(
            f"AccessDenied: User: arn:aws:iam::{account_id}:user/reader is not authorized to perform: "
            f"iam:CreateGroup on resource: arn:aws:iam::{account_id}:group/Forged because no "
            "identity-based policy allows the iam:CreateGroup action"
        )
        assert not Group.objects.filter(group_name="Forged").exists()

        # The same with the CSRF cookie and Playwright's request API: deleting a user.
        token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
        response = page.request.post(
            live_server.url + reverse("console:user_delete", args=["victim"]),
            form={"csrfmiddlewaretoken": token, "confirm": "victim"},
        )
        assert response.status == 403
        body = response.text()
        assert "<h1>Access denied</h1>" in body
        # The console's delete removes what the user owns first: the first step is refused, nothing goes.
        assert re.search(
            rf"<strong>AccessDenied</strong>: User: arn:aws:iam::{account_id}:user/reader is not authorized "
            rf"to perform: iam:\w+ on resource: arn:aws:iam::{account_id}:\S+ because no identity-based "
            r"policy allows the iam:\w+ action",
            body,
        )
        assert get_user(root, user_name="victim").user_name == "victim"
        assert Group.objects.get(account=root.account, group_name="Ops").memberships.count() == 1
        assert [k.access_key_id for k in get_user(root, user_name="victim").access_keys.all()] == [victim_key]
