// get_url: the host downloads a url to a file (docs/modules/get_url.md says why on the host, and
// how to download on the control node instead). The checksum is verified before the file lands
// at dest; with a checksum that dest already matches, nothing is downloaded.

import { posix } from 'node:path';
import { ArgumentError } from '../errors.js';
import { defineModule, ModuleFailure, type ModuleContext, type Plan } from './types.js';
import { FILE_ATTR_ARGS } from './util/file-args.js';
import { attrChanges, normMode, parseProbe, probeFile, probeScript, setAttrs, type Attrs, type FileProbe } from './util/remote-file.js';
import { digestFromList, parseChecksum } from './util/http/checksum.js';
import { download, fileDigest, install, probeDownload } from './util/http/download.js';
import { clientCommand, clientStdin, parseClientOutput, registerRequestSecrets, requestSecrets, safeUrl, type HttpRequest, type HttpResponse } from './util/http/request.js';
import { HTTP_REQUEST_ARGS, requestOf, type HttpRequestArgs } from './util/http/args.js';

export interface GetUrlArgs extends Attrs, HttpRequestArgs {
  dest: string;
  checksum: string;
  force: boolean;
  backup: boolean;
  tmp_dest?: string;
}

interface GetUrlState {
  destIsDir: boolean;
  /** The verified expected digest (the checksum file already read). */
  expect?: { algo: string; hex: string };
  /** Send dest's mtime as If-Modified-Since (an existing dest, force false, no checksum). */
  conditional: boolean;
  /** dest matches the checksum: only its attributes change. */
  attrsOnly?: boolean;
}

const DIGESTS = ['sha1', 'md5', 'sha256'];

export default defineModule<GetUrlArgs, GetUrlState>({
  name: 'get_url',
  doc: {
    short: 'Download a file from HTTP, HTTPS or FTP to the host (checksum verified before it lands)',
    description:
      'Where the download happens: on the host, as with Ansible, so the host needs a route to the url (and its proxy settings apply). ' +
      'The HTTP client is the host\'s python3 standard library (the one thing Ansible also needs on a host; curl and wget are often missing): ' +
      'the client program travels in the request, and the url, headers and credentials on its stdin, never in a command line. ' +
      'A host without a route (a lab host, an isolated network): download on the control node with `delegate_to: localhost` ' +
      'and a local dest, then `copy` the file (binary-safe, checksum-compared) to the hosts; or serve it from an address the hosts reach. ' +
      'The body goes to a temp file beside dest (or in tmp_dest) and its checksum is verified while it arrives, before the rename: ' +
      'a mismatch leaves dest as it was and no temp file. With a checksum that an existing dest matches, nothing is downloaded (one request, the file probe). ' +
      'Without one, an existing dest is downloaded again only when force is true or the server says it changed (If-Modified-Since), ' +
      'and replaced only if its bytes differ. Check mode predicts by hashing the body on the host without writing it. ' +
      'Credentials (url_password, user:password@ in the url, Authorization-like header values) are masked in every output.',
    check: 'full',
    diff: true,
    examples: [
      '- get_url:',
      '    url: https://github.com/etcd-io/etcd/releases/download/v3.5.17/etcd-v3.5.17-linux-amd64.tar.gz',
      '    dest: /opt/etcd.tar.gz',
      '    checksum: sha256:https://github.com/etcd-io/etcd/releases/download/v3.5.17/SHA256SUMS',
      '    mode: "0644"',
    ].join('\n'),
  },
  args: {
    url: { type: 'str', required: true, description: 'http, https, ftp or file url; user:password@ in it is used for basic auth and masked.' },
    dest: { type: 'path', required: true, description: 'Absolute path of the file; an existing directory gets the file name from Content-Disposition or the url.' },
    checksum: {
      type: 'str',
      default: '',
      description:
        'ALGO:DIGEST (md5, sha1, sha224, sha256, sha384, sha512) or ALGO:URL of a checksum file ("DIGEST  NAME" lines). Verified before the file lands at dest; an existing dest that matches is not downloaded again.',
    },
    force: { type: 'bool', default: false, description: 'Download even when dest exists (it is still replaced only if the bytes differ).' },
    backup: { type: 'bool', default: false, description: 'Keep a copy of a replaced dest as DEST.YYYYMMDDhhmmss~ (result backup_file).' },
    tmp_dest: { type: 'path', description: 'Directory for the temp file (default: dest\'s directory, so the final rename is atomic).' },
    ...HTTP_REQUEST_ARGS,
    ...FILE_ATTR_ARGS,
  },
  validate(args) {
    parseChecksum(args.checksum);
    if (!/^(https?|ftp|file):\/\//i.test(args.url)) throw new ArgumentError(`url must be an http, https, ftp or file url; got '${safeUrl(args.url)}'`);
  },
  // with a checksum file, dest is probed in the request that reads it
  probes: (args) => (/^\w+:(https?|ftp|file):/i.test(args.checksum) ? [] : [{ path: args.dest, opts: { follow: true } }]),
  async plan(ctx, args) {
    const req = requestOf(args);
    registerRequestSecrets(ctx, req);
    const attrs: Attrs = { mode: args.mode, owner: args.owner, group: args.group };
    const spec = parseChecksum(args.checksum);
    let expect: { algo: string; hex: string } | undefined;
    let probe: FileProbe;
    if (spec?.url !== undefined) {
      // the checksum file and dest's state in one request
      const both = await checksumListAndProbe(ctx, spec.url, req, args.dest);
      expect = { algo: spec.algo, hex: digestFromList(both.list, req.url, safeUrl(spec.url)) };
      probe = both.probe;
    } else {
      expect = spec ? { algo: spec.algo, hex: spec.hex! } : undefined;
      probe = await probeFile(ctx, args.dest, { follow: true });
    }
    const destIsDir = probe.exists && probe.type === 'directory';
    const base = { dest: args.dest, url: safeUrl(args.url), checksum_dest: null, checksum_src: null, elapsed: 0 };
    let force = args.force;
    if (probe.exists && !destIsDir) {
      if (probe.type !== 'file') throw new ModuleFailure(`dest ${args.dest} exists and is not a regular file (${probe.type})`);
      if (!force && expect) {
        const have = expect.algo === 'sha256' ? probe.sha256 : await fileDigest(ctx.conn, args.dest, expect.algo);
        if (have === expect.hex) return alreadyThere(args, probe, attrs, base);
        force = true; // a dest that fails the checksum is downloaded again
      }
    }
    const state: GetUrlState = { destIsDir, expect, conditional: probe.exists && !destIsDir && !force };
    // Nothing there yet: download once, in apply. Otherwise the body is first hashed without writing
    // (a read-only request, as in check mode): an unchanged file costs no write, and the file states
    // fetched ahead for later tasks stay valid.
    if (!probe.exists && !ctx.check) {
      return { changed: true, msg: `would download ${safeUrl(args.url)} to ${args.dest}`, result: base, state };
    }
    return predict(ctx, args, req, state, probe, attrs, base);
  },
  async apply(ctx, args, plan) {
    const st = plan.state!;
    const attrs: Attrs = { mode: args.mode, owner: args.owner, group: args.group };
    if (st.attrsOnly) {
      await setAttrs(ctx, args.dest, attrs);
      return { changed: true, msg: plan.msg, result: plan.result };
    }
    const req = { ...requestOf(args), digests: DIGESTS, expect: st.expect };
    const t0 = Date.now();
    const tmpDir = args.tmp_dest ?? (st.destIsDir ? args.dest : posix.dirname(args.dest));
    const { res, tmp } = await download(ctx.conn, req, tmpDir, st.conditional ? args.dest : undefined);
    const elapsed = Math.floor((Date.now() - t0) / 1000);
    const base = { ...plan.result, elapsed };
    if (res.status === 304) return { changed: false, msg: 'HTTP Error 304: Not Modified', result: { ...base, status_code: 304 } };
    const target = st.destIsDir ? posix.join(args.dest, res.filename ?? 'index.html') : args.dest;
    failOn(res, { ...base, dest: target }, st.expect);
    if (tmp === undefined) throw new ModuleFailure(`download of ${safeUrl(args.url)} left no file`, base);
    const sha1 = res.digests!.sha1!;
    const done = await install(ctx.conn, tmp, target, sha1, attrs, args.backup);
    const result: Record<string, unknown> = {
      ...base,
      dest: target,
      src: tmp,
      checksum_src: sha1,
      checksum_dest: done.destSha1 ?? null,
      md5sum: res.digests!.md5,
      msg: `OK (${res.size ?? 0} bytes)`,
      status_code: res.status,
      size: done.stat.size,
      mode: done.stat.mode,
      owner: done.stat.owner,
      group: done.stat.group,
      uid: done.stat.uid,
      gid: done.stat.gid,
      state: 'file',
    };
    if (done.backupFile) result.backup_file = done.backupFile;
    const changed = !done.same || done.attrsChanged;
    const msg = done.same ? (changed ? `${target} unchanged, attributes set` : `${target} already has these bytes`) : `downloaded ${res.size ?? 0} bytes to ${target}`;
    return { changed, msg, result };
  },
});

/** The checksum file's text (a read-only request that also probes dest, as probeFile would). */
async function checksumListAndProbe(ctx: ModuleContext, listUrl: string, req: HttpRequest, dest: string): Promise<{ list: string; probe: FileProbe }> {
  const listReq: HttpRequest = { ...req, url: listUrl, content_max: 4 * 1024 * 1024 };
  const script = `(\n${probeScript(dest, { follow: true })})\necho ${SEP}\n${clientCommand("'' ''")}\n`;
  const r = await ctx.conn.exec(script, { stdin: clientStdin(listReq), label: 'get_url:checksum', readOnly: true, secrets: requestSecrets(listReq) });
  const at = r.raw.indexOf(`\n${SEP}\n`);
  if (at < 0) throw new ModuleFailure(`cannot inspect ${dest}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  const probe = parseProbe(dest, r.raw.subarray(0, at + 1), { follow: true });
  const res = parseClientOutput(r.raw.subarray(at + SEP.length + 2).toString('utf8'), r.stderr, r.exitCode);
  failOn(res, { url: safeUrl(listUrl) });
  return { list: res.content?.toString('utf8') ?? '', probe };
}

const SEP = '@@bosun-get-url@@';

function alreadyThere(args: GetUrlArgs, probe: FileProbe, attrs: Attrs, base: Record<string, unknown>): Plan<GetUrlState> {
  const changes = attrChanges(probe, attrs);
  const result = { ...base, mode: attrs.mode !== undefined ? normMode(attrs.mode) : probe.mode, owner: attrs.owner ?? probe.owner, group: attrs.group ?? probe.group, uid: probe.uid, gid: probe.gid, size: probe.size, state: 'file' };
  if (Object.keys(changes).length === 0) return { changed: false, msg: 'file already exists', result };
  return {
    changed: true,
    msg: 'file already exists but file attributes changed',
    diff: [{ path: args.dest, attrs: changes }],
    result,
    state: { destIsDir: false, conditional: false, attrsOnly: true },
  };
}

/** The body hashed on the host (nothing written) and compared with what is there: check mode, and any existing dest. */
async function predict(
  ctx: ModuleContext,
  args: GetUrlArgs,
  req: HttpRequest,
  st: GetUrlState,
  probe: FileProbe,
  attrs: Attrs,
  base: Record<string, unknown>,
): Promise<Plan<GetUrlState>> {
  const res = await probeDownload(ctx.conn, { ...req, digests: DIGESTS, expect: st.expect }, st.conditional ? args.dest : undefined);
  if (res.status === 304) return { changed: false, msg: 'HTTP Error 304: Not Modified', result: { ...base, status_code: 304 } };
  const target = st.destIsDir ? posix.join(args.dest, res.filename ?? 'index.html') : args.dest;
  failOn(res, { ...base, dest: target }, st.expect);
  const cur = st.destIsDir ? await probeFile(ctx, target, { follow: true }) : probe;
  const same = cur.exists && cur.type === 'file' && cur.sha256 === res.digests!.sha256;
  const changes = attrChanges(same ? cur : { ...cur, exists: false }, attrs);
  // the same bytes have the same sha1: checksum_dest is known without reading dest again
  const result = { ...base, dest: target, checksum_src: res.digests!.sha1, checksum_dest: same ? res.digests!.sha1 : null, status_code: res.status, size: res.size };
  if (same && Object.keys(changes).length === 0) return { changed: false, msg: `${target} already has these bytes`, result };
  if (!cur.exists) changes.state = { before: 'absent', after: 'file' };
  return {
    changed: true,
    msg: same ? `would set attributes of ${target}` : `would download ${res.size ?? 0} bytes to ${target}`,
    diff: [{ path: target, summary: same ? undefined : `${res.size ?? 0} bytes downloaded from ${safeUrl(args.url)}`, attrs: Object.keys(changes).length ? changes : undefined }],
    result,
    // the same bytes at a plain dest: only its attributes to set, no download
    state: same && !st.destIsDir ? { ...st, attrsOnly: true } : st,
  };
}

/** Ansible's failures: no answer, a non-2xx status, a checksum mismatch (nothing was written then). */
function failOn(res: HttpResponse, result: Record<string, unknown>, expect?: { algo: string; hex: string }): void {
  if (res.status === -1) throw new ModuleFailure(res.error ?? 'Request failed', { ...result, status_code: -1 });
  if (res.status < 200 || res.status >= 300) {
    throw new ModuleFailure('Request failed', { ...result, status_code: res.status, response: `HTTP Error ${res.status}: ${res.reason ?? ''}`.trim() });
  }
  if (res.error === 'checksum' && expect) {
    const got = res.digests?.[expect.algo];
    throw new ModuleFailure(`The checksum for ${String(result.dest ?? res.url)} did not match ${expect.hex}; it was ${got}.`, { ...result, status_code: res.status });
  }
}
