"""A Python CDK app that uses cdk-console-users from the wheel of `npm run package`.

The same app as test/languages/typescript-app.ts: test/languages/python-app.test.ts synthesizes
both and compares them. Run it as `cdk synth` would: `python app.py` (CDK_OUTDIR sets where).
"""
import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk_console_users import (
    AccountPasswordPolicy,
    ConsoleUser,
    LoginProfile,
    RotationOptions,
)


class ConsoleUsersStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        AccountPasswordPolicy(
            self,
            "PasswordPolicy",
            minimum_password_length=32,
            require_symbols=True,
            require_numbers=True,
            require_uppercase_characters=True,
            require_lowercase_characters=True,
            max_password_age=cdk.Duration.days(90),
        )

        auditors = iam.Group(
            self,
            "Auditors",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess")],
        )
        key = kms.Key(self, "PasswordKey", enable_key_rotation=True)

        # A break-glass user: in a group, its secret under a customer managed key, rotated monthly.
        alice = ConsoleUser(
            self,
            "Alice",
            user_name="alice",
            groups=[auditors],
            encryption_key=key,
            password_length=40,
            password_reset_required=False,
            rotation=RotationOptions(automatically_after=cdk.Duration.days(30)),
        )

        # A user that exists outside the stack gets a login profile of its own.
        vendor = iam.User.from_user_name(self, "Vendor", "vendor")
        vendor_login = LoginProfile(self, "VendorLogin", user=vendor, password_reset_required=True)

        helpdesk = iam.Role(self, "Helpdesk", assumed_by=iam.AccountRootPrincipal())
        alice.grant_read_password(helpdesk)
        vendor_login.grant_read_password(helpdesk)

        cdk.CfnOutput(self, "AlicePasswordSecretArn", value=alice.secret.secret_arn)
        cdk.CfnOutput(self, "VendorPasswordSecretArn", value=vendor_login.secret.secret_arn)
        cdk.CfnOutput(self, "SignInUrl", value=alice.sign_in_url)


app = cdk.App()
ConsoleUsersStack(
    app,
    "ConsoleUsers",
    env=cdk.Environment(account="123456789012", region="eu-west-1"),
)
app.synth()
