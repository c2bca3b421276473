// assemble: one file from a directory of fragments (on the host, or with remote_src: false on the
// control node), concatenated as Ansible's assemble does (util/fragments.ts), then put like copy:
// compared by checksum, validated and backed up before an atomic rename. A host directory is read
// in the same request as dest's state, so a no-op costs one request (a control-node one: the probe
// of dest alone, often fetched ahead).

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError, MissingFileError } from '../errors.js';
import { shq } from '../executor/types.js';
import { compileRegex, RegexError, type SafeRegex } from '../engine/safe-regex.js';
import { defineModule, ModuleFailure, type ModuleContext, type Plan } from './types.js';
import { FILE_ATTR_ARGS, VALIDATE_ARG, checkValidateArg } from './util/file-args.js';
import { applyPut, planPut, putProbe, type PutArgs, type PutState } from './util/put-file.js';
import { notOption, parseProbe, probeScript, type FileProbe } from './util/remote-file.js';
import { assembleFragments, byCodePoint, type Fragment } from './util/fragments.js';

export interface AssembleArgs extends PutArgs {
  src: string;
  remote_src: boolean;
  regexp?: string;
  delimiter?: string;
  ignore_hidden: boolean;
}

/** What a host directory of fragments may hold in all, read back in one answer. */
export const MAX_FRAGMENTS = 64 * 1024 * 1024;
const DEST_MARK = '@dest';

function regex(p: string): SafeRegex {
  try {
    return compileRegex(p);
  } catch (e) {
    if (e instanceof RegexError) throw new ArgumentError(`assemble: regexp ${JSON.stringify(p)}: ${e.message}`);
    throw e;
  }
}

/** Ansible's choice of fragments: regular files (links followed), regexp searched in the name, hidden ones kept unless ignore_hidden. */
function choose(all: Fragment[], a: AssembleArgs): Fragment[] {
  const re = a.regexp === undefined ? undefined : regex(a.regexp);
  return all
    .filter((f) => (!re || re.search(f.name) !== null) && !(a.ignore_hidden && f.name.startsWith('.')))
    .sort((x, y) => byCodePoint(x.name, y.name));
}

/**
 * One request: every regular file of the host directory (hex name, size, then its bytes), then
 * dest's probe. Hidden names are listed too (the filters apply here, on the control node).
 */
export function listingScript(src: string, dest: string): string {
  return [
    `s=${shq(notOption(src))}`,
    `if [ ! -e "$s" ]; then echo ${shq(`Source (${src}) does not exist`)} >&2; exit 3; fi`,
    `if [ ! -d "$s" ]; then echo ${shq(`Source (${src}) is not a directory`)} >&2; exit 3; fi`,
    `t=0`,
    `for f in "$s"/* "$s"/.[!.]* "$s"/..?*; do`,
    `  [ -f "$f" ] || continue`,
    `  z=$(wc -c < "$f") || exit 5; z=$((z)); t=$((t + z))`,
    `  if [ $t -gt ${MAX_FRAGMENTS} ]; then echo "the fragments in $s are larger than ${MAX_FRAGMENTS} bytes in all" >&2; exit 6; fi`,
    `  printf 'F '; printf %s "\${f##*/}" | od -An -v -tx1 | tr -d ' \\n'; echo " $z"`,
    `  cat < "$f" || exit 5`,
    `done`,
    `echo ${DEST_MARK}`,
    `(`,
    probeScript(dest, putProbe({ dest }, undefined)!.opts),
    `)`,
  ].join('\n') + '\n';
}

/** The fragments and dest's probe from listingScript's answer; a file that changed size while read makes it fail. */
export function parseListing(dest: string, raw: Buffer): { frags: Fragment[]; dest: FileProbe } {
  const frags: Fragment[] = [];
  let pos = 0;
  for (;;) {
    const nl = raw.indexOf(10, pos);
    if (nl < 0) throw new ModuleFailure('assemble: the listing from the host was cut short');
    const line = raw.subarray(pos, nl).toString('latin1');
    if (line === DEST_MARK) return { frags, dest: parseProbe(dest, raw.subarray(nl + 1), putProbe({ dest }, undefined)!.opts) };
    const m = /^F ([0-9a-f]*) (\d+)$/.exec(line);
    if (!m) throw new ModuleFailure('assemble: a fragment changed while it was read; run again');
    const size = Number(m[2]);
    frags.push({ name: Buffer.from(m[1]!, 'hex').toString('utf8'), data: raw.subarray(nl + 1, nl + 1 + size) });
    pos = nl + 1 + size;
  }
}

function localFragments(ctx: ModuleContext, src: string): Fragment[] {
  const dir = ctx.findFile('files', src);
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new ModuleFailure(`Source (${dir}) is not a directory`);
    names = readdirSync(dir);
  } catch (e) {
    if (e instanceof ModuleFailure) throw e;
    throw new MissingFileError(`assemble: src not found: ${src} (looked at ${dir})`, { loc: ctx.loc, cause: e });
  }
  const out: Fragment[] = [];
  for (const name of names) {
    const f = join(dir, name);
    // os.path.isfile: links followed, dangling ones and directories skipped
    if (statSync(f, { throwIfNoEntry: false })?.isFile()) out.push({ name, data: readFileSync(f) });
  }
  return out;
}

export default defineModule<AssembleArgs, PutState>({
  name: 'assemble',
  doc: {
    short: 'Assemble a file from a directory of fragments (on the host, or from the control node)',
    description:
      'Concatenates the regular files of src in name order (Python\'s sort), as Ansible: a newline is added after a fragment without one; ' +
      'delimiter (escape sequences such as \\n decoded) goes between fragments, followed by a newline; regexp (Python syntax) is searched in each name; ' +
      'ignore_hidden leaves out names starting with ".". The result is compared by checksum with dest and written like copy (validate on the new file, backup, mode/owner/group, atomic rename). ' +
      'src is on the host (remote_src: true, the default; read in the same request as dest, at most 64 MiB of fragments) or in the control node\'s files/ (remote_src: false). ' +
      'Unlike Ansible, which skips it, --check predicts the change and --diff shows it.',
    check: 'full',
    diff: true,
    examples: [
      '- assemble: { src: /etc/app/conf.d, dest: /etc/app/app.conf, delimiter: "### fragment", mode: "0640", validate: "app --check %s" }',
      '- assemble: { src: sshd.d/, dest: /etc/ssh/sshd_config, remote_src: false, regexp: "\\\\.conf$", backup: true }',
    ].join('\n'),
  },
  args: {
    src: { type: 'path', required: true, description: 'Directory of fragments: on the host, or with remote_src: false in files/ on the control node.' },
    dest: { type: 'path', required: true, description: 'The file to write on the host.' },
    remote_src: { type: 'bool', default: true, description: 'src is on the host (false: on the control node).' },
    regexp: { type: 'str', description: 'Only fragments whose name this (Python) regular expression matches (re.search).' },
    delimiter: { type: 'str', description: 'Written between fragments (\\n, \\t, \\xHH… decoded), always followed by a newline.' },
    ignore_hidden: { type: 'bool', default: false, description: 'Leave out fragments whose name starts with ".".' },
    backup: { type: 'bool', default: false, description: 'Keep a copy of the replaced file as DEST.YYYYMMDDhhmmss~ (result backup_file).' },
    ...FILE_ATTR_ARGS,
    ...VALIDATE_ARG,
  },
  validate(a) {
    checkValidateArg(a.validate);
    if (a.regexp !== undefined) regex(a.regexp);
  },
  probes(a) {
    return a.remote_src ? [] : [putProbe(a, undefined)!];
  },
  async plan(ctx, a): Promise<Plan<PutState>> {
    let frags: Fragment[];
    let probed: FileProbe | undefined;
    if (a.remote_src) {
      const r = await ctx.conn.exec(listingScript(a.src, a.dest), { label: 'assemble:read', readOnly: true });
      // Under --check an earlier task may only have planned the fragments (Ansible skips assemble there)
      if (r.exitCode === 3 && ctx.check && r.stderr.includes('does not exist')) {
        return { changed: true, msg: `would assemble ${a.dest} from ${a.src} (src does not exist yet; an earlier task would create it)`, diff: [{ path: a.dest, summary: `src ${a.src} not created yet (check mode)` }] };
      }
      if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `reading ${a.src} failed (exit ${r.exitCode})`);
      ({ frags, dest: probed } = parseListing(a.dest, r.raw));
    } else frags = localFragments(ctx, a.src);
    let data: Buffer;
    try {
      data = assembleFragments(choose(frags, a), a.delimiter);
    } catch (e) {
      throw new ModuleFailure(`assemble: delimiter: ${(e as Error).message}`);
    }
    const p = await planPut(ctx, { ...a, force: true }, data, undefined, probed);
    const extra = { src: a.src, md5sum: createHash('md5').update(data).digest('hex'), state: 'file' };
    // (Ansible's assemble module says "OK" whatever it did; from the control node, its copy says nothing)
    return { ...p, ...(a.remote_src && !ctx.check ? { msg: 'OK' } : {}), result: { ...p.result, ...extra } };
  },
  async apply(ctx, a, plan) {
    const o = await applyPut(ctx, a, plan);
    return a.remote_src ? { ...o, msg: 'OK' } : o;
  },
});
