/**
 * A call that IAM applies but never answers, on the wire: the bundled handler's real SDK clients
 * and Node.js HTTP stack, through the moto proxy, which forwards the call to moto (so it applies)
 * and then keeps the connection open without answering. The handler's deadline must end it.
 */
import { CreateUserCommand } from '@aws-sdk/client-iam';
import { synthesize } from '../../tooling/driver';
import { MotoHarness, useMoto } from '../../tooling/moto-harness';
import { importedUserStack } from '../../tooling/stacks';

const moto: MotoHarness = useMoto();

test('a Create whose CreateLoginProfile is applied and never answered fails in time and leaves no profile', async () => {
  // GIVEN an existing user, and IAM applying CreateLoginProfile without ever answering it
  await moto.iam.send(new CreateUserCommand({ UserName: 'quiet' }));
  moto.proxy.inject({ kind: 'AppliedNoAnswer', action: 'CreateLoginProfile' });
  const driver = moto.driver({ stackName: 'IntegImported' });

  // WHEN the stack is created (and rolled back)
  const started = Date.now();
  await expect(
    driver.deploy(synthesize('unanswered-create', (app) => importedUserStack(app, 'quiet'))),
  ).rejects.toThrow(/CreateLoginProfile did not answer within \d+ ms \(it may have applied\)/);

  // THEN the call was applied and never answered, the handler answered long before its timeout,
  // and its undo removed the profile whose password the rolled-back secret took with it
  const creates = moto.proxy.calls.filter((c) => c.action === 'CreateLoginProfile');
  expect(creates.map((c) => [c.applied, c.answered])).toEqual([[true, false]]);
  expect(Date.now() - started).toBeLessThan(60_000);
  expect((await moto.profile('quiet')).exists).toBe(false);
}, 90_000);

test("a Create whose undo failed too: the rollback's Delete reaches the bundled handler and removes the profile", async () => {
  // GIVEN an existing user, IAM applying CreateLoginProfile without answering, and the undo's
  // DeleteLoginProfile throttled on every attempt
  await moto.iam.send(new CreateUserCommand({ UserName: 'stubborn' }));
  moto.proxy.inject({ kind: 'AppliedNoAnswer', action: 'CreateLoginProfile' });
  moto.proxy.inject({ kind: 'Throttling', action: 'DeleteLoginProfile', count: 4 });
  const driver = moto.driver({ stackName: 'IntegUndoFailed' });
  await expect(
    driver.deploy(synthesize('unanswered-create-undo-failed', (app) => importedUserStack(app, 'stubborn'))),
  ).rejects.toThrow(/CreateLoginProfile did not answer within \d+ ms/);
  // ...so the failed Create left the profile (its password is in the secret the rollback deletes)
  expect((await moto.profile('stubborn')).exists).toBe(true);

  // WHEN CloudFormation rolls back: the Delete of the login profile (physical ID: the FAILED
  // answer's), then the secret
  await driver.rollback();

  // THEN the Delete reached the handler, which removed the profile its secret owned
  const deletes = driver.deliveries.filter((d) => d.event.RequestType === 'Delete');
  expect(deletes.map((d) => [d.event.PhysicalResourceId, d.error])).toEqual([['stubborn', undefined]]);
  expect((await moto.profile('stubborn')).exists).toBe(false);
}, 90_000);
