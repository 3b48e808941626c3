/** The rule behind `onPasswordIssued`: the stack's handover events of one login profile, to a target. */
import { Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { addWarning } from '../core/deployment';
import { PropValidationError } from '../core/validation';
import { allowEventBridgeToEncryptWith } from '../permissions/event-bridge-key';
import type { LoginProfile } from '../login-profile/login-profile';
import { HANDOVER_DETAIL_TYPE, HANDOVER_SOURCE } from './contract';
import { HandoverBus } from './handover-bus';

/** ID of the warning for an SNS target whose topic key is not a `kms.Key` of the app. */
export const WARNING_TOPIC_KEY_NOT_MANAGED = 'cdk-console-users:handover-topic-key-policy-not-managed';

/** Sid of the key-policy statement that lets EventBridge publish handover events to an encrypted topic. */
const TOPIC_KEY_SID = 'EventBridgePublishesHandoverEvents';

/** Fields of the event pattern the rule sets itself: the user may narrow `detail`, not these. */
const FIXED_PATTERN_FIELDS = ['source', 'detailType', 'account', 'region', 'resources'] as const;
/** Fields of `detail` the rule sets itself. */
const FIXED_DETAIL_FIELDS = ['userName', 'secretArn'];

/**
 * A rule on `profile`'s stack handover bus, created in `scope` as `id`, that matches the handover
 * events of `profile` (its user and its secret) and sends them to `options.target`. `what` names
 * the construct and method in error messages.
 */
export function passwordIssuedRule(
  scope: Construct,
  what: string,
  profile: LoginProfile,
  id: string,
  options: events.OnEventOptions | undefined,
): events.Rule {
  if (typeof id !== 'string' || id.length === 0) {
    throw new PropValidationError(
      scope,
      `${what}: 'id' must be a non-empty string (the rule's construct id), got ${JSON.stringify(id)}`,
    );
  }
  const given = options ?? {};
  validatePattern(scope, what, given.eventPattern);
  const target = given.target;
  if (target !== undefined && (target === null || typeof (target as Partial<events.IRuleTarget>).bind !== 'function')) {
    throw new PropValidationError(
      scope,
      `${what}: 'options.target' must be an events.IRuleTarget (such as new targets.SnsTopic(topic)), got ${describe(target)}`,
    );
  }

  const rule = new events.Rule(scope, id, {
    eventBus: HandoverBus.of(profile).bus,
    description: given.description ?? 'cdk-console-users: console passwords issued to one user',
    ruleName: given.ruleName,
    crossStackScope: given.crossStackScope,
    eventPattern: {
      source: [HANDOVER_SOURCE],
      detailType: [HANDOVER_DETAIL_TYPE],
      detail: { userName: [profile.user.userName], secretArn: [profile.secret.secretArn] },
    },
  });
  if (given.eventPattern) rule.addEventPattern(given.eventPattern);
  if (target) {
    rule.addTarget(target);
    if (target instanceof targets.SnsTopic) allowEventBridgeToUseTopicKey(scope, what, target);
  }
  return rule;
}

/** The user's pattern may narrow `detail` (e.g. `reason`), never widen what the rule matches. */
function validatePattern(scope: Construct, what: string, pattern: events.EventPattern | undefined): void {
  if (pattern === undefined) return;
  for (const field of FIXED_PATTERN_FIELDS) {
    if (pattern[field] !== undefined) {
      throw new PropValidationError(
        scope,
        `${what}: 'options.eventPattern.${field}' cannot be set, got ${describe(pattern[field])}; the rule matches the handover events (source '${HANDOVER_SOURCE}', detail-type '${HANDOVER_DETAIL_TYPE}') of this user only: narrow them with 'options.eventPattern.detail' (for example { reason: ['create'] })`,
      );
    }
  }
  const detail = pattern.detail as Record<string, unknown> | undefined;
  for (const field of FIXED_DETAIL_FIELDS) {
    if (detail !== undefined && detail[field] !== undefined) {
      throw new PropValidationError(
        scope,
        `${what}: 'options.eventPattern.detail.${field}' cannot be set, got ${describe(detail[field])}; the rule already matches this user's ${field}`,
      );
    }
  }
}

/**
 * An SNS topic encrypted with a customer managed key needs the key to let EventBridge use it: added
 * to a `kms.Key` of the app, warned about for an imported key (its policy is not in the app).
 */
function allowEventBridgeToUseTopicKey(scope: Construct, what: string, target: targets.SnsTopic): void {
  const key = target.topic.masterKey;
  if (key === undefined) return;
  if (key instanceof kms.Key) {
    allowEventBridgeToEncryptWith(key, TOPIC_KEY_SID);
    return;
  }
  addWarning(
    scope,
    WARNING_TOPIC_KEY_NOT_MANAGED,
    `${what}: the topic's key ${Token.isUnresolved(key.keyArn) ? '(an imported key)' : key.keyArn} is not a kms.Key of this app, so its policy is not changed here; for EventBridge to deliver the handover events, the key policy must allow the service principal events.amazonaws.com kms:GenerateDataKey* and kms:Decrypt (a topic under the AWS managed key aws/sns receives nothing from EventBridge)`,
  );
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return 'an object';
    }
  }
  return String(value);
}
