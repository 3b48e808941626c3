/**
 * CloudTrail records of IAM and Secrets Manager calls in the shapes AWS documents (CloudTrail User
 * Guide, "CloudTrail record contents for management events" and "CloudTrail userIdentity element";
 * IAM User Guide, "Logging IAM and AWS STS API calls with AWS CloudTrail"; Secrets Manager User
 * Guide, "AWS CloudTrail entries for Secrets Manager"), with this suite's account and names.
 * EventBridge delivers such a record as `detail`, source `aws.iam` / `aws.secretsmanager`,
 * detail-type "AWS API Call via CloudTrail". Request parameters are lowerCamelCase; a call made
 * without parameters records `requestParameters: null`; secrets (passwords, MFA codes) are never
 * recorded.
 *
 * Callers: a role session (`AssumedRole`, whose `sessionContext.sessionIssuer` is the role), an
 * IAM user with long-term keys (no `sessionContext`), an IAM user in a console session
 * (`sessionContext.attributes` only, no `sessionIssuer`), and the root user.
 */
import { ACCOUNT } from './console-login-events';

export { ACCOUNT };
export const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/** Who made a call: the record's `userIdentity`, and a name for test titles. */
export interface Caller {
  readonly name: string;
  readonly userIdentity: Record<string, unknown>;
}

/** A session of the role `roleArn` (`arn:aws:iam::<account>:role/<path><name>`), named `session`. */
export function roleSession(roleArn: string, session = 'session'): Caller {
  const roleName = roleArn.split('/').pop()!;
  return {
    name: `role ${roleName}`,
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROACKCEVSQ6C2EXAMPLE:${session}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${session}`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROACKCEVSQ6C2EXAMPLE',
          arn: roleArn,
          accountId: ACCOUNT,
          userName: roleName,
        },
        attributes: { creationDate: '2026-11-30T15:40:00Z', mfaAuthenticated: 'false' },
      },
    },
  };
}

/** The IAM user `userName` with long-term access keys: no `sessionContext`. */
export function iamUserWithKeys(userName: string, path = '/'): Caller {
  return {
    name: `IAM user ${userName} (access keys)`,
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDACKCEVSQ6C2EXAMPLE',
      arn: `arn:aws:iam::${ACCOUNT}:user${path}${userName}`,
      accountId: ACCOUNT,
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      userName,
    },
  };
}

/** The IAM user `userName` signed in to the console: `sessionContext` without `sessionIssuer`. */
export function iamUserInConsole(userName: string, path = '/'): Caller {
  return {
    name: `IAM user ${userName} (console)`,
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDACKCEVSQ6C2EXAMPLE',
      arn: `arn:aws:iam::${ACCOUNT}:user${path}${userName}`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
      userName,
      sessionContext: { attributes: { creationDate: '2026-11-30T15:40:00Z', mfaAuthenticated: 'true' } },
    },
  };
}

/** The account's root user. */
export const ROOT: Caller = {
  name: 'root user',
  userIdentity: {
    type: 'Root',
    principalId: ACCOUNT,
    arn: `arn:aws:iam::${ACCOUNT}:root`,
    accountId: ACCOUNT,
    accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
    sessionContext: { attributes: { creationDate: '2026-11-30T15:40:00Z', mfaAuthenticated: 'true' } },
  },
};

/** A named CloudTrail record (the EventBridge `detail`) of one call. */
export interface CallCase {
  readonly name: string;
  readonly source: 'aws.iam' | 'aws.secretsmanager';
  readonly detail: Record<string, unknown>;
}

function record(
  service: 'iam' | 'secretsmanager',
  region: string,
  caller: Caller,
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  responseElements: Record<string, unknown> | null,
  readOnly: boolean,
): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: caller.userIdentity,
    eventTime: '2026-11-30T15:49:27Z',
    eventSource: `${service}.amazonaws.com`,
    eventName,
    awsRegion: region,
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.22.0 md/awscrt#0.23.4 ua/2.0 os/linux#6.8 md/arch#x86_64 lang/python#3.12.6',
    requestParameters,
    responseElements,
    requestID: '9f2d1c3e-5b7a-4c1e-8a0d-2e4f6b8c0a1f',
    eventID: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: service === 'iam' ? 'iam.amazonaws.com' : `secretsmanager.${region}.amazonaws.com`,
    },
  };
}

/**
 * The request parameters and response elements IAM records for `eventName` on the user `userName`
 * (`undefined`: the caller named no user).
 */
function iamCall(
  eventName: string,
  userName: string | undefined,
  tagKeys: string[],
): { request: Record<string, unknown> | null; response: Record<string, unknown> | null } {
  const user = userName === undefined ? {} : { userName };
  const named = (extra: Record<string, unknown>) => {
    const request = { ...user, ...extra };
    return Object.keys(request).length === 0 ? null : request;
  };
  const owner = userName ?? 'caller';
  switch (eventName) {
    case 'CreateLoginProfile':
      return {
        request: named({ passwordResetRequired: false }),
        response: {
          loginProfile: { userName: owner, createDate: 'Nov 30, 2026 3:49:27 PM', passwordResetRequired: false },
        },
      };
    case 'UpdateLoginProfile':
      return { request: named({ passwordResetRequired: false }), response: null };
    case 'CreateAccessKey':
      return {
        request: named({}),
        response: {
          accessKey: {
            accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
            status: 'Active',
            userName: owner,
            createDate: 'Nov 30, 2026 3:49:27 PM',
          },
        },
      };
    case 'UpdateAccessKey':
      return { request: named({ accessKeyId: 'AKIAI44QH8DHBEXAMPLE', status: 'Active' }), response: null };
    case 'CreateVirtualMFADevice':
      return {
        request: { virtualMFADeviceName: `${owner}-phone`, path: '/' },
        response: { virtualMFADevice: { serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/${owner}-phone` } },
      };
    case 'EnableMFADevice':
    case 'DeactivateMFADevice':
      return { request: named({ serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/${owner}-phone` }), response: null };
    case 'UploadSSHPublicKey':
      return {
        request: named({ sSHPublicKeyBody: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ example' }),
        response: {
          sSHPublicKey: { userName: owner, sSHPublicKeyId: 'APKAEIBAERJR2EXAMPLE', status: 'Active' },
        },
      };
    case 'CreateServiceSpecificCredential':
      return {
        request: named({ serviceName: 'codecommit.amazonaws.com' }),
        response: {
          serviceSpecificCredential: {
            userName: owner,
            serviceName: 'codecommit.amazonaws.com',
            serviceUserName: `${owner}-at-${ACCOUNT}`,
            serviceSpecificCredentialId: 'ACCAEXAMPLE123EXAMPLE',
            status: 'Active',
          },
        },
      };
    case 'AttachUserPolicy':
    case 'DetachUserPolicy':
      return { request: named({ policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }), response: null };
    case 'PutUserPolicy':
      return {
        request: named({
          policyName: 'everything',
          policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
        }),
        response: null,
      };
    case 'DeleteUserPolicy':
      return { request: named({ policyName: 'deny-without-mfa' }), response: null };
    case 'AddUserToGroup':
    case 'RemoveUserFromGroup':
      return { request: named({ groupName: 'admins' }), response: null };
    case 'PutUserPermissionsBoundary':
      return { request: named({ permissionsBoundary: 'arn:aws:iam::aws:policy/AdministratorAccess' }), response: null };
    case 'TagUser':
      return { request: named({ tags: tagKeys.map((key) => ({ key, value: 'attacker' })) }), response: null };
    case 'UntagUser':
      return { request: named({ tagKeys }), response: null };
    default:
      // DeleteLoginProfile, DeleteUserPermissionsBoundary: the user name only.
      return { request: named({}), response: null };
  }
}

/**
 * `caller`'s IAM call `eventName` on the user `userName` (or naming no user), recorded in
 * us-east-1 (IAM is a global service: CloudTrail records its calls there).
 */
export function iamEvent(
  caller: Caller,
  eventName: string,
  userName: string | undefined,
  options: { tagKeys?: string[]; region?: string } = {},
): CallCase {
  const { request, response } = iamCall(eventName, userName, options.tagKeys ?? []);
  const tags = options.tagKeys === undefined ? '' : ` ${options.tagKeys.join(',')}`;
  return {
    name: `${caller.name}: ${eventName}${tags} on ${userName ?? 'itself (no user named)'}`,
    source: 'aws.iam',
    detail: record('iam', options.region ?? 'us-east-1', caller, eventName, request, response, false),
  };
}

/** The request parameters IAM records for `eventName` on the group `groupName`. */
function groupCall(eventName: string, groupName: string): Record<string, unknown> {
  switch (eventName) {
    case 'AttachGroupPolicy':
    case 'DetachGroupPolicy':
      return { groupName, policyArn: `arn:aws:iam::${ACCOUNT}:policy/RequireMfaPolicy` };
    case 'PutGroupPolicy':
      return {
        groupName,
        policyName: 'everything',
        policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
      };
    case 'DeleteGroupPolicy':
      return { groupName, policyName: 'DefaultPolicy' };
    case 'UpdateGroup':
      return { groupName, newGroupName: `${groupName}-renamed` };
    default:
      // DeleteGroup, GetGroup: the group name only.
      return { groupName };
  }
}

/**
 * `caller`'s IAM call `eventName` on the group `groupName` (naming no user), recorded in us-east-1.
 */
export function groupEvent(caller: Caller, eventName: string, groupName: string): CallCase {
  return {
    name: `${caller.name}: ${eventName} on group ${groupName}`,
    source: 'aws.iam',
    detail: record(
      'iam',
      'us-east-1',
      caller,
      eventName,
      groupCall(eventName, groupName),
      null,
      eventName === 'GetGroup',
    ),
  };
}

/**
 * `caller`'s Secrets Manager call `eventName` with `SecretId` `secretId` on the secret `fullArn`,
 * recorded in `region` (the secret's).
 */
export function secretEvent(
  caller: Caller,
  eventName: string,
  secretId: string,
  fullArn: string,
  region: string,
): CallCase {
  const extra: Record<string, Record<string, unknown>> = {
    GetSecretValue: { versionStage: 'AWSCURRENT' },
    PutSecretValue: { clientRequestToken: 'c0ffee00-1111-4222-8333-444455556666' },
    UpdateSecret: { description: 'changed', clientRequestToken: 'c0ffee00-1111-4222-8333-444455556667' },
    UpdateSecretVersionStage: {
      versionStage: 'AWSCURRENT',
      moveToVersionId: 'c0ffee00-1111-4222-8333-444455556666',
      removeFromVersionId: 'c0ffee00-1111-4222-8333-444455556660',
    },
    RotateSecret: {
      rotationLambdaARN: `arn:aws:lambda:${region}:${ACCOUNT}:function:attacker`,
      rotateImmediately: true,
    },
    DeleteSecret: { forceDeleteWithoutRecovery: true },
    PutResourcePolicy: {
      resourcePolicy: '{"Version":"2012-10-17","Statement":[]}',
      blockPublicPolicy: true,
    },
  };
  return {
    name: `${caller.name}: ${eventName} of ${secretId}`,
    source: 'aws.secretsmanager',
    detail: record(
      'secretsmanager',
      region,
      caller,
      eventName,
      { secretId, ...(extra[eventName] ?? {}) },
      eventName === 'GetSecretValue' ? null : { arn: fullArn },
      eventName === 'GetSecretValue',
    ),
  };
}
