/**
 * The handover event, as the handlers publish it against the fake: one event per issued password
 * (create, reset, a move to another user or secret, rotation), its shape exactly the documented
 * contract, nothing for an event that issues nothing (the reset flag, a Delete), a refused
 * (forged) event or a failed issue; a failed publish fails the operation; a function without its
 * bus issues nothing; and no password in any event, log or answer.
 */
import type { SecretsManagerRotationEventStep } from 'aws-lambda';
import { formatAccessOffValue } from '../../lambda/password/secret-value';
import { handler as rotationHandler } from '../../lambda/rotation';
import { HANDOVER_BUS_ENV, STACK_ID_ENV } from '../../lib/handler/contract';
import {
  HANDOVER_DETAIL_TYPE,
  HANDOVER_REASONS,
  HANDOVER_SCHEMA_VERSION,
  HANDOVER_SOURCE,
  HandoverDetail,
  secretConsoleUrl,
} from '../../lib/handover/contract';
import { OWNER_TAG_KEY } from '../../lib/login-profile/contract';
import { CFN_STACK_ID_TAG_KEY, ROTATED_VERSION_TAG_KEY, ROTATION_TAGS } from '../../lib/rotation/contract';
import { ACCOUNT, HANDOVER_BUS_ARN, REGION } from '../tooling/fake-aws';
import { fakeAwsSuite } from '../tooling/handler-suite';
import { FUNCTION_ARN, SIGN_IN_URL, STACK_ID, rotationEvent, secretArn } from '../tooling/lambda-fixtures';
import { EventType, SCENARIOS } from '../tooling/scenarios';

/** Every field of the detail, in the order docs/handover.md lists them: nothing more, nothing less. */
const DETAIL_FIELDS: (keyof HandoverDetail)[] = [
  'schemaVersion',
  'reason',
  'userName',
  'userArn',
  'account',
  'secretArn',
  'secretVersionId',
  'dedupeKey',
  'secretConsoleUrl',
  'signInUrl',
  'passwordResetRequired',
];

// No password the fake saw is in any output, nor in any event a bus accepted.
const { fake, run } = fakeAwsSuite({ alsoScanned: (f) => f.published.map((e) => JSON.stringify(e)) });

/** Forgets the events a setup published (and its PutEvents calls). */
function forgetPublished(): void {
  fake().published.splice(0);
  fake().eventCalls.splice(0);
}

/** The detail the contract promises for `userName`'s password in `secret` version `versionId`. */
function expectedDetail(
  reason: string,
  userName: string,
  secret: string,
  versionId: string,
  resetRequired: boolean,
): HandoverDetail {
  return {
    schemaVersion: HANDOVER_SCHEMA_VERSION,
    reason: reason as HandoverDetail['reason'],
    userName,
    userArn: `arn:aws:iam::${ACCOUNT}:user/${userName}`,
    account: ACCOUNT,
    secretArn: secret,
    secretVersionId: versionId,
    dedupeKey: `${secret} ${versionId}`,
    secretConsoleUrl: secretConsoleUrl(secret)!,
    signInUrl: SIGN_IN_URL,
    passwordResetRequired: resetRequired,
  };
}

describe('the login-profile handler announces each password it issues', () => {
  const ISSUING: [EventType, string][] = [
    ['create', 'create'],
    ['reset-token', 'reset'],
    ['rename', 'create'],
    ['new-secret', 'create'],
    ['access-on', 'console-access-on'],
  ];

  test.each(ISSUING)('%s: one event, reason %s, after the password is set and current', async (type, reason) => {
    // GIVEN the world before the event (a setup's own Create announced its password: forgotten)
    const context = await SCENARIOS[type].setup(fake());
    forgetPublished();
    const props = (context.event as { ResourceProperties: Record<string, string> }).ResourceProperties;
    // WHEN the event runs
    const result = await run(context.event);
    // THEN it succeeded and one event reached the stack's bus, with the documented source and type
    expect(result.error).toBeUndefined();
    expect(fake().published).toHaveLength(1);
    const [event] = fake().published;
    expect(event.eventBusName).toBe(HANDOVER_BUS_ARN);
    expect(event.source).toBe(HANDOVER_SOURCE);
    expect(event.detailType).toBe(HANDOVER_DETAIL_TYPE);
    expect(event.resources).toEqual([props.SecretArn]);
    // ...naming the version the handler answered with, which is the secret's AWSCURRENT and the
    // password the user now has
    const versionId = (result.response as { Data?: { SecretVersionId?: string } }).Data?.SecretVersionId;
    expect(versionId).toBe(fake().versionIdAt(props.SecretArn, 'AWSCURRENT'));
    expect(fake().profileOf(props.UserName)!.password === fake().valueAt(props.SecretArn, 'AWSCURRENT')!.password).toBe(
      true,
    );
    const detail = JSON.parse(event.detail) as HandoverDetail;
    expect(Object.keys(detail)).toEqual(DETAIL_FIELDS);
    expect(detail).toEqual(
      expectedDetail(reason, props.UserName, props.SecretArn, versionId!, props.PasswordResetRequired === 'true'),
    );
    // ...and the PutEvents came after every IAM and Secrets Manager call of the event
    expect(fake().eventCalls.map((c) => c.command)).toEqual(['PutEvents']);
  });

  test.each<EventType>(['reset-flag', 'delete', 'create-off', 'access-off', 'rename-off'])(
    '%s: issues no password, announces nothing',
    async (type) => {
      const context = await SCENARIOS[type].setup(fake());
      forgetPublished();
      const result = await run(context.event);
      expect(result.error).toBeUndefined();
      expect(fake().published).toEqual([]);
      expect(fake().eventCalls).toEqual([]);
    },
  );

  test('a replayed Create announces the same password again, with the same dedupeKey', async () => {
    // GIVEN a Create delivered once
    const context = await SCENARIOS.create.setup(fake());
    forgetPublished();
    expect((await run(context.event)).error).toBeUndefined();
    // WHEN Lambda delivers the same event again
    expect((await run(context.event)).error).toBeUndefined();
    // THEN two events, one password: the same version and dedupeKey
    const details = fake().publishedDetails();
    expect(details).toHaveLength(2);
    expect(details[1]).toEqual(details[0]);
  });

  test('a late delivery that a later change overtook changes nothing and announces nothing', async () => {
    // GIVEN a reset delivered once (announced), then a rotation since: a new AWSCURRENT the user holds
    const context = await SCENARIOS['reset-token'].setup(fake());
    const secret = (context.event as { ResourceProperties: Record<string, string> }).ResourceProperties.SecretArn;
    expect((await run(context.event)).error).toBeUndefined();
    const rotated = 'Rotated-Password-5%pqrSTU-2468013';
    const rotation = '33333333-3333-4333-8333-333333333333';
    fake().putVersionByHand(
      secret,
      rotation,
      JSON.stringify({ username: 'alice', password: rotated, signInUrl: SIGN_IN_URL }),
      ['AWSCURRENT'],
    );
    fake().setProfileByHand('alice', rotated);
    forgetPublished();
    // WHEN Lambda delivers the reset again
    const late = await run(context.event);
    // THEN the user keeps the rotation's password, and no event names it as a reset
    expect(late.error).toBeUndefined();
    expect(fake().profileOf('alice')!.password === rotated).toBe(true);
    expect(fake().versionIdAt(secret, 'AWSCURRENT')).toBe(rotation);
    expect(fake().published).toEqual([]);
  });

  test('a forged event (not in CloudFormation’s record) is refused and announces nothing', async () => {
    const context = await SCENARIOS.create.setup(fake());
    forgetPublished();
    const result = await run(context.event, { forged: true });
    expect(result.error).toBeDefined();
    expect(fake().published).toEqual([]);
    expect(fake().eventCalls).toEqual([]);
    expect(fake().profileOf('alice')).toBeUndefined();
  });

  test.each([
    ['IAM refuses the profile', { command: 'CreateLoginProfile', kind: 'AccessDenied' as const }],
    ['the secret cannot be written', { command: 'PutSecretValue', kind: 'AccessDenied' as const }],
    ['the user does not exist', { command: 'TagUser', kind: 'NoSuchEntity' as const }],
  ])('a failed issue (%s) announces nothing', async (_name, fault) => {
    const context = await SCENARIOS.create.setup(fake());
    forgetPublished();
    fake().inject({ ...fault, count: Number.POSITIVE_INFINITY });
    const result = await run(context.event);
    expect(result.error).toBeDefined();
    expect(fake().faultsHit).toBeGreaterThan(0);
    expect(fake().published).toEqual([]);
    expect(fake().eventCalls).toEqual([]);
  });

  test.each([
    [
      'EventBridge refuses the entry (FailedEntryCount 1)',
      'FailedEntry' as const,
      /refused the event.*InternalFailure/,
    ],
    ['access is denied', 'AccessDenied' as const, /AccessDenied/],
    ['the bus does not exist', 'ResourceNotFound' as const, /ResourceNotFound/],
  ])('fails the Create when %s, naming why, with no password in the answer', async (_name, kind, message) => {
    const context = await SCENARIOS.create.setup(fake());
    forgetPublished();
    fake().inject({ command: 'PutEvents', kind, count: Number.POSITIVE_INFINITY });
    const result = await run(context.event);
    expect(String(result.error)).toMatch(message);
    expect(fake().published).toEqual([]);
    // (the rollback's Delete, which removes the profile, is the fault matrix's: faults.test.ts)
  });

  test('a function without its bus issues no password at all', async () => {
    // GIVEN a function whose environment names no bus, then one naming something else
    const context = await SCENARIOS.create.setup(fake());
    fake().forgetCalls();
    forgetPublished();
    for (const value of [undefined, 'arn:aws:sns:us-east-1:123456789012:not-a-bus']) {
      if (value === undefined) delete process.env[HANDOVER_BUS_ENV];
      else process.env[HANDOVER_BUS_ENV] = value;
      // WHEN a Create arrives
      const result = await run(context.event);
      // THEN it fails before any IAM or Secrets Manager call: no user claimed, no secret written
      expect(String(result.error)).toMatch(new RegExp(`${HANDOVER_BUS_ENV} is not (set|an event bus ARN)`));
      expect(fake().commands()).toEqual([]);
      expect(fake().published).toEqual([]);
    }
  });
});

describe('the rotation function announces the password at finishSecret', () => {
  const ARN = secretArn('alice-password');
  const OLD = '11111111-1111-4111-8111-111111111111';
  const TOKEN = '22222222-2222-4222-8222-222222222222';
  const value = (password: string) => JSON.stringify({ username: 'alice', password, signInUrl: SIGN_IN_URL });

  /** The world after setSecret: IAM holds the pending password, recorded on the user. */
  function afterSetSecret(resetRequired: boolean): void {
    process.env[STACK_ID_ENV] = STACK_ID;
    fake().createUser('alice', '/', { [OWNER_TAG_KEY]: ARN, [ROTATED_VERSION_TAG_KEY]: TOKEN });
    fake().setProfileByHand('alice', 'Pending-Password-2@abcXYZ-6543210');
    fake().createSecret('alice-password', {
      arn: ARN,
      tags: {
        [CFN_STACK_ID_TAG_KEY]: STACK_ID,
        [ROTATION_TAGS.userName]: 'alice',
        [ROTATION_TAGS.passwordLength]: '24',
        [ROTATION_TAGS.passwordResetRequired]: String(resetRequired),
      },
      rotation: { enabled: true, lambdaArn: FUNCTION_ARN },
    });
    fake().putVersionByHand(ARN, OLD, value('Current-Password-1!xyzABC-0123456'), ['AWSCURRENT']);
    fake().putVersionByHand(ARN, TOKEN, value('Pending-Password-2@abcXYZ-6543210'), ['AWSPENDING']);
  }

  const step = async (name: SecretsManagerRotationEventStep) => {
    return run(rotationEvent(name, ARN, TOKEN), { fn: rotationHandler });
  };

  test.each([false, true])(
    'one event, reason rotation, once the version is AWSCURRENT (reset required: %s)',
    async (reset) => {
      afterSetSecret(reset);
      const result = await step('finishSecret');
      expect(result.error).toBeUndefined();
      expect(fake().stagesOf(ARN)[TOKEN]).toEqual(['AWSCURRENT']);
      expect(fake().publishedDetails(HANDOVER_BUS_ARN)).toEqual([
        expectedDetail('rotation', 'alice', ARN, TOKEN, reset),
      ]);
    },
  );

  test.each<SecretsManagerRotationEventStep>(['createSecret', 'setSecret', 'testSecret'])(
    '%s announces nothing',
    async (name) => {
      afterSetSecret(false);
      await step(name);
      expect(fake().published).toEqual([]);
    },
  );

  test('finishSecret refused (IAM does not hold the version) announces nothing', async () => {
    afterSetSecret(false);
    fake().users.get('alice')!.tags.delete(ROTATED_VERSION_TAG_KEY);
    const result = await step('finishSecret');
    expect(String(result.error)).toMatch(/does not hold version/);
    expect(fake().published).toEqual([]);
    expect(fake().stagesOf(ARN)[OLD]).toEqual(['AWSCURRENT']);
  });

  test('a failed publish fails the step; its retry announces the same version', async () => {
    afterSetSecret(false);
    fake().inject({ command: 'PutEvents', kind: 'FailedEntry' });
    const first = await step('finishSecret');
    expect(String(first.error)).toMatch(/refused the event/);
    // the password is stored and current: nothing is lost, only the announcement is owed
    expect(fake().stagesOf(ARN)[TOKEN]).toEqual(['AWSCURRENT']);
    expect(fake().published).toEqual([]);
    const retry = await step('finishSecret');
    expect(retry.error).toBeUndefined();
    expect(fake().publishedDetails()).toEqual([expectedDetail('rotation', 'alice', ARN, TOKEN, false)]);
  });

  test('while console access is off, a rotation announces nothing, also when finishSecret runs again', async () => {
    // GIVEN access off: the current value and the one createSecret staged are the off copy
    afterSetSecret(false);
    const off = formatAccessOffValue({ username: 'alice', signInUrl: SIGN_IN_URL });
    fake().putVersionByHand(ARN, OLD, off, ['AWSCURRENT']);
    fake().putVersionByHand(ARN, TOKEN, off, ['AWSPENDING']);
    fake().users.get('alice')!.profile = undefined;
    // WHEN finishSecret runs, and runs again
    expect((await step('finishSecret')).error).toBeUndefined();
    expect(fake().versionIdAt(ARN, 'AWSCURRENT')).toBe(TOKEN);
    expect((await step('finishSecret')).error).toBeUndefined();
    // THEN the off copy is current and nothing was announced
    expect(fake().published).toEqual([]);
  });

  test('a rotation function without its bus does nothing at any step', async () => {
    afterSetSecret(false);
    delete process.env[HANDOVER_BUS_ENV];
    fake().forgetCalls();
    for (const name of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      expect(String((await step(name)).error)).toMatch(/no handover bus/);
    }
    expect(fake().commands()).toEqual([]);
    expect(fake().stagesOf(ARN)[OLD]).toEqual(['AWSCURRENT']);
  });
});

test('the contract lists four reasons, the ones the docs name', () => {
  expect(HANDOVER_REASONS).toEqual(['create', 'reset', 'rotation', 'console-access-on']);
});

test('the secret console link is the secret’s partition, region and name', () => {
  expect(secretConsoleUrl(`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:team/alice-password-AbCdEf`)).toBe(
    `https://${REGION}.console.aws.amazon.com/secretsmanager/secret?name=team%2Falice-password&region=${REGION}`,
  );
  expect(secretConsoleUrl(`arn:aws-cn:secretsmanager:cn-north-1:${ACCOUNT}:secret:p-AbCdEf`)).toBe(
    'https://cn-north-1.console.amazonaws.cn/secretsmanager/secret?name=p&region=cn-north-1',
  );
  expect(secretConsoleUrl(`arn:aws-us-gov:secretsmanager:us-gov-west-1:${ACCOUNT}:secret:p-AbCdEf`)).toMatch(
    /^https:\/\/us-gov-west-1\.console\.amazonaws-us-gov\.com\//,
  );
  expect(secretConsoleUrl('arn:aws-iso:secretsmanager:us-iso-east-1:123456789012:secret:p-AbCdEf')).toBeUndefined();
  expect(secretConsoleUrl('not an arn')).toBeUndefined();
});
