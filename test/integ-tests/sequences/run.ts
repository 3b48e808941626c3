/**
 * The real-account sequences (run by `node test/integ-tests/run.mjs deploy` after the assertions,
 * or alone: `npx ts-node --transpile-only test/integ-tests/sequences/run.ts [--no-clean]`).
 *
 * Deploys the sequences app (`app.ts`) step by step with the project's CDK CLI, expecting the
 * failed update and the failed first deployment to fail, deletes the main stack as its last step,
 * then reads the handlers' `attestation` log lines from the stacks' (retained) log groups, labels
 * each with its step and moment, compares them with the driver's moments (`recording.ts`), writes
 * the recording to test/integ-tests/recordings/<region>-<date>.json, prints the observations and
 * the mismatches, and exits non-zero on any mismatch or on a step that did not end as expected.
 * Then it deletes what is left (stacks, log groups) unless `--no-clean` is given.
 *
 * Prints only the observations' fields and stack statuses: the log lines hold no secret, and the
 * handlers' other log lines are not read.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchLogsClient,
  DeleteLogGroupCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import * as prettier from 'prettier';
import { FAILED_CREATE_STACK, SEQUENCES_STACK, STEP_PLAN, sequenceLogicalIds, userNamePrefix } from './app';
import { IAMClient } from '@aws-sdk/client-iam';
import { deleteStack, logGroupsNamed, logGroupsOf, readAttestations, stackOf, usersNamed } from './aws';
import { RecordingFile, STEP_NAMES, StepWindow, compareRecording, expectedEvents } from './recording';

const root = path.resolve(__dirname, '..', '..', '..');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');
const app = `npx ts-node --prefer-ts-exts --transpile-only ${path.relative(root, path.join(__dirname, 'app.ts'))}`;
export const RECORDINGS_DIR = path.join(root, 'test', 'integ-tests', 'recordings');

/** How long CloudWatch Logs may take to make the last lines searchable. */
const LOG_WAIT_MS = 5 * 60_000;
const LOG_POLL_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recordingPath(region: string, date: Date): string {
  const base = `${region}-${date.toISOString().slice(0, 10)}`;
  let file = path.join(RECORDINGS_DIR, `${base}.json`);
  for (let n = 2; fs.existsSync(file); n++) file = path.join(RECORDINGS_DIR, `${base}-${n}.json`);
  return file;
}

async function main(): Promise<number> {
  const clean = !process.argv.includes('--no-clean');
  const cfn = new CloudFormationClient({});
  const logs = new CloudWatchLogsClient({});
  const region = await cfn.config.region();
  const runId = randomBytes(4).toString('hex');
  const expected = expectedEvents(sequenceLogicalIds(runId));
  const problems: string[] = [];
  const windows: (StepWindow & { stack: string; stackStatus: string })[] = [];
  const logGroups = new Set<string>();

  const runStarted = Date.now();
  console.log(`SEQUENCES  region ${region}, run ${runId}`);
  // A stack left by an earlier run (--no-clean) would turn the first deployment into an update.
  for (const stack of [SEQUENCES_STACK, FAILED_CREATE_STACK]) {
    const found = await stackOf(cfn, stack);
    if (found && found.status !== 'DELETE_COMPLETE') {
      console.error(`FAIL       stack ${stack} exists (${found.status}), left by an earlier run? Delete it first.`);
      return 1;
    }
  }
  try {
    for (const step of STEP_NAMES) {
      const plan = STEP_PLAN[step];
      const started = Date.now();
      let stackStatus: string;
      if (plan.templateStep === undefined) {
        stackStatus = await deleteStack(cfn, plan.stack);
      } else {
        console.log(`STEP       ${step}: cdk deploy ${plan.stack} -c step=${plan.templateStep}`);
        const deploy = spawnSync(
          cdk,
          [
            'deploy',
            plan.stack,
            '--app',
            app,
            '-c',
            `step=${plan.templateStep}`,
            '-c',
            `runId=${runId}`,
            '--exclusively',
            '--require-approval',
            'never',
            '--no-notices',
          ],
          { cwd: root, stdio: 'inherit', env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' } },
        );
        const stack = await stackOf(cfn, plan.stack);
        stackStatus = stack?.status ?? 'NO_STACK';
        if (stack) for (const g of await logGroupsOf(cfn, stack.id)) logGroups.add(g);
        // A stack whose creation rolled back may not list its retained log groups: find them by name too.
        for (const g of await logGroupsNamed(logs, `${plan.stack}-`, runStarted - 60_000)) logGroups.add(g);
        const failedAsExpected = plan.endsIn.includes('ROLLBACK');
        if ((deploy.status === 0) === failedAsExpected) {
          problems.push(
            `step ${step}: cdk deploy exited ${deploy.status}, expected it to ${failedAsExpected ? 'fail' : 'succeed'}`,
          );
        }
      }
      windows.push({ step, started, ended: Date.now(), stack: plan.stack, stackStatus });
      console.log(
        `STEP       ${step}: ${plan.stack} ${stackStatus}${stackStatus === plan.endsIn ? '' : ` (expected ${plan.endsIn})`}`,
      );
      if (stackStatus !== plan.endsIn) {
        problems.push(`step ${step}: ${plan.stack} ended in ${stackStatus}, expected ${plan.endsIn}`);
        break;
      }
    }

    if (windows.length === 0) throw new Error('no step ran');
    // The lines of the last step can take a while to be searchable: wait for as many as expected.
    const total = windows.reduce((n, w) => n + expected[w.step].length, 0);
    const from = windows[0].started;
    const to = () => Math.max(Date.now(), windows[windows.length - 1].ended);
    let recorded = await readAttestations(logs, [...logGroups], from, to());
    for (const until = Date.now() + LOG_WAIT_MS; recorded.length < total && Date.now() < until;) {
      await sleep(LOG_POLL_MS);
      recorded = await readAttestations(logs, [...logGroups], from, to());
    }
    // Once more after a pause, so that a late extra line is not missed.
    await sleep(LOG_POLL_MS);
    recorded = await readAttestations(logs, [...logGroups], from, to());

    const comparison = compareRecording(expected, windows, recorded);
    const recording: RecordingFile = {
      format: 'cdk-console-users/cloudformation-recording/1',
      region,
      recordedAt: new Date().toISOString(),
      steps: windows,
      observations: comparison.observations,
      mismatches: comparison.mismatches,
    };
    fs.mkdirSync(RECORDINGS_DIR, { recursive: true });
    const file = recordingPath(region, new Date());
    // Formatted as the repository's prettier check wants it, so that it can be committed as written.
    const options = { ...(await prettier.resolveConfig(file)), filepath: file };
    fs.writeFileSync(file, await prettier.format(JSON.stringify(recording), options));
    console.log(
      `RECORDED   ${comparison.observations.length} observations (${total} expected) in ${path.relative(root, file)}`,
    );
    for (const o of comparison.observations) {
      console.log(
        `  ${o.step} ${o.moment}: ${o.requestType} ${o.logicalId} resource=${o.resourceStatus} stack=${o.stackStatus ?? '-'} ` +
          `physicalIdMatches=${o.physicalIdMatches} metadataIs=${o.metadataIs}${o.reason === undefined ? '' : ` reason=${o.reason}`}`,
      );
    }
    for (const m of comparison.mismatches) console.log(`MISMATCH   ${m}`);
    problems.push(...comparison.mismatches);
  } catch (error) {
    problems.push(`ERROR ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (clean) {
      for (const stack of [SEQUENCES_STACK, FAILED_CREATE_STACK]) {
        console.log(
          `CLEANUP    ${stack}: ${await deleteStack(cfn, stack).catch((e: Error) => `not deleted: ${e.message}`)}`,
        );
      }
      for (const group of logGroups) {
        await logs.send(new DeleteLogGroupCommand({ logGroupName: group })).catch((e: unknown) => {
          if (!(e instanceof ResourceNotFoundException))
            console.log(`CLEANUP    log group ${group} not deleted: ${String(e)}`);
        });
      }
      console.log(`CLEANUP    ${logGroups.size} retained log groups deleted`);
      // Every user of the run belongs to a stack: one still there was left behind by a failed Delete.
      // IAM's lists are eventually consistent: a user deleted a moment ago can still be listed.
      let left: string[] = [];
      for (let attempt = 0; attempt < 4; attempt++) {
        if (attempt > 0) await sleep(LOG_POLL_MS);
        left = await usersNamed(new IAMClient({}), userNamePrefix(runId)).catch((e: Error) => [
          `(not listed: ${e.message})`,
        ]);
        if (left.length === 0) break;
      }
      if (left.length > 0) problems.push(`IAM users left behind (delete them by hand): ${left.join(', ')}`);
    } else {
      console.log(`KEPT       stacks and log groups (--no-clean): ${[...logGroups].join(', ')}`);
    }
  }
  for (const p of problems) console.error(`FAIL       ${p}`);
  return problems.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
