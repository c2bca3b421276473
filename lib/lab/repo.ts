// The lab's package source: a flat apt repository on the control node, built from Debian's own
// packages (`apt-get download` through the machine's configured mirror, indexed by
// dpkg-scanpackages), mounted read-only at the same path in every lab host. Lab hosts have no route
// out, so this is how `apt-get install` works inside them, on many hosts at once, without network.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LabError, OptionsError } from '../errors.js';

/** Packages the repository carries by default: small, not on a stock control node, and the cases that broke the old lab. */
export const DEFAULT_REPO_PACKAGES = ['hello', 'tree', 'chrony', 'lighttpd'];

export function defaultRepoDir(): string {
  return process.env.BOSUN_LAB_APT_DIR || '/var/cache/bosun-lab/apt';
}

export function validatePackageName(name: string): string {
  // Debian policy: lower-case letters, digits, + - . ; at least two characters, starting alphanumeric.
  if (!/^[a-z0-9][a-z0-9+.-]+$/.test(name)) {
    throw new OptionsError(`invalid package name '${name}': Debian package names are lower-case letters, digits and + - . (e.g. chrony)`);
  }
  return name;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => resolve({ code: 127, stdout: '', stderr: String(e) }));
    child.on('close', (code) => resolve({ code: code ?? 137, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** The apt line lab hosts use; the repository sits at the same path inside every host. */
export function repoSourceLine(repoDir: string): string {
  return `deb [trusted=yes] file:${repoDir} ./`;
}

/** `Inst NAME (VERSION …` lines of `apt-get -s install`: what the control node lacks for these packages. */
export function parseSimulatedInstalls(out: string): string[] {
  const names: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+)/.exec(line);
    if (m) names.push(`${m[1]}=${m[2]}`);
  }
  return names;
}

/**
 * A directory lock shared by every bosun process on the machine (parallel test files, operators):
 * mkdir is atomic; a lock whose owner died is taken over.
 */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, '.lock');
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = 0;
      try {
        owner = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        /* being written or gone */
      }
      let alive = true;
      if (owner > 0) {
        try {
          process.kill(owner, 0);
        } catch {
          alive = false;
        }
      }
      if (!alive) fs.rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new LabError(`lab package repository ${dir} stays locked by pid ${owner}`);
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Names (Package: fields) the repository's index lists. */
export function repoPackages(repoDir: string = defaultRepoDir()): string[] {
  let text = '';
  try {
    text = fs.readFileSync(path.join(repoDir, 'Packages'), 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/^Package: (\S+)$/gm)].map((m) => m[1]!).sort();
}

/** Writes Packages, Release and the apt lists a host starts with (what `apt-get update` would fetch). */
async function index(repoDir: string): Promise<void> {
  const scan = await run('dpkg-scanpackages', ['--multiversion', 'pool', '/dev/null'], repoDir);
  if (scan.code !== 0) {
    throw new LabError(`dpkg-scanpackages failed in ${repoDir}: ${scan.stderr.trim()}`, { hint: 'apt-get install -y dpkg-dev' });
  }
  // Filename: paths relative to the repository root, as a flat repository expects.
  fs.writeFileSync(path.join(repoDir, 'Packages.new'), scan.stdout);
  fs.renameSync(path.join(repoDir, 'Packages.new'), path.join(repoDir, 'Packages'));
  const pk = path.join(repoDir, 'Packages');
  const release = [
    'Origin: bosun-lab',
    'Label: bosun-lab',
    'Suite: lab',
    'Codename: lab',
    `Date: ${new Date().toUTCString()}`,
    'Architectures: amd64 all',
    'SHA256:',
    ` ${sha256(pk)} ${fs.statSync(pk).size} Packages`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(repoDir, 'Release.new'), release);
  fs.renameSync(path.join(repoDir, 'Release.new'), path.join(repoDir, 'Release'));

  // The lists a host's apt would hold after `apt-get update` against this repository only: made
  // once here (apt on the control node, every state dir redirected to a scratch directory).
  const scratch = fs.mkdtempSync(path.join(repoDir, '.update-'));
  try {
    fs.writeFileSync(path.join(scratch, 'sources.list'), repoSourceLine(repoDir) + '\n');
    for (const d of ['lists/partial', 'cache/archives/partial']) fs.mkdirSync(path.join(scratch, d), { recursive: true });
    const r = await run('apt-get', [
      'update', '-qq',
      '-o', `Dir::Etc::SourceList=${path.join(scratch, 'sources.list')}`,
      '-o', 'Dir::Etc::SourceParts=/nonexistent',
      '-o', `Dir::State::Lists=${path.join(scratch, 'lists')}`,
      '-o', `Dir::Cache=${path.join(scratch, 'cache')}`,
      '-o', 'APT::Sandbox::User=root',
      '-o', 'Debug::NoLocking=1',
    ]);
    if (r.code !== 0) throw new LabError(`indexing the lab package repository failed: apt-get update: ${r.stderr.trim()}`);
    const lists = path.join(repoDir, 'lists');
    const next = path.join(repoDir, 'lists.new');
    fs.rmSync(next, { recursive: true, force: true });
    fs.mkdirSync(next);
    for (const f of fs.readdirSync(path.join(scratch, 'lists'))) {
      if (f.includes('_')) fs.copyFileSync(path.join(scratch, 'lists', f), path.join(next, f));
    }
    fs.rmSync(lists, { recursive: true, force: true });
    fs.renameSync(next, lists);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Makes sure the repository exists (indexed, possibly empty) and carries `packages` and what they
 * need beyond the control node's installed packages. Downloads go through the machine's apt
 * configuration (its mirror); nothing is installed on the control node. Returns the repository's path.
 */
export async function ensureRepo(packages: readonly string[] = [], repoDir: string = defaultRepoDir()): Promise<string> {
  for (const p of packages) validatePackageName(p);
  repoDir = path.resolve(repoDir);
  fs.mkdirSync(path.join(repoDir, 'pool'), { recursive: true, mode: 0o755 });
  const have = new Set(repoPackages(repoDir));
  const missing = packages.filter((p) => !have.has(p));
  if (missing.length === 0 && fs.existsSync(path.join(repoDir, 'lists'))) return repoDir;
  return withLock(repoDir, async () => {
    const now = new Set(repoPackages(repoDir));
    const todo = packages.filter((p) => !now.has(p));
    if (todo.length) {
      const sim = await run('apt-get', ['-s', '-o', 'Debug::NoLocking=1', 'install', ...todo]);
      if (sim.code !== 0) {
        throw new LabError(`cannot resolve ${todo.join(' ')} on the control node: ${sim.stderr.trim().split('\n').pop() ?? ''}`, {
          hint: 'check the names (apt-cache policy NAME); run apt-get update if the lists are stale',
        });
      }
      // The packages themselves always (a host may remove and reinstall one the control node has), plus what the control node lacks.
      const want = new Set([...todo, ...parseSimulatedInstalls(sim.stdout)]);
      const tmp = fs.mkdtempSync(path.join(repoDir, '.download-'));
      try {
        fs.chmodSync(tmp, 0o755);
        const dl = await run('apt-get', ['download', '-q', '-o', 'APT::Sandbox::User=root', ...want], tmp);
        if (dl.code !== 0) {
          throw new LabError(`apt-get download ${[...want].join(' ')} failed: ${dl.stderr.trim().split('\n').filter((l) => !l.startsWith('W:')).pop() ?? `exit ${dl.code}`}`, {
            hint: 'the control node must reach its Debian mirror (apt-get update)',
          });
        }
        for (const f of fs.readdirSync(tmp)) {
          if (!f.endsWith('.deb')) continue;
          fs.chmodSync(path.join(tmp, f), 0o644);
          fs.renameSync(path.join(tmp, f), path.join(repoDir, 'pool', f));
        }
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    }
    await index(repoDir);
    const missingAfter = packages.filter((p) => !repoPackages(repoDir).includes(p));
    if (missingAfter.length) throw new LabError(`the lab package repository still lacks ${missingAfter.join(', ')} after download`);
    return repoDir;
  });
}
