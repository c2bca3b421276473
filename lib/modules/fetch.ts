// fetch: copy a host file to the control node, under dest/<inventory_hostname>/<src> (or dest itself
// with flat). Planned from one probe (sha256, fetched ahead with other tasks' probes) against the
// local file; the transfer streams into a temp file beside dest, hashed on the way, and only a file
// whose checksum matches the probe's replaces dest (Ansible leaves the bad copy in place).
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { defineModule, ModuleFailure, type ModuleContext, type Plan } from './types.js';
import { probeFile } from './util/remote-file.js';
import { hashLocalFile, readRemoteFile } from './util/transfer.js';

export interface FetchArgs {
  src: string;
  dest: string;
  flat: boolean;
  fail_on_missing: boolean;
  validate_checksum: boolean;
}

interface FetchState {
  dest: string;
  size: number;
  sha256: string;
}

/** Where the file lands on the control node (Ansible's rules: flat, trailing "/", per-host tree). */
export function fetchDest(ctx: Pick<ModuleContext, 'host' | 'vars'>, args: Pick<FetchArgs, 'src' | 'dest' | 'flat'>): string {
  const base = typeof ctx.vars.playbook_dir === 'string' ? ctx.vars.playbook_dir : process.cwd();
  if (args.flat) {
    let dest = args.dest;
    if (dest.endsWith('/')) dest = join(dest, basename(args.src));
    else if (isDir(resolve(base, dest))) throw new ModuleFailure('dest is an existing directory, use a trailing slash if you want to fetch src into that directory');
    return normalize(resolve(base, dest));
  }
  // dest/HOST/SRC with SRC as given: "/etc/x" gives dest/HOST/etc/x, "x" (relative to the remote home) dest/HOST/x
  const dest = normalize(`${resolve(base, args.dest)}/${ctx.host}/${args.src}`);
  const root = resolve(base, args.dest, ctx.host);
  if (dest !== root && !dest.startsWith(root + '/')) throw new ModuleFailure(`Detected directory traversal, expected to be contained in '${root}' but got '${dest}'`);
  return dest;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function localFile(p: string): 'file' | 'missing' | 'other' {
  try {
    return statSync(p).isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

export default defineModule<FetchArgs, FetchState>({
  name: 'fetch',
  doc: {
    short: 'Copy a file from the host to the control node (per-host tree or flat), checksum-verified, streamed',
    description:
      'Without flat, the file lands in DEST/<inventory_hostname>/<src> (a relative dest is relative to the playbook directory). ' +
      'With flat, in dest itself, or dest/basename(src) when dest ends with "/". Unchanged when the local copy has the same checksum ' +
      '(one request, often fetched ahead). Large files are streamed in 32 MiB ranges, never held in memory; the copy is written to a ' +
      'temp file beside dest and renamed over it only when its checksum matches the host file\'s. Results as Ansible: checksum ' +
      '(sha1), md5sum, remote_checksum, dest, file. Check mode predicts the fetch (Ansible skips the task).',
    check: 'full',
    diff: true,
    examples: [
      '- fetch: { src: /etc/etcd/etcd.conf, dest: collected/ }   # collected/node1/etc/etcd/etcd.conf',
      '- fetch: { src: /var/log/app.log, dest: "logs/{{ inventory_hostname }}.log", flat: true }',
    ].join('\n'),
  },
  args: {
    src: { type: 'str', required: true, description: 'File on the host (not a directory); symlinks are followed.' },
    dest: { type: 'str', required: true, description: 'Directory (or, with flat, file) on the control node; relative to the playbook directory.' },
    flat: { type: 'bool', default: false, description: 'Put the file at dest itself (or dest/basename(src) if dest ends with "/") instead of dest/HOST/src.' },
    fail_on_missing: { type: 'bool', default: true, description: 'Fail when src does not exist or is a directory; false reports ok with a message.' },
    validate_checksum: { type: 'bool', default: true, description: 'Fail when the received file\'s checksum differs from the host file\'s.' },
  },
  probes: (a) => [{ path: a.src, opts: { follow: true } }],
  async plan(ctx, args) {
    const p = await probeFile(ctx, args.src, { follow: true });
    // Ansible's words, failed or (fail_on_missing: false) ok
    const NOT_THERE = 'the remote file does not exist, not transferring, ignored';
    const A_DIR = 'remote file is a directory, fetch cannot work on directories';
    const skip = (msg: string, ignored: string, result: Record<string, unknown>): Plan<FetchState> => {
      if (args.fail_on_missing) throw new ModuleFailure(msg, { changed: false });
      return { changed: false, msg: ignored, result };
    };
    if (!p.exists && ctx.check && args.fail_on_missing) {
      // under --check an earlier task (copy, command) may only have planned src: predict the fetch
      const dest = fetchDest(ctx, args);
      return { changed: true, msg: `would fetch ${dest} from ${ctx.host}:${args.src} (src does not exist yet: an earlier task would create it, else the run fails)`, diff: [{ path: dest, summary: `src ${args.src} not created yet (check mode)` }] };
    }
    if (!p.exists) return skip(NOT_THERE, NOT_THERE, { file: args.src });
    if (p.type === 'directory') return skip(A_DIR, `${A_DIR}, not transferring, ignored`, {});
    if (p.type !== 'file' || p.sha256 === undefined) {
      const msg = `remote file ${args.src} is not a regular file`;
      return skip(msg, `${msg}, not transferring, ignored`, { file: args.src });
    }
    const dest = fetchDest(ctx, args);
    const here = localFile(dest);
    if (here === 'other') throw new ModuleFailure(`dest ${dest} exists and is not a regular file`);
    if (here === 'file') {
      const h = await hashLocalFile(dest, ['sha256', 'sha1', 'md5']);
      if (h.sha256 === p.sha256) {
        return { changed: false, msg: `${dest} is up to date`, result: { md5sum: h.md5, file: args.src, dest, checksum: h.sha1 } };
      }
    }
    const what = here === 'missing' ? 'would fetch' : 'would update';
    return {
      changed: true,
      msg: `${what} ${dest} from ${ctx.host}:${args.src} (${p.size} bytes)`,
      diff: [{ path: dest, summary: `${here === 'missing' ? 'new file' : 'replaced'}: ${p.size} bytes from ${ctx.host}:${args.src}` }],
      result: { dest, file: args.src },
      state: { dest, size: p.size ?? 0, sha256: p.sha256 },
    };
  },
  async apply(ctx, args, plan) {
    const st = plan.state!;
    mkdirSync(dirname(st.dest), { recursive: true });
    const tmp = join(dirname(st.dest), `.${basename(st.dest)}.bosun-fetch-${randomBytes(4).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o666);
    let kept = false;
    try {
      const got = await readRemoteFile(ctx.conn, args.src, st.size, async (chunk) => {
        await fh.write(chunk);
      });
      await fh.close();
      if (args.validate_checksum && got.sha256 !== st.sha256) {
        throw new ModuleFailure('checksum mismatch', {
          md5sum: got.md5,
          file: args.src,
          dest: st.dest,
          remote_md5sum: null,
          checksum: got.sha1,
          // the host file changed between the probe and the read: what it was is all that is known
          remote_checksum: null,
        });
      }
      renameSync(tmp, st.dest);
      kept = true;
      return {
        changed: true,
        msg: `fetched ${st.dest} (${got.bytes} bytes)`,
        result: { md5sum: got.md5, dest: st.dest, remote_md5sum: null, checksum: got.sha1, remote_checksum: got.sha1 },
      };
    } finally {
      await fh.close().catch(() => {});
      if (!kept) rmSync(tmp, { force: true });
    }
  },
});
