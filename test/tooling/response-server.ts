/**
 * A stand-in for CloudFormation's response bucket: an HTTPS server on loopback, with a
 * self-signed certificate made by `openssl` for this run, that records every request and answers
 * each as told (a status, a reset connection, or no answer at all).
 *
 * The responder sends only to CloudFormation's bucket hosts: an agent of `routingAgent` (or an agent
 * patched by `route`) takes the connection for such a host to this server instead, as DNS would if
 * the host were this server, and TLS checks the certificate against the URL's host (the server's
 * certificate names the hosts given to `start`).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** How the server treats one request: answer with a status, drop the connection, or never answer. */
export type Behaviour = number | 'reset' | 'hang';

/** One request the server received. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** The server; `close()` it after the tests. */
export class ResponseServer {
  readonly requests: ReceivedRequest[] = [];
  /** Behaviours for the next requests, in order; then `200`. */
  readonly script: Behaviour[] = [];
  /** The certificate to trust (PEM). */
  readonly cert: string;
  /** An agent that trusts the certificate. */
  readonly agent: https.Agent;
  private readonly server: https.Server;
  private readonly hanging = new Set<import('node:net').Socket>();

  private constructor(key: string, cert: string) {
    this.cert = cert;
    this.agent = new https.Agent({ ca: cert, keepAlive: false });
    this.server = https.createServer({ key, cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const behaviour = this.script.shift() ?? 200;
        if (behaviour === 'reset') req.socket.destroy();
        else if (behaviour === 'hang') this.hanging.add(req.socket);
        else res.writeHead(behaviour).end();
      });
    });
  }

  /** Starts a server on 127.0.0.1 with a new key and a certificate for 127.0.0.1 and `hostNames`. */
  static async start(hostNames: readonly string[] = []): Promise<ResponseServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'response-server-'));
    try {
      const keyFile = path.join(dir, 'key.pem');
      const certFile = path.join(dir, 'cert.pem');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          ['subjectAltName=IP:127.0.0.1', ...hostNames.map((h) => `DNS:${h}`)].join(','),
          '-keyout',
          keyFile,
          '-out',
          certFile,
        ],
        { stdio: 'ignore' },
      );
      const server = new ResponseServer(fs.readFileSync(keyFile, 'utf8'), fs.readFileSync(certFile, 'utf8'));
      await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
      return server;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** A pre-signed-looking URL on this server (`query` as CloudFormation's carry one). */
  url(query = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc'): string {
    const { port } = this.server.address() as AddressInfo;
    return `https://127.0.0.1:${port}/arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/app/1%7CL%7Creq?${query}`;
  }

  /** A pre-signed-looking URL on `host` (reached through `routingAgent` or `route`). */
  urlAt(host: string, query = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc'): string {
    return new URL(this.url(query)).href.replace(/^https:\/\/127\.0\.0\.1:\d+/, `https://${host}`);
  }

  /**
   * An agent whose every connection goes to this server, whatever the URL's host; it trusts the
   * server's certificate unless `trust` is false.
   */
  routingAgent(trust = true): https.Agent {
    const agent = new https.Agent({ keepAlive: false, ...(trust ? { ca: this.cert } : {}) });
    this.route(agent);
    return agent;
  }

  /** Makes `agent` connect to this server, whatever the URL's host; returns what undoes it. */
  route(agent: https.Agent): () => void {
    const { port } = this.server.address() as AddressInfo;
    const own = Object.prototype.hasOwnProperty.call(agent, 'createConnection');
    const original = agent.createConnection;
    // The servername (the URL's host, for the certificate check) is already in `options`.
    agent.createConnection = (options, callback) =>
      original.call(agent, { ...options, host: '127.0.0.1', port }, callback);
    return () => {
      if (own) agent.createConnection = original;
      else delete (agent as { createConnection?: unknown }).createConnection;
    };
  }

  /** Forgets the requests and the script. */
  reset(): void {
    this.requests.length = 0;
    this.script.length = 0;
    for (const socket of this.hanging) socket.destroy();
    this.hanging.clear();
  }

  async close(): Promise<void> {
    this.reset();
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
