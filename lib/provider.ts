/** The custom-resource provider shared by every login profile of a stack. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';

/** Where `npm run bundle` writes the handler (shipped in the package, so consumers need no bundler). */
export const HANDLER_ASSET_DIR = path.join(__dirname, '..', 'assets', 'login-profile-handler');

/** Props of `LoginProfileProvider`. */
export interface LoginProfileProviderProps {
  /**
   * Lambda runtime of the handler.
   * @default - the newest Node.js runtime that aws-cdk-lib knows for the stack's region
   */
  readonly runtime?: lambda.Runtime;

  /**
   * How long the handler may run for one event.
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;
}

/**
 * The Lambda function, provider framework and permissions that create login profiles.
 *
 * One per stack, created on first use by `LoginProfile`. Create it yourself (with the id
 * `LoginProfileProvider.ID`, directly under the stack) before any login profile to choose the
 * runtime or timeout. Its permissions grow with each login profile: the login-profile actions
 * only on those users, the secret writes only on those secrets.
 */
export class LoginProfileProvider extends Construct {
  /** Construct id of the provider under its stack. */
  public static readonly ID = 'CdkConsoleUsersLoginProfileProvider';

  /** The provider of `scope`'s stack, created if it does not exist yet. */
  public static of(scope: IConstruct): LoginProfileProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(LoginProfileProvider.ID);
    if (existing instanceof LoginProfileProvider) return existing;
    if (existing !== undefined) {
      throw new Error(`'${LoginProfileProvider.ID}' is used by another construct in stack ${stack.node.path}`);
    }
    return new LoginProfileProvider(stack, LoginProfileProvider.ID);
  }

  /** The Lambda function that handles the login-profile events. */
  public readonly handler: lambda.Function;
  /** The policy holding the handler's permissions; login profiles depend on it, so it outlives them on delete. */
  public readonly policy: iam.Policy;
  /** Service token for `Custom::ConsoleLoginProfile` resources. */
  public readonly serviceToken: string;

  private readonly userStatement: iam.PolicyStatement;
  private readonly secretStatement: iam.PolicyStatement;
  private keyStatement?: iam.PolicyStatement;
  private readonly keys = new Set<string>();

  constructor(scope: Construct, id: string, props: LoginProfileProviderProps = {}) {
    super(scope, id);
    if (!(scope instanceof Stack) || id !== LoginProfileProvider.ID) {
      throw new Error(
        `LoginProfileProvider must be created directly under a stack with id LoginProfileProvider.ID ('${LoginProfileProvider.ID}'), got '${id}' under ${scope.node.path || 'the app'}`,
      );
    }
    if (!fs.existsSync(path.join(HANDLER_ASSET_DIR, 'index.js'))) {
      throw new Error(`The login-profile handler is not bundled at ${HANDLER_ASSET_DIR}; run 'npm run bundle'`);
    }

    this.handler = new lambda.Function(this, 'Handler', {
      description: 'cdk-console-users: creates console login profiles with generated passwords kept in Secrets Manager',
      runtime: props.runtime ?? lambda.determineLatestNodeRuntime(this),
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(HANDLER_ASSET_DIR),
      timeout: props.timeout ?? Duration.minutes(2),
      memorySize: 256,
    });

    this.userStatement = new iam.PolicyStatement({
      sid: 'ManageLoginProfilesOfDeclaredUsers',
      actions: [
        'iam:CreateLoginProfile',
        'iam:UpdateLoginProfile',
        'iam:DeleteLoginProfile',
        'iam:GetUser',
        'iam:TagUser',
      ],
    });
    this.secretStatement = new iam.PolicyStatement({
      sid: 'WriteDeclaredPasswordSecrets',
      actions: [
        'secretsmanager:PutSecretValue',
        'secretsmanager:GetSecretValue',
        'secretsmanager:DescribeSecret',
        'secretsmanager:UpdateSecretVersionStage',
      ],
    });
    this.policy = new iam.Policy(this, 'HandlerPolicy', {
      roles: [this.handler.role!],
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadAccountPasswordPolicy',
          // GetAccountPasswordPolicy has no resource type: IAM only accepts "*" for it.
          actions: ['iam:GetAccountPasswordPolicy'],
          resources: ['*'],
        }),
        this.userStatement,
        this.secretStatement,
      ],
    });

    const provider = new cr.Provider(this, 'Provider', { onEventHandler: this.handler });
    this.serviceToken = provider.serviceToken;
  }

  /** Lets the handler manage the login profile of `user` and write its password to `secret`. */
  public grantLoginProfile(user: iam.IUser, secret: secretsmanager.ISecret): void {
    this.userStatement.addResources(user.userArn);
    this.secretStatement.addResources(secret.secretArn);
    if (secret.encryptionKey) this.grantKey(secret.encryptionKey);
  }

  private grantKey(key: kms.IKey): void {
    if (this.keys.has(key.node.path)) return;
    this.keys.add(key.node.path);
    if (!this.keyStatement) {
      this.keyStatement = new iam.PolicyStatement({
        sid: 'UseKeysOfDeclaredSecretsThroughSecretsManager',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
        },
      });
      this.policy.addStatements(this.keyStatement);
    }
    this.keyStatement.addResources(key.keyArn);
  }
}
