/**
 * The stack's groups that carry the library's own user policies, for login profiles with
 * `policiesThroughGroups`: the user joins them instead of having the policies attached, so that it
 * has no policy of its own (AWS Security Hub IAM.2). One group per policy and stack, created on
 * first use.
 */
import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { acknowledgeChangePasswordGroup } from '../compliance/nag';
import { stackSingleton } from '../core/stack-singleton';
import { RequireMfaPolicy } from '../mfa/require-mfa';

/** Construct id of the change-password group under its stack. */
export const CHANGE_PASSWORD_GROUP_ID = 'CdkConsoleUsersChangePasswordGroup';
/** Construct id of the require-MFA group under its stack. */
export const REQUIRE_MFA_GROUP_ID = 'CdkConsoleUsersRequireMfaGroup';

/**
 * The group whose members may change their own password: `IAMUserChangePassword`, and the same
 * action on `user/*\/${aws:username}` for members with a path (the managed policy names
 * `user/${aws:username}` only). `${aws:username}` makes each grant the member's own.
 */
export function changePasswordGroup(scope: IConstruct): iam.Group {
  return stackSingleton(scope, CHANGE_PASSWORD_GROUP_ID, iam.Group, (stack, id) => {
    const group = new iam.Group(stack, id, {
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('IAMUserChangePassword')],
    });
    group.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ChangeOwnPasswordWithPath',
        actions: ['iam:ChangePassword'],
        resources: [`arn:${Aws.PARTITION}:iam::${Stack.of(stack).account}:user/*/\${aws:username}`],
      }),
    );
    acknowledgeChangePasswordGroup(group, Stack.of(stack).account);
    return group;
  });
}

/** The group the stack's `RequireMfaPolicy` is attached to. */
export function requireMfaGroup(scope: IConstruct): iam.Group {
  return stackSingleton(scope, REQUIRE_MFA_GROUP_ID, iam.Group, (stack, id) => {
    const group = new iam.Group(stack, id);
    RequireMfaPolicy.of(stack).policy.attachToGroup(group);
    return group;
  });
}
