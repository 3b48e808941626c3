import { IAMClient, CreateUserCommand, GetLoginProfileCommand } from '@aws-sdk/client-iam';
import { SecretsManagerClient, CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { bundledHandler } from '../support/bundles';

test('bundled handler creates a login profile in moto', async () => {
  const iam = new IAMClient({});
  const sm = new SecretsManagerClient({});
  await iam.send(new CreateUserCommand({ UserName: 'smoke' }));
  const secret = await sm.send(new CreateSecretCommand({ Name: 'smoke-secret' }));
  const handler = bundledHandler('login-profile-handler');
  await handler({
    RequestType: 'Create',
    RequestId: 'r1',
    StackId: 's',
    LogicalResourceId: 'L',
    ResourceType: 'Custom::ConsoleLoginProfile',
    ResourceProperties: {
      UserName: 'smoke',
      SecretArn: secret.ARN,
      SignInUrl: 'https://123456789012.signin.aws.amazon.com/console',
      PasswordLength: '24',
      PasswordResetRequired: 'true',
    },
  });
  const profile = await iam.send(new GetLoginProfileCommand({ UserName: 'smoke' }));
  expect(profile.LoginProfile?.UserName).toBe('smoke');
  const value = await sm.send(new GetSecretValueCommand({ SecretId: secret.ARN }));
  expect(JSON.parse(value.SecretString!).username).toBe('smoke');
});
