/** A stack with every kind of library function, for the asset-free mode's tests. */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AccountPasswordPolicy, BreakGlassUser, ConsoleUser, HandlerCode, HandlerSettings } from '../../lib';

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
  new BreakGlassUser(stack, 'BreakGlass', { userName: 'break-glass', readers: [reader] });
  if (handlerCode !== undefined) HandlerSettings.configure(stack, { handlerCode });
}
