// A Go CDK app that uses cdk-console-users from the module `npm run package` (or
// `npm run package:go`) wrote to dist/go/cdkconsoleusers (the replace directive of go.mod): the
// README's first stack, line for line. test/languages/go-app.test.ts builds and vets it, runs it
// as `cdk synth` would (CDK_OUTDIR sets where) and compares its template with the README's
// TypeScript stack.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-console-users/cdk-console-users-go/cdkconsoleusers"
)

func NewConsoleUsersStack(scope constructs.Construct, id string) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), nil)

	auditors := awsiam.NewGroup(stack, jsii.String("Auditors"), &awsiam.GroupProps{
		ManagedPolicies: &[]awsiam.IManagedPolicy{
			awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("ReadOnlyAccess")),
		},
	})

	// An iam.User (groups, grants, policies work as usual) with a generated console password.
	alice := cdkconsoleusers.NewConsoleUser(stack, jsii.String("Alice"), &cdkconsoleusers.ConsoleUserProps{
		UserName: jsii.String("alice"),
		Groups:   &[]awsiam.IGroup{auditors},
	})

	// Who may read the password to hand it over.
	helpdesk := awsiam.NewRole(stack, jsii.String("Helpdesk"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewAccountRootPrincipal(),
	})
	alice.GrantReadPassword(helpdesk)

	// The library adds no stack outputs: output what you need.
	awscdk.NewCfnOutput(stack, jsii.String("AlicePasswordSecretArn"), &awscdk.CfnOutputProps{
		Value: alice.Secret().SecretArn(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("SignInUrl"), &awscdk.CfnOutputProps{Value: alice.SignInUrl()})

	return stack
}

func main() {
	defer jsii.Close()

	app := awscdk.NewApp(nil)
	NewConsoleUsersStack(app, "ConsoleUsers")
	app.Synth(nil)
}
