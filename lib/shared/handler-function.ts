/** The Lambda functions of the library: each runs a handler that `npm run bundle` wrote to `assets/`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** The bundled handlers, by the folder `npm run bundle` writes each one to under `assets/`. */
export type HandlerAsset = 'login-profile-handler' | 'rotation-handler' | 'account-password-policy-handler';

/** Where `npm run bundle` writes `asset` (shipped in the package, so consumers need no bundler). */
export function handlerAssetDir(asset: HandlerAsset): string {
  return path.join(__dirname, '..', '..', 'assets', asset);
}

/** What differs between the library's functions. */
export interface HandlerFunctionProps {
  readonly asset: HandlerAsset;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** @default - the newest Node.js runtime that aws-cdk-lib knows for the stack's region */
  readonly runtime?: lambda.Runtime;
}

/** A function running the bundled handler `props.asset` on ARM64, with the latest Node.js runtime unless given. */
export function handlerFunction(scope: Construct, id: string, props: HandlerFunctionProps): lambda.Function {
  const dir = handlerAssetDir(props.asset);
  if (!fs.existsSync(path.join(dir, 'index.js'))) {
    throw new Error(`The ${props.asset} is not bundled at ${dir}; run 'npm run bundle'`);
  }
  return new lambda.Function(scope, id, {
    description: `cdk-console-users: ${props.description}`,
    runtime: props.runtime ?? lambda.determineLatestNodeRuntime(scope),
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(dir),
    timeout: props.timeout,
    memorySize: props.memorySize,
  });
}
