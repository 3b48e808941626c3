/** Jest global teardown of the integration suite: stop moto_server, even after failures, and check it is gone. */
import { MotoServer, isRunning } from './moto-server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __MOTO__?: MotoServer }).__MOTO__;
  if (!server) return;
  await server.stop();
  if (isRunning(server.pid)) {
    throw new Error(`moto_server (pid ${server.pid}) is still running after stop(); the suite must not leave it`);
  }
}
