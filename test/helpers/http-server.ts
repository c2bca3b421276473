// A small HTTP(S) server for get_url/uri tests, listening on one given address (loopback, or the
// lab bridge's address): never 0.0.0.0. Routes are a table of path → handler; every request is
// recorded (method, url, headers, body) so tests can assert what the host sent.
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type Handler = (req: Recorded, res: ServerResponse) => void;

export interface TestServer {
  /** http(s)://ADDRESS:PORT */
  base: string;
  requests: Recorded[];
  /** Requests for one path. */
  hits(path: string): Recorded[];
}

export interface TlsFiles {
  key: string | Buffer;
  cert: string | Buffer;
  /** Require a client certificate signed by this CA. */
  ca?: string | Buffer;
}

export async function startServer(t: Test, address: string, routes: Record<string, Handler>, tls?: TlsFiles): Promise<TestServer> {
  const requests: Recorded[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: Recorded = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(rec);
      const path = rec.url.split('?')[0]!;
      const h = routes[path];
      if (!h) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
        return;
      }
      h(rec, res);
    });
  };
  const server = tls
    ? createHttps({ key: tls.key, cert: tls.cert, ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}) }, onRequest)
    : createHttp(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  // keep-alive sockets would hold close() open
  t.teardown(() => server.closeAllConnections());
  const port = (server.address() as AddressInfo).port;
  return {
    base: `${tls ? 'https' : 'http'}://${address}:${port}`,
    requests,
    hits: (p) => requests.filter((r) => r.url.split('?')[0] === p),
  };
}

/** A handler serving fixed bytes; honours If-Modified-Since against `mtime` (a static file server's way). */
export function bytes(data: Buffer | string, opts: { mtime?: Date; headers?: Record<string, string> } = {}): Handler {
  const mtime = opts.mtime ?? new Date('2020-01-01T00:00:00Z');
  return (req, res) => {
    const ims = req.headers['if-modified-since'];
    if (ims && new Date(ims).getTime() >= mtime.getTime()) {
      res.writeHead(304);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'last-modified': mtime.toUTCString(), ...opts.headers });
    res.end(req.method === 'HEAD' ? undefined : data);
  };
}

/** Answers 401 with a Basic challenge unless the request carries `user:password`. */
export function basicAuth(user: string, password: string, inner: Handler): Handler {
  const want = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  return (req, res) => {
    if (req.headers.authorization !== want) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' });
      res.end('auth required\n');
      return;
    }
    inner(req, res);
  };
}
