/**
 * Integration test for a real AWS account (integ-runner + @aws-cdk/integ-tests-alpha).
 *
 * Deploys a self-contained stack (no pre-existing user needed), asserts that every user has a
 * login profile and that every secret holds `{ username, password, signInUrl }`, then destroys it.
 * `npm run integ:snapshot` only compares the committed snapshot (offline); the README section
 * "Integration test in a real account" says how to deploy it for real.
 *
 * The password never reaches an assertion: the assertion provider logs every SDK response it gets
 * (`SDK response received ...`) and returns it to CloudFormation, so it must never call
 * `GetSecretValue` itself. Instead a probe function in the stack reads the secret and returns only
 * its shape (key names, length, character classes, version stages); the assertions see that.
 */
import { App, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { Construct } from 'constructs';
import { ConsoleUser, LoginProfile } from '../../lib';

/** What the assertions expect of one login profile. */
interface Expectation {
  readonly profile: LoginProfile;
  readonly passwordResetRequired: boolean;
  readonly passwordLength: number;
}

// The probe returns only non-secret facts about the secret value. It never logs, and a value that
// is not JSON is reported as such without being echoed.
const PROBE_CODE = `
const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
const client = new SecretsManagerClient({});
exports.handler = async (event) => {
  const out = await client.send(new GetSecretValueCommand({ SecretId: event.secretArn }));
  let value;
  try { value = JSON.parse(out.SecretString ?? ''); } catch { return { error: 'secret value is not JSON' }; }
  const password = typeof value.password === 'string' ? value.password : '';
  return {
    keys: Object.keys(value).sort(),
    username: value.username,
    signInUrl: value.signInUrl,
    passwordLength: password.length,
    passwordClasses: [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length,
    versionStages: out.VersionStages,
  };
};
`;

/** The sample's three shapes of login profile, with user names CloudFormation generates. */
class ConsoleUsersIntegStack extends Stack {
  public readonly expectations: Expectation[] = [];
  public readonly probe: lambda.Function;
  public readonly rotating: ConsoleUser;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const auditors = new iam.Group(this, 'Auditors', {
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
    });
    const auditor = new ConsoleUser(this, 'Auditor', { groups: [auditors] });
    this.expectations.push({
      profile: auditor.loginProfile,
      passwordResetRequired: true,
      passwordLength: 24,
    });

    const key = new kms.Key(this, 'BreakGlassKey', {
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    const breakGlass = new ConsoleUser(this, 'BreakGlass', {
      encryptionKey: key,
      passwordLength: 32,
      passwordResetRequired: false,
    });
    this.expectations.push({
      profile: breakGlass.loginProfile,
      passwordResetRequired: false,
      passwordLength: 32,
    });

    // A rotating user: Secrets Manager rotates its secret once when the schedule is created, through
    // the stack's rotation function, which acts only for a secret CloudFormation tagged with this
    // stack's ID (aws:cloudformation:stack-id; asserted below).
    this.rotating = new ConsoleUser(this, 'Rotating', {
      passwordResetRequired: false,
      rotation: { automaticallyAfter: Duration.days(30) },
    });
    this.expectations.push({
      profile: this.rotating.loginProfile,
      passwordResetRequired: false,
      passwordLength: 24,
    });

    // The sample imports an existing user; here that user is a plain iam.User of this stack,
    // imported by ARN so that the login profile (and its permissions) depend on it.
    const plain = new iam.User(this, 'VendorUser');
    const vendor = iam.User.fromUserArn(this, 'Vendor', plain.userArn);
    const vendorProfile = new LoginProfile(this, 'VendorLoginProfile', { user: vendor });
    this.expectations.push({
      profile: vendorProfile,
      passwordResetRequired: true,
      passwordLength: 24,
    });

    this.probe = new lambda.Function(this, 'SecretShapeProbe', {
      runtime: lambda.determineLatestNodeRuntime(this),
      handler: 'index.handler',
      code: lambda.Code.fromInline(PROBE_CODE),
      timeout: Duration.seconds(30),
    });
    for (const e of this.expectations) e.profile.secret.grantRead(this.probe);
  }
}

const app = new App();
const stack = new ConsoleUsersIntegStack(app, 'ConsoleUsersInteg');
const integ = new IntegTest(app, 'ConsoleUsersIntegTest', {
  testCases: [stack],
  // Handler code changes alter only asset hashes; the handler itself is tested against moto and
  // mocks. The snapshot guards the template's shape.
  diffAssets: false,
});

for (const e of stack.expectations) {
  const userName = e.profile.user.userName;

  // IAM is eventually consistent: poll until the profile is visible. The response holds no password.
  integ.assertions
    .awsApiCall('IAM', 'getLoginProfile', { UserName: userName })
    .expect(
      ExpectedResult.objectLike({
        LoginProfile: { UserName: userName, PasswordResetRequired: e.passwordResetRequired },
      }),
    )
    .waitForAssertions({ totalTimeout: Duration.minutes(3), interval: Duration.seconds(10) });

  integ.assertions
    .invokeFunction({
      functionName: stack.probe.functionName,
      payload: stack.toJsonString({ secretArn: e.profile.secret.secretArn }),
    })
    .expect(
      ExpectedResult.objectLike({
        Payload: Match.serializedJson({
          keys: ['password', 'signInUrl', 'username'],
          username: userName,
          signInUrl: Match.stringLikeRegexp('^https://[0-9]{12}\\.signin\\.[a-z.-]+/console$'),
          passwordLength: e.passwordLength,
          passwordClasses: 4,
          versionStages: ['AWSCURRENT'],
        }),
      }),
    );
}

// What the rotation function relies on: CloudFormation's own stack-ID tag on the secret it created,
// and rotation switched on with this stack's function.
integ.assertions.awsApiCall('SecretsManager', 'describeSecret', { SecretId: stack.rotating.secret.secretArn }).expect(
  ExpectedResult.objectLike({
    RotationEnabled: true,
    Tags: Match.arrayWith([Match.objectLike({ Key: 'aws:cloudformation:stack-id', Value: stack.stackId })]),
  }),
);

app.synth();
