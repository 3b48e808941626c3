/** An IAM user's name as the app knows it at synth, and the rule for carrying it in a tag value. */
import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { PropValidationError } from './validation';

/**
 * The name of `user` as the template gives it: the `userName` of a user declared in this app (a
 * literal, a token, or undefined when CloudFormation names it), or the name of a user imported by
 * a literal name; undefined when the name is known only at deploy time.
 */
export function userNameOf(user: iam.IUser): string | undefined {
  const cfn = user.node.defaultChild;
  if (cfn instanceof iam.CfnUser) return cfn.userName;
  return Token.isUnresolved(user.userName) ? undefined : user.userName;
}

/**
 * Fails when `userName` (named `prop` in the message, quotes included) holds a comma, which a
 * Secrets Manager tag value cannot hold: rotation carries the user name as a tag of the secret.
 */
export function checkUserNameInTag(construct: IConstruct, prop: string, userName: string | undefined): void {
  if (userName === undefined || Token.isUnresolved(userName) || !userName.includes(',')) return;
  throw new PropValidationError(
    construct,
    `${prop} ${JSON.stringify(userName)} contains ',' which a Secrets Manager tag value cannot hold; 'rotation' needs a user name without commas`,
  );
}
