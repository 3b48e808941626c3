/**
 * The decisions of attested events (lambda/runtime/attestation.ts), as pure functions: which
 * combinations of an event and CloudFormation's record of its resource are accepted, and what the
 * accepted event carries (the record's properties, not the event's). The calls around them are
 * tested with the fake in test/security/forged-events.test.ts.
 */
import * as fc from 'fast-check';
import { LOGIN_PROFILE_ATTESTATION } from '../../lambda/login-profile';
import { PASSWORD_POLICY_ATTESTATION } from '../../lambda/password-policy';
import {
  AnyCustomResourceEvent,
  CLEANUP_STATUSES,
  ResourceRecord,
  decide,
  decideCleanup,
  precheck,
  recordedProperties,
  sameProperties,
} from '../../lambda/runtime/attestation';

const STACK = 'arn:aws:cloudformation:us-east-1:123456789012:stack/app/11111111-2222-3333-4444-555555555555';
const TYPE = 'Custom::ConsoleLoginProfile';
const TOKEN = 'arn:aws:lambda:us-east-1:123456789012:function:f';
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:alice-password-AbCdEf';
const OTHER_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf';
const ALICE = { UserName: 'alice', SecretArn: SECRET, PasswordLength: '24', PasswordResetRequired: 'true' };

/** Every resource status CloudFormation has (the ones a decision looks at, and the rest). */
const STATUSES = [
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'CREATE_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'DELETE_COMPLETE',
  'DELETE_SKIPPED',
  'UPDATE_IN_PROGRESS',
  'UPDATE_FAILED',
  'UPDATE_COMPLETE',
  'IMPORT_IN_PROGRESS',
  'IMPORT_COMPLETE',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_COMPLETE',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE',
];

function event(
  RequestType: string,
  props: Record<string, unknown> = ALICE,
  extra: Record<string, unknown> = {},
): AnyCustomResourceEvent {
  return {
    RequestType,
    ServiceToken: TOKEN,
    ResponseURL: 'https://example.invalid/r',
    StackId: STACK,
    RequestId: 'r1',
    LogicalResourceId: 'AliceLoginProfile',
    ResourceType: TYPE,
    ResourceProperties: { ServiceToken: TOKEN, ...props },
    ...extra,
  } as unknown as AnyCustomResourceEvent;
}
const update = (props: Record<string, unknown>, old: Record<string, unknown>, physical = 'alice') =>
  event('Update', props, { PhysicalResourceId: physical, OldResourceProperties: { ServiceToken: TOKEN, ...old } });
const del = (physical: string, props: Record<string, unknown> = ALICE) =>
  event('Delete', props, { PhysicalResourceId: physical });
const record = (status: string, properties: Record<string, unknown> | undefined = ALICE, physical?: string) =>
  ({ resourceType: TYPE, status, physicalResourceId: physical, properties }) as ResourceRecord;

describe('precheck', () => {
  test('accepts an event of the own stack and type', () => {
    expect(precheck(LOGIN_PROFILE_ATTESTATION, event('Create'), STACK)).toBeUndefined();
  });
  test('refuses another stack, an unknown own stack, and another type', () => {
    expect(precheck(LOGIN_PROFILE_ATTESTATION, event('Create'), STACK.replace('/app/', '/x/'))).toBe('foreign-stack');
    expect(precheck(LOGIN_PROFILE_ATTESTATION, event('Create'), undefined)).toBe('foreign-stack');
    expect(precheck(LOGIN_PROFILE_ATTESTATION, event('Create'), '')).toBe('foreign-stack');
    expect(precheck(PASSWORD_POLICY_ATTESTATION, event('Create'), STACK)).toBe('wrong-resource-type');
  });
});

describe('recordedProperties', () => {
  test('reads the properties under the library key of the whole metadata', () => {
    const metadata = JSON.stringify({ 'aws:cdk:path': 'app/x', 'cdk-console-users:properties': ALICE });
    expect(recordedProperties(metadata)).toEqual(ALICE);
  });
  test.each([
    ['no metadata', undefined],
    ['not JSON', '{'],
    ['no library key', JSON.stringify({ other: ALICE })],
    ['a string under the key', JSON.stringify({ 'cdk-console-users:properties': 'x' })],
    ['a list under the key', JSON.stringify({ 'cdk-console-users:properties': [ALICE] })],
    ['a list as the metadata', JSON.stringify([ALICE])],
  ])('gives none for %s', (_name, metadata) => {
    expect(recordedProperties(metadata)).toBeUndefined();
  });
});

describe('sameProperties', () => {
  test('ignores the service token and timeout, compares scalars as the strings CloudFormation sends', () => {
    expect(sameProperties(ALICE, { ServiceToken: TOKEN, ServiceTimeout: '300', ...ALICE })).toBe(true);
    expect(sameProperties({ ...ALICE, PasswordLength: 24 }, ALICE)).toBe(true);
  });
  test('differs on any deciding field: changed, added or missing', () => {
    expect(sameProperties(ALICE, { ...ALICE, SecretArn: OTHER_SECRET })).toBe(false);
    expect(sameProperties(ALICE, { ...ALICE, ResetToken: '1' })).toBe(false);
    const fewer: Record<string, string> = { ...ALICE };
    delete fewer.PasswordLength;
    expect(sameProperties(ALICE, fewer)).toBe(false);
    expect(sameProperties({ ...ALICE, X: ['1'] }, { ...ALICE, X: '1' })).toBe(false);
    expect(sameProperties(ALICE, 'not an object')).toBe(false);
  });
  test('no properties are the empty set', () => {
    expect(sameProperties({}, undefined)).toBe(true);
    expect(sameProperties(ALICE, undefined)).toBe(false);
  });
  test('is equality: any change of one value is seen (property-based)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(ALICE)), fc.string(), (key, value) => {
        const changed = { ...ALICE, [key]: value };
        expect(sameProperties(ALICE, changed)).toBe((ALICE as Record<string, string>)[key] === value);
      }),
    );
  });
});

describe('decide', () => {
  test('no record: no-such-resource; another type in the record: wrong-resource-type', () => {
    expect(decide(LOGIN_PROFILE_ATTESTATION, event('Create'), undefined)).toEqual({
      kind: 'refuse',
      reason: 'no-such-resource',
    });
    expect(
      decide(LOGIN_PROFILE_ATTESTATION, event('Create'), {
        ...record('CREATE_IN_PROGRESS'),
        resourceType: 'AWS::IAM::User',
      }),
    ).toEqual({ kind: 'refuse', reason: 'wrong-resource-type' });
  });

  test.each([
    ['Create', () => event('Create'), 'CREATE_IN_PROGRESS', undefined],
    ['Update', () => update(ALICE, ALICE), 'UPDATE_IN_PROGRESS', 'alice'],
    ['Delete', () => del('alice'), 'DELETE_IN_PROGRESS', 'alice'],
  ])('%s is accepted in exactly one resource state', (_type, make, accepted, physical) => {
    for (const status of STATUSES) {
      const decision = decide(LOGIN_PROFILE_ATTESTATION, make(), record(status, ALICE, physical));
      if (status === accepted) expect(decision.kind).toBe('accept');
      else expect(decision).toEqual({ kind: 'refuse', reason: 'not-in-progress' });
    }
  });

  test('Create: the accepted event carries the record properties (and keeps the service token)', () => {
    const decision = decide(LOGIN_PROFILE_ATTESTATION, event('Create'), record('CREATE_IN_PROGRESS'));
    expect(decision).toEqual({
      kind: 'accept',
      event: expect.objectContaining({ ResourceProperties: { ServiceToken: TOKEN, ...ALICE } }),
    });
  });

  test('Create: properties other than the record are refused; no recorded properties too', () => {
    const stolen = event('Create', { ...ALICE, SecretArn: OTHER_SECRET });
    expect(decide(LOGIN_PROFILE_ATTESTATION, stolen, record('CREATE_IN_PROGRESS'))).toEqual({
      kind: 'refuse',
      reason: 'record-contradicts-event',
    });
    const bare: ResourceRecord = { resourceType: TYPE, status: 'CREATE_IN_PROGRESS' };
    expect(decide(LOGIN_PROFILE_ATTESTATION, event('Create'), bare)).toEqual({
      kind: 'refuse',
      reason: 'no-recorded-properties',
    });
  });

  describe('Update (login profile)', () => {
    const inProgress = (shown: Record<string, unknown>) => record('UPDATE_IN_PROGRESS', shown, 'alice');
    const flag = { ...ALICE, PasswordResetRequired: 'false' };
    const bob = { ...ALICE, UserName: 'bob' };

    test('refuses another physical ID than the record', () => {
      expect(decide(LOGIN_PROFILE_ATTESTATION, update(flag, ALICE, 'bob'), inProgress(flag))).toEqual({
        kind: 'refuse',
        reason: 'physical-id-mismatch',
      });
    });

    test('the record shows the new properties: accepted, with the old user the recorded physical ID', () => {
      const decision = decide(LOGIN_PROFILE_ATTESTATION, update(bob, ALICE), inProgress(bob));
      expect(decision).toEqual({
        kind: 'accept',
        event: expect.objectContaining({
          ResourceProperties: { ServiceToken: TOKEN, ...bob },
          OldResourceProperties: { ServiceToken: TOKEN, ...ALICE },
        }),
      });
    });

    test('an old user that is not the recorded physical ID is refused (a forged old side)', () => {
      const forgedOld = { ...ALICE, UserName: 'breakglass', SecretArn: OTHER_SECRET };
      expect(decide(LOGIN_PROFILE_ATTESTATION, update(bob, forgedOld), inProgress(bob))).toEqual({
        kind: 'refuse',
        reason: 'old-user-not-recorded',
      });
    });

    test('the way back to the recorded user (a rollback of a failed rename): the old user goes only with the recorded secret', () => {
      const failed = { ...bob, SecretArn: OTHER_SECRET };
      const decision = decide(LOGIN_PROFILE_ATTESTATION, update(ALICE, failed), inProgress(ALICE));
      expect(decision).toEqual({
        kind: 'accept',
        event: expect.objectContaining({
          ResourceProperties: { ServiceToken: TOKEN, ...ALICE },
          OldResourceProperties: { ServiceToken: TOKEN, ...failed, SecretArn: SECRET },
        }),
      });
    });

    test('the record shows the old properties: the flag, length and token may change; the user or secret not yet', () => {
      for (const next of [flag, { ...ALICE, ResetToken: '2' }, { ...ALICE, PasswordLength: '40' }]) {
        expect(decide(LOGIN_PROFILE_ATTESTATION, update(next, ALICE), inProgress(ALICE))).toEqual({
          kind: 'accept',
          event: expect.objectContaining({ ResourceProperties: { ServiceToken: TOKEN, ...next } }),
        });
      }
      for (const next of [bob, { ...ALICE, SecretArn: OTHER_SECRET }]) {
        expect(decide(LOGIN_PROFILE_ATTESTATION, update(next, ALICE), inProgress(ALICE))).toEqual({
          kind: 'read-again',
        });
      }
    });

    test('a record with no properties yet (metadata from before this Update) is read again', () => {
      const bare: ResourceRecord = { resourceType: TYPE, status: 'UPDATE_IN_PROGRESS', physicalResourceId: 'alice' };
      expect(decide(LOGIN_PROFILE_ATTESTATION, update(flag, ALICE), bare)).toEqual({ kind: 'read-again' });
    });

    test('a record showing neither side is refused', () => {
      expect(decide(LOGIN_PROFILE_ATTESTATION, update(flag, ALICE), inProgress(bob))).toEqual({
        kind: 'refuse',
        reason: 'record-contradicts-event',
      });
    });
  });

  test('Update (password policy): only once the record shows the new policy', () => {
    const policy = (n: string) => ({ MinimumPasswordLength: n });
    const e = {
      ...update(policy('20'), policy('10'), 'p'),
      ResourceType: 'Custom::AccountPasswordPolicy',
    } as AnyCustomResourceEvent;
    const shown = (n: string) =>
      ({
        resourceType: 'Custom::AccountPasswordPolicy',
        status: 'UPDATE_IN_PROGRESS',
        physicalResourceId: 'p',
        properties: policy(n),
      }) as ResourceRecord;
    expect(decide(PASSWORD_POLICY_ATTESTATION, e, shown('20')).kind).toBe('accept');
    expect(decide(PASSWORD_POLICY_ATTESTATION, e, shown('10'))).toEqual({ kind: 'read-again' });
    expect(decide(PASSWORD_POLICY_ATTESTATION, e, shown('6'))).toEqual({
      kind: 'refuse',
      reason: 'record-contradicts-event',
    });
  });

  describe('Delete', () => {
    test('of the recorded physical ID: the recorded properties, not the event properties', () => {
      const forged = del('alice', { ...ALICE, UserName: 'breakglass', SecretArn: OTHER_SECRET });
      expect(decide(LOGIN_PROFILE_ATTESTATION, forged, record('DELETE_IN_PROGRESS', ALICE, 'alice'))).toEqual({
        kind: 'accept',
        event: expect.objectContaining({ ResourceProperties: { ServiceToken: TOKEN, ...ALICE } }),
      });
    });

    test('of a record with no physical ID yet (a Create that gave none): taken as the recorded resource', () => {
      expect(decide(LOGIN_PROFILE_ATTESTATION, del('made-up'), record('DELETE_IN_PROGRESS', ALICE)).kind).toBe(
        'accept',
      );
    });

    test('of a replaced physical ID: only the secret of the current record, checked against the cleanup phase', () => {
      const decision = decide(
        LOGIN_PROFILE_ATTESTATION,
        del('alice', ALICE),
        record('UPDATE_COMPLETE', { ...ALICE, UserName: 'bob' }, 'bob'),
      );
      expect(decision).toEqual({
        kind: 'check-cleanup',
        event: expect.objectContaining({
          PhysicalResourceId: 'alice',
          ResourceProperties: { ServiceToken: TOKEN, SecretArn: SECRET },
        }),
      });
    });

    test('of another physical ID than the password policy record: refused (its physical ID never changes)', () => {
      const e = { ...del('forged'), ResourceType: 'Custom::AccountPasswordPolicy' } as AnyCustomResourceEvent;
      const r = {
        resourceType: 'Custom::AccountPasswordPolicy',
        status: 'DELETE_IN_PROGRESS',
        physicalResourceId: 'real',
      } as ResourceRecord;
      expect(decide(PASSWORD_POLICY_ATTESTATION, e, r)).toEqual({ kind: 'refuse', reason: 'physical-id-mismatch' });
    });
  });
});

describe('decideCleanup', () => {
  test('accepts only the two cleanup phases', () => {
    const all = [
      ...STATUSES,
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
      'DELETE_IN_PROGRESS',
    ];
    for (const status of all) {
      expect(decideCleanup(status)).toBe(CLEANUP_STATUSES.has(status) ? undefined : 'not-cleanup-phase');
    }
    expect(decideCleanup(undefined)).toBe('not-cleanup-phase');
    expect([...CLEANUP_STATUSES].sort()).toEqual([
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
    ]);
  });
});
