/**
 * The deploy-path bench: the bundled handler's AWS calls per event (what BENCHMARKS.md reports of
 * the library), a build whose answer is FAILED or missing reported as such rather than timed, and
 * aws-cdk-lib's provider framework run for the hop. Each job runs in a child process, as in the bench.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { countCalls } from '../../scripts/bench-calls';
import {
  AnswerServer,
  Build,
  FRAMEWORK,
  SUPPORT_DIR,
  buildSupport,
  runChild,
  startAnswerServer,
} from '../../scripts/bench-deploy';
import type { SequenceResult, TimingResult } from '../../scripts/bench-deploy-child';
import { bundlePath } from '../tooling/bundles';

const ROOT = path.resolve(__dirname, '..', '..');
const LATENCY = { iam: 20, secretsmanager: 10 };

let temp: string;
let server: AnswerServer;
let support: Build['support'];

beforeAll(async () => {
  temp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-test-'));
  support = await buildSupport(path.join(ROOT, SUPPORT_DIR));
  server = await startAnswerServer(temp);
});

afterAll(async () => {
  await server?.close();
  fs.rmSync(temp, { recursive: true, force: true });
});

function build(bundle: string): Build {
  return { label: 'after', source: 'test', root: ROOT, bundle, support };
}

/**
 * A handler that answers CloudFormation itself: the bundled handler's answer, PUT over HTTPS to the
 * ResponseURL with `status`.
 */
function puttingHandler(name: string, status: 'SUCCESS' | 'FAILED'): string {
  const file = path.join(temp, `${name}.js`);
  fs.writeFileSync(
    file,
    `const https = require('node:https');
const { handler } = require(${JSON.stringify(bundlePath('login-profile-handler'))});
exports.handler = async (event, context) => {
  const answer = await handler(event, context);
  const body = JSON.stringify({ Status: ${JSON.stringify(status)}, Reason: 'Create of login profile failed: test', PhysicalResourceId: answer.PhysicalResourceId,
    StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, Data: answer.Data });
  await new Promise((resolve, reject) => {
    const req = https.request(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } },
      (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end(body);
  });
};
`,
  );
  return file;
}

describe('the deploy-path bench', () => {
  it('drives the bundled handler, which PUTs its answer to the ResponseURL, and counts its calls from the fake', async () => {
    const bundle = bundlePath('login-profile-handler');
    const result = await runChild<SequenceResult>(build(bundle), server, { mode: 'sequence', entry: bundle });
    expect(Object.values(result.events).map((e) => e.shape)).toEqual(Array(6).fill('puts'));
    expect(countCalls(result.events.create.calls).commands).toContain('CreateLoginProfile');
    expect(countCalls(result.events.delete.calls).commands).toContain('DeleteLoginProfile');
    // Each event is first attested with CloudFormation (one read of its record), then carried out.
    expect(countCalls(result.events.resetFlagUpdate.calls).commands).toEqual([
      'DescribeStackResource',
      'UpdateLoginProfile',
    ]);
    expect(countCalls(result.events.create.calls).cloudformation).toBe(1);
    // The cleanup Delete of a rename (a replaced physical ID) also reads the stack's status.
    expect(countCalls(result.events.renameCleanupDelete.calls).commands.slice(0, 2)).toEqual([
      'DescribeStackResource',
      'DescribeStacks',
    ]);
    // The world after the Create (for the cold Deletes) has the profile, never printed.
    expect(result.afterCreate.users.find((u) => u.name === 'alice')?.profile).toBeDefined();
  });

  it('fails when the answer PUT is FAILED, with its reason', async () => {
    const handler = puttingHandler('fails', 'FAILED');
    await expect(
      runChild(build(handler), server, { mode: 'create', entry: handler, latency: LATENCY }),
    ).rejects.toThrow(/the answer was FAILED: Create of login profile failed: test/);
  });

  it('fails when the handler neither PUTs nor returns a physical ID', async () => {
    const file = path.join(temp, 'silent.js');
    fs.writeFileSync(file, 'exports.handler = async () => undefined;\n');
    await expect(runChild(build(file), server, { mode: 'create', entry: file, latency: LATENCY })).rejects.toThrow(
      /neither PUT an answer to the ResponseURL nor returned a PhysicalResourceId/,
    );
  });

  it("runs aws-cdk-lib's provider framework, which PUTs the answer, cold and warm", async () => {
    const bundle = bundlePath('login-profile-handler');
    const result = await runChild<TimingResult>(build(bundle), server, { mode: 'hop', entry: FRAMEWORK, warm: 2 });
    expect(result.cold.shape).toBe('puts');
    expect(result.cold.loadMs).toBeGreaterThan(0);
    expect(result.warm).toHaveLength(2);
  });
});
