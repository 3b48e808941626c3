/**
 * Bad input for the harness and the driver: clear messages instead of hangs, and no moto_server
 * left running.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { CreateLoginProfileCommand } from '@aws-sdk/client-iam';
import { DriverError, TemplateJson, dependencyOrder } from './driver';
import { useMoto } from './moto-harness';
import { REPO_ROOT, freePort, isRunning, startMoto } from './moto-server';

const moto = useMoto();

/** PIDs of moto_server processes listening on `port` (the same pattern matches a running one in a test below). */
function listMoto(port: number): string[] {
  const listed = spawnSync('pgrep', ['-f', `moto_server -H 127.0.0.1 -p ${port}$`], { encoding: 'utf8' });
  return listed.stdout.split('\n').filter((line) => line.trim() !== '');
}

describe('moto_server', () => {
  test('fails when moto_server is missing, naming the setup script', async () => {
    await expect(startMoto({ motoBin: path.join(REPO_ROOT, 'no-such-venv', 'bin', 'moto_server') })).rejects.toThrow(
      /moto_server not found at .*no-such-venv.*run 'bash scripts\/setup-python.sh' first/,
    );
  });

  test('fails at once when the port is taken, naming the port', async () => {
    // GIVEN a port held by another listener
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      // WHEN moto_server is asked to start there THEN it fails quickly with the port in the message
      const started = Date.now();
      await expect(startMoto({ port })).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test('stop() ends the process, and a second stop() is harmless', async () => {
    const server = await startMoto();
    expect(isRunning(server.pid)).toBe(true);
    expect(listMoto(server.port)).toEqual([String(server.pid)]);
    await server.stop();
    expect(isRunning(server.pid)).toBe(false);
    expect(listMoto(server.port)).toEqual([]);
    await server.stop();
    const probe = await fetch(`${server.endpoint}/moto-api/`).then(
      () => 'answered',
      () => 'refused',
    );
    expect(probe).toBe('refused');
  });

  test('fails when moto_server does not answer in time, and leaves no process behind', async () => {
    const port = await freePort();
    await expect(startMoto({ port, timeoutMs: 1 })).rejects.toThrow(
      /did not answer on http:\/\/127.0.0.1:\d+ within 1 ms/,
    );
    expect(listMoto(port)).toEqual([]);
  });
});

describe('an interrupted run', () => {
  test.each(['SIGINT', 'SIGTERM'] as const)('leaves no moto_server behind after %s', async (signal) => {
    // GIVEN a node process that started moto_server (as jest's global setup does)
    const holder = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'fixtures', 'hold-moto.ts')],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let motoPid = 0;
    try {
      motoPid = await new Promise<number>((resolve, reject) => {
        let out = '';
        holder.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /MOTO_PID (\d+)/.exec(out);
          if (match) resolve(Number(match[1]));
        });
        holder.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
      });
      expect(isRunning(motoPid)).toBe(true);

      // WHEN that process is interrupted
      const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
      holder.kill(signal);
      await exited;

      // THEN moto_server is gone too
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(isRunning(motoPid)).toBe(false);
    } finally {
      if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL');
      if (motoPid && isRunning(motoPid)) process.kill(motoPid, 'SIGKILL');
    }
  });
});

describe('scripts/setup-python.sh', () => {
  test('fails when Python is missing, saying what to install or set', () => {
    const result = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'setup-python.sh')], {
      encoding: 'utf8',
      env: { ...process.env, PYTHON: '/nonexistent/python3' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/'\/nonexistent\/python3' not found; install Python 3.9\+ or set PYTHON=/);
  });
});

describe('the driver', () => {
  const userOnly = (extra: Record<string, unknown> = {}): TemplateJson => ({
    Resources: { U: { Type: 'AWS::IAM::User', Properties: { UserName: 'driver-user', ...extra } } },
  });

  test('fails when the template uses an intrinsic it does not support, naming it', async () => {
    const driver = moto.driver();
    await expect(driver.deploy(userOnly({ Path: { 'Fn::ImportValue': 'SharedPath' } }))).rejects.toThrow(
      new DriverError('the test resolver does not support Fn::ImportValue'),
    );
    // Fn::If is supported, with a condition the template has (driver-conditions.test.ts); without one it fails.
    await expect(driver.deploy(userOnly({ Path: { 'Fn::If': ['C', '/a/', '/b/'] } }))).rejects.toThrow(
      new DriverError("Fn::If: no condition C in the template's Conditions"),
    );
  });

  test('fails when a custom resource type has no bundled handler', async () => {
    const driver = moto.driver();
    const template: TemplateJson = { Resources: { X: { Type: 'Custom::Nope', Properties: { ServiceToken: 'x' } } } };
    await expect(driver.deploy(template)).rejects.toThrow(/no bundled handler registered for Custom::Nope/);
  });

  test('fails (as AWS would: DeleteConflict) to delete a user that still has a login profile', async () => {
    // GIVEN a user deployed by the driver who got a profile outside the stack
    const driver = moto.driver();
    await driver.deploy(userOnly());
    await moto.iam.send(new CreateLoginProfileCommand({ UserName: 'driver-user', Password: 'Aa1!' + 'x'.repeat(20) }));

    // WHEN the stack is deleted THEN the driver refuses, like IAM
    await expect(driver.destroy()).rejects.toThrow(/DeleteConflict: user driver-user .* still has a login profile/);
    expect(await moto.userTags('driver-user')).toBeDefined();
  });

  test('fails to roll back when the last deploy did not fail', async () => {
    const driver = moto.driver();
    await driver.deploy(userOnly());
    await expect(driver.rollback()).rejects.toThrow('nothing to roll back: the last deploy did not fail');
  });

  test('orders resources after what they reference, and fails on a cycle', () => {
    const template: TemplateJson = {
      Resources: {
        C: { Type: 'T', Properties: { A: { 'Fn::GetAtt': ['B', 'Arn'] } } },
        B: { Type: 'T', Properties: { A: { Ref: 'A' } } },
        A: { Type: 'T', DependsOn: 'D' },
        D: { Type: 'T' },
      },
    };
    expect(dependencyOrder(template)).toEqual(['D', 'A', 'B', 'C']);
    const cyclic: TemplateJson = {
      Resources: { A: { Type: 'T', DependsOn: ['B'] }, B: { Type: 'T', Properties: { X: { 'Fn::Sub': '${A}' } } } },
    };
    expect(() => dependencyOrder(cyclic)).toThrow(/circular dependency: A -> B -> A/);
  });
});
