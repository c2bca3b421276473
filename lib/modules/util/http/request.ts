// One HTTP request made by the host (client-py.ts), as one channel request: the request description
// and the body go on stdin, the answer comes back as one JSON line. get_url and uri build on it.

import { shq, type Connection } from '../../../executor/types.js';
import type { ModuleContext } from '../../types.js';
import { ModuleFailure } from '../../types.js';
import { HTTP_CLIENT_PY } from './client-py.js';
import { pythonCommand } from '../python.js';

/** How the client treats 3xx answers: follow any, only for GET/HEAD, or never. */
export type FollowRedirects = 'all' | 'safe' | 'none';

export interface HttpRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  user?: string;
  password?: string;
  force_basic_auth?: boolean;
  /** Seconds. */
  timeout?: number;
  validate_certs?: boolean;
  ca_path?: string;
  client_cert?: string;
  client_key?: string;
  use_proxy?: boolean;
  follow?: FollowRedirects;
  /** Hash algorithms (hashlib names) computed over the response body. */
  digests?: string[];
  /** The body must hash to this, or the file written is removed and `error` is "checksum". */
  expect?: { algo: string; hex: string };
  /** Bytes of the body returned in `content` (0: none). */
  content_max?: number;
}

export interface HttpResponse {
  /** -1 when no answer came (connection refused, TLS error, timeout): see `error`. */
  status: number;
  reason?: string;
  /** The final url, after redirects. */
  url: string;
  headers: Record<string, string>;
  /** Content-Disposition's file name, else the last segment of the url path (get_url's dest directory rule). */
  filename?: string;
  size?: number;
  digests?: Record<string, string>;
  content?: Buffer;
  truncated?: boolean;
  error?: string;
}

/** Shell text running the client with `args` (shell words: the temp file to write, the If-Modified-Since time). */
export function clientCommand(args: string): string {
  return pythonCommand(HTTP_CLIENT_PY, args, 'the HTTP client of get_url and uri');
}

/** The request description and body as the client reads them on stdin. */
export function clientStdin(req: HttpRequest, body?: Buffer): Buffer {
  const line = JSON.stringify({ ...req, has_body: body !== undefined }) + '\n';
  return body === undefined ? Buffer.from(line) : Buffer.concat([Buffer.from(line), body]);
}

/** The client's JSON line (the first line of stdout), or a failure naming what the host said. */
export function parseClientOutput(stdout: string, stderr: string, exitCode: number): HttpResponse {
  const first = stdout.split('\n', 1)[0] ?? '';
  let parsed: unknown;
  try {
    parsed = first ? JSON.parse(first) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object') {
    throw new ModuleFailure(`HTTP client failed on the host: ${stderr.trim().split('\n').slice(-3).join(' ') || `exit ${exitCode}`}`);
  }
  const o = parsed as Record<string, unknown> & { content_b64?: string };
  const res: HttpResponse = {
    status: typeof o.status === 'number' ? o.status : -1,
    url: String(o.url ?? ''),
    headers: (o.headers as Record<string, string> | undefined) ?? {},
  };
  if (typeof o.reason === 'string') res.reason = o.reason;
  if (typeof o.filename === 'string') res.filename = o.filename;
  if (typeof o.size === 'number') res.size = o.size;
  if (o.digests && typeof o.digests === 'object') res.digests = o.digests as Record<string, string>;
  if (typeof o.content_b64 === 'string') res.content = Buffer.from(o.content_b64, 'base64');
  if (typeof o.truncated === 'boolean') res.truncated = o.truncated;
  if (typeof o.error === 'string') res.error = o.error;
  return res;
}

/**
 * Makes the request on `conn` without writing anything on it (hash and/or content only): plan()
 * may call it in check mode. Secrets of the request are masked in traces.
 */
export async function httpProbe(
  ctx: ModuleContext,
  conn: Connection,
  req: HttpRequest,
  opts: { body?: Buffer; ifModifiedSince?: number; label: string; readOnly: boolean },
): Promise<HttpResponse> {
  const args = `'' ${opts.ifModifiedSince === undefined ? "''" : shq(String(opts.ifModifiedSince))}`;
  const r = await conn.exec(clientCommand(args) + '\n', {
    stdin: clientStdin(req, opts.body),
    label: opts.label,
    readOnly: opts.readOnly,
    secrets: requestSecrets(req),
  });
  return parseClientOutput(r.stdout, r.stderr, r.exitCode);
}

/** The parts of a request never to be shown: the password, credentials in the url, Authorization-like headers. */
export function requestSecrets(req: Pick<HttpRequest, 'url' | 'password' | 'headers'>): string[] {
  const out: string[] = [];
  if (req.password) out.push(req.password);
  const cred = urlPassword(req.url);
  if (cred) out.push(cred);
  for (const [k, v] of Object.entries(req.headers ?? {})) if (SECRET_HEADER.test(k) && v) out.push(v, ...v.split(/\s+/).filter((w) => w.length >= 8));
  return out;
}

/** Headers whose values are credentials (masked in every output). */
export const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|x-[a-z0-9-]*(token|key|secret|auth)[a-z0-9-]*)$/i;

/** The password of `scheme://user:password@host/…`, decoded and raw, if any. */
export function urlPassword(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/@]*)@/i.exec(url);
  if (!m) return undefined;
  const colon = m[1]!.indexOf(':');
  return colon < 0 ? undefined : m[1]!.slice(colon + 1) || undefined;
}

/** The url as it may be shown: credentials in it replaced by ***. */
export function safeUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@/i, (_m, scheme: string, info: string) => `${scheme}${info.includes(':') ? info.slice(0, info.indexOf(':')) + ':***' : info}@`);
}

/** Registers every secret of the request with the run's masker. */
export function registerRequestSecrets(ctx: ModuleContext, req: Pick<HttpRequest, 'url' | 'password' | 'headers'>): void {
  for (const s of requestSecrets(req)) {
    ctx.secret(s);
    // a password also travels percent-encoded (in a url) and decoded
    try {
      const d = decodeURIComponent(s);
      if (d !== s) ctx.secret(d);
    } catch {
      // not percent-encoded: nothing more to mask
    }
  }
}
