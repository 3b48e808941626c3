/**
 * The EventBridge event patterns of `SignInAlerts` and its forwarders: console sign-ins, takeover
 * attempts on the users (IAM), and access to break-glass secrets (Secrets Manager). Pure
 * functions of names and ARNs (tokens allowed), so tests can read the lists they match.
 *
 * Matching follows EventBridge's rules (aws/event-ruler, which EventBridge uses): fields AND,
 * array values OR, `$or` at any level (ANDed with its siblings), `exists` only on leaves, and
 * `anything-but` never matching a field that is absent, hence `$or` with `exists: false` wherever
 * an exclusion must still let through callers without that field.
 */
import { OWNER_TAG_KEY, STACK_TAG_KEY } from '../login-profile/contract';
import { ROTATED_VERSION_TAG_KEY } from '../rotation/contract';

/** `detail-type` of CloudTrail's API-call records on the default event bus. */
export const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
/** `detail-type` of CloudTrail's console sign-in records. */
export const SIGN_IN_DETAIL_TYPE = 'AWS Console Sign In via CloudTrail';

/** The prefix every tag key of this library starts with. */
export const LIBRARY_TAG_PREFIX = 'cdk-console-users:';
/** The tag keys the library's functions rely on (all start with `LIBRARY_TAG_PREFIX`). */
export const LIBRARY_TAG_KEYS: readonly string[] = [OWNER_TAG_KEY, STACK_TAG_KEY, ROTATED_VERSION_TAG_KEY];

/**
 * IAM calls that name the user they act on (`requestParameters.userName`) and give someone a way
 * in as that user or change what the user may do:
 * - credentials: a console password (create, reset, remove), access keys (create, reactivate),
 *   MFA (enable a device, deactivate one), SSH keys and service-specific credentials;
 * - what applies to the user: managed and inline policies, groups and the permissions boundary,
 *   attached or removed (a removal can lift a deny: the stack's `RequireMfaPolicy` is a managed
 *   policy attached to the user, so `DetachUserPolicy` switches MFA enforcement off).
 */
export const USER_NAMED_IAM_CALLS: readonly string[] = [
  'CreateLoginProfile',
  'UpdateLoginProfile',
  'DeleteLoginProfile',
  'CreateAccessKey',
  'UpdateAccessKey',
  'EnableMFADevice',
  'DeactivateMFADevice',
  'UploadSSHPublicKey',
  'CreateServiceSpecificCredential',
  'AttachUserPolicy',
  'DetachUserPolicy',
  'PutUserPolicy',
  'DeleteUserPolicy',
  'AddUserToGroup',
  'RemoveUserFromGroup',
  'PutUserPermissionsBoundary',
  'DeleteUserPermissionsBoundary',
];

/**
 * IAM calls that name the group they act on (`requestParameters.groupName`) and change what its
 * members may do, or the group itself: its managed and inline policies, attached, put or removed (a
 * removal can lift a deny: with `policiesThroughGroups` the stack's `RequireMfaPolicy` is attached to
 * a group, so `DetachGroupPolicy` switches MFA enforcement off for every member), its name or path
 * (`UpdateGroup`), and the group itself (`DeleteGroup`). None of them names a member.
 */
export const GROUP_NAMED_IAM_CALLS: readonly string[] = [
  'AttachGroupPolicy',
  'DetachGroupPolicy',
  'PutGroupPolicy',
  'DeleteGroupPolicy',
  'UpdateGroup',
  'DeleteGroup',
];

/**
 * IAM calls whose `UserName` is optional (the IAM API model, `@aws-sdk/client-iam`; for
 * `CreateLoginProfile`, `DeleteLoginProfile` and `DeactivateMFADevice`: "If no user name is
 * included, it defaults to the principal making the request"), or absent
 * (`CreateVirtualMFADevice`): made without one, they act on the caller, an IAM user named in
 * `userIdentity.userName`.
 */
export const SELF_IAM_CALLS: readonly string[] = [
  'CreateLoginProfile',
  'DeleteLoginProfile',
  'CreateAccessKey',
  'UpdateAccessKey',
  'DeactivateMFADevice',
  'CreateVirtualMFADevice',
];

/** Secrets Manager calls on a break-glass secret that read it, write it or change who may. */
export const SECRET_CALLS: readonly string[] = [
  'GetSecretValue',
  'PutSecretValue',
  'UpdateSecret',
  'UpdateSecretVersionStage',
  'RotateSecret',
  'CancelRotateSecret',
  'DeleteSecret',
  'RestoreSecret',
  'PutResourcePolicy',
  'DeleteResourcePolicy',
];

/** Calls in `SECRET_CALLS` that are read-only management events (delivered only to rules that ask). */
export const READ_ONLY_SECRET_CALLS: readonly string[] = ['GetSecretValue'];

/** The console sign-ins (success and failure) of the IAM users `userNames`, as `detail`. */
export function signInDetail(userNames: string[]): Record<string, unknown> {
  return { eventName: ['ConsoleLogin'], userIdentity: { type: ['IAMUser'], userName: userNames } };
}

/**
 * The IAM calls on the users `userNames`, as `detail` (without an exclusion of callers): a call
 * naming one of them, a `TagUser`/`UntagUser` of a library tag key on one of them, or a call
 * naming no user made by one of them; and, when `groupNames` is not empty, a call of
 * `GROUP_NAMED_IAM_CALLS` naming one of those groups (the groups that carry the users' policies).
 */
export function takeoverDetail(userNames: string[], groupNames: string[] = []): Record<string, unknown> {
  // IAM tag keys are unique regardless of case, so a key in another case replaces the library's.
  const libraryKey = { prefix: { 'equals-ignore-case': LIBRARY_TAG_PREFIX } };
  return {
    eventSource: ['iam.amazonaws.com'],
    $or: [
      {
        requestParameters: { userName: userNames },
        $or: [
          { eventName: [...USER_NAMED_IAM_CALLS] },
          { eventName: ['TagUser'], requestParameters: { tags: { key: [libraryKey] } } },
          { eventName: ['UntagUser'], requestParameters: { tagKeys: [libraryKey] } },
        ],
      },
      {
        eventName: [...SELF_IAM_CALLS],
        requestParameters: { userName: [{ exists: false }] },
        userIdentity: { type: ['IAMUser'], userName: userNames },
      },
      ...(groupNames.length === 0 ? [] : [groupCallDetail(groupNames)]),
    ],
  };
}

/**
 * The calls of `GROUP_NAMED_IAM_CALLS` naming one of the groups `groupNames` (any group when
 * `groupNames` is undefined), as a branch of a `detail` that sets `eventSource`.
 */
function groupCallDetail(groupNames: string[] | undefined): Record<string, unknown> {
  return {
    eventName: [...GROUP_NAMED_IAM_CALLS],
    ...(groupNames === undefined ? {} : { requestParameters: { groupName: groupNames } }),
  };
}

/**
 * The calls of `GROUP_NAMED_IAM_CALLS` on any group, as `detail`: what a forwarder sends on when
 * the group names are known in the home region's stack only (generated by CloudFormation), for the
 * home region's rule to match by name.
 */
export function anyGroupCallDetail(): Record<string, unknown> {
  return { eventSource: ['iam.amazonaws.com'], ...groupCallDetail(undefined) };
}

/**
 * `userIdentity` of any caller but the roles `excludedRoleArns`: a role session whose issuer is
 * another role, and every caller without an issuer (IAM users, the root user, AWS services).
 * Undefined when there is nothing to exclude.
 */
export function callerOtherThan(excludedRoleArns: string[]): Record<string, unknown> | undefined {
  if (excludedRoleArns.length === 0) return undefined;
  return {
    sessionContext: {
      sessionIssuer: {
        $or: [{ arn: [{ 'anything-but': excludedRoleArns }] }, { arn: [{ exists: false }] }],
      },
    },
  };
}

/** `detail` with the exclusion of callers added (unchanged when there is none). */
export function withCallerExclusion(
  detail: Record<string, unknown>,
  excludedRoleArns: string[],
): Record<string, unknown> {
  const caller = callerOtherThan(excludedRoleArns);
  return caller === undefined ? detail : { ...detail, userIdentity: caller };
}

/** The forms a caller may give a secret as `SecretId`, and which of them a pattern can name. */
export interface SecretIdForms {
  /** The full ARN (with Secrets Manager's 6-character suffix), when known. */
  readonly fullArn?: string;
  /** The ARN without the suffix (a partial ARN). */
  readonly partialArn: string;
  /** The secret's name. */
  readonly name: string;
}

/** The calls of `SECRET_CALLS` on the secrets `secrets` (any form of their ID), as `detail`. */
export function secretDetail(secrets: SecretIdForms[]): Record<string, unknown> {
  const ids = secrets.flatMap((s) => [...(s.fullArn === undefined ? [] : [s.fullArn]), s.partialArn, s.name]);
  return {
    eventSource: ['secretsmanager.amazonaws.com'],
    eventName: [...SECRET_CALLS],
    requestParameters: { secretId: ids },
  };
}
