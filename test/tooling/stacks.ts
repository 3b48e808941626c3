/** Test stacks for the moto suite (env-agnostic, like most CDK apps under test). */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ConsoleUser, LoginProfile, LoginProfileOptions } from '../../lib';

/** A stack with one `ConsoleUser` per name in `userNames`, each with `options`. */
export function consoleUsersStack(
  app: App,
  userNames: readonly string[],
  options: LoginProfileOptions = {},
  stackName = 'IntegStack',
): Stack {
  const stack = new Stack(app, stackName);
  userNames.forEach((userName, i) => new ConsoleUser(stack, `User${i}`, { userName, ...options }));
  return stack;
}

/** A stack that gives an existing (imported) user a login profile, under construct id `id`. */
export function importedUserStack(
  app: App,
  userName: string,
  id = 'ImportedProfile',
  options: LoginProfileOptions = {},
): Stack {
  const stack = new Stack(app, 'IntegImported');
  new LoginProfile(stack, id, { user: iam.User.fromUserName(stack, 'Imported', userName), ...options });
  return stack;
}
