/**
 * No leaks: nothing the handler or the construct produces (log lines, stdout, stderr, thrown
 * errors, the response and its Data, the template, annotations) holds a password. The detector
 * (assertNoPasswordIn, used by every reliability test) is itself shown to catch a leaky handler.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ConsoleUser, LoginProfile } from '../../lib';
import * as iamCalls from '../../lambda/aws/iam';
import * as secretsCalls from '../../lambda/aws/secrets';
import type { LoginProfileEvent as CustomResourceEventBase } from '../../lambda/login-profile';
import { FakeAws, installFake } from '../tooling/fake-aws';
import {
  Handler,
  assertNoPasswordIn,
  createEvent,
  invoke,
  loginProfileHandler as handler,
  requestId,
  STACK_ID,
} from '../tooling/fault-harness';
import { RESPONSE_URL } from '../tooling/lambda-fixtures';
import { TemplateWorld } from '../tooling/template-world';

let fake: FakeAws;
beforeEach(() => {
  jest.useFakeTimers();
  fake = new FakeAws();
  installFake(fake);
});
afterEach(() => jest.useRealTimers());

function world(): { arn: string; event: CustomResourceEventBase } {
  fake.createUser('alice');
  const arn = fake.createSecret('alice-password');
  return { arn, event: createEvent('L', { UserName: 'alice', SecretArn: arn }) };
}

describe('the leak detector', () => {
  test('passes the real handler', async () => {
    // GIVEN a user and a secret
    const { event } = world();
    // WHEN the real handler creates the profile
    const result = await invoke(event);
    // THEN a password exists, and none is in the output
    expect(fake.passwordsEverSeen.size).toBeGreaterThan(0);
    expect(() => assertNoPasswordIn(fake, result.output)).not.toThrow();
  });

  const leakyHandlers: [string, Handler][] = [
    [
      'logs every AWS request it sends (a debug middleware)',
      async (event, context) => {
        for (const client of [iamCalls.iam(), secretsCalls.secrets()]) {
          (client.middlewareStack as ReturnType<typeof iamCalls.iam>['middlewareStack']).add(
            (next) => async (args) => {
              console.log('request', JSON.stringify(args.input));
              return next(args);
            },
            { step: 'initialize', name: 'leakyDebugLogger' },
          );
        }
        return handler(event, context);
      },
    ],
    [
      'logs the secret it wrote, after the fact',
      async (event, context) => {
        const response = await handler(event, context);
        const arn = (event.ResourceProperties as { SecretArn: string }).SecretArn;
        console.error('stored', fake.valueAt(arn, 'AWSCURRENT'));
        return response;
      },
    ],
    [
      'writes the password straight to stdout',
      async (event, context) => {
        const response = await handler(event, context);
        process.stdout.write(`${fake.profileOf('alice')?.password}\n`);
        return response;
      },
    ],
    [
      'returns the password in Data',
      async (event, context) => {
        const response = await handler(event, context);
        return { ...response, Data: { ...response.Data, Password: fake.profileOf('alice')!.password } };
      },
    ],
    [
      'throws an error that carries the secret value',
      async (event, context) => {
        await handler(event, context);
        const arn = (event.ResourceProperties as { SecretArn: string }).SecretArn;
        throw new Error(`could not finish: ${JSON.stringify(fake.valueAt(arn, 'AWSCURRENT'))}`);
      },
    ],
  ];
  test.each(leakyHandlers)('fails a handler that %s', async (_name, leaky) => {
    // GIVEN a handler that leaks on purpose
    const { event } = world();
    // WHEN it runs
    const result = await invoke(event, { fn: leaky });
    // THEN the detector fails, without printing the password itself
    expect(() => assertNoPasswordIn(fake, result.output)).toThrow(/password\(s\) leaked/);
    try {
      assertNoPasswordIn(fake, result.output);
    } catch (error) {
      expect(() => assertNoPasswordIn(fake, (error as Error).message)).not.toThrow();
    }
  });
});

describe('error messages', () => {
  const echoing = [
    ['CreateLoginProfile', 'PasswordPolicyViolation'],
    ['PutSecretValue', 'LimitExceeded'],
    ['CreateLoginProfile', 'LimitExceeded'],
  ] as const;
  test.each(echoing)(
    'fails without the password when %s fails with %s and its message echoes the request',
    async (command, kind) => {
      // GIVEN a service that puts the request, password included, into its error message
      const { event } = world();
      fake.inject({ command, kind, count: Infinity, echoInput: true });
      // WHEN the Create fails
      const result = await invoke(event);
      // THEN the error names the failure but holds no password (the handler redacts what it saw)
      expect(result.error).toBeDefined();
      expect(String(result.error)).toMatch(new RegExp(kind));
      expect(fake.faultsHit).toBeGreaterThan(0);
      assertNoPasswordIn(fake, result.output);
    },
  );

  test('fails without the password when an Update reset fails with an echoing message', async () => {
    // GIVEN a login profile, then a reset whose IAM call echoes the request
    const { arn, event } = world();
    await invoke(event);
    fake.inject({ command: 'UpdateLoginProfile', kind: 'PasswordPolicyViolation', count: Infinity, echoInput: true });
    const props = { ...event.ResourceProperties, ResetToken: 'next' };
    // WHEN the reset fails
    const result = await invoke({
      ...event,
      RequestType: 'Update',
      RequestId: requestId(),
      PhysicalResourceId: 'alice',
      ResourceProperties: props,
      OldResourceProperties: event.ResourceProperties,
    });
    // THEN no password is in anything it said
    expect(result.error).toBeDefined();
    expect(fake.valueAt(arn, 'AWSPENDING')).toBeDefined();
    assertNoPasswordIn(fake, result.output);
  });
});

describe('the construct', () => {
  test('the template, its annotations and the handler output of a deployed app hold no password', async () => {
    // GIVEN an app with a ConsoleUser and a login profile for an imported user
    const app = new App();
    const stack = new Stack(app, 'app');
    new ConsoleUser(stack, 'Operator', { userName: 'operator' });
    new LoginProfile(stack, 'Auditor', { user: iam.User.fromUserName(stack, 'Imported', 'auditor') });
    const template = Template.fromStack(stack).toJSON();
    // WHEN every login profile is created through the fake with the template's own properties
    const deployed = new TemplateWorld(template as never, fake, 'app');
    fake.createUser('auditor');
    const outputs: string[] = [];
    for (const [id, resource] of Object.entries(
      template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    )) {
      if (resource.Type !== 'Custom::ConsoleLoginProfile') continue;
      const result = await invoke({
        RequestType: 'Create',
        RequestId: requestId(),
        StackId: STACK_ID,
        LogicalResourceId: id,
        ResourceType: resource.Type,
        ResponseURL: RESPONSE_URL,
        ResourceProperties: deployed.resolve(resource.Properties),
      });
      expect(result.error).toBeUndefined();
      outputs.push(result.output);
    }
    // THEN two passwords exist, and none is in the template, the annotations or the output
    expect(outputs).toHaveLength(2);
    expect(fake.profileOf('operator')).toBeDefined();
    expect(fake.profileOf('auditor')).toBeDefined();
    const annotations = [
      ...Annotations.fromStack(stack).findInfo('*', Match.anyValue()),
      ...Annotations.fromStack(stack).findWarning('*', Match.anyValue()),
      ...Annotations.fromStack(stack).findError('*', Match.anyValue()),
    ];
    assertNoPasswordIn(fake, JSON.stringify(template), JSON.stringify(annotations), ...outputs);
  });

  test('the custom resource carries only names, ARNs and options', () => {
    // GIVEN a ConsoleUser
    const stack = new Stack(new App(), 'app');
    new ConsoleUser(stack, 'Operator', { userName: 'operator', resetToken: 'v1' });
    // THEN its custom resource has exactly the contract's properties, none of them a password
    const resources = Template.fromStack(stack).findResources('Custom::ConsoleLoginProfile');
    for (const resource of Object.values(resources)) {
      expect(Object.keys(resource.Properties).sort()).toEqual(
        [
          'PasswordLength',
          'PasswordResetRequired',
          'ResetToken',
          'SecretArn',
          'ServiceTimeout',
          'ServiceToken',
          'UserName',
        ].sort(),
      );
      // and its metadata (CloudFormation's record, read by the handler) carries the same, no more
      const { ServiceToken, ServiceTimeout, ...recorded } = resource.Properties;
      expect([ServiceToken, ServiceTimeout].every((v) => v !== undefined)).toBe(true);
      expect(Object.keys(resource.Metadata)).toEqual(['cdk-console-users:properties']);
      expect(resource.Metadata['cdk-console-users:properties']).toEqual(recorded);
    }
  });
});
