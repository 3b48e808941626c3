/** The account-password-policy handler with mocked IAM, and its pure physical-ID encoding. */
import {
  DeleteAccountPasswordPolicyCommand,
  GetAccountPasswordPolicyCommand,
  IAMClient,
  UpdateAccountPasswordPolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { AccountPasswordPolicyEvent, handler } from '../../lambda/password-policy';
import {
  PHYSICAL_ID_PREFIX,
  PolicyFields,
  decodePhysicalId,
  encodePhysicalId,
  parseProperties,
} from '../../lambda/password-policy/policy';
import { resetClients } from '../../lambda/shared/aws';

const iam = mockClient(IAMClient);
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
const WANTED = {
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

function event(requestType: string, extra: Record<string, unknown> = {}): AccountPasswordPolicyEvent {
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:f',
    ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/response',
    RequestId: 'r',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1',
    LogicalResourceId: 'PasswordPolicy',
    ResourceType: 'Custom::AccountPasswordPolicy',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:f', ...WANTED },
    ...extra,
  } as AccountPasswordPolicyEvent;
}

beforeEach(() => {
  resetClients();
  iam.reset();
  iam.onAnyCommand().rejects(new Error('unexpected IAM call'));
  iam.on(UpdateAccountPasswordPolicyCommand).resolves({});
  iam.on(DeleteAccountPasswordPolicyCommand).resolves({});
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

const noPolicy = () =>
  iam.on(GetAccountPasswordPolicyCommand).rejects(Object.assign(new Error('none'), { name: 'NoSuchEntityException' }));

describe('Create', () => {
  test('records "none" when the account has no policy, then applies the props', async () => {
    noPolicy();
    const response = await handler(event('Create'));
    expect(response).toEqual({ PhysicalResourceId: NONE_ID });
    expect(iam.commandCalls(UpdateAccountPasswordPolicyCommand).map((c) => c.args[0].input)).toEqual([WANTED_REQUEST]);
  });

  test('records the previous policy in the physical ID (as UpdateAccountPasswordPolicy takes it)', async () => {
    iam.on(GetAccountPasswordPolicyCommand).resolves({ PasswordPolicy: EXISTING });
    const response = await handler(event('Create'));
    expect(response.PhysicalResourceId.startsWith(PHYSICAL_ID_PREFIX)).toBe(true);
    expect(decodePhysicalId(response.PhysicalResourceId)).toEqual(EXISTING_REQUEST);
    expect(iam.commandCalls(UpdateAccountPasswordPolicyCommand).map((c) => c.args[0].input)).toEqual([WANTED_REQUEST]);
    // read before write
    const order = iam.calls().map((c) => c.args[0].constructor.name);
    expect(order).toEqual(['GetAccountPasswordPolicyCommand', 'UpdateAccountPasswordPolicyCommand']);
  });

  test('fails when IAM rejects the policy, naming the request type', async () => {
    noPolicy();
    iam
      .on(UpdateAccountPasswordPolicyCommand)
      .rejects(Object.assign(new Error('bad policy'), { name: 'MalformedPolicyDocumentException' }));
    await expect(handler(event('Create'))).rejects.toThrow(
      /Create of the account password policy failed: MalformedPolicyDocumentException: bad policy/,
    );
  });

  test('fails when a property is outside its AWS range, before any call', async () => {
    await expect(
      handler(event('Create', { ResourceProperties: { ...WANTED, MinimumPasswordLength: '5' } })),
    ).rejects.toThrow(/MinimumPasswordLength must be a whole number from 6 to 128; got "5"/);
    expect(iam.calls()).toHaveLength(0);
  });
});

describe('Update', () => {
  test('applies the new props and keeps the physical ID (the record of the previous policy)', async () => {
    const physicalId = encodePhysicalId(EXISTING_REQUEST);
    const response = await handler(
      event('Update', {
        PhysicalResourceId: physicalId,
        ResourceProperties: { ...WANTED, MinimumPasswordLength: '32' },
        OldResourceProperties: WANTED,
      }),
    );
    expect(response.PhysicalResourceId).toBe(physicalId);
    expect(iam.commandCalls(UpdateAccountPasswordPolicyCommand).map((c) => c.args[0].input)).toEqual([
      { ...WANTED_REQUEST, MinimumPasswordLength: 32 },
    ]);
    expect(iam.commandCalls(GetAccountPasswordPolicyCommand)).toHaveLength(0);
  });

  test('fails when the physical ID is not one this handler wrote', async () => {
    await expect(handler(event('Update', { PhysicalResourceId: 'something-else' }))).rejects.toThrow(
      /does not record a previous password policy/,
    );
    expect(iam.commandCalls(UpdateAccountPasswordPolicyCommand)).toHaveLength(0);
  });
});

describe('Delete', () => {
  test('restores the recorded previous policy', async () => {
    await handler(event('Delete', { PhysicalResourceId: encodePhysicalId(EXISTING_REQUEST) }));
    expect(iam.commandCalls(UpdateAccountPasswordPolicyCommand).map((c) => c.args[0].input)).toEqual([
      EXISTING_REQUEST,
    ]);
    expect(iam.commandCalls(DeleteAccountPasswordPolicyCommand)).toHaveLength(0);
  });

  test('removes the policy when there was none before', async () => {
    await handler(event('Delete', { PhysicalResourceId: NONE_ID }));
    expect(iam.commandCalls(DeleteAccountPasswordPolicyCommand)).toHaveLength(1);
    expect(iam.commandCalls(UpdateAccountPasswordPolicyCommand)).toHaveLength(0);
  });

  test('succeeds when the policy is already gone', async () => {
    iam
      .on(DeleteAccountPasswordPolicyCommand)
      .rejects(Object.assign(new Error('none'), { name: 'NoSuchEntityException' }));
    await expect(handler(event('Delete', { PhysicalResourceId: NONE_ID }))).resolves.toEqual({
      PhysicalResourceId: NONE_ID,
    });
  });

  test('fails when the physical ID records an unknown field', async () => {
    await expect(
      handler(event('Delete', { PhysicalResourceId: `${PHYSICAL_ID_PREFIX}MinimumPasswordLength=8&Colour=blue` })),
    ).rejects.toThrow(/unknown field "Colour"/);
    expect(iam.calls()).toHaveLength(0);
  });
});

test('fails when the request type is unknown', async () => {
  await expect(handler(event('Replace'))).rejects.toThrow(/unknown RequestType "Replace"/);
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
