#!/usr/bin/env node
/**
 * The organization-wide example: console users rolled out by a StackSet to every account of an OU.
 * Synthesize it without an AWS account:
 *   npx cdk synth --app 'npx ts-node --prefer-ts-exts --transpile-only bin/organization-app.ts'
 */
import { App } from 'aws-cdk-lib';
import { OrganizationConsoleUsersStack } from './organization-stack';

const app = new App();
new OrganizationConsoleUsersStack(app, 'OrganizationConsoleUsers', {
  // The management account, or a delegated StackSet administrator, and its region.
  env: { account: '111111111111', region: 'eu-west-1' },
  organizationalUnits: ['ou-ab12-34cd56ef'],
  homeRegion: 'eu-west-1',
  custodianRoleArn: 'arn:aws:iam::222222222222:role/ConsolePasswordCustodian',
});
