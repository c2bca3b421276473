// git: deploy a repository's version into a directory, as Ansible 2.14's git module. The plan is
// Ansible's check mode made exact: one read-only request reads the checkout (HEAD, local
// modifications, the remote's URL, the branch HEAD follows) and asks the remote for the version's
// commit with `git ls-remote` (no fetch); nothing to do when HEAD is already that commit, the URL is
// the same and nothing is modified. Otherwise one request clones or fetches and checks out, step by
// step as git.py (lib/modules/util/git-scripts.ts). A URL's password is a secret: masked, sent on
// stdin and handed to git through GIT_ASKPASS, never in an argv nor in .git/config.

import path from 'node:path';
import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type DiffEntry, type ModuleContext, type Plan } from './types.js';
import { parseFramed } from './util/remote-file.js';
import { applyScript, readScript, type ApplyOptions, type GitEnv } from './util/git-scripts.js';

export interface GitArgs {
  repo: string;
  dest?: string;
  version: string;
  remote: string;
  refspec?: string;
  reference?: string;
  force: boolean;
  depth?: number;
  clone: boolean;
  update: boolean;
  verify_commit: boolean;
  accept_hostkey: boolean;
  accept_newhostkey: boolean;
  key_file?: string;
  ssh_opts?: string;
  executable?: string;
  bare: boolean;
  recursive: boolean;
  single_branch: boolean;
  track_submodules: boolean;
  umask?: unknown;
  archive?: string;
  archive_prefix?: string;
  separate_git_dir?: string;
}

/** A URL with a password (scheme://user:pw@host/…): the URL git is given, and the password. */
export function splitCredentials(url: string): { url: string; password?: string } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/@:]*):([^/@]*)@(.*)$/i.exec(url);
  if (!m) return { url };
  return { url: `${m[1]}${m[2]}@${m[4]}`, password: decodeURIComponent(m[3]!) };
}

/** The URL Ansible gives git: an absolute path becomes file://PATH (depth needs a protocol). */
export function repoUrl(repo: string): string {
  return repo.startsWith('/') ? `file://${repo}` : repo;
}

/** Ansible's unfrackgitpath, as far as it can be done without the host's file system: normalised. */
function unfrack(p: string): string {
  return path.posix.normalize(p).replace(/\/+$/, '');
}

/** Ansible's GIT_SSH_COMMAND options (set_git_ssh_env and main's accept_hostkey handling). */
export function sshOptions(a: GitArgs): string {
  let o = a.ssh_opts ?? '';
  const strict = (x: string): boolean => x.includes('-o StrictHostKeyChecking=no') || x.includes('-o StrictHostKeyChecking=accept-new');
  if (a.accept_hostkey && !strict(o)) o = `${o} -o StrictHostKeyChecking=no`.trimStart();
  if (a.accept_newhostkey && !strict(o)) o = `${o} -o StrictHostKeyChecking=accept-new`.trimStart();
  if (!o.includes('BatchMode=yes')) o += ' -o BatchMode=yes';
  if (a.key_file) {
    // quoted: git hands GIT_SSH_COMMAND to a shell
    const k = `-i '${a.key_file.replace(/'/g, `'\\''`)}'`;
    if (!o.includes(k)) o += `  ${k}`;
    if (!o.includes('IdentitiesOnly=yes')) o += ' -o IdentitiesOnly=yes';
  }
  return o.trim();
}

const ARCHIVE_FORMATS: Record<string, string> = { '.zip': 'zip', '.gz': 'tar.gz', '.tar': 'tar', '.tgz': 'tgz' };

interface Remote {
  sha: string;
  ref: string;
}

interface Read {
  exists: boolean;
  gitdir: string;
  sgd?: string;
  before: string;
  mods: number;
  url?: string;
  hb: string;
  vcommit?: string;
  submodules: boolean;
  refs: Remote[];
}

/** Ansible registers `warnings` only when there are some. */
function withWarnings(r: Record<string, unknown>, warnings: string[]): Record<string, unknown> {
  return warnings.length ? { ...r, warnings } : r;
}

interface GitState {
  opts: ApplyOptions;
  before: string | null;
  remoteUrlChanged?: boolean;
  warnings: string[];
}

function env(a: GitArgs): { env: GitEnv; password?: string } {
  const cred = splitCredentials(repoUrl(a.repo));
  return {
    env: {
      git: a.executable ?? 'git',
      dest: a.dest ?? '',
      repo: cred.url,
      version: a.version,
      remote: a.remote,
      bare: a.bare,
      sshOpts: sshOptions(a),
      askpass: cred.password !== undefined,
      umask: a.umask as string | undefined,
    },
    password: cred.password,
  };
}

function secrets(ctx: ModuleContext, a: GitArgs, password?: string): string[] {
  if (password === undefined) return [];
  ctx.secret(a.repo);
  ctx.secret(password);
  return [a.repo, password];
}

async function read(ctx: ModuleContext, a: GitArgs): Promise<Read> {
  const { env: e, password } = env(a);
  const script = readScript(e, { update: a.update, separateGitDir: a.separate_git_dir, recursive: a.recursive });
  const r = await ctx.conn.exec(script, { label: 'git:read', readOnly: true, stdin: password, secrets: secrets(ctx, a, password) });
  const { fields: f, content } = parseFramed(r.raw);
  if (f.has('badgitdir')) throw new ModuleFailure('Current repo does not have a valid reference to a separate Git dir or it refers to the invalid path', { details: f.get('badgitdir') });
  if (r.exitCode !== 0) {
    // git ls-remote's own words, as Ansible's run_command(check_rc=True) reports them
    throw new ModuleFailure(r.stderr.trim() || `git failed (rc=${r.exitCode})`, { rc: r.exitCode, stdout: content?.toString('utf8') ?? '', stderr: r.stderr });
  }
  const refs = (content?.toString('utf8') ?? '')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [sha, ref] = l.split('\t');
      return { sha: sha!, ref: ref ?? '' };
    });
  return {
    exists: f.get('exists') === '1',
    gitdir: f.get('gitdir') ?? '',
    sgd: f.get('sgd'),
    before: f.get('before') ?? '',
    mods: Number(f.get('mods') ?? '0'),
    url: f.get('url'),
    hb: f.get('hb') ?? '',
    vcommit: f.get('vcommit'),
    submodules: f.get('smmissing') === '1' || Number(f.get('smstatus') ?? '0') > 0,
    refs,
  };
}

/** Ansible's get_remote_head over the ls-remote answer. */
function remoteHead(a: GitArgs, refs: Remote[], cloning: boolean, hb: string, kind: { isBranch: boolean; isTag: boolean }): string {
  let line: Remote | undefined;
  if (a.version === 'HEAD') line = refs.find((x) => x.ref === (cloning ? 'HEAD' : `refs/heads/${hb}`));
  else if (kind.isBranch) line = refs.find((x) => x.ref === `refs/heads/${a.version}`);
  else if (kind.isTag) {
    for (const x of refs) {
      if (x.ref.endsWith(`${a.version}^{}`)) {
        line = x;
        break;
      }
      if (x.ref.endsWith(a.version)) line = x;
    }
  } else return a.version;
  if (!line) throw new ModuleFailure(`Could not determine remote revision for ${a.version}`);
  return line.sha;
}

function newCheckoutDiff(a: GitArgs, after: string): DiffEntry[] {
  return [{ path: a.dest ?? a.repo, summary: `>> Newly checked out ${after}` }];
}

async function plan(ctx: ModuleContext, a: GitArgs): Promise<Plan<GitState>> {
  const p = await read(ctx, a);
  const warnings: string[] = [];
  const kind = { isBranch: p.refs.some((x) => x.ref === `refs/heads/${a.version}`), isTag: p.refs.some((x) => x.ref === `refs/tags/${a.version}`) };
  const ignoreDepth = a.depth !== undefined && a.depth > 0 && a.version !== 'HEAD' && !a.refspec && !kind.isBranch && !kind.isTag;
  const depth = a.depth ? a.depth : undefined;
  const archive = a.archive !== undefined ? { path: a.archive, format: ARCHIVE_FORMATS[path.posix.extname(a.archive)]!, prefix: a.archive_prefix } : undefined;
  const base: ApplyOptions = {
    mode: 'update',
    ...kind,
    headBranch: p.hb,
    depth,
    refspec: a.refspec,
    reference: a.reference,
    singleBranch: a.single_branch,
    separateGitDir: a.separate_git_dir,
    force: a.force,
    localMods: false,
    setUrl: false,
    verifyCommit: a.verify_commit,
    recursive: a.recursive,
    trackSubmodules: a.track_submodules,
    archive,
    ignoreDepth,
  };
  if (!p.exists) {
    const after = remoteHead(a, p.refs, true, '', kind);
    if (a.clone && ignoreDepth) {
      warnings.push('Ignoring depth argument. Shallow clones are only available for HEAD, branches, tags or in combination with refspec.');
      ctx.log(0, `[WARNING]: ${warnings[0]}`);
    }
    const result = withWarnings({ before: null, after }, warnings);
    const diff = newCheckoutDiff(a, after);
    if (!a.clone) return { changed: true, result, diff, state: { opts: base, before: null, warnings } };
    return { changed: true, result, diff, state: { opts: { ...base, mode: 'clone' }, before: null, warnings } };
  }
  const before = p.before;
  // Ansible moves an existing git dir to separate_git_dir first
  const relocate = a.separate_git_dir !== undefined && p.sgd !== undefined && p.sgd !== p.gitdir ? { from: p.gitdir, to: p.sgd } : undefined;
  if (!a.update) {
    const result = { before, after: before };
    if (archive) return { changed: true, unpredictable: true, result, state: { opts: { ...base, mode: 'archive-only', relocate }, before, warnings } };
    if (relocate) return { changed: true, result, state: { opts: { ...base, mode: 'archive-only', relocate }, before, warnings } };
    return { changed: false, result };
  }
  const localMods = p.mods > 0;
  if (localMods && !a.force) {
    // whatever the mode, as Ansible ("failure should happen regardless of check mode")
    throw new ModuleFailure(`Local modifications exist in the destination: ${a.dest} (force=no).`, { before });
  }
  const url = splitCredentials(repoUrl(a.repo)).url;
  const remoteUrlChanged = p.url !== undefined && p.url !== '' && p.url !== url && unfrack(p.url) !== unfrack(url);
  const after = remoteHead(a, p.refs, false, p.hb, kind);
  // a SHA (or an abbreviation) already checked out: nothing to fetch, as Ansible's run finds
  const same = before === after || (!kind.isBranch && !kind.isTag && a.version !== 'HEAD' && p.vcommit === before);
  const opts: ApplyOptions = { ...base, localMods, setUrl: p.url !== url && (p.url === undefined || unfrack(p.url) !== unfrack(url)), relocate };
  const state: GitState = { opts, before, remoteUrlChanged, warnings };
  if (archive || (a.track_submodules && a.recursive && !a.bare)) {
    // an archive is compared after it is made; tracked submodules are known after a fetch
    return { changed: true, unpredictable: true, result: withWarnings({ before, after, remote_url_changed: remoteUrlChanged }, warnings), state };
  }
  if (same && !remoteUrlChanged && !localMods && !relocate && !p.submodules) {
    return { changed: false, result: withWarnings({ before, after: before, remote_url_changed: false }, warnings) };
  }
  const why = [!same && `${before} → ${after}`, remoteUrlChanged && `remote ${a.remote} URL changes`, localMods && 'local modifications are reset', relocate && `git dir moves to ${p.sgd}`, p.submodules && 'submodules change'].filter(Boolean).join(', ');
  const diff: DiffEntry[] | undefined = !same ? [{ path: a.dest!, summary: `>> ${before} → ${after} (the commits are fetched when applied)` }] : undefined;
  ctx.log(1, `git: would update ${a.dest}: ${why}`);
  return { changed: true, result: withWarnings({ before, after, remote_url_changed: remoteUrlChanged }, warnings), diff, state };
}

/** The message of a failed step, as Ansible words it (see RUN in git-scripts.ts). */
function failMessage(kind: string, out: string, err: string): string {
  if (kind === 'S') return err.trimEnd();
  if (kind.startsWith('P:')) return `${kind.slice(2)}${out} ${err}`;
  return kind.slice(2);
}

const unhex = (s: string | undefined): string => Buffer.from(s ?? '', 'hex').toString('utf8');

async function apply(ctx: ModuleContext, a: GitArgs, p: Plan<GitState>): Promise<{ changed: boolean; result: Record<string, unknown>; diff?: DiffEntry[] }> {
  const st = p.state!;
  if (!a.clone && st.before === null) return { changed: true, result: p.result ?? {}, diff: p.diff };
  const { env: e, password } = env(a);
  const r = await ctx.conn.exec(applyScript(e, st.opts), { label: 'git:apply', stdin: password, secrets: secrets(ctx, a, password) });
  const { fields: f } = parseFramed(r.raw);
  const result: Record<string, unknown> = withWarnings({ before: st.before }, st.warnings);
  if (f.has('git_dir_now')) Object.assign(result, { git_dir_before: f.get('git_dir_before'), git_dir_now: f.get('git_dir_now') });
  if (f.has('fail')) {
    const out = unhex(f.get('out'));
    const err = unhex(f.get('err'));
    throw new ModuleFailure(failMessage(f.get('fail')!, out, err), { ...result, rc: Number(f.get('rc') ?? 1), stdout: out, stderr: err });
  }
  if (r.exitCode !== 0) throw new ModuleFailure(r.stderr.trim() || `git failed (rc=${r.exitCode})`, { ...result, rc: r.exitCode, stderr: r.stderr });
  const after = f.get('after') ?? '';
  result.after = after;
  if (st.opts.mode === 'update') result.remote_url_changed = st.remoteUrlChanged;
  const submodulesChanged = f.get('submodules_changed') === '1';
  if (submodulesChanged) result.submodules_changed = true;
  if (st.opts.localMods && st.opts.force) result.msg = `Local modifications exist in the destination: ${a.dest}`;
  let changed = st.opts.mode !== 'archive-only' && (st.before !== after || st.opts.localMods || submodulesChanged || st.remoteUrlChanged === true);
  if (f.has('git_dir_now')) changed = true;
  let diff: DiffEntry[] | undefined;
  if (changed && ctx.diff) diff = st.before === null ? newCheckoutDiff(a, after) : st.before !== after ? await commitDiff(ctx, a, st.before, after) : undefined;
  // Ansible: the archive decides last (an identical archive reports unchanged)
  if (f.has('archive_changed')) changed = f.get('archive_changed') === '1';
  return { changed, result, diff };
}

/** `git diff BEFORE AFTER` for --diff (the commits are in the checkout by now), as Ansible's get_diff. */
async function commitDiff(ctx: ModuleContext, a: GitArgs, before: string, after: string): Promise<DiffEntry[]> {
  const { env: e } = env(a);
  const r = await ctx.conn.exec(`cd -- ${shq(e.dest)} || exit 1\nLC_ALL=C exec ${shq(e.git)} diff ${shq(before)} ${shq(after)} -- | head -c 262144\n`, { label: 'git:diff', readOnly: true });
  const text = r.stdout;
  const summary = r.exitCode === 0 && text ? text : r.exitCode === 0 ? `>> No visual differences between ${before} and ${after}` : `>> Failed to get proper diff between ${before} and ${after}`;
  return [{ path: a.dest!, summary }];
}

export default defineModule<GitArgs, GitState>({
  name: 'git',
  doc: {
    short: 'Deploy a version of a git repository into a directory',
    description:
      "Ansible 2.14's git module. One read-only request plans it: the checkout's HEAD, local modifications (untracked files do not count), " +
      "the remote's URL, and `git ls-remote` of the version on repo (a branch, a tag — annotated tags peeled — HEAD, or a commit SHA taken as is), " +
      'so check mode and --diff say which commit would be checked out without fetching. Nothing else happens when HEAD is already that commit, ' +
      'the URL unchanged and nothing modified. Otherwise one request runs the steps of Ansible: clone (with depth, single_branch, bare, ' +
      'reference, separate_git_dir, refspec) or fetch (set-url first when repo changed; force adds --force and resets local modifications), ' +
      'then checkout (a branch is tracked, anything else detached), submodules (recursive, track_submodules), and archive. ' +
      'Modified files without force fail as Ansible: "Local modifications exist in the destination: DEST (force=no)." ' +
      'A password in the URL (https://user:pw@host/…) is masked in every output, sent on stdin and given to git through GIT_ASKPASS: ' +
      'it is never in a command line, and the URL stored in .git/config has no password. ' +
      'Registers before (null for a new clone), after, remote_url_changed (updates), warnings, and submodules_changed, git_dir_before/git_dir_now when they apply.',
    check: 'partial',
    diff: true,
    examples: [
      '- git: { repo: "https://git.example.com/app.git", dest: /srv/app, version: v1.4.2 }',
      '- git: { repo: "git@git.example.com:ops/app.git", dest: /srv/app, version: main, key_file: /root/.ssh/deploy, accept_newhostkey: true }',
      '- git: { repo: /srv/git/app.git, dest: /srv/app.git, bare: true }',
      '- git: { repo: "https://git.example.com/app.git", dest: /srv/app, depth: 1, force: true }',
    ].join('\n'),
  },
  args: {
    repo: { type: 'str', required: true, aliases: ['name'], description: 'URL or path of the repository (an absolute path becomes file://PATH). A password in it is a secret.' },
    dest: { type: 'path', description: 'Where the checkout goes (its parent directories are made). Required unless clone=no.' },
    version: { type: 'str', default: 'HEAD', description: 'Branch, tag, full commit SHA, or HEAD (the remote\'s default branch).' },
    remote: { type: 'str', default: 'origin', description: 'Name of the remote.' },
    refspec: { type: 'str', description: 'Additional refspec to fetch (e.g. refs/pull/*/head:refs/remotes/pull/*).' },
    reference: { type: 'str', description: 'Reference repository for git clone --reference.' },
    force: { type: 'bool', default: false, description: 'Discard local modifications (git reset --hard) instead of failing; fetch with --force.' },
    depth: { type: 'int', description: 'Shallow clone/fetch of this many commits (HEAD, branches, tags, or with refspec).' },
    clone: { type: 'bool', default: true, description: 'Clone when dest is not a repository; clone=no only reports the remote commit.' },
    update: { type: 'bool', default: true, description: 'Fetch and check out the version in an existing repository.' },
    verify_commit: { type: 'bool', default: false, description: 'Verify the GPG signature of the commit (or annotated tag); needs gpg and the key on the host.' },
    accept_hostkey: { type: 'bool', default: false, description: 'ssh -o StrictHostKeyChecking=no.' },
    accept_newhostkey: { type: 'bool', default: false, description: 'ssh -o StrictHostKeyChecking=accept-new.' },
    key_file: { type: 'path', description: 'Private key for ssh (-i KEY -o IdentitiesOnly=yes).' },
    ssh_opts: { type: 'str', description: 'Options added to GIT_SSH_COMMAND (BatchMode=yes is always added).' },
    executable: { type: 'path', description: 'The git program (default: git in PATH).' },
    bare: { type: 'bool', default: false, description: 'A bare repository in dest.' },
    recursive: { type: 'bool', default: true, description: 'Initialise and update submodules.' },
    single_branch: { type: 'bool', default: false, description: 'Clone only the history of version\'s branch or tag.' },
    track_submodules: { type: 'bool', default: false, description: 'Submodules follow the latest commit of their master branch (git submodule update --remote).' },
    umask: { type: 'raw', description: 'umask for git, a quoted octal string ("0022").' },
    archive: { type: 'path', description: 'Also write the version as an archive (.zip, .tar, .tar.gz/.gz, .tgz); replaced only when its content differs.' },
    archive_prefix: { type: 'str', description: 'Prefix of the paths in archive (needs archive).' },
    separate_git_dir: { type: 'path', description: 'Keep the git directory there (an existing one is moved there).' },
  },
  validate(a) {
    if (a.separate_git_dir !== undefined && a.bare) throw new ArgumentError('parameters are mutually exclusive: separate_git_dir|bare');
    if (a.accept_hostkey && a.accept_newhostkey) throw new ArgumentError('parameters are mutually exclusive: accept_hostkey|accept_newhostkey');
    if (a.archive_prefix !== undefined && a.archive === undefined) throw new ArgumentError('missing parameter(s) required by \'archive_prefix\': archive');
    if (!a.dest && a.clone) throw new ArgumentError('the destination directory must be specified unless clone=no');
    if (a.umask !== undefined) {
      if (typeof a.umask !== 'string') throw new ArgumentError('umask must be defined as a quoted octal integer');
      if (!/^[0-7]+$/.test(a.umask)) throw new ArgumentError('umask must be an octal integer');
    }
    if (a.archive !== undefined && ARCHIVE_FORMATS[path.posix.extname(a.archive)] === undefined) {
      throw new ArgumentError(`Unable to get file extension from archive file name : ${a.archive} (one of tar, tar.gz, zip, tgz)`);
    }
    // git would take these as options (they are never a ref, a remote or a URL)
    for (const [k, v] of [['version', a.version], ['remote', a.remote], ['repo', a.repo], ['refspec', a.refspec]] as const) {
      if (v !== undefined && v.startsWith('-')) throw new ArgumentError(`git: ${k} must not start with "-": ${v}`);
      if (v !== undefined && /[\n\0]/.test(v)) throw new ArgumentError(`git: ${k} must be one line`);
    }
  },
  plan,
  apply,
});
