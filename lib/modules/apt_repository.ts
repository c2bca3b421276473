// apt_repository: a one-line apt source, as Ansible 2.14's module without PPAs or keys (lab and
// site mirrors, `deb [trusted=yes] file:/srv/repo ./`). One read-only request reads every source
// file; a change is one more request that writes the files (each through a temp file and a
// rename, as Ansible rewrites them all normalised), runs `apt-get update` and puts the files back
// when the update fails.

import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type DiffEntry, type ModuleContext, type Plan, type ReadRequest } from './types.js';
import { editSources, expandPath, normalised, parseRepo, SOURCES_DIR, SOURCES_LIST, suggestFilename } from './util/apt-sources.js';
import { writeScript } from './util/remote-file.js';

export interface AptRepositoryArgs {
  repo: string;
  state: 'present' | 'absent';
  mode?: string;
  update_cache: boolean;
  filename?: string;
}

interface RepoState {
  /** path → new text, or null to delete. */
  writes: Array<[string, string | null]>;
  /** The old texts, to put back when apt-get update fails (null: the file did not exist). */
  old: Array<[string, string | null]>;
  appendedTo?: string;
}

const PROBE = [
  'LC_ALL=C; export LC_ALL',
  `for f in ${shq(SOURCES_LIST)} ${shq(SOURCES_DIR)}/*.list; do`,
  '  [ -f "$f" ] || continue',
  // path and content in hex: any byte survives the framing
  `  printf '@@file %s ' "$(stat -c %a -- "$f")"; printf %s "$f" | od -An -v -tx1 | tr -d ' \\n'; echo`,
  `  od -An -v -tx1 < "$f" | tr -d ' \\n'; echo`,
  'done',
  'echo @@end',
].join('\n') + '\n';

/** plan()'s one read-only request, whatever the arguments (also announced by reads()). */
const READ: ReadRequest = { script: PROBE, opts: { label: 'apt_repository:probe', readOnly: true } };

export function parseSourceFiles(out: string): Map<string, string> {
  if (!/^@@end$/m.test(out)) throw new ModuleFailure('reading the apt source files did not complete');
  const files = new Map<string, string>();
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^@@file \d+ ([0-9a-f]*)$/.exec(lines[i]!);
    if (m) files.set(Buffer.from(m[1]!, 'hex').toString('utf8'), Buffer.from(lines[++i] ?? '', 'hex').toString('utf8'));
  }
  return files;
}

async function planRepo(ctx: ModuleContext, a: AptRepositoryArgs): Promise<Plan<RepoState>> {
  const r = await ctx.conn.exec(READ.script, READ.opts);
  if (r.exitCode !== 0) throw new ModuleFailure(`cannot read the apt sources: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  const files = parseSourceFiles(r.stdout);
  const source = parseRepo(a.repo)!;
  const file = expandPath(suggestFilename(source, a.filename));
  const edit = editSources(files, a.state, source, file);
  const before = normalised(files);
  const result = { repo: a.repo, state: a.state };
  const paths = [...new Set([...before.keys(), ...edit.after.keys()])].sort();
  // Ansible compares the normalised dumps; when they differ it writes every file back normalised
  const changed = paths.some((p) => before.get(p) !== edit.after.get(p));
  if (!changed) return { changed: false, msg: `${source} is ${a.state === 'present' ? 'enabled' : 'not enabled'}`, result, state: { writes: [], old: [] } };
  const writes: RepoState['writes'] = [];
  const old: RepoState['old'] = [];
  for (const p of [...new Set([...files.keys(), ...edit.after.keys()])].sort()) {
    const next = edit.after.get(p) ?? null;
    const cur = files.get(p) ?? null;
    if (next === cur) continue;
    writes.push([p, next]);
    old.push([p, cur]);
  }
  const diff: DiffEntry[] = paths.filter((p) => before.get(p) !== edit.after.get(p)).map((p) => ({ path: p, before: before.get(p) ?? '', after: edit.after.get(p) ?? '' }));
  const msg = `${a.state === 'present' ? (edit.appendedTo ? `add ${source} to ${edit.appendedTo}` : `enable ${source}`) : `remove ${source}`}${a.update_cache ? ', update the cache' : ''}`;
  return { changed: true, msg, diff, result, state: { writes, old, appendedTo: edit.appendedTo } };
}

/** Lines writing (temp file + rename, attributes kept) or deleting each file. */
function writeLines(writes: ReadonlyArray<[string, string | null]>, modeOf: (p: string) => string | undefined): string[] {
  return writes.map(([p, text]) =>
    text === null ? `rm -f -- ${shq(p)} || exit 5` : `printf '%s' ${shq(text)} | ( ${writeScript(p, { mode: modeOf(p), mkdirs: {} }).trimEnd().replace(/\n/g, '\n  ')} ) >/dev/null || exit $?`,
  );
}

export function applyScript(a: AptRepositoryArgs, st: RepoState): string {
  const L = writeLines(st.writes, (p) => (p === st.appendedTo ? a.mode : undefined));
  if (a.update_cache) {
    // Ansible reverts the files when the cache cannot be updated
    const revert = writeLines(st.old, () => undefined).map((l) => l.replace(/ \|\| exit \$\?$| \|\| exit 5$/, ''));
    L.push(`if ! out=$(LC_ALL=C apt-get -q update 2>&1 </dev/null); then`, ...revert.map((l) => `  ${l}`), `  printf 'Failed to update apt cache: %s\\n' "$out" >&2; exit 30`, 'fi');
  }
  return L.join('\n') + '\n';
}

export default defineModule<AptRepositoryArgs, RepoState>({
  name: 'apt_repository',
  doc: {
    short: 'Add and remove APT repositories',
    description:
      "Ansible 2.14's apt_repository for one-line sources (`deb`/`deb-src`), without PPAs: the source is looked for in /etc/apt/sources.list and " +
      'sources.list.d/*.list; present enables every copy (commented-out ones too) or appends it to its own file (filename.list, or a name made from the URI ' +
      'as Ansible makes it); absent removes every enabled copy and deletes a file left empty. Like Ansible, a change rewrites the source files normalised ' +
      '(single spaces, "# " before disabled lines). update_cache runs apt-get update after a change and puts the files back when it fails. ' +
      'One read-only request plans it; --diff shows each file.',
    check: 'full',
    diff: true,
    examples: [
      '- apt_repository: { repo: "deb [trusted=yes] file:/srv/repo ./", filename: local }',
      '- ansible.builtin.apt_repository: { repo: "deb http://deb.example.com/debian bookworm main", state: absent }',
    ].join('\n'),
  },
  args: {
    repo: { type: 'str', required: true, description: 'The source line, e.g. "deb [trusted=yes] file:/srv/repo ./".' },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], description: 'Whether the source is enabled.' },
    mode: { type: 'mode', description: 'Mode of the file the source is appended to (default: kept, 0644 for a new file).' },
    update_cache: { type: 'bool', default: true, aliases: ['update-cache'], description: 'Run apt-get update after a change.' },
    filename: { type: 'str', description: 'Name of the file in sources.list.d, without .list (default: made from the URI).' },
    update_cache_retries: { type: 'int', default: 5, description: 'Accepted for compatibility; apt-get update runs once.' },
    update_cache_retry_max_delay: { type: 'int', default: 12, description: 'Accepted for compatibility.' },
    validate_certs: { type: 'bool', default: true, description: 'Accepted for compatibility (PPAs only in Ansible).' },
    install_python_apt: { type: 'bool', default: true, description: 'Accepted for compatibility: bosun needs no python3-apt.' },
    codename: { type: 'str', description: 'Accepted for compatibility (PPAs only in Ansible).' },
  },
  validate(a) {
    if (a.repo.trim() === '') throw new ArgumentError("Please set argument 'repo' to a non-empty value");
    if (a.repo.trim().startsWith('ppa:')) throw new ArgumentError('PPA repositories are not supported (they need Launchpad and a signing key); give the deb line');
    if (/[\n\r]/.test(a.repo)) throw new ArgumentError('repo is one line');
    if (parseRepo(a.repo) === undefined) throw new ArgumentError(`Invalid repository string: ${a.repo.trim()}`);
    if (a.filename !== undefined && (a.filename === '' || a.filename.includes('/') || /[\n\0]/.test(a.filename) || a.filename.startsWith('.'))) {
      throw new ArgumentError(`filename must be a plain file name without .list; got ${JSON.stringify(a.filename)}`);
    }
  },
  reads: () => [READ],
  plan: (ctx, a) => planRepo(ctx, a),
  async apply(ctx, a, plan) {
    const r = await ctx.conn.exec(applyScript(a, plan.state!), { label: 'apt_repository:write' });
    if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `apt_repository: exit ${r.exitCode}`, { rc: r.exitCode });
    return { changed: true, msg: plan.msg, diff: plan.diff, result: plan.result };
  },
});
