/**
 * The console sign-in host of each AWS partition. No aws-cdk-lib imports here: the login-profile
 * handler's bundle includes this file, so the URL the construct exposes (`signInUrl`) and the URL
 * the handler writes to the secret come from one table.
 */

/** Sign-in host of each partition (the URL is `https://ACCOUNT.HOST/console`). */
export const SIGN_IN_DOMAINS: Readonly<Record<string, string>> = {
  'aws': 'signin.aws.amazon.com',
  'aws-cn': 'signin.amazonaws.cn',
  'aws-us-gov': 'signin.amazonaws-us-gov.com',
};

/** The console sign-in URL of `account` in `partition`, or `undefined` for a partition without one here. */
export function consoleSignInUrl(account: string, partition: string): string | undefined {
  const domain = Object.prototype.hasOwnProperty.call(SIGN_IN_DOMAINS, partition)
    ? SIGN_IN_DOMAINS[partition]
    : undefined;
  return domain === undefined ? undefined : `https://${account}.${domain}/console`;
}
