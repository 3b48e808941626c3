/** Jest global teardown of the integration suite: stop moto_server, even after failures. */
import type { MotoServer } from './moto-server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __MOTO__?: MotoServer }).__MOTO__;
  await server?.stop();
}
