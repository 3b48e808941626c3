/** Letting EventBridge deliver to an SNS topic encrypted with a customer managed key. */
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';

/**
 * Adds to `key`'s policy the statement (`sid`) that lets EventBridge use it to publish to a topic it
 * encrypts: EventBridge publishes with its own service principal, which needs `kms:GenerateDataKey*`
 * and `kms:Decrypt` on the topic's key. A topic under the AWS managed key `aws/sns`, whose policy
 * cannot be changed, drops EventBridge's messages. Once per `sid` and key; an imported key's policy
 * is not in the app and is left alone (returns false, as `addToResourcePolicy` does).
 */
export function allowEventBridgeToEncryptWith(key: kms.IKey, sid: string): boolean {
  const added = keysBySid.get(key) ?? new Set<string>();
  if (added.has(sid)) return true;
  const result = key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid,
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resources: ['*'],
    }),
  );
  if (result.statementAdded) {
    added.add(sid);
    keysBySid.set(key, added);
  }
  return result.statementAdded;
}

/** The statements added so far, by key (weakly held: nothing outlives its app). */
const keysBySid = new WeakMap<kms.IKey, Set<string>>();
