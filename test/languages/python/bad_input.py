"""Bad input to cdk-console-users from Python: each case must raise a Python exception whose message
names the construct, the prop and the value. Prints one JSON object per case (the exception's
class, its base classes and message); test/languages/python-app.test.ts checks them.
"""
import json

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from cdk_console_users import (
    AccountPasswordPolicy,
    ConsoleUser,
    LoginProfile,
    RotationOptions,
)


def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Bad")


CASES = {
    "password_length=5": lambda s: ConsoleUser(s, "Alice", password_length=5),
    "user_name with a space": lambda s: ConsoleUser(s, "Alice", user_name="alice smith"),
    "rotation every hour": lambda s: ConsoleUser(
        s, "Alice", rotation=RotationOptions(automatically_after=cdk.Duration.hours(1))
    ),
    "minimum_password_length=200": lambda s: AccountPasswordPolicy(s, "Policy", minimum_password_length=200),
    "password_length given as a string": lambda s: LoginProfile(
        s, "Login", user=iam.User.from_user_name(s, "Vendor", "vendor"), password_length="24"
    ),
    "password on a ConsoleUser": lambda s: ConsoleUser(s, "Alice", password=cdk.SecretValue.unsafe_plain_text("x")),
}

for name, build in CASES.items():
    try:
        build(stack())
        print(json.dumps({"case": name, "raised": None}))
    except Exception as e:  # noqa: BLE001 - every exception is what the test looks at
        classes = [f"{c.__module__}.{c.__qualname__}" for c in type(e).__mro__]
        print(json.dumps({"case": name, "raised": classes, "message": str(e)}))
