// uri: an HTTP request made by the host (health checks, APIs), with Ansible's result: status, the
// response headers as keys, content, json. GET/HEAD/OPTIONS read: they are made while planning
// (read-only), so they also run under --check and in until/retries loops without counting as a
// change. Other methods cannot be predicted and run in apply; `dest` saves the body like get_url.

import { posix } from 'node:path';
import { ArgumentError } from '../errors.js';
import { defineModule, ModuleFailure, type ModuleContext, type Outcome, type Plan } from './types.js';
import { FILE_ATTR_ARGS } from './util/file-args.js';
import type { Attrs } from './util/remote-file.js';
import { planRun } from './util/run.js';
import { HTTP_REQUEST_ARGS, requestOf, type HttpRequestArgs } from './util/http/args.js';
import { download, install } from './util/http/download.js';
import { httpProbe, registerRequestSecrets, safeUrl, type FollowRedirects, type HttpRequest, type HttpResponse } from './util/http/request.js';

export interface UriArgs extends Attrs, HttpRequestArgs {
  method: string;
  body?: unknown;
  body_format: 'raw' | 'json' | 'form-urlencoded';
  status_code: number[];
  return_content: boolean;
  follow_redirects: string;
  dest?: string;
  creates?: string;
  removes?: string;
}

/** Methods that only read: made while planning, also in check mode. */
const SAFE = ['GET', 'HEAD', 'OPTIONS'];
/** What is kept of a body for content/json (the rest is counted, not returned). */
const CONTENT_MAX = 8 * 1024 * 1024;
const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json|^text\/json/i;
/** Keys of a dict body whose values are credentials: masked in every output (the server may echo them). */
const SECRET_KEY = /pass|secret|token|key|auth|cred/i;

const FOLLOW: Record<string, FollowRedirects> = { all: 'all', yes: 'all', safe: 'safe', urllib2: 'safe', none: 'none', no: 'none' };

export default defineModule<UriArgs>({
  name: 'uri',
  doc: {
    short: 'Make an HTTP(S) request from the host and register the answer (status, headers, content, json)',
    description:
      'The host makes the request (python3 standard library, as get_url; url, headers, credentials and body go on its stdin, never in a command line). ' +
      'GET, HEAD and OPTIONS are made while planning (read-only): they run under --check too, report ok, and fit until/retries loops ' +
      '(`until: r.status == 200`; a failed attempt still registers status and json). Other methods (POST, PUT, DELETE…) cannot be ' +
      'predicted: check mode skips them unless creates/removes decide, and they report ok as in Ansible (use changed_when). ' +
      'A status outside status_code fails the task ("Status code was X and not [200]"); no answer is status -1. ' +
      'A JSON answer is parsed into json; return_content adds content (up to 8 MiB). With dest, the body is saved like get_url ' +
      '(temp file, rename; changed only if its bytes differ). The request body is never printed; values of password/token/secret/key ' +
      'keys of a dict body, url_password, credentials in the url and Authorization-like headers are masked in every output.',
    check: 'partial',
    diff: false,
    examples: [
      '- uri: { url: "https://{{ ip }}:2379/health", ca_path: /etc/etcd/pki/ca.pem, client_cert: /etc/etcd/pki/client.pem, client_key: /etc/etcd/pki/client-key.pem }',
      '  register: health',
      '  until: health.json.health == "true"',
      '  retries: 10',
      '  delay: 2',
      '- uri: { url: "https://api.example/v1/items", method: POST, body_format: json, body: { name: x }, status_code: [200, 201] }',
    ].join('\n'),
  },
  args: {
    url: { type: 'str', required: true, description: 'http or https url; user:password@ in it is used for basic auth and masked.' },
    method: { type: 'str', default: 'GET', description: 'HTTP method, one upper-case word.' },
    body: { type: 'raw', description: 'Request body: a string, or a dict/list encoded as body_format says. Never printed.' },
    body_format: { type: 'str', default: 'raw', choices: ['raw', 'json', 'form-urlencoded'], description: 'json: encode a dict/list, Content-Type application/json; form-urlencoded: encode a dict; raw: send the string.' },
    status_code: { type: 'list', elements: 'int', default: [200], description: 'Statuses that mean success.' },
    return_content: { type: 'bool', default: false, description: 'Return the body in content (a JSON body is always parsed into json).' },
    follow_redirects: { type: 'str', default: 'safe', choices: ['all', 'yes', 'safe', 'urllib2', 'none', 'no'], description: 'safe: follow redirects of GET/HEAD only; all: any method; none: return the 3xx.' },
    dest: { type: 'path', description: 'Save the body to this file on the host (changed only if its bytes differ).' },
    creates: { type: 'path', description: 'If this path exists on the host, make no request.' },
    removes: { type: 'path', description: 'If this path does not exist on the host, make no request.' },
    ...HTTP_REQUEST_ARGS,
    timeout: { type: 'int', default: 30, description: 'Seconds to wait for the server (connect and each read).' },
    ...FILE_ATTR_ARGS,
  },
  validate(a) {
    if (!/^[A-Z]+$/.test(a.method)) throw new ArgumentError("Parameter 'method' needs to be a single word in uppercase, like GET or POST.");
    if (!/^https?:\/\//i.test(a.url)) throw new ArgumentError(`url must be an http or https url; got '${safeUrl(a.url)}'`);
    encodeBody(a);
  },
  async plan(ctx, a) {
    const req = requestFor(a);
    registerRequestSecrets(ctx, req);
    registerBodySecrets(ctx, a.body);
    if (a.creates !== undefined || a.removes !== undefined) {
      const g = await planRun(ctx, { creates: a.creates, removes: a.removes }, `${a.method} ${safeUrl(a.url)}`);
      if (!g.changed) return { changed: false, msg: g.msg, result: { msg: g.msg, stdout: g.msg } };
    }
    if (a.dest !== undefined || !SAFE.includes(a.method)) {
      return { changed: !SAFE.includes(a.method) || a.dest !== undefined, unpredictable: true, msg: `would send ${a.method} ${safeUrl(a.url)}` };
    }
    const t0 = Date.now();
    const res = await httpProbe(ctx, ctx.conn, req, { label: 'uri:request', readOnly: true });
    return { changed: false, ...answer(a, res, t0) } as Plan;
  },
  async apply(ctx, a) {
    const req = requestFor(a);
    const t0 = Date.now();
    if (a.dest === undefined) {
      const res = await httpProbe(ctx, ctx.conn, req, { body: encodeBody(a)?.data, label: 'uri:request', readOnly: false });
      return { changed: false, ...answer(a, res, t0) };
    }
    return saveTo(ctx, a, a.dest, { ...req, content_max: 0, digests: ['sha1'] }, t0);
  },
});

function requestFor(a: UriArgs): HttpRequest {
  const req = requestOf(a, FOLLOW[a.follow_redirects] ?? 'safe');
  const enc = encodeBody(a);
  if (enc?.contentType && !Object.keys(req.headers ?? {}).some((k) => k.toLowerCase() === 'content-type')) req.headers = { ...req.headers, 'Content-Type': enc.contentType };
  return { ...req, method: a.method, content_max: CONTENT_MAX };
}

/** The body's bytes and Content-Type, as Ansible encodes them for each body_format. */
function encodeBody(a: Pick<UriArgs, 'body' | 'body_format'>): { data: Buffer; contentType?: string } | undefined {
  const b = a.body;
  if (b === undefined || b === null) return undefined;
  if (a.body_format === 'json') return { data: Buffer.from(typeof b === 'string' ? b : JSON.stringify(b)), contentType: 'application/json' };
  if (a.body_format === 'form-urlencoded') {
    if (typeof b === 'string') return { data: Buffer.from(b), contentType: 'application/x-www-form-urlencoded' };
    if (typeof b !== 'object') throw new ArgumentError('failed to parse body as form_urlencoded: give a dict or a string');
    const pairs = Array.isArray(b) ? (b as unknown[]).map((p) => (Array.isArray(p) ? p : [])) : Object.entries(b as Record<string, unknown>);
    const form = new URLSearchParams(pairs.map(([k, v]) => [String(k), String(v)]));
    return { data: Buffer.from(form.toString()), contentType: 'application/x-www-form-urlencoded' };
  }
  if (typeof b !== 'string') throw new ArgumentError('body must be a string with body_format raw (use body_format: json for a dict)');
  return { data: Buffer.from(b) };
}

function registerBodySecrets(ctx: ModuleContext, body: unknown, depth = 0): void {
  if (depth > 20 || body === null || typeof body !== 'object') return;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (SECRET_KEY.test(k) && (typeof v === 'string' || typeof v === 'number') && String(v)) ctx.secret(String(v));
    else registerBodySecrets(ctx, v, depth + 1);
  }
}

/** Ansible's result for an answer; a status outside status_code is thrown (the result still registered). */
function answer(a: UriArgs, res: HttpResponse, t0: number): { msg: string; result: Record<string, unknown> } {
  const result: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(res.headers)) result[k.replace(/-/g, '_')] = v;
  if (typeof result.location === 'string') result.location = new URL(result.location, a.url).toString();
  const msg = res.status === -1 ? (res.error ?? 'Request failed') : `OK (${res.size ?? 'unknown'} bytes)`;
  Object.assign(result, { url: safeUrl(res.url || a.url), status: res.status, redirected: res.url !== '' && res.url !== stripCreds(a.url), elapsed: Math.floor((Date.now() - t0) / 1000), msg });
  const text = res.content?.toString('utf8');
  if (text !== undefined && JSON_TYPE.test(res.headers['content-type'] ?? '')) {
    try {
      result.json = JSON.parse(text) as unknown;
    } catch {
      // not JSON after all: content only
    }
  }
  if (a.return_content && text !== undefined) result.content = text;
  if (!a.status_code.includes(res.status)) {
    const why = res.status === -1 ? msg : `HTTP Error ${res.status}: ${res.reason ?? ''}`.trim();
    const fail = `Status code was ${res.status} and not [${a.status_code.join(', ')}]: ${why}`;
    throw new ModuleFailure(fail, { ...result, msg: fail });
  }
  return { msg, result };
}

const stripCreds = (url: string): string => url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');

/** dest: the body into a temp file beside it, then get_url's install (changed only if the bytes differ). */
async function saveTo(ctx: ModuleContext, a: UriArgs, dest: string, req: HttpRequest, t0: number): Promise<Outcome> {
  const { res, tmp } = await download(ctx.conn, req, posix.dirname(dest), dest, encodeBody(a)?.data);
  if (res.status === 304) return { changed: false, msg: 'HTTP Error 304: Not Modified', result: { status: 304, path: dest, url: safeUrl(a.url) } };
  const { result, msg } = answer(a, res, t0);
  if (tmp === undefined) throw new ModuleFailure(`no body to save to ${dest}`, result);
  const done = await install(ctx.conn, tmp, dest, res.digests!.sha1!, { mode: a.mode, owner: a.owner, group: a.group }, false);
  return { changed: !done.same || done.attrsChanged, msg, result: { ...result, path: dest } };
}
