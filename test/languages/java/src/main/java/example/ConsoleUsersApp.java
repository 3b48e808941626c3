package example;

import io.github.cdkconsoleusers.ConsoleUser;
import java.util.List;
import software.amazon.awscdk.App;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.iam.AccountRootPrincipal;
import software.amazon.awscdk.services.iam.Group;
import software.amazon.awscdk.services.iam.ManagedPolicy;
import software.amazon.awscdk.services.iam.Role;
import software.constructs.Construct;

/**
 * A Java CDK app that uses cdk-console-users from the jar of `npm run package`: the README's first
 * stack, line for line. test/languages/java-app.test.ts compiles it with Maven, runs it as `cdk
 * synth` would (CDK_OUTDIR sets where) and compares its template with the README's TypeScript stack.
 */
public final class ConsoleUsersApp {
  public static final class ConsoleUsersStack extends Stack {
    public ConsoleUsersStack(final Construct scope, final String id) {
      super(scope, id);

      Group auditors = Group.Builder.create(this, "Auditors")
          .managedPolicies(List.of(ManagedPolicy.fromAwsManagedPolicyName("ReadOnlyAccess")))
          .build();

      // An iam.User (groups, grants, policies work as usual) with a generated console password.
      ConsoleUser alice = ConsoleUser.Builder.create(this, "Alice")
          .userName("alice")
          .groups(List.of(auditors))
          .build();

      // Who may read the password to hand it over.
      Role helpdesk = Role.Builder.create(this, "Helpdesk").assumedBy(new AccountRootPrincipal()).build();
      alice.grantReadPassword(helpdesk);

      // The library adds no stack outputs: output what you need.
      CfnOutput.Builder.create(this, "AlicePasswordSecretArn").value(alice.getSecret().getSecretArn()).build();
      CfnOutput.Builder.create(this, "SignInUrl").value(alice.getSignInUrl()).build();
    }
  }

  public static void main(final String[] args) {
    App app = new App();
    new ConsoleUsersStack(app, "ConsoleUsers");
    app.synth();
  }
}
