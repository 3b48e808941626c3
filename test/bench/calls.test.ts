/**
 * The figures `npm run bench` reports for the deploy path come from what it recorded: calls per
 * event from the fake's call log (`countCalls`), timings through `median` and `percentile`.
 */
import { LoggedCall, countCalls, median, percentile } from '../../scripts/bench-calls';
import { FakeAws } from '../tooling/fake-aws';

const ok = (command: string, service: LoggedCall['service'] = 'iam'): LoggedCall => ({
  service,
  command,
  outcome: 'ok',
});

describe('countCalls', () => {
  it('counts every logged call, in order, split by service', () => {
    // GIVEN a Create's log as the fake records it
    const log = [
      ok('GetUser'),
      ok('TagUser'),
      ok('GetAccountPasswordPolicy'),
      ok('PutSecretValue', 'secretsmanager'),
      ok('CreateLoginProfile'),
    ];
    // THEN
    expect(countCalls(log)).toEqual({
      commands: ['GetUser', 'TagUser', 'GetAccountPasswordPolicy', 'PutSecretValue', 'CreateLoginProfile'],
      iam: 4,
      secretsmanager: 1,
      cloudformation: 0,
    });
    expect(countCalls(log.slice(1)).commands).toHaveLength(4);
  });

  it("counts the log the fake keeps of a handler's calls", async () => {
    // GIVEN calls answered by the fake (a failed one included)
    const fake = new FakeAws();
    fake.createUser('alice');
    const secret = fake.createSecret('alice-password');
    await fake.call('GetUser', { UserName: 'alice' });
    await fake.call('GetAccountPasswordPolicy', {}).catch(() => undefined);
    await fake.call('DescribeSecret', { SecretId: secret });
    await fake.call('DeleteLoginProfile', { UserName: 'alice' }).catch(() => undefined);
    // THEN the counts are those of the log
    expect(countCalls(fake.calls)).toEqual({
      commands: ['GetUser', 'GetAccountPasswordPolicy', 'DescribeSecret', 'DeleteLoginProfile'],
      iam: 3,
      secretsmanager: 1,
      cloudformation: 0,
    });
  });

  it('counts each retried attempt', () => {
    expect(countCalls([ok('GetUser'), ok('GetUser')]).commands).toEqual(['GetUser', 'GetUser']);
  });

  it('fails when a call failed: the counts would be those of a failed or retried event', () => {
    const log = [ok('GetUser'), { service: 'iam', command: 'CreateLoginProfile', outcome: 'Throttling' } as const];
    expect(() => countCalls(log)).toThrow(/calls failed.*CreateLoginProfile \(Throttling\)/);
  });

  it('fails on NoSuchEntity from a call other than the policy read or the profile delete', () => {
    const log = [{ service: 'iam', command: 'GetUser', outcome: 'NoSuchEntityException' } as const];
    expect(() => countCalls(log)).toThrow(/GetUser \(NoSuchEntityException\)/);
  });

  it('fails when the fake recorded no call (the handler did not reach it)', () => {
    expect(() => countCalls([])).toThrow(/recorded no call/);
  });
});

describe('median and percentile', () => {
  it('median: the middle value, or the mean of the middle two', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('p90 by nearest rank', () => {
    const values = Array.from({ length: 15 }, (_, i) => 15 - i); // 15..1, unsorted
    expect(percentile(values, 90)).toBe(14);
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
  });

  it('fails on no values', () => {
    expect(() => median([])).toThrow(/no values/);
    expect(() => percentile([], 90)).toThrow(/no values/);
  });
});
