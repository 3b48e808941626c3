/**
 * The responder (lambda/runtime/responder.ts) against a stand-in for CloudFormation's response
 * bucket: an HTTPS server on loopback that answers as each test tells it, failures included.
 */
import * as https from 'node:https';
import { CloudFormationResponse, ResponderError, putResponse } from '../../lambda/runtime/responder';
import { ResponseServer } from '../support/response-server';

const ANSWER: CloudFormationResponse = {
  Status: 'SUCCESS',
  PhysicalResourceId: 'alice',
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/app/1',
  RequestId: 'req-1',
  LogicalResourceId: 'AliceLoginProfile',
  NoEcho: false,
  Data: { UserName: 'alice' },
};

let server: ResponseServer;
beforeAll(async () => {
  server = await ResponseServer.start();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

/** The responder with fast retries, trusting the server's certificate. */
const put = (url: string, answer = ANSWER, remainingMs = () => 30_000, attemptTimeoutMs = 1_000) =>
  putResponse(url, answer, { remainingMs, agent: server.agent, baseDelayMs: 10, attemptTimeoutMs });

test('PUTs the answer as JSON to the pre-signed URL, with an empty content-type and the content-length', async () => {
  // WHEN the responder answers
  await put(server.url());
  // THEN the bucket got one PUT of exactly the answer, to the URL's path and query
  expect(server.requests).toHaveLength(1);
  const [request] = server.requests;
  expect(request.method).toBe('PUT');
  expect(request.url).toBe(new URL(server.url()).pathname + new URL(server.url()).search);
  expect(request.headers['content-type']).toBe('');
  expect(request.headers['content-length']).toBe(String(Buffer.byteLength(request.body)));
  expect(JSON.parse(request.body)).toEqual(ANSWER);
});

test.each([
  ['a 500', 500],
  ['a 503', 503],
  ['a 429', 429],
  ['a reset connection', 'reset' as const],
  ['no answer within the attempt timeout', 'hang' as const],
])('tries again after %s, and succeeds', async (_name, behaviour) => {
  // GIVEN a bucket that fails once
  server.script.push(behaviour);
  // WHEN the responder answers
  await put(server.url(), ANSWER, () => 30_000, 300);
  // THEN the second PUT landed, with the same body
  expect(server.requests).toHaveLength(2);
  expect(server.requests[1].body).toBe(JSON.stringify(ANSWER));
});

test('does not try again after a 403 (an expired or foreign URL will not work a second later)', async () => {
  server.script.push(403);
  const error = await put(server.url()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ResponderError);
  expect((error as Error).message).toBe("CloudFormation's bucket answered HTTP 403");
  expect(server.requests).toHaveLength(1);
});

test('gives up after its attempts, naming the last failure', async () => {
  server.script.push(500, 500, 500, 500, 500, 500, 500);
  const error = await put(server.url()).catch((e: unknown) => e);
  expect((error as Error).message).toBe("CloudFormation's bucket answered HTTP 500");
  expect(server.requests).toHaveLength(6);
});

test('stops when the time to answer runs out, without waiting past it', async () => {
  // GIVEN a bucket that never answers, and 500 ms left
  server.script.push('hang', 'hang', 'hang');
  const end = Date.now() + 500;
  const started = Date.now();
  // WHEN the responder answers
  const error = await put(server.url(), ANSWER, () => end - Date.now(), 5_000).catch((e: unknown) => e);
  // THEN it failed within the time it had (and a little for the last attempt's end)
  expect(error).toBeInstanceOf(ResponderError);
  expect(Date.now() - started).toBeLessThan(1_500);
});

test('sends nothing when no time is left', async () => {
  const error = await put(server.url(), ANSWER, () => 0).catch((e: unknown) => e);
  expect((error as Error).message).toBe('no time left to answer CloudFormation');
  expect(server.requests).toHaveLength(0);
});

test('fails at once for a host that does not exist (.invalid never resolves)', async () => {
  const started = Date.now();
  const error = await put('https://cloudformation-custom-resource-response.invalid/x').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ResponderError);
  expect((error as ResponderError).transient).toBe(false);
  expect(Date.now() - started).toBeLessThan(5_000);
});

test('refuses a URL that is not https (the answer would travel in the clear)', async () => {
  const error = await put('http://127.0.0.1:1/x').catch((e: unknown) => e);
  expect((error as Error).message).toBe('the ResponseURL is not https (http:)');
});

test('refuses an answer over 4,096 bytes, which CloudFormation would reject', async () => {
  const big = { ...ANSWER, Data: { Blob: 'x'.repeat(4_100) } };
  const error = await put(server.url(), big).catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/^the response is \d+ bytes; CloudFormation takes at most 4096$/);
  expect(server.requests).toHaveLength(0);
});

test('does not trust a certificate nobody vouches for (TLS is checked)', async () => {
  const error = await putResponse(server.url(), ANSWER, {
    remainingMs: () => 5_000,
    agent: new https.Agent({ keepAlive: false }),
    attempts: 1,
  }).catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/self[- ]signed certificate/);
  expect(server.requests).toHaveLength(0);
});
