"""The policy simulator in a real browser: an administrator picks a user, chooses actions from the
catalogue and types a wildcard, runs the simulation and opens the statement that denied an action,
highlighted in its policy document; then simulates an action on several resources, gets one row with
the most restrictive decision, unfolds its resources' rows and opens the statement of one of them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.services import passwords, users
from accounts.services.policy_attachments import put_user_policy
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Admin-Pass-1-long"
POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadIam",
      "Effect": "Allow",
      "Action": "iam:Get*",
      "Resource": "*"
    },
    {
      "Sid": "NoUserReads",
      "Effect": "Deny",
      "Action": "iam:GetUser",
      "Resource": "*"
    }
  ]
}"""


def test_pick_a_user_run_actions_and_see_the_deciding_statement_highlighted(live_server, page):
    root = f.root_context(f.root_user("simulator@example.com"))
    acct = root.account.account_id
    admin = users.create_user(root, user_name="admin")
    f.put_user_policy(admin, "Everything", f.allow())
    passwords.create_login_profile(root, user_name="admin", password=PASSWORD)
    users.create_user(root, user_name="alice")
    put_user_policy(root, user_name="alice", policy_name="Reads", policy_document=POLICY)

    page.goto(f"{live_server.url}/signin/{acct}/")
    page.get_by_label("IAM user name").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"admin @ {acct}").wait_for()

    page.get_by_role("link", name="Policy simulator").click()
    page.get_by_role("heading", name="Policy simulator").wait_for()
    page.get_by_role("radio", name="User", exact=True).check()
    expect(page.locator("#sim-policy-1")).to_be_hidden()  # the custom policies' panel
    page.locator("#sim-user-name").select_option("alice")

    # Only the chosen service's actions show; a box of another service stays chosen.
    expect(page.get_by_label("sts:GetCallerIdentity", exact=True)).to_be_hidden()
    page.get_by_label("Service", exact=True).select_option("sts")
    expect(page.get_by_label("iam:ListUsers", exact=True)).to_be_hidden()
    page.get_by_label("sts:GetCallerIdentity", exact=True).check()
    page.get_by_label("Or type actions").fill("iam:GetUser, iam:GetRole")
    page.get_by_role("button", name="Run simulation").click()

    page.get_by_role("heading", name="Results").wait_for()
    table = page.locator("#result_list")
    expect(table.locator("tbody tr")).to_have_count(3)
    denied = table.locator("tbody tr", has_text="iam:GetUser")
    expect(denied.locator(".sim-decision")).to_have_text("explicit deny")
    expect(table.locator("tbody tr", has_text="iam:GetRole").locator(".sim-decision")).to_have_text("allowed")
    caller = table.locator("tbody tr", has_text="sts:GetCallerIdentity")
    expect(caller.locator(".sim-decision")).to_have_text("allowed")  # it needs no permission
    expect(caller.locator(".sim-explanation")).to_have_text(
        "sts:GetCallerIdentity is allowed: it needs no permission."
    )

    show = denied.get_by_role("link", name="Reads · NoUserReads")
    highlighted = page.locator(show.get_attribute("href")).locator("mark")
    expect(highlighted).to_be_hidden()  # collapsed until asked for
    show.click()
    expect(highlighted).to_be_visible()
    assert highlighted.inner_text().splitlines() == POLICY.splitlines()[9:15]
    assert "ReadIam" not in highlighted.inner_text()

    # Several resources: one row per action, the most restrictive decision; its resources fold.
    app, admin_role = f"arn:aws:iam::{acct}:role/app", f"arn:aws:iam::{acct}:role/admin"
    guard = f.document(f.deny("iam:GetRole", admin_role, Sid="GuardAdmin"))
    put_user_policy(root, user_name="alice", policy_name="Guard", policy_document=guard)
    page.get_by_label("Or type actions").fill("iam:GetRole")
    page.get_by_label("Resources", exact=True).fill(f"{app}\n{admin_role}")
    with page.expect_navigation():
        page.get_by_role("button", name="Run simulation").click()
    table = page.locator("#result_list")
    expect(table.locator("tr.sim-row")).to_have_count(2)  # sts:GetCallerIdentity and iam:GetRole
    row = table.locator("tr.sim-row", has_text="iam:GetRole")
    expect(row.locator(".sim-decision")).to_have_text("explicit deny")
    toggle = row.get_by_role("button", name="2 resources")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    resource_rows = table.locator("tr.sim-resource-row", has_text="iam:GetRole on")
    expect(resource_rows).to_have_count(2)
    expect(resource_rows.first).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(resource_rows.nth(0).locator(".sim-decision")).to_have_text("allowed")
    expect(resource_rows.nth(1).locator(".sim-decision")).to_have_text("explicit deny")
    expect(resource_rows.nth(1)).to_contain_text(admin_role)
    show = resource_rows.nth(1).get_by_role("link", name="Guard · GuardAdmin")
    highlighted = page.locator(show.get_attribute("href")).locator("mark")
    expect(highlighted).to_be_hidden()
    show.click()
    expect(highlighted).to_be_visible()
    assert "GuardAdmin" in highlighted.inner_text()
    toggle.click()
    expect(resource_rows.first).to_be_hidden()
