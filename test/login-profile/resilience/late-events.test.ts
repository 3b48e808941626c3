/**
 * Events Lambda delivers after CloudFormation stopped waiting for them. CloudFormation invokes the
 * handler asynchronously: Lambda queues the event (up to the function's maximum event age) and
 * may deliver one twice, so a Create can start after CloudFormation gave up on it, rolled back,
 * and sent the Delete. The handler knows when CloudFormation gives up (the time it signed the
 * ResponseURL, plus the ServiceTimeout the provider gives every login profile) and changes
 * nothing after it.
 */
import { SERVICE_TIMEOUT_ENV } from '../../../lambda/runtime/custom-resource';
import { FakeAws, installFake } from '../../tooling/fake-aws';
import {
  Props,
  createEvent,
  deleteEvent,
  leakCheckedInvocations,
  lostPasswords,
  updateEvent,
} from '../../tooling/fault-harness';

/** The ServiceTimeout of a provider with the default 2-minute handler (1 + 2 + 1 minutes). */
const SERVICE_TIMEOUT_S = 240;

let fake: FakeAws;
beforeEach(() => {
  jest.useFakeTimers();
  fake = new FakeAws();
  installFake(fake);
  process.env[SERVICE_TIMEOUT_ENV] = String(SERVICE_TIMEOUT_S);
});
afterEach(() => {
  delete process.env[SERVICE_TIMEOUT_ENV];
  jest.useRealTimers();
});
const { run } = leakCheckedInvocations(() => fake);

/** A ResponseURL as CloudFormation signs it (SigV4), signed now (on the fake clock). */
function signedNow(): string {
  const date = new Date(Date.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  return (
    'https://cloudformation-custom-resource-response.invalid/arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012' +
    `%3Astack/app/1%7CL%7Creq?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=${date}&X-Amz-Expires=7200` +
    '&X-Amz-SignedHeaders=host&X-Amz-Signature=0123abcd'
  );
}

/** `event` as CloudFormation sends it now. */
function sentNow<E extends object>(event: E): E {
  return { ...event, ResponseURL: signedNow() };
}

/** Moves the fake clock on by `seconds` (as time passes while an event waits in Lambda's queue). */
function wait(seconds: number): void {
  jest.setSystemTime(Date.now() + seconds * 1000);
}

test('a Create delivered after the rollback Delete leaves no login profile', async () => {
  // GIVEN an imported user (the rollback does not delete it) and the login profile's new secret
  fake.createUser('bob');
  const secret = fake.createSecret('bob-password');
  const props: Props = { UserName: 'bob', SecretArn: secret };
  // ...and a Create that CloudFormation sent, but that waited in Lambda's queue
  const create = sentNow(createEvent('BobLoginProfile', props));
  // WHEN CloudFormation gives up on it at the ServiceTimeout and rolls back: the Delete (with a
  // physical ID it made up) reaches the handler first
  wait(SERVICE_TIMEOUT_S + 1);
  const del = await run(sentNow(deleteEvent('BobLoginProfile', 'app-BobLoginProfile-1A2B3C4D5E6F', props)));
  expect(del.error).toBeUndefined();
  // ...then Lambda delivers the Create, before CloudFormation deletes the secret
  fake.forgetCalls();
  const late = await run(create);
  fake.deleteSecret(secret);
  // THEN the late Create changed nothing: it made no call, and answered FAILED (CloudFormation
  // ignores an answer to an event it gave up on)
  expect(fake.commands()).toEqual([]);
  expect(String(late.error)).toMatch(/the event came after CloudFormation stopped waiting for it; changed nothing/);
  // ...so bob has no login profile, no tag of ours, and no password was written anywhere
  expect(fake.profileOf('bob')).toBeUndefined();
  expect(fake.tagsOf('bob')).toEqual({});
  expect(fake.versionCount(secret)).toBe(0);
  expect(lostPasswords(fake)).toEqual([]);
});

test('a reset delivered after its rollback Update changes nothing', async () => {
  // GIVEN a login profile, and a reset that waited in Lambda's queue until CloudFormation gave up
  fake.createUser('alice');
  const secret = fake.createSecret('alice-password');
  const v1: Props = { UserName: 'alice', SecretArn: secret, ResetToken: '1' };
  const v2: Props = { ...v1, ResetToken: '2' };
  expect((await run(sentNow(createEvent('AliceLoginProfile', v1)))).error).toBeUndefined();
  const reset = sentNow(updateEvent('AliceLoginProfile', 'alice', v2, v1));
  wait(SERVICE_TIMEOUT_S + 1);
  // WHEN the rollback Update (properties swapped) runs, then the late reset arrives
  expect((await run(sentNow(updateEvent('AliceLoginProfile', 'alice', v1, v2)))).error).toBeUndefined();
  const password = fake.profileOf('alice')!.password;
  const versions = fake.versionCount(secret);
  fake.forgetCalls();
  const late = await run(reset);
  // THEN the late reset made no call: the password is the rollback's, and it is AWSCURRENT
  expect(String(late.error)).toMatch(/the event came after CloudFormation stopped waiting for it/);
  expect(fake.commands()).toEqual([]);
  expect(fake.profileOf('alice')!.password).toBe(password);
  expect(fake.valueAt(secret, 'AWSCURRENT')!.password).toBe(password);
  expect(fake.versionCount(secret)).toBe(versions);
});

test('an event delivered in time runs as usual (the bound is the ServiceTimeout, not the queue)', async () => {
  // GIVEN a Create that waited in Lambda's queue for its maximum age (1 minute)
  fake.createUser('bob');
  const secret = fake.createSecret('bob-password');
  const create = sentNow(createEvent('BobLoginProfile', { UserName: 'bob', SecretArn: secret }));
  wait(60);
  // WHEN it is delivered
  const result = await run(create);
  // THEN it creates the profile as usual
  expect(result.error).toBeUndefined();
  expect(fake.profileOf('bob')!.password).toBe(fake.valueAt(secret, 'AWSCURRENT')!.password);
});
