/** cfn-lint on templates in the asset-free mode (`HandlerCode.INLINE`): the handlers' code inline as ZipFile. */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HandlerCode } from '../../lib';
import { templateSizeStack } from '../../scripts/bench-template-size';
import { cfnLint, saveTemplate, savedTemplates } from '../tooling/templates';
import { addEveryFunction } from './function-stacks';

test('INLINE templates pass cfn-lint: every kind of library function, and the largest stack', () => {
  // GIVEN an environment-agnostic stack (as a StackSet's) with each library function inline
  const app = new App();
  const stack = new Stack(app, 'InlineOrganization');
  addEveryFunction(stack, HandlerCode.INLINE);
  // and, in an app of its own (one AccountPasswordPolicy per app), the largest INLINE stack the
  // size benchmark measures (every user rotating, 500 resources)
  const largest = templateSizeStack(new App(), 'InlineLargest', HandlerCode.INLINE, {
    users: 95,
    rotating: 95,
    passwordPolicy: true,
  });
  // WHEN
  const template = Template.fromStack(stack);
  const functions = Object.values(template.findResources('AWS::Lambda::Function'));
  expect(functions.map((fn) => Object.keys(fn.Properties.Code))).toEqual([['ZipFile'], ['ZipFile'], ['ZipFile']]);
  saveTemplate('inline-organization', template.toJSON());
  saveTemplate('inline-largest', Template.fromStack(largest).toJSON());
  // THEN
  expect(cfnLint(savedTemplates())).toEqual([]);
});
