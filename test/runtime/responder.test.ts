/**
 * The responder (lambda/runtime/responder.ts) against a stand-in for CloudFormation's response
 * bucket: an HTTPS server on loopback that answers as each test tells it, failures included. The
 * tests' agent takes connections for CloudFormation's bucket hosts to it; the responder sends only
 * to those hosts, and to nothing a forged event can name instead.
 */
import * as https from 'node:https';
import {
  CloudFormationResponse,
  FunctionLocation,
  ResponderError,
  ResponseUrlRefusal,
  ResponseUrlRefusedError,
  functionLocation,
  putResponse,
  responseBucketHosts,
} from '../../lambda/runtime/responder';
import { ResponseServer } from '../tooling/response-server';

const ANSWER: CloudFormationResponse = {
  Status: 'SUCCESS',
  PhysicalResourceId: 'alice',
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/app/1',
  RequestId: 'req-1',
  LogicalResourceId: 'AliceLoginProfile',
  NoEcho: false,
  Data: { UserName: 'alice' },
};

const US_EAST_1: FunctionLocation = { region: 'us-east-1', partition: 'aws' };
const BUCKET_HOST = 'cloudformation-custom-resource-response-useast1.s3.amazonaws.com';
const bucket = (regionWithoutDashes: string) => `cloudformation-custom-resource-response-${regionWithoutDashes}`;
const AWS_FORMS = (location: FunctionLocation, b: string): [FunctionLocation, string][] => [
  [location, `${b}.s3.amazonaws.com`],
  [location, `${b}.s3-${location.region}.amazonaws.com`],
  [location, `${b}.s3.${location.region}.amazonaws.com`],
];
const GOV_WEST: FunctionLocation = { region: 'us-gov-west-1', partition: 'aws-us-gov' };

/** Every host CloudFormation's ResponseURLs use, by the function's location (the server's certificate names each). */
const ACCEPTED: [FunctionLocation, string][] = [
  ...AWS_FORMS(US_EAST_1, bucket('useast1')),
  ...AWS_FORMS({ region: 'eu-west-1', partition: 'aws' }, bucket('euwest1')),
  ...AWS_FORMS({ region: 'eu-central-1', partition: 'aws' }, bucket('eucentral1')),
  ...AWS_FORMS({ region: 'ap-southeast-2', partition: 'aws' }, bucket('apsoutheast2')),
  [GOV_WEST, `${bucket('usgovwest1')}.s3-us-gov-west-1.amazonaws.com`],
  [GOV_WEST, `${bucket('usgovwest1')}.s3.us-gov-west-1.amazonaws.com`],
  [{ region: 'cn-north-1', partition: 'aws-cn' }, `${bucket('cnnorth1')}.s3.cn-north-1.amazonaws.com.cn`],
  [{ region: 'cn-northwest-1', partition: 'aws-cn' }, `${bucket('cnnorthwest1')}.s3.cn-northwest-1.amazonaws.com.cn`],
];

let server: ResponseServer;
let agent: https.Agent;
beforeAll(async () => {
  server = await ResponseServer.start(ACCEPTED.map(([, host]) => host));
  agent = server.routingAgent();
});
afterAll(async () => {
  agent.destroy();
  await server.close();
});
beforeEach(() => server.reset());

/** The responder of a function in us-east-1, with fast retries, its connections taken to the server. */
const put = (
  url: string,
  answer = ANSWER,
  remainingMs = () => 30_000,
  attemptTimeoutMs = 1_000,
  location: FunctionLocation | undefined = US_EAST_1,
) => putResponse(url, answer, { location, remainingMs, agent, baseDelayMs: 10, attemptTimeoutMs });

const bucketUrl = (query?: string) => server.urlAt(BUCKET_HOST, query);

test('PUTs the answer as JSON to the pre-signed URL, with an empty content-type and the content-length', async () => {
  // WHEN the responder answers
  await put(bucketUrl());
  // THEN the bucket got one PUT of exactly the answer, to the URL's host, path and query
  expect(server.requests).toHaveLength(1);
  const [request] = server.requests;
  expect(request.method).toBe('PUT');
  expect(request.headers.host).toBe(BUCKET_HOST);
  expect(request.url).toBe(new URL(bucketUrl()).pathname + new URL(bucketUrl()).search);
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
  await put(bucketUrl(), ANSWER, () => 30_000, 300);
  // THEN the second PUT landed, with the same body
  expect(server.requests).toHaveLength(2);
  expect(server.requests[1].body).toBe(JSON.stringify(ANSWER));
});

test('does not try again after a 403 (an expired or foreign URL will not work a second later)', async () => {
  server.script.push(403);
  const error = await put(bucketUrl()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ResponderError);
  expect((error as Error).message).toBe("CloudFormation's bucket answered HTTP 403");
  expect(server.requests).toHaveLength(1);
});

test('gives up after its attempts, naming the last failure', async () => {
  server.script.push(500, 500, 500, 500, 500, 500, 500);
  const error = await put(bucketUrl()).catch((e: unknown) => e);
  expect((error as Error).message).toBe("CloudFormation's bucket answered HTTP 500");
  expect(server.requests).toHaveLength(6);
});

test('stops when the time to answer runs out, without waiting past it', async () => {
  // GIVEN a bucket that never answers, and 500 ms left
  server.script.push('hang', 'hang', 'hang');
  const end = Date.now() + 500;
  const started = Date.now();
  // WHEN the responder answers
  const error = await put(bucketUrl(), ANSWER, () => end - Date.now(), 5_000).catch((e: unknown) => e);
  // THEN it failed within the time it had (and a little for the last attempt's end)
  expect(error).toBeInstanceOf(ResponderError);
  expect(Date.now() - started).toBeLessThan(1_500);
});

test('sends nothing when no time is left', async () => {
  const error = await put(bucketUrl(), ANSWER, () => 0).catch((e: unknown) => e);
  expect((error as Error).message).toBe('no time left to answer CloudFormation');
  expect(server.requests).toHaveLength(0);
});

test('fails at once for a host that does not exist (DNS answers ENOTFOUND: it will not exist a moment later)', async () => {
  // GIVEN DNS that knows no such host
  const noSuchHost = new https.Agent({
    lookup: ((_host: string, _options: unknown, callback: (error: Error) => void) =>
      callback(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }))) as never,
  });
  const started = Date.now();
  const error = await putResponse(bucketUrl(), ANSWER, {
    location: US_EAST_1,
    remainingMs: () => 30_000,
    agent: noSuchHost,
    baseDelayMs: 10,
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ResponderError);
  expect((error as ResponderError).transient).toBe(false);
  expect((error as Error).message).toMatch(/ENOTFOUND/);
  expect(Date.now() - started).toBeLessThan(5_000);
});

test('refuses an answer over 4,096 bytes, which CloudFormation would reject', async () => {
  const big = { ...ANSWER, Data: { Blob: 'x'.repeat(4_100) } };
  const error = await put(bucketUrl(), big).catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/^the response is \d+ bytes; CloudFormation takes at most 4096$/);
  expect(server.requests).toHaveLength(0);
});

test('does not trust a certificate nobody vouches for (TLS is checked)', async () => {
  const untrusting = server.routingAgent(false);
  const error = await putResponse(bucketUrl(), ANSWER, {
    location: US_EAST_1,
    remainingMs: () => 5_000,
    agent: untrusting,
    attempts: 1,
  }).catch((e: unknown) => e);
  untrusting.destroy();
  expect((error as Error).message).toMatch(/self[- ]signed certificate/);
  expect(server.requests).toHaveLength(0);
});

test('checks the certificate against the bucket host (a certificate for another host fails)', async () => {
  // GIVEN a host the server's certificate does not name, though the function's bucket is there
  const error = await put(
    server.urlAt('cloudformation-custom-resource-response-uswest2.s3.us-west-2.amazonaws.com'),
    ANSWER,
    () => 5_000,
    1_000,
    { region: 'us-west-2', partition: 'aws' },
  ).catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/Hostname\/IP does not match certificate's altnames/);
  expect(server.requests).toHaveLength(0);
});

describe("only CloudFormation's response bucket of the function's region gets the answer", () => {
  test.each(ACCEPTED)('%j: sends to %s', async (location, host) => {
    await put(server.urlAt(host), ANSWER, () => 30_000, 1_000, location);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].headers.host).toBe(host);
    expect(JSON.parse(server.requests[0].body)).toEqual(ANSWER);
  });

  test('the accepted hosts are exactly those, per partition', () => {
    for (const location of new Set(ACCEPTED.map(([l]) => l))) {
      expect(responseBucketHosts(location).sort()).toEqual(
        ACCEPTED.filter(([l]) => l === location)
          .map(([, h]) => h)
          .sort(),
      );
    }
  });

  const B = BUCKET_HOST;
  const Q = '/arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/app/1%7CL%7Creq?X-Amz-Signature=abc';
  test.each<[string, string, ResponseUrlRefusal]>([
    ['another bucket', `https://evil.s3.amazonaws.com${Q}`, 'foreign-host'],
    [
      'a bucket named after it',
      `https://cloudformation-custom-resource-response-useast1-x.s3.amazonaws.com${Q}`,
      'foreign-host',
    ],
    [
      'the bucket name without a region',
      `https://cloudformation-custom-resource-response.s3.amazonaws.com${Q}`,
      'foreign-host',
    ],
    [
      "another region's bucket",
      `https://cloudformation-custom-resource-response-uswest2.s3.amazonaws.com${Q}`,
      'foreign-host',
    ],
    [
      "another region's bucket, dotted",
      `https://cloudformation-custom-resource-response-uswest2.s3.us-west-2.amazonaws.com${Q}`,
      'foreign-host',
    ],
    ["the bucket at another region's endpoint", `https://${B.replace('.s3.', '.s3.us-west-2.')}${Q}`, 'foreign-host'],
    ['the bucket host as a path', `https://evil.com/${B}${Q}`, 'foreign-host'],
    ['the bucket host as a subdomain of another', `https://${B}.evil.com${Q}`, 'foreign-host'],
    [
      'path-style (not documented for CloudFormation)',
      `https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1${Q}`,
      'foreign-host',
    ],
    [
      'path-style, regional',
      `https://s3.us-east-1.amazonaws.com/cloudformation-custom-resource-response-useast1${Q}`,
      'foreign-host',
    ],
    ['userinfo before the bucket host', `https://evil.com@${B}${Q}`, 'userinfo'],
    ['the bucket host as userinfo', `https://${B}@evil.com${Q}`, 'userinfo'],
    ['a user and password', `https://${B}:x@evil.com${Q}`, 'userinfo'],
    ['a port', `https://${B}:8443${Q}`, 'port'],
    ['the default port written out', `https://${B}:443${Q}`, 'port'],
    ['an empty port', `https://${B}:${Q}`, 'port'],
    ['http', `http://${B}${Q}`, 'not-https'],
    ['another scheme', `ftp://${B}${Q}`, 'not-https'],
    ['HTTPS in capitals', `HTTPS://${B}${Q}`, 'not-https'],
    ['an IPv4 literal', `https://52.216.0.1${Q}`, 'foreign-host'],
    ['loopback', `https://127.0.0.1${Q}`, 'foreign-host'],
    ['an IPv6 literal', `https://[::1]${Q}`, 'foreign-host'],
    ['a trailing dot', `https://${B}.${Q}`, 'foreign-host'],
    ['capitals in the host', `https://${B.toUpperCase()}${Q}`, 'foreign-host'],
    ['one capital in the host', `https://C${B.slice(1)}${Q}`, 'foreign-host'],
    ['a percent-escaped dot', `https://${B.replace('.s3', '%2Es3')}${Q}`, 'foreign-host'],
    ['a backslash after the host', `https://${B}\\.evil.com${Q}`, 'foreign-host'],
    ['leading whitespace', ` https://${B}${Q}`, 'not-https'],
    [
      'a tab inside the host',
      `https://cloudformation-custom-resource-response-use\tast1.s3.amazonaws.com${Q}`,
      'foreign-host',
    ],
    ['not a URL', 'not a url', 'unparsable'],
  ])('refuses %s (%s): %s, and sends nothing', async (_name, url, code) => {
    const error = await put(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseUrlRefusedError);
    expect((error as ResponseUrlRefusedError).code).toBe(code);
    expect((error as ResponseUrlRefusedError).transient).toBe(false);
    // The message is fixed text and the code: nothing a forged URL chose.
    expect((error as Error).message).toBe(
      `not sent: the ResponseURL is not CloudFormation's response bucket of this function's region (${code})`,
    );
    expect(server.requests).toHaveLength(0);
  });

  test.each<[string, FunctionLocation, string]>([
    [
      'a China bucket at the aws host',
      { region: 'cn-north-1', partition: 'aws-cn' },
      'cloudformation-custom-resource-response-cnnorth1.s3.amazonaws.com',
    ],
    [
      'a China bucket at the dotted aws host',
      { region: 'cn-north-1', partition: 'aws-cn' },
      'cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com',
    ],
    [
      'a GovCloud bucket at the global host',
      { region: 'us-gov-west-1', partition: 'aws-us-gov' },
      'cloudformation-custom-resource-response-usgovwest1.s3.amazonaws.com',
    ],
    [
      'an aws bucket at the China suffix',
      US_EAST_1,
      'cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com.cn',
    ],
  ])("refuses %s (the same name in another partition's S3 is anyone's)", async (_name, location, host) => {
    const error = await put(server.urlAt(host), ANSWER, () => 30_000, 1_000, location).catch((e: unknown) => e);
    expect((error as ResponseUrlRefusedError).code).toBe('foreign-host');
    expect(server.requests).toHaveLength(0);
  });

  test('sends nothing when the function does not know its region', async () => {
    const error = await putResponse(bucketUrl(), ANSWER, {
      location: undefined,
      remainingMs: () => 30_000,
      agent,
    }).catch((e: unknown) => e);
    expect((error as ResponseUrlRefusedError).code).toBe('unknown-location');
    expect(server.requests).toHaveLength(0);
  });
});

describe("the function's location", () => {
  test.each<[string, string | undefined, string | undefined, FunctionLocation | undefined]>([
    [
      'from its ARN',
      'arn:aws:lambda:eu-west-1:123456789012:function:f',
      undefined,
      { region: 'eu-west-1', partition: 'aws' },
    ],
    [
      'from its ARN before AWS_REGION',
      'arn:aws:lambda:eu-west-1:123456789012:function:f',
      'us-east-1',
      { region: 'eu-west-1', partition: 'aws' },
    ],
    [
      'in China',
      'arn:aws-cn:lambda:cn-north-1:123456789012:function:f',
      undefined,
      { region: 'cn-north-1', partition: 'aws-cn' },
    ],
    [
      'in GovCloud',
      'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:live',
      undefined,
      { region: 'us-gov-west-1', partition: 'aws-us-gov' },
    ],
    ['from AWS_REGION without an ARN', undefined, 'ap-southeast-2', { region: 'ap-southeast-2', partition: 'aws' }],
    [
      'from AWS_REGION when the ARN is none',
      'f',
      'us-gov-east-1',
      { region: 'us-gov-east-1', partition: 'aws-us-gov' },
    ],
    [
      "unknown: an ARN whose partition is not its region's",
      'arn:aws:lambda:cn-north-1:123456789012:function:f',
      'us-east-1',
      undefined,
    ],
    [
      'unknown: an ARN of a partition the library does not know',
      'arn:aws-iso:lambda:us-iso-east-1:123456789012:function:f',
      undefined,
      undefined,
    ],
    ['unknown: no region', undefined, undefined, undefined],
    ['unknown: a region that is none', undefined, 'evil.com/', undefined],
  ])('%s', (_name, arn, region, expected) => {
    expect(functionLocation(arn, region)).toEqual(expected);
  });
});
