/** The fake AWS with a latency per service (test/tooling/latency.ts), as `npm run bench` times the handler. */
import { FakeAws } from '../tooling/fake-aws';
import { serviceOf, withLatency } from '../tooling/latency';

async function elapsedMs(action: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

describe('withLatency', () => {
  it('serviceOf: IAM commands are IAM, the others Secrets Manager', () => {
    expect(serviceOf('GetUser')).toBe('iam');
    expect(serviceOf('CreateLoginProfile')).toBe('iam');
    expect(serviceOf('PutSecretValue')).toBe('secretsmanager');
    expect(serviceOf('UpdateSecretVersionStage')).toBe('secretsmanager');
  });

  it("delays each answer by its service's latency, answers and logs as before, and can be taken away", async () => {
    // GIVEN
    const fake = new FakeAws();
    fake.createUser('alice');
    const secret = fake.createSecret('alice-password');
    const undo = withLatency(fake, { iam: 120, secretsmanager: 40 });
    // WHEN
    const iamMs = await elapsedMs(() => fake.call('GetUser', { UserName: 'alice' }));
    const smMs = await elapsedMs(() => fake.call('DescribeSecret', { SecretId: secret }));
    // THEN
    expect(iamMs).toBeGreaterThanOrEqual(115);
    expect(smMs).toBeGreaterThanOrEqual(35);
    expect(smMs).toBeLessThan(115);
    expect(fake.commands()).toEqual(['GetUser', 'DescribeSecret']);
    // AND without it, no delay
    undo();
    expect(await elapsedMs(() => fake.call('GetUser', { UserName: 'alice' }))).toBeLessThan(100);
  });

  it('delays failed calls too, and the error still reaches the caller', async () => {
    const fake = new FakeAws();
    withLatency(fake, { iam: 60, secretsmanager: 0 });
    let error: unknown;
    const ms = await elapsedMs(() => fake.call('GetUser', { UserName: 'nobody' }).catch((e: unknown) => (error = e)));
    expect(ms).toBeGreaterThanOrEqual(55);
    expect((error as Error).name).toBe('NoSuchEntityException');
    expect(fake.calls.map((c) => c.outcome)).toEqual(['NoSuchEntityException']);
  });
});
