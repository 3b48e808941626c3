/**
 * Starts and stops `moto_server` (a real AWS wire-protocol peer) from the project's venv on a free
 * loopback port. Used by the integration suite's global setup; usable on its own in a script.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const MOTO_BIN = path.join(REPO_ROOT, '.venv', 'bin', 'moto_server');

export interface MotoServer {
  /** e.g. http://127.0.0.1:51234 */
  readonly endpoint: string;
  readonly port: number;
  /** Process ID of moto_server. */
  readonly pid: number;
  /** Stops the server and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Starts moto_server on `port` (default: a free one) and waits until it answers. */
export async function startMoto(
  options: { port?: number; timeoutMs?: number; motoBin?: string } = {},
): Promise<MotoServer> {
  const motoBin = options.motoBin ?? MOTO_BIN;
  if (!fs.existsSync(motoBin)) {
    throw new Error(
      `moto_server not found at ${motoBin}; run 'bash scripts/setup-python.sh' first (needs python3 with venv)`,
    );
  }
  const port = options.port ?? (await freePort());
  if (!(await isPortFree(port))) {
    throw new Error(`port ${port} on 127.0.0.1 is already in use; cannot start moto_server there`);
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(motoBin, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const stop = () => stopChild(child);
  releaseWithProcess(child);

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(`moto_server exited before it answered on ${endpoint}:\n${stderr}`);
    }
    if (await answers(`${endpoint}/moto-api/`)) return { endpoint, port, pid: child.pid!, stop };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`moto_server did not answer on ${endpoint} within ${options.timeoutMs ?? 30_000} ms:\n${stderr}`);
}

/** Resets all of moto's state (every service). */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Kills `child` when this process exits or is interrupted (Ctrl-C, a CI timeout's SIGTERM), so
 * that an aborted run leaves no moto_server behind; a signal is then re-raised with its default
 * action unless someone else handles it.
 */
function releaseWithProcess(child: ChildProcess): void {
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (signal: NodeJS.Signals) => {
    kill();
    release();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const release = () => {
    process.off('exit', kill);
    for (const signal of signals) process.off(signal, onSignal);
  };
  process.on('exit', kill);
  for (const signal of signals) process.on(signal, onSignal);
  child.once('exit', release);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Whether a process with `pid` is alive (exists and is not a zombie waiting to be reaped). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; Z = exited, not yet reaped by its (new) parent.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // No /proc (not Linux): the signal check above is all there is.
  }
}
