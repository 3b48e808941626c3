/**
 * The library's cdk-nag acknowledgements hold on every aws-cdk-lib release of the peer range:
 * where `Validations.acknowledge` refuses an id (2.263.0 reserves '::', which the IAM4/IAM5 ids
 * contain), the library writes the metadata entry cdk-nag reads instead of failing the synth.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConsoleUser } from '../../lib';

function findings(app: App): string[] {
  app.synth();
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

afterEach(() => jest.restoreAllMocks());

test("an acknowledge that refuses ids with '::' neither fails the synth nor surfaces the library's findings", () => {
  // GIVEN Validations.acknowledge behaving as in aws-cdk-lib 2.263.0
  const real = Validations.prototype.acknowledge;
  const refused: string[] = [];
  jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (this: Validations, ...rules) {
    const reserved = rules.find((r) => r.id.includes('::'));
    if (reserved) {
      refused.push(reserved.id);
      throw new Error(
        `«InvalidValidationId» Invalid validation rule ID '${reserved.id}'. The '::' delimiter is reserved`,
      );
    }
    return real.apply(this, rules);
  });
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });

  // WHEN a user is declared (its handler role carries IAM4/IAM5 acknowledgements)
  new ConsoleUser(stack, 'Alice', { userName: 'alice' });

  // THEN the refusal happened, and cdk-nag still sees every acknowledgement
  expect(refused.length).toBeGreaterThan(0);
  expect(findings(app)).toEqual([]);
});

test('an acknowledge that refuses every id still leaves the acknowledgements where cdk-nag reads them', () => {
  jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => {
    throw new Error('not supported');
  });
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  new ConsoleUser(stack, 'Alice', { userName: 'alice' });
  expect(findings(app)).toEqual([]);
});
