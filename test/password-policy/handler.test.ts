/** The account-password-policy handler against the fake IAM, and its pure physical-ID encoding. */
import * as fc from 'fast-check';
import { AccountPasswordPolicyEvent, NOTHING_RECORDED, handlerWith } from '../../lambda/password-policy';
import {
  PHYSICAL_ID_PREFIX,
  PolicyFields,
  decodePhysicalId,
  encodePhysicalId,
  parseProperties,
} from '../../lambda/password-policy/policy';
import type { AccountPasswordPolicyResourceProperties } from '../../lib/password-policy/contract';
import { FakeAws, installFake } from '../tooling/fake-aws';
import { FailedAnswer, answersOf, failureOf, invoke } from '../tooling/fault-harness';
import { EventSource, createEventOf, deleteEventOf, updateEventOf } from '../tooling/lambda-fixtures';

const NONE_ID = `${PHYSICAL_ID_PREFIX}none`;
/** What GetAccountPasswordPolicy answers for an account with a policy of its own. */
const EXISTING = {
  MinimumPasswordLength: 10,
  RequireSymbols: false,
  RequireNumbers: true,
  RequireUppercaseCharacters: false,
  RequireLowercaseCharacters: true,
  AllowUsersToChangePassword: true,
  ExpirePasswords: false,
  MaxPasswordAge: 0,
  PasswordReusePrevention: 5,
  HardExpiry: false,
};
/** The same policy as UpdateAccountPasswordPolicy takes it. */
const EXISTING_REQUEST = {
  MinimumPasswordLength: 10,
  RequireSymbols: false,
  RequireNumbers: true,
  RequireUppercaseCharacters: false,
  RequireLowercaseCharacters: true,
  AllowUsersToChangePassword: true,
  PasswordReusePrevention: 5,
  HardExpiry: false,
};
const WANTED: AccountPasswordPolicyResourceProperties = {
  MinimumPasswordLength: '40',
  RequireSymbols: 'true',
  RequireNumbers: 'true',
  RequireUppercaseCharacters: 'true',
  RequireLowercaseCharacters: 'true',
  MaxPasswordAge: '90',
};
const WANTED_REQUEST = {
  MinimumPasswordLength: 40,
  RequireSymbols: true,
  RequireNumbers: true,
  RequireUppercaseCharacters: true,
  RequireLowercaseCharacters: true,
  MaxPasswordAge: 90,
};
/** What GetAccountPasswordPolicy answers after WANTED_REQUEST was applied (fields left out take their defaults). */
const WANTED_IN_FORCE = {
  ...WANTED_REQUEST,
  AllowUsersToChangePassword: false,
  ExpirePasswords: true,
  HardExpiry: false,
};

function source(
  properties: AccountPasswordPolicyResourceProperties,
): EventSource<AccountPasswordPolicyResourceProperties> {
  return { logicalResourceId: 'PasswordPolicy', resourceType: 'Custom::AccountPasswordPolicy', properties };
}
const createEvent = (properties = WANTED) => createEventOf(source(properties));
const handler = answersOf(handlerWith);
const run = (event: AccountPasswordPolicyEvent) => invoke(event, { fn: handler });

let fake: FakeAws;
beforeEach(() => {
  jest.useFakeTimers();
  fake = new FakeAws();
  installFake(fake);
});
afterEach(() => jest.useRealTimers());

describe('Create', () => {
  test('records "none" when the account has no policy, then applies the props', async () => {
    // GIVEN an account without a password policy
    // WHEN
    const { response, error } = await run(createEvent());
    // THEN it read, found none, and applied exactly the props
    expect(error).toBeUndefined();
    expect(response).toEqual({ PhysicalResourceId: NONE_ID });
    expect(fake.calls.map((c) => [c.command, c.outcome])).toEqual([
      ['GetAccountPasswordPolicy', 'NoSuchEntityException'],
      ['UpdateAccountPasswordPolicy', 'ok'],
    ]);
    expect(fake.inputsOf('UpdateAccountPasswordPolicy')).toEqual([WANTED_REQUEST]);
    expect(fake.passwordPolicy).toEqual(WANTED_IN_FORCE);
  });

  test('records the previous policy in the physical ID (as UpdateAccountPasswordPolicy takes it)', async () => {
    fake.passwordPolicy = EXISTING;
    const { response } = await run(createEvent());
    expect(response!.PhysicalResourceId.startsWith(PHYSICAL_ID_PREFIX)).toBe(true);
    expect(decodePhysicalId(response!.PhysicalResourceId)).toEqual(EXISTING_REQUEST);
    expect(fake.inputsOf('UpdateAccountPasswordPolicy')).toEqual([WANTED_REQUEST]);
    // read before write, nothing else
    expect(fake.commands()).toEqual(['GetAccountPasswordPolicy', 'UpdateAccountPasswordPolicy']);
  });

  test('fails when IAM rejects the policy, naming the request type', async () => {
    fake.inject({ command: 'UpdateAccountPasswordPolicy', kind: 'MalformedPolicyDocument' });
    const failed = await run(createEvent());
    expect(failureOf(failed)).toMatch(
      /^Create of the account password policy failed: MalformedPolicyDocumentException: The policy document is malformed\.$/,
    );
    // one attempt (not retried), and the account keeps having no policy
    expect(fake.commands()).toEqual(['GetAccountPasswordPolicy', 'UpdateAccountPasswordPolicy']);
    expect(fake.passwordPolicy).toBeUndefined();
  });

  test('fails when a property is outside its AWS range, before any call', async () => {
    const failed = await run(createEvent({ ...WANTED, MinimumPasswordLength: '5' }));
    expect(failureOf(failed)).toMatch(/MinimumPasswordLength must be a whole number from 6 to 128; got "5"/);
    expect(fake.calls).toEqual([]);
  });
});

describe('Update', () => {
  test('applies the new props and keeps the physical ID (the record of the previous policy)', async () => {
    fake.passwordPolicy = WANTED_IN_FORCE;
    const physicalId = encodePhysicalId(EXISTING_REQUEST);
    const { response } = await run(
      updateEventOf(source({ ...WANTED, MinimumPasswordLength: '32' }), physicalId, WANTED),
    );
    expect(response!.PhysicalResourceId).toBe(physicalId);
    expect(fake.commands()).toEqual(['UpdateAccountPasswordPolicy']);
    expect(fake.inputsOf('UpdateAccountPasswordPolicy')).toEqual([{ ...WANTED_REQUEST, MinimumPasswordLength: 32 }]);
    expect(fake.passwordPolicy).toEqual({ ...WANTED_IN_FORCE, MinimumPasswordLength: 32 });
  });

  test('fails when the physical ID is not one this handler wrote', async () => {
    const failed = await run(updateEventOf(source(WANTED), 'something-else', WANTED));
    expect(failureOf(failed)).toMatch(/does not record a previous password policy/);
    expect(fake.calls).toEqual([]);
  });
});

describe('Delete', () => {
  test('restores the recorded previous policy', async () => {
    fake.passwordPolicy = WANTED_IN_FORCE;
    await run(deleteEventOf(source(WANTED), encodePhysicalId(EXISTING_REQUEST)));
    expect(fake.commands()).toEqual(['UpdateAccountPasswordPolicy']);
    expect(fake.inputsOf('UpdateAccountPasswordPolicy')).toEqual([EXISTING_REQUEST]);
    // GetAccountPasswordPolicy answers what Create found (MaxPasswordAge 0 is "none": left out)
    expect(fake.passwordPolicy).toEqual({ ...EXISTING, MaxPasswordAge: undefined });
  });

  test('removes the policy when there was none before', async () => {
    fake.passwordPolicy = WANTED_IN_FORCE;
    await run(deleteEventOf(source(WANTED), NONE_ID));
    expect(fake.commands()).toEqual(['DeleteAccountPasswordPolicy']);
    expect(fake.inputsOf('DeleteAccountPasswordPolicy')).toEqual([{}]);
    expect(fake.passwordPolicy).toBeUndefined();
  });

  test('succeeds when the policy is already gone', async () => {
    const { response, error } = await run(deleteEventOf(source(WANTED), NONE_ID));
    expect(error).toBeUndefined();
    expect(response).toEqual({ PhysicalResourceId: NONE_ID });
    expect(fake.calls.map((c) => [c.command, c.outcome])).toEqual([
      ['DeleteAccountPasswordPolicy', 'NoSuchEntityException'],
    ]);
  });

  test('fails when the physical ID records an unknown field', async () => {
    const failed = await run(deleteEventOf(source(WANTED), `${PHYSICAL_ID_PREFIX}MinimumPasswordLength=8&Colour=blue`));
    expect(failureOf(failed)).toMatch(/unknown field "Colour"/);
    expect(fake.calls).toEqual([]);
  });
});

describe('a failed Create, and the Delete CloudFormation sends after it', () => {
  test('an update that never answers: FAILED with the previous policy as physical ID, which the Delete puts back', async () => {
    // GIVEN an account with a policy, and IAM applying the new one without ever answering
    fake.passwordPolicy = EXISTING;
    fake.inject({ command: 'UpdateAccountPasswordPolicy', kind: 'AppliedNoAnswer', count: Infinity });
    // WHEN the Create runs
    const failed = await run(createEvent());
    // THEN it answered FAILED in time, naming the call, with the record of the previous policy
    expect(failureOf(failed)).toMatch(/UpdateAccountPasswordPolicy did not answer within \d+ ms/);
    const physicalId = (failed.error as FailedAnswer).physicalResourceId;
    expect(decodePhysicalId(physicalId)).toEqual(EXISTING_REQUEST);
    expect(fake.passwordPolicy).toEqual(WANTED_IN_FORCE);
    // WHEN the rollback's Delete arrives with that physical ID
    fake.clearFaults();
    const del = await run(deleteEventOf(source(WANTED), physicalId));
    // THEN the account has its previous policy again
    expect(del.error).toBeUndefined();
    expect(fake.passwordPolicy).toEqual({ ...EXISTING, MaxPasswordAge: undefined });
  });

  test('a Create that failed before reading the policy changed nothing, and neither does its Delete', async () => {
    fake.passwordPolicy = EXISTING;
    fake.inject({ command: 'GetAccountPasswordPolicy', kind: 'ServiceFailure', count: Infinity });
    const failed = await run(createEvent());
    const physicalId = (failed.error as FailedAnswer).physicalResourceId;
    expect(physicalId).toBe(NOTHING_RECORDED);
    fake.clearFaults();
    fake.forgetCalls();
    const del = await run(deleteEventOf(source(WANTED), physicalId));
    expect(del.error).toBeUndefined();
    expect(fake.calls).toEqual([]);
    expect(fake.passwordPolicy).toEqual(EXISTING);
  });

  test('a Delete after a Create that never answered (a physical ID CloudFormation made up) succeeds and changes nothing', async () => {
    fake.passwordPolicy = WANTED_IN_FORCE;
    const del = await run(deleteEventOf(source(WANTED), 'app-PasswordPolicy-1A2B3C4D5E6F'));
    expect(del.error).toBeUndefined();
    expect(fake.calls).toEqual([]);
    expect(fake.passwordPolicy).toEqual(WANTED_IN_FORCE);
  });
});

test('fails when the request type is unknown', async () => {
  const failed = await run({ ...createEvent(), RequestType: 'Replace' } as never);
  expect(failureOf(failed)).toMatch(/unknown RequestType "Replace"/);
  expect(fake.calls).toEqual([]);
});

describe('physical ID encoding', () => {
  const policy = fc.record(
    {
      MinimumPasswordLength: fc.integer({ min: 6, max: 128 }),
      RequireSymbols: fc.boolean(),
      RequireNumbers: fc.boolean(),
      RequireUppercaseCharacters: fc.boolean(),
      RequireLowercaseCharacters: fc.boolean(),
      AllowUsersToChangePassword: fc.boolean(),
      MaxPasswordAge: fc.integer({ min: 1, max: 1095 }),
      PasswordReusePrevention: fc.integer({ min: 1, max: 24 }),
      HardExpiry: fc.boolean(),
    },
    { requiredKeys: [] },
  );

  test('decodes to exactly the policy it encoded, within the physical ID length limit', () => {
    fc.assert(
      fc.property(policy, (p: PolicyFields) => {
        const id = encodePhysicalId(p);
        expect(id.length).toBeLessThanOrEqual(1024);
        expect(decodePhysicalId(id)).toEqual(p);
      }),
    );
  });

  test('"none" round-trips to undefined', () => {
    expect(decodePhysicalId(encodePhysicalId(undefined))).toBeUndefined();
  });

  test('parseProperties treats absent fields as absent (the API default) and rejects non-booleans', () => {
    expect(parseProperties({ RequireSymbols: 'true' })).toEqual({ RequireSymbols: true });
    expect(() => parseProperties({ HardExpiry: 'yes' })).toThrow(/HardExpiry must be "true" or "false"; got "yes"/);
    expect(() => parseProperties({ MaxPasswordAge: '1096' })).toThrow(
      /MaxPasswordAge must be a whole number from 1 to 1095/,
    );
    expect(() => parseProperties({ PasswordReusePrevention: '0' })).toThrow(/from 1 to 24; got "0"/);
  });
});
