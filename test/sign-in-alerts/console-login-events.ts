/**
 * Console sign-in events in the shapes AWS documents (CloudTrail User Guide, "AWS Management
 * Console sign-in events": IAM user success, IAM user failure, root user; EventBridge delivers the
 * CloudTrail record as `detail`, source `aws.signin`, detail-type "AWS Console Sign In via
 * CloudTrail"), with this suite's account and names. A failed sign-in's `userIdentity` has no
 * `arn`; a sign-in with an unknown user name records `HIDDEN_DUE_TO_SECURITY_REASONS`.
 */
export const ACCOUNT = '123456789012';
export const SIGN_IN_SOURCE = 'aws.signin';
export const SIGN_IN_DETAIL_TYPE = 'AWS Console Sign In via CloudTrail';

/** A named sign-in event's CloudTrail record (the EventBridge `detail`). */
export interface SignInCase {
  readonly name: string;
  readonly detail: Record<string, unknown>;
}

const base = (region: string) => ({
  eventVersion: '1.08',
  eventTime: '2026-11-30T15:49:27Z',
  eventSource: 'signin.amazonaws.com',
  awsRegion: region,
  sourceIPAddress: '192.0.2.110',
  userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  requestParameters: null,
  eventType: 'AwsConsoleSignIn',
  managementEvent: true,
  recipientAccountId: ACCOUNT,
  eventCategory: 'Management',
  eventID: '3fcfb182-98f8-4744-bd45-10a395ab61cb',
});

/** An IAM user's successful ConsoleLogin (`arn` with the user's path). */
export function iamUserSuccess(userName: string, path: string, mfa: boolean, region = 'us-east-1'): SignInCase {
  return {
    name: `IAM user ${path}${userName}, success, MFA ${mfa ? 'used' : 'not used'}`,
    detail: {
      ...base(region),
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDACKCEVSQ6C2EXAMPLE',
        arn: `arn:aws:iam::${ACCOUNT}:user${path}${userName}`,
        accountId: ACCOUNT,
        userName,
      },
      eventName: 'ConsoleLogin',
      responseElements: { ConsoleLogin: 'Success' },
      additionalEventData: {
        LoginTo: 'https://console.aws.amazon.com/console/home',
        MobileVersion: 'No',
        MFAUsed: mfa ? 'Yes' : 'No',
        ...(mfa ? { MFAIdentifier: `arn:aws:iam::${ACCOUNT}:mfa/${userName}-phone` } : {}),
      },
    },
  };
}

/** An IAM user's failed ConsoleLogin: no `arn` in `userIdentity`, `errorMessage` set. */
export function iamUserFailure(userName: string, region = 'us-east-1'): SignInCase {
  return {
    name: `IAM user ${userName}, failure`,
    detail: {
      ...base(region),
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDACKCEVSQ6C2EXAMPLE',
        accountId: ACCOUNT,
        accessKeyId: '',
        userName,
      },
      eventName: 'ConsoleLogin',
      errorMessage: 'Failed authentication',
      responseElements: { ConsoleLogin: 'Failure' },
      additionalEventData: {
        LoginTo: 'https://console.aws.amazon.com/console/home',
        MobileVersion: 'No',
        MFAUsed: 'No',
      },
    },
  };
}

/** The root user's ConsoleLogin. */
export function rootSignIn(success: boolean): SignInCase {
  return {
    name: `root user, ${success ? 'success, MFA used' : 'failure'}`,
    detail: {
      ...base('us-east-1'),
      userIdentity: {
        type: 'Root',
        principalId: ACCOUNT,
        arn: `arn:aws:iam::${ACCOUNT}:root`,
        accountId: ACCOUNT,
        accessKeyId: '',
      },
      eventName: 'ConsoleLogin',
      ...(success ? {} : { errorMessage: 'Failed authentication' }),
      responseElements: { ConsoleLogin: success ? 'Success' : 'Failure' },
      additionalEventData: {
        LoginTo: 'https://console.aws.amazon.com/console/home',
        MobileVersion: 'No',
        MFAUsed: success ? 'Yes' : 'No',
      },
    },
  };
}

/** A failed sign-in with a user name that does not exist (CloudTrail hides the name). */
export function unknownUserFailure(): SignInCase {
  const failure = iamUserFailure('HIDDEN_DUE_TO_SECURITY_REASONS');
  return { name: 'unknown user name, failure', detail: failure.detail };
}

/** Another sign-in event of an IAM user: `CheckMfa` (the MFA prompt), not a `ConsoleLogin`. */
export function checkMfa(userName: string): SignInCase {
  const success = iamUserSuccess(userName, '/', false).detail;
  return {
    name: `IAM user ${userName}, CheckMfa (not a ConsoleLogin)`,
    detail: {
      ...success,
      eventName: 'CheckMfa',
      responseElements: { CheckMfa: 'Success' },
      additionalEventData: { MfaType: 'Virtual MFA' },
    },
  };
}

/** A federated sign-in through a role that happens to bear a declared user's name. */
export function assumedRoleSignIn(roleName: string): SignInCase {
  return {
    name: `role ${roleName} (federated), success`,
    detail: {
      ...base('us-east-1'),
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROACKCEVSQ6C2EXAMPLE:${roleName}-session`,
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${roleName}-session`,
        accountId: ACCOUNT,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROACKCEVSQ6C2EXAMPLE',
            arn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
            accountId: ACCOUNT,
            userName: roleName,
          },
        },
      },
      eventName: 'ConsoleLogin',
      responseElements: { ConsoleLogin: 'Success' },
      additionalEventData: { MobileVersion: 'No', MFAUsed: 'No' },
    },
  };
}
