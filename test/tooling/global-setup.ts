/** Jest global setup of the integration suite: one moto_server for the whole run. */
import { startMoto } from './moto-server';

export default async function globalSetup(): Promise<void> {
  const server = await startMoto();
  (globalThis as { __MOTO__?: unknown }).__MOTO__ = server;
  process.env.MOTO_ENDPOINT = server.endpoint;
  process.env.AWS_ENDPOINT_URL_IAM = server.endpoint;
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = server.endpoint;
  process.env.AWS_ENDPOINT_URL_STS = server.endpoint;
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = server.endpoint;
  // moto's own CloudFormation, which knows none of the driver's stacks; useMoto() points it at the proxy.
  process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = server.endpoint;
}
