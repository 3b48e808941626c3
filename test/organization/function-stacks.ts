/** A stack with every kind of library function, for the asset-free mode's tests. */
import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  AccountPasswordPolicy,
  BreakGlassUser,
  ConsoleUser,
  HandlerCode,
  HandlerSettings,
  SignInAlerts,
} from '../../lib';

/**
 * Adds to `stack` everything that has a function: a rotating ConsoleUser, an AccountPasswordPolicy
 * and a BreakGlassUser (rotating, with a reader); then the stack's `handlerCode`, if given.
 */
export function addEveryFunction(stack: Stack, handlerCode?: HandlerCode): void {
  new AccountPasswordPolicy(stack, 'PasswordPolicy', { minimumPasswordLength: 14 });
  new ConsoleUser(stack, 'Operator', {
    userName: 'operator',
    passwordResetRequired: false,
    rotation: { automaticallyAfter: Duration.days(30) },
  });
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
  const breakGlass = new BreakGlassUser(stack, 'BreakGlass', { userName: 'break-glass', readers: [reader] });
  // Env-agnostic, without forwarders: its alerts watch one region, which these tests of functions accept.
  for (const id of [SignInAlerts.WARNING_US_EAST_1_NOT_WATCHED, SignInAlerts.WARNING_SIGN_IN_REGIONS_NOT_WATCHED]) {
    Annotations.of(breakGlass).acknowledgeWarning(id, 'a stack for the tests of its functions');
  }
  if (handlerCode !== undefined) HandlerSettings.configure(stack, { handlerCode });
}
