#!/usr/bin/env node
/** Sample app: `npx cdk synth` (no AWS account needed), `npx cdk deploy` to deploy it. */
import { App } from 'aws-cdk-lib';
import { ConsoleUsersSampleStack } from './sample-stack';

const app = new App();
new ConsoleUsersSampleStack(app, 'ConsoleUsersSample', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
