/** cfn-lint on a template guarded by a HomeRegion: its conditions and the references between conditioned resources. */
import { Template } from 'aws-cdk-lib/assertions';
import { cfnLint, saveTemplate } from '../tooling/templates';
import { guardedStack } from './home-region-stacks';

test('a stack with a HomeRegion (users, break-glass user, password policy, sign-in alerts and forwarder) passes cfn-lint', () => {
  // GIVEN the env-agnostic template a StackSet would deploy
  const { stack } = guardedStack();
  // WHEN
  const file = saveTemplate('home-region-guarded', Template.fromStack(stack).toJSON());
  // THEN no finding, including the condition rules (W1001: a reference to a resource that may not exist)
  expect(cfnLint([file])).toEqual([]);
});
