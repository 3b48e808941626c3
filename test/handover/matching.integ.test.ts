/**
 * The handover event over the wire: a stack deployed into moto by the driver (the bundled handler
 * publishes with the SDK's EventBridge client on the stack's bus, which the driver created), and
 * the rule `onPasswordIssued` synthesized, put in moto with an SQS queue as its target, so that
 * EventBridge's own matching (moto's) decides what reaches the consumer. The event that arrives is
 * checked against the contract documented in docs/handover.md, and holds no password.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { ConsoleUser } from '../../lib';
import { HANDOVER_DETAIL_TYPE, HANDOVER_SCHEMA_VERSION, HANDOVER_SOURCE } from '../../lib/handover/contract';
import { ACCOUNT, REGION, synthesize } from '../tooling/driver';
import { MotoEvents } from '../tooling/events-moto';
import { MotoHarness, useMoto } from '../tooling/moto-harness';

const moto: MotoHarness = useMoto();

/** The detail fields docs/handover.md documents for schema version 1, in its table's order. */
function documentedFields(): string[] {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'handover.md'), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('The event'));
  if (!section) throw new Error('docs/handover.md has no "The event" section');
  return [...section.matchAll(/^\| `([A-Za-z]+)` +\|/gm)].map((m) => m[1]);
}

/** A stack with alice (handover rule to a queue) and bob (no rule), each with a reset token. */
function handoverStack(token: string, consoleAccess = true) {
  return synthesize(`handover-${token}-${consoleAccess}`, (app) => {
    const stack = new Stack(app, 'Handover');
    const queue = new sqs.Queue(stack, 'Helpdesk', { enforceSSL: true });
    const alice = new ConsoleUser(stack, 'Alice', { userName: 'alice', resetToken: token, consoleAccess });
    new ConsoleUser(stack, 'Bob', { userName: 'bob', resetToken: token });
    alice.onPasswordIssued('Handover', { target: new targets.SqsQueue(queue) });
    return stack;
  });
}

test('a reset and console access back on reach the user’s target as the documented event, only that user’s; no password in it', async () => {
  // GIVEN the stack deployed (each user's first password published on the stack's bus)
  const driver = moto.driver({ stackName: 'IntegHandover' });
  await driver.deploy(handoverStack('1'));
  const [bus] = driver.resources('AWS::Events::EventBus');
  expect(bus.physicalId).toBe('cdk-console-users-handover-IntegHandover');
  // ...and the synthesized rule, as CloudFormation resolved it, put in moto on that bus with a queue
  const [rule] = driver.resources('AWS::Events::Rule');
  expect(rule.properties.EventBusName).toBe(bus.physicalId);
  const events = new MotoEvents(moto.endpoint, REGION);
  const queue = await events.createQueue('helpdesk');
  await events.putRule('handover', rule.properties.EventPattern, [queue.arn], bus.physicalId);

  // WHEN both users get a new password (a new reset token)
  await driver.deploy(handoverStack('2'));

  // THEN the queue received alice's reset, and nothing of bob's
  const received = await events.drain(queue.url);
  expect(received).toHaveLength(1);
  const [event] = received;
  expect(event.source).toBe(HANDOVER_SOURCE);
  expect(event['detail-type']).toBe(HANDOVER_DETAIL_TYPE);
  // (moto leaves the envelope's `account` out for a custom bus; the detail carries the account)
  const secretArn = driver.loginProfile('alice').secretArn;
  expect((event as unknown as { resources: string[] }).resources).toEqual([secretArn]);
  const versions = await moto.versions(secretArn);
  const current = Object.keys(versions).find((id) => versions[id].includes('AWSCURRENT'))!;
  // ...shaped as docs/handover.md documents it, field by field
  expect(Object.keys(event.detail)).toEqual(documentedFields());
  expect(event.detail).toEqual({
    schemaVersion: HANDOVER_SCHEMA_VERSION,
    reason: 'reset',
    userName: 'alice',
    userArn: `arn:aws:iam::${ACCOUNT}:user/alice`,
    account: ACCOUNT,
    secretArn,
    secretVersionId: current,
    dedupeKey: `${secretArn} ${current}`,
    secretConsoleUrl: expect.stringMatching(
      new RegExp(`^https://${REGION}\\.console\\.aws\\.amazon\\.com/secretsmanager/secret\\?name=.+&region=${REGION}$`),
    ),
    signInUrl: `https://${ACCOUNT}.signin.aws.amazon.com/console`,
    passwordResetRequired: true,
  });
  // ...naming the password the user has now, and not holding it (nor the one before)
  const secret = await moto.readSecret(secretArn);
  expect(moto.lastPasswordSet('alice')).toBe(secret.passwordDigest());
  const previous = Object.keys(versions).find((id) => versions[id].includes('AWSPREVIOUS'))!;
  for (const stored of [secret, await moto.readSecret(secretArn, { versionId: previous })]) {
    expect(stored.occursIn(JSON.stringify(event))).toBe(false);
    expect(stored.occursIn(driver.logs.join('\n'))).toBe(false);
  }

  // WHEN alice's console access is switched off, then on again
  await driver.deploy(handoverStack('2', false));
  expect(await events.drain(queue.url)).toEqual([]);
  await driver.deploy(handoverStack('2', true));
  // THEN the queue received one event: console access back on, naming the new current version
  const [on, ...more] = await events.drain(queue.url);
  expect(more).toEqual([]);
  // (the version the handler answered with; moto may leave AWSCURRENT on an off version too)
  const onVersion = driver.loginProfile('alice').attributes.SecretVersionId;
  expect((await moto.versions(secretArn))[onVersion]).toContain('AWSCURRENT');
  expect(on.detail).toEqual(
    expect.objectContaining({ reason: 'console-access-on', userName: 'alice', secretVersionId: onVersion }),
  );
  expect((await moto.readSecret(secretArn, { versionId: onVersion })).occursIn(JSON.stringify(on))).toBe(false);

  await driver.destroy();
});
