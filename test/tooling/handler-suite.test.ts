/** fakeAwsSuite's set-up: each test gets a fresh fake, installed, an empty outputs list and jest's fake clock. */
import { FakeAws, installedFake } from './fake-aws';
import { createEvent } from './fault-harness';
import { fakeAwsSuite } from './handler-suite';

const { fake, outputs, run, succeeds } = fakeAwsSuite();
const seen: FakeAws[] = [];

test('a test runs on an installed fake, on the fake clock, with no outputs yet; run keeps each output', async () => {
  expect(installedFake()).toBe(fake());
  const before = Date.now();
  jest.advanceTimersByTime(60_000);
  expect(Date.now() - before).toBe(60_000);
  expect(outputs).toEqual([]);
  fake().createUser('alice');
  const arn = fake().createSecret('alice-password');
  await succeeds(createEvent('L', { UserName: 'alice', SecretArn: arn }));
  const failed = await run(createEvent('L', { UserName: 'nobody', SecretArn: arn }));
  expect(failed.error).toBeDefined();
  expect(outputs).toHaveLength(2);
  expect(outputs[1]).toBe(failed.output);
  seen.push(fake());
});

test('the next test gets a new fake and an empty outputs list', () => {
  expect(seen).toHaveLength(1);
  expect(fake()).not.toBe(seen[0]);
  expect(installedFake()).toBe(fake());
  expect(fake().users.size).toBe(0);
  expect(outputs).toEqual([]);
});
