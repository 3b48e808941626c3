/** The AWS console sign-in URL of an account, per partition. */
import { CfnMapping, Fn, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { SIGN_IN_DOMAINS } from './contract';

const MAPPING_ID = 'CdkConsoleUsersSignInDomains';

/**
 * The console sign-in URL for the account of `scope`'s stack. A literal when the stack's
 * partition is known at synth; otherwise a lookup in a mapping keyed by `AWS::Partition`.
 */
export function signInUrl(scope: IConstruct): string {
  const stack = Stack.of(scope);
  // Stack.partition stays a token even for a known region; region-info knows the partition.
  const partition = Token.isUnresolved(stack.region) ? stack.partition : RegionInfo.get(stack.region).partition;
  let domain: string;
  if (partition !== undefined && !Token.isUnresolved(partition) && SIGN_IN_DOMAINS[partition] !== undefined) {
    domain = SIGN_IN_DOMAINS[partition];
  } else {
    const mapping =
      (stack.node.tryFindChild(MAPPING_ID) as CfnMapping | undefined) ??
      new CfnMapping(stack, MAPPING_ID, {
        mapping: Object.fromEntries(Object.entries(SIGN_IN_DOMAINS).map(([p, d]) => [p, { domain: d }])),
      });
    domain = mapping.findInMap(stack.partition, 'domain');
  }
  return Fn.join('', ['https://', stack.account, '.', domain, '/console']);
}
