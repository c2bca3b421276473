// get_url's two writing requests. (1) download: the host fetches the url into a fresh temp file
// beside dest (or in tmp_dest), the checksum is verified by the client while the bytes arrive,
// and a mismatch removes the temp file: nothing ever lands at dest unverified. (2) install: the
// temp file replaces dest (backup, attributes, atomic rename) unless dest already has the same
// bytes, in which case only the attributes are applied.

import { posix } from 'node:path';
import { shq, type Connection } from '../../../executor/types.js';
import { ModuleFailure } from '../../types.js';
import { attrLines, backupLines, notOption, parseFields, parseStat, replaceAttrLines, STAT_FORMAT, type Attrs } from '../remote-file.js';
import { clientCommand, clientStdin, parseClientOutput, requestSecrets, type HttpRequest, type HttpResponse } from './request.js';

const hexOut = (name: string, shellWord: string): string => `printf '${name}='; printf %s ${shellWord} | od -An -v -tx1 | tr -d ' \\n'; echo`;
const unhex = (v: string | undefined): string | undefined => (v === undefined ? undefined : Buffer.from(v, 'hex').toString('utf8'));

/** Lines setting $m to the mtime (epoch s) of `path` when it is a file, else empty (no If-Modified-Since). */
function mtimeLines(path: string | undefined): string[] {
  if (path === undefined) return [`m=`];
  return [`m=`, `if [ -f ${shq(notOption(path))} ]; then m=$(stat -L -c %Y -- ${shq(notOption(path))} 2>/dev/null) || m=; fi`];
}

/**
 * The request without writing anything (check mode): the body is only hashed. With `ifModifiedSince`,
 * that file's mtime is sent as If-Modified-Since.
 */
export async function probeDownload(conn: Connection, req: HttpRequest, ifModifiedSince: string | undefined): Promise<HttpResponse> {
  const script = [...mtimeLines(ifModifiedSince), clientCommand(`'' "$m"`), ''].join('\n');
  const r = await conn.exec(script, { stdin: clientStdin(req), label: 'get_url:head', readOnly: true, secrets: requestSecrets(req) });
  return parseClientOutput(r.stdout, r.stderr, r.exitCode);
}

export interface Downloaded {
  res: HttpResponse;
  /** The temp file holding the verified body (absent when nothing was written: 304, errors). */
  tmp?: string;
}

/** Request (1): the body into a temp file in `tmpDir`. A non-2xx answer or a checksum mismatch leaves no file. */
export async function download(conn: Connection, req: HttpRequest, tmpDir: string, ifModifiedSince: string | undefined, body?: Buffer): Promise<Downloaded> {
  const script = [
    `d=${shq(notOption(tmpDir))}`,
    `if [ ! -d "$d" ]; then echo "Destination $d does not exist" >&2; exit 3; fi`,
    ...mtimeLines(ifModifiedSince),
    `tmp=$(mktemp "$d/.bosun-get.XXXXXXXX") || exit 4`,
    // interrupted: no temp file left behind
    `trap 'rm -f -- "$tmp"; exit 129' HUP INT TERM PIPE`,
    clientCommand(`"$tmp" "$m"`),
    `if [ $? -ne 0 ]; then rm -f -- "$tmp"; exit 0; fi`,
    hexOut('tmp', '"$tmp"'),
    '',
  ].join('\n');
  const r = await conn.exec(script, { stdin: clientStdin(req, body), label: 'get_url:download', secrets: requestSecrets(req) });
  if (r.exitCode !== 0 && !r.stdout.startsWith('{')) throw new ModuleFailure(r.stderr.trim() || `download failed (exit ${r.exitCode})`);
  const res = parseClientOutput(r.stdout, r.stderr, r.exitCode);
  const rest = Buffer.from(r.stdout.slice(r.stdout.indexOf('\n') + 1));
  return { res, tmp: unhex(parseFields(rest).get('tmp')) };
}

export interface Installed {
  /** dest already held these bytes: the temp file was dropped. */
  same: boolean;
  /** sha1 of dest before (Ansible's checksum_dest), when it existed. */
  destSha1?: string;
  backupFile?: string;
  attrsChanged: boolean;
  stat: ReturnType<typeof parseStat>;
}

/** Request (2): `tmp` (whose sha1 is `srcSha1`) becomes `target`, or is dropped when `target` has the same bytes. */
export async function install(conn: Connection, tmp: string, target: string, srcSha1: string, attrs: Attrs, backup: boolean): Promise<Installed> {
  const script = [
    `tmp=${shq(tmp)}`,
    `p=${shq(notOption(target))}`,
    `d=${shq(notOption(posix.dirname(target)))}`,
    `bak=`,
    `trap 'rm -f -- "$tmp" \${bak:+"$bak"}' EXIT`,
    `trap 'exit 129' HUP INT TERM PIPE`,
    `if [ -d "$p" ] && [ ! -L "$p" ]; then echo "$p is a directory" >&2; exit 3; fi`,
    `if [ ! -d "$d" ]; then echo "Destination $d does not exist" >&2; exit 3; fi`,
    `ds=`,
    `if [ -f "$p" ]; then ds=$(sha1sum < "$p") || exit 5; ds=\${ds%% *}; echo "dest_sha1=$ds"; fi`,
    `if [ "$ds" = ${shq(srcSha1)} ] && [ ! -L "$p" ]; then`,
    `  echo same=1`,
    `  echo "before=$(stat -c ${STAT_FORMAT} -- "$p")"`,
    ...attrLines('"$p"', attrs).map((l) => '  ' + l),
    `else`,
    ...replaceAttrLines(attrs).map((l) => '  ' + l),
    ...(backup ? backupLines().map((l) => '  ' + l) : []),
    `  sync -- "$tmp" 2>/dev/null || :`,
    `  mv -f -- "$tmp" "$p" || exit 7`,
    `fi`,
    `echo "stat=$(stat -c ${STAT_FORMAT} -- "$p")"`,
    '',
  ].join('\n');
  const r = await conn.exec(script, { label: 'get_url:install' });
  if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `installing ${target} failed (exit ${r.exitCode})`);
  const f = parseFields(r.raw);
  const stat = parseStat(f.get('stat'));
  const before = f.has('before') ? parseStat(f.get('before')) : undefined;
  return {
    same: f.get('same') === '1',
    destSha1: f.get('dest_sha1'),
    backupFile: unhex(f.get('backup')),
    attrsChanged: before !== undefined && (before.mode !== stat.mode || before.uid !== stat.uid || before.gid !== stat.gid),
    stat,
  };
}

/** A digest of a file on the host with coreutils' ALGOsum (read-only; sha256 comes with the file probe). */
export async function fileDigest(conn: Connection, path: string, algo: string): Promise<string | undefined> {
  const r = await conn.exec(`if [ -f ${shq(notOption(path))} ]; then ${algo}sum < ${shq(notOption(path))}; fi\n`, { label: 'get_url:digest', readOnly: true });
  if (r.exitCode !== 0) throw new ModuleFailure(`cannot read ${path}: ${r.stderr.trim()}`);
  return r.stdout.trim().split(/\s+/)[0] || undefined;
}
