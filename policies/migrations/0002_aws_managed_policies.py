"""Load the AWS managed policies of policies/managed/ (account NULL, ARN arn:aws:iam::aws:policy/…).

Idempotent: `sync` creates what is missing and turns a changed document into a new default version,
so a later migration that runs `managed.sync` again follows an update of the JSON files.
"""

from django.db import migrations

from policies import managed


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("policies", "0001_initial"),
    ]

    operations = [
        # Reversing leaves the policies in place: principals may be attached to them.
        migrations.RunPython(managed.sync, migrations.RunPython.noop),
    ]
