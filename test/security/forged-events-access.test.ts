/**
 * Forged events cannot switch console access (design invariant 6). Access switched off deletes a
 * login profile (a break-glass user locked out at the worst moment); switched on issues a password.
 * Unlike a new reset token, a switch is never taken from an event whose record still shows the old
 * properties: the record must show the switch. Each forged switch below makes no IAM or Secrets
 * Manager call and answers FAILED with the fixed reason; each is also shown to work against the
 * same handler when the check that stops it is taken away, so every test here can fail. Genuine
 * switches, CloudFormation sending each event, still succeed.
 */
import { LOGIN_PROFILE_ATTESTATION, handlerWith, loginProfileKind } from '../../lambda/login-profile';
import { REFUSED_REASON } from '../../lambda/runtime/attestation';
import { attestedByCloudFormation } from '../../lambda/runtime/custom-resource';
import {
  Delivery,
  FailedAnswer,
  Invocation,
  Props,
  answersOf,
  createEvent,
  invoke,
  lostPasswords,
  updateEvent,
} from '../tooling/fault-harness';
import { fakeAwsSuite } from '../tooling/handler-suite';
import { expectAccessOff } from '../tooling/scenarios';

const AL = 'AliceLoginProfile';
const { fake, outputs, run } = fakeAwsSuite();
let secret: string;

const on = (): Props => ({ UserName: 'alice', SecretArn: secret });
const off = (): Props => ({ ...on(), ConsoleAccess: 'false' });

/** The handler with the attestation rules it had before access switches needed the record: any Update keeping user and secret is taken unattested. */
const withoutSwitchRule = answersOf(
  (send) =>
    handlerWith(send, {
      ...loginProfileKind,
      attest: attestedByCloudFormation({
        ...LOGIN_PROFILE_ATTESTATION,
        unattestedUpdate: (old, next, physicalResourceId) =>
          old.UserName === physicalResourceId && next.UserName === old.UserName && next.SecretArn === old.SecretArn
            ? next
            : undefined,
      }),
    }),
  Delivery.FORGED,
);
const trusting = answersOf(
  (send) => handlerWith(send, { ...loginProfileKind, attest: async (event) => ({ event }) }),
  Delivery.FORGED,
);

/** CloudFormation in the middle of a genuine Update of Alice's login profile, its record showing `shown`. */
function updateInProgress(shown: Props): void {
  fake().cloudFormation.setStackStatus('UPDATE_IN_PROGRESS');
  fake().cloudFormation.setResource(AL, {
    resourceType: 'Custom::ConsoleLoginProfile',
    status: 'UPDATE_IN_PROGRESS',
    physicalResourceId: 'alice',
    properties: { PasswordLength: '24', PasswordResetRequired: 'true', ...shown },
  });
}

function reasonsIn(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { reason?: string })
    .flatMap((entry) => (entry.reason === undefined ? [] : [entry.reason]));
}

async function refused(result: Invocation, reason: string): Promise<void> {
  outputs.push(result.output);
  expect(fake().calls).toEqual([]);
  expect(result.error).toBeInstanceOf(FailedAnswer);
  expect((result.error as FailedAnswer).answer.Reason).toBe(REFUSED_REASON);
  expect(reasonsIn(result.output)).toEqual([reason]);
}

beforeEach(() => {
  fake().createUser('alice');
  secret = fake().createSecret('alice-password');
});
afterEach(() => {
  expect(lostPasswords(fake())).toEqual([]);
});

async function deployed(props: Props): Promise<void> {
  const result = await run(createEvent(AL, props));
  expect(result.error).toBeUndefined();
  fake().forgetCalls();
}

describe('a forged switch changes nothing', () => {
  test('access off outside any stack operation: refused (not-in-progress); the profile stays', async () => {
    await deployed(on());
    await refused(await invoke(updateEvent(AL, 'alice', off(), on()), { forged: true }), 'not-in-progress');
    expect(fake().profileOf('alice')).toBeDefined();
    // (without attestation it works)
    await run(updateEvent(AL, 'alice', off(), on()), { fn: trusting as never });
    expect(fake().profileOf('alice')).toBeUndefined();
  });

  test('access off during a genuine Update whose record still shows the old properties: refused (record-not-current)', async () => {
    // GIVEN CloudFormation updating Alice's profile (say, its password length), the record showing access on
    await deployed(on());
    updateInProgress(on());
    // WHEN a forger sends an Update from the recorded properties to access off
    const result = await run(updateEvent(AL, 'alice', off(), on()), { forged: true });
    // THEN the record would have to show the switch: after reading it again, refused; the profile stays
    expect((result.error as FailedAnswer).answer.Reason).toBe(REFUSED_REASON);
    expect(reasonsIn(result.output)).toEqual(['record-not-current']);
    expect(fake().calls).toEqual([]);
    expect(fake().profileOf('alice')).toBeDefined();
    // ...and with the rule that takes any Update of the same user and secret unattested, it works
    const bypass = await run(updateEvent(AL, 'alice', off(), on()), { fn: withoutSwitchRule as never });
    expect(bypass.error).toBeUndefined();
    expect(fake().profileOf('alice')).toBeUndefined();
  });

  test('access on during a genuine Update whose record still shows access off: refused; no password issued', async () => {
    await deployed(off());
    updateInProgress(off());
    const result = await run(updateEvent(AL, 'alice', on(), off()), { forged: true });
    expect(reasonsIn(result.output)).toEqual(['record-not-current']);
    expect(fake().calls).toEqual([]);
    expect(expectAccessOff(fake(), 'alice', secret)).toEqual([]);
    await run(updateEvent(AL, 'alice', on(), off()), { fn: withoutSwitchRule as never });
    expect(fake().profileOf('alice')).toBeDefined();
  });

  test('access on outside any stack operation: refused (not-in-progress)', async () => {
    await deployed(off());
    await refused(await invoke(updateEvent(AL, 'alice', on(), off()), { forged: true }), 'not-in-progress');
    expect(expectAccessOff(fake(), 'alice', secret)).toEqual([]);
  });
});

describe('genuine switches, CloudFormation sending each event', () => {
  test('off, then on, then off again', async () => {
    await deployed(on());
    for (const [next, old] of [
      [off(), on()],
      [on(), off()],
      [off(), on()],
    ]) {
      const result = await run(updateEvent(AL, 'alice', next, old));
      expect(result.error).toBeUndefined();
    }
    expect(expectAccessOff(fake(), 'alice', secret)).toEqual([]);
  });

  test('a reset token while the record shows the old properties still goes through (only switches need the record)', async () => {
    await deployed(on());
    fake().cloudFormation.updateShows = 'old';
    const before = fake().profileOf('alice')!.password;
    const result = await run(updateEvent(AL, 'alice', { ...on(), ResetToken: 'r1' }, on()));
    expect(result.error).toBeUndefined();
    expect(fake().profileOf('alice')!.password === before).toBe(false);
  });

  test('a switch whose record keeps showing the old properties is refused (record-not-current), as a rename is', async () => {
    await deployed(on());
    fake().cloudFormation.updateShows = 'old';
    const result = await run(updateEvent(AL, 'alice', off(), on()));
    expect(reasonsIn(result.output)).toEqual(['record-not-current']);
    expect(fake().profileOf('alice')).toBeDefined();
  });
});
