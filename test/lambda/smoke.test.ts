import { mockClient } from 'aws-sdk-client-mock';
import {
  IAMClient,
  GetAccountPasswordPolicyCommand,
  CreateLoginProfileCommand,
  TagUserCommand,
} from '@aws-sdk/client-iam';
import { SecretsManagerClient, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { handler } from '../../lambda/login-profile';

test('smoke create', async () => {
  const iam = mockClient(IAMClient);
  const sm = mockClient(SecretsManagerClient);
  iam.on(GetAccountPasswordPolicyCommand).rejects(Object.assign(new Error('x'), { name: 'NoSuchEntityException' }));
  iam.on(TagUserCommand).resolves({});
  iam.on(CreateLoginProfileCommand).resolves({});
  sm.on(PutSecretValueCommand).resolves({});
  const r = await handler({
    RequestType: 'Create',
    RequestId: 'r1',
    StackId: 's',
    LogicalResourceId: 'L',
    ResourceType: 'Custom::ConsoleLoginProfile',
    ResourceProperties: {
      UserName: 'alice',
      SecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf',
      SignInUrl: 'https://1.signin.aws.amazon.com/console',
      PasswordLength: '24',
      PasswordResetRequired: 'true',
    },
  });
  expect(r.PhysicalResourceId).toBe('alice');
  const pw = iam.commandCalls(CreateLoginProfileCommand)[0].args[0].input.Password!;
  expect(pw).toHaveLength(24);
  expect(JSON.parse(sm.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretString!).password).toBe(pw);
});
