// `cert`: the guide's cfssl steps as an idempotent task. Runs on the control node, where the CA
// directory lives, so it uses node:fs directly. plan reads the directory and decides (CA create |
// keep; leaf issue | keep | reissue with a reason); apply re-decides under the CA directory's lock
// (another task of this run may have created the CA meanwhile) and writes atomically.

import { statSync, readFileSync, mkdirSync, chmodSync, renameSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { ArgumentError } from '../errors.js';
import { defineModule, ModuleFailure } from './types.js';
import type { DiffEntry, ModuleContext, Outcome, Plan } from './types.js';
import {
  createCA,
  describeCert,
  generateKeyAsync,
  inspectCert,
  issueCert,
  parseSan,
  profileEkus,
  PROFILES,
  validityWindow,
  caProblem,
  whyReissue,
  DEFAULT_EXPIRY_HOURS,
} from '../pki/pki.js';
import type { CertInfo, CertProfile, PemPair } from '../pki/pki.js';
import { withDirLock, writeFileAtomic } from '../pki/lock.js';

export interface CertArgs {
  dir: string;
  ca?: boolean;
  name?: string;
  cn?: string;
  sans?: string[];
  profile?: CertProfile;
  key_size?: number;
  expiry?: string | number;
  renew_before?: string | number;
  ca_cn?: string;
  force?: boolean;
}

/** What plan saw, so apply can tell whether another task changed the CA in between. */
export interface CertState {
  caFingerprint: string | null;
  /** plan decided to (re)issue the leaf: apply generates its key before taking the lock. */
  leafIssue: boolean;
}

const CA_CERT = 'ca.pem';
const CA_KEY = 'ca-key.pem';
const DIR_MODE = 0o700;
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;
const KEY_SUMMARY = 'private key (not shown)';

/** Lock wait; tests shorten it. */
export const lockOptions = { timeoutMs: 30_000, pollMs: 100 };

interface Normalized {
  dir: string;
  ca: boolean;
  name?: string;
  cn: string;
  sans: string[];
  profile: CertProfile;
  keyBits: number;
  expiryHours: number;
  renewBeforeDays: number;
  caCn: string;
  /** A leaf task that has to create the CA uses the defaults: a leaf's short expiry must not shorten the CA. */
  caKeyBits: number;
  caExpiryHours: number;
  force: boolean;
}

/** "43800h", "30d", "5y" (365 d); a bare number means `bareUnit`. Returns hours. */
export function parseDurationHours(v: string | number, arg: string, bareUnit?: 'h' | 'd'): number {
  const s = String(v).trim();
  const m = /^(\d+(?:\.\d+)?)\s*([hdy])?$/.exec(s);
  const unit = m?.[2] ?? bareUnit;
  if (!m || !unit) {
    throw new ArgumentError(`cert: ${arg} must be a duration like "43800h", "30d" or "5y", got ${JSON.stringify(v)}`);
  }
  const n = Number(m[1]);
  const hours = unit === 'h' ? n : unit === 'd' ? n * 24 : n * 365 * 24;
  if (!(hours > 0) && arg === 'expiry') throw new ArgumentError(`cert: expiry must be positive, got ${JSON.stringify(v)}`);
  return hours;
}

function normalize(a: CertArgs): Normalized {
  validateArgs(a);
  const n: Normalized = {
    caKeyBits: 0,
    caExpiryHours: 0,
    dir: resolve(a.dir.replace(/^~(?=\/|$)/, homedir())), // ~ is the control node's home, as for copy's src
    ca: a.ca === true,
    name: a.name,
    cn: a.cn ?? a.name ?? a.ca_cn ?? 'CA',
    sans: (a.sans ?? []).map(String),
    profile: a.profile ?? 'server+client',
    keyBits: a.key_size ?? 2048,
    expiryHours: a.expiry === undefined ? DEFAULT_EXPIRY_HOURS : parseDurationHours(a.expiry, 'expiry', 'h'),
    renewBeforeDays: a.renew_before === undefined ? 30 : parseDurationHours(a.renew_before, 'renew_before') / 24,
    caCn: a.ca_cn ?? 'CA',
    force: a.force === true,
  };
  n.caKeyBits = n.ca ? n.keyBits : 2048;
  n.caExpiryHours = n.ca ? n.expiryHours : DEFAULT_EXPIRY_HOURS;
  return n;
}

function validateArgs(a: CertArgs): void {
  if (typeof a.dir !== 'string' || a.dir === '') throw new ArgumentError('cert: dir (the CA directory) is required');
  const isCa = a.ca === true;
  if (isCa === (a.name !== undefined)) {
    throw new ArgumentError('cert: give either `ca: true` (create/reuse the CA only) or `name` (a leaf certificate)', {
      hint: 'a leaf task creates the CA too when it is missing',
    });
  }
  if (a.name !== undefined) {
    if (!/^[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*$/.test(a.name)) {
      throw new ArgumentError(
        `cert: name must be a plain file basename (letters, digits, . _ - @ +), got ${JSON.stringify(a.name)}`,
      );
    }
    if (a.name === 'ca') throw new ArgumentError('cert: name "ca" would overwrite the CA files ca.pem / ca-key.pem');
  }
  // profile is not checked here: the engine fills its schema default for CA tasks too.
  if (isCa && (a.sans !== undefined || a.cn !== undefined)) {
    throw new ArgumentError('cert: sans and cn apply to leaf certificates (name); the CA takes ca_cn');
  }
  if (a.profile !== undefined && !PROFILES.includes(a.profile)) {
    throw new ArgumentError(`cert: profile must be one of ${PROFILES.join(', ')}, got ${JSON.stringify(a.profile)}`);
  }
  // etcd (and other client-cert-auth services) take the CN of a client certificate as the user
  // name, without a password: CN "root" would be the root user. Refused for every certificate that
  // can authenticate a client (client and server+client, the member certificates too).
  if (!isCa && (a.cn ?? a.name) === 'root' && (a.profile ?? 'server+client') !== 'server') {
    throw new ArgumentError(
      `cert: CN "root" on a ${a.profile ?? 'server+client'} certificate (${a.name}) would log in to etcd as user root without a password`,
      { hint: 'give this certificate another cn (the roles use "admin"); a host named root needs another inventory name' },
    );
  }
  if (a.key_size !== undefined && (!Number.isInteger(a.key_size) || a.key_size < 2048 || a.key_size > 8192)) {
    throw new ArgumentError(`cert: key_size must be an integer from 2048 to 8192 (RSA), got ${String(a.key_size)}`);
  }
  if (a.expiry !== undefined) parseDurationHours(a.expiry, 'expiry', 'h');
  if (a.renew_before !== undefined) parseDurationHours(a.renew_before, 'renew_before');
}

// ---------------------------------------------------------------------------------------------
// Reading the directory (plan and apply both use this; it never writes)

interface FileRead {
  path: string;
  text?: string;
  mode?: number;
}

function readMaybe(path: string): FileRead {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new ModuleFailure(`${path} exists but is not a regular file`);
    return { path, text: readFileSync(path, 'utf8'), mode: st.mode & 0o7777 };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { path };
    if (e instanceof ModuleFailure) throw e;
    throw new ModuleFailure(`cannot read ${path}: ${(e as Error).message}`);
  }
}

type CaDecision =
  | { action: 'keep'; pair: PemPair; info: CertInfo; fingerprint: string }
  | { action: 'create'; reason: string; old?: { info?: CertInfo; fingerprint: string } };

type LeafDecision =
  | { action: 'keep'; info: CertInfo }
  | { action: 'issue'; reason: string; old?: CertInfo };

interface Decision {
  dirExists: boolean;
  dirMode?: number;
  ca: CaDecision;
  leaf?: LeafDecision;
  /** Existing key files more open than 0600. */
  keyModeFixes: { path: string; before: number }[];
  paths: { caCert: string; caKey: string; cert: string; key: string };
}

function fingerprint(pem: string): string {
  return createHash('sha256').update(pem).digest('hex');
}

function tryInspect(pem: string): CertInfo | undefined {
  try {
    return inspectCert(pem);
  } catch {
    return undefined;
  }
}

/** Every 64-char base64 line too, so a key that leaks in pieces (a wrapped dump) is still masked. */
function registerKey(ctx: ModuleContext, pem: string): void {
  ctx.secret(pem);
  ctx.secret(pem.trim());
  for (const line of pem.split('\n')) if (line.length >= 16 && !line.startsWith('-----')) ctx.secret(line);
}

function decide(ctx: ModuleContext, n: Normalized): Decision {
  const paths = {
    caCert: join(n.dir, CA_CERT),
    caKey: join(n.dir, CA_KEY),
    cert: join(n.dir, n.name ? `${n.name}.pem` : CA_CERT),
    key: join(n.dir, n.name ? `${n.name}-key.pem` : CA_KEY),
  };
  let dirExists = false;
  let dirMode: number | undefined;
  try {
    const st = statSync(n.dir);
    if (!st.isDirectory()) throw new ModuleFailure(`cert: dir ${n.dir} exists but is not a directory`);
    dirExists = true;
    dirMode = st.mode & 0o7777;
  } catch (e) {
    if (e instanceof ModuleFailure) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ModuleFailure(`cannot stat ${n.dir}: ${(e as Error).message}`);
    }
  }
  const keyModeFixes: Decision['keyModeFixes'] = [];
  const caCert = dirExists ? readMaybe(paths.caCert) : { path: paths.caCert };
  const caKey = dirExists ? readMaybe(paths.caKey) : { path: paths.caKey };
  if (caKey.text !== undefined) registerKey(ctx, caKey.text);
  if (caKey.mode !== undefined && caKey.mode & 0o077) keyModeFixes.push({ path: caKey.path, before: caKey.mode });

  let ca: CaDecision;
  if (caCert.text === undefined && caKey.text === undefined) {
    ca = { action: 'create', reason: `no CA in ${n.dir} yet` };
  } else if (caCert.text === undefined || caKey.text === undefined) {
    if (!(n.ca && n.force)) {
      const missing = caCert.text === undefined ? CA_CERT : CA_KEY;
      throw new ModuleFailure(
        `cert: ${join(n.dir, missing)} is missing but its partner exists; restore it, or create a new CA with ` +
          '`ca: true, force: true` (every certificate will be reissued)',
      );
    }
    const old = caCert.text ? { info: tryInspect(caCert.text), fingerprint: fingerprint(caCert.text) } : undefined;
    ca = { action: 'create', reason: 'force: true', old };
  } else {
    const problem = caProblem({ certPem: caCert.text, keyPem: caKey.text }, n.renewBeforeDays);
    const info = tryInspect(caCert.text);
    const fp = fingerprint(caCert.text);
    if (problem?.kind === 'broken' && !(n.ca && n.force)) {
      // Replacing a CA silently would cut every running member off: make the operator decide.
      throw new ModuleFailure(
        `cert: ${problem.reason} (in ${n.dir}); fix it, or create a new CA with \`ca: true, force: true\``,
      );
    }
    if (n.ca && n.force) ca = { action: 'create', reason: 'force: true', old: { info, fingerprint: fp } };
    else if (problem !== undefined) ca = { action: 'create', reason: problem.reason, old: { info, fingerprint: fp } };
    else ca = { action: 'keep', pair: { certPem: caCert.text, keyPem: caKey.text }, info: info!, fingerprint: fp };
  }

  let leaf: LeafDecision | undefined;
  if (n.name) {
    const cert = dirExists ? readMaybe(paths.cert) : { path: paths.cert };
    const key = dirExists ? readMaybe(paths.key) : { path: paths.key };
    if (key.text !== undefined) registerKey(ctx, key.text);
    if (key.mode !== undefined && key.mode & 0o077) keyModeFixes.push({ path: key.path, before: key.mode });
    const old = cert.text !== undefined ? tryInspect(cert.text) : undefined;
    if (cert.text === undefined) leaf = { action: 'issue', reason: 'no certificate yet' };
    else if (key.text === undefined) leaf = { action: 'issue', reason: `${n.name}-key.pem is missing`, old };
    else if (ca.action === 'create') leaf = { action: 'issue', reason: 'the CA is being (re)created', old };
    else if (n.force) leaf = { action: 'issue', reason: 'force: true', old };
    else {
      const why = whyReissue(
        { certPem: cert.text, keyPem: key.text },
        { cn: n.cn, sans: n.sans, profile: n.profile, keyBits: n.keyBits },
        ca.pair.certPem,
        n.renewBeforeDays,
      );
      leaf = why === undefined ? { action: 'keep', info: old! } : { action: 'issue', reason: why, old };
    }
  }
  return { dirExists, dirMode, ca, leaf, keyModeFixes, paths };
}

// ---------------------------------------------------------------------------------------------
// Presentation

const octal = (m: number | undefined): string | undefined =>
  m === undefined ? undefined : '0' + m.toString(8).padStart(3, '0');

/** A key file: never its content; a new one shows the mode it gets. */
const keyEntry = (path: string, isNew: boolean): DiffEntry =>
  isNew
    ? { path, summary: KEY_SUMMARY, attrs: { mode: { before: undefined, after: '0600' } } }
    : { path, summary: KEY_SUMMARY };

function predictedInfo(n: Normalized, isCA: boolean, issuerCn: string): Parameters<typeof describeCert>[0] {
  return {
    cn: isCA ? n.caCn : n.cn,
    sans: isCA ? [] : n.sans.map(parseSan),
    ekus: isCA ? [] : profileEkus(n.profile),
    isCA,
    issuerCn,
    notAfter: validityWindow(isCA ? n.caExpiryHours : n.expiryHours).notAfter,
    ski: undefined,
  };
}

function buildDiff(n: Normalized, d: Decision): DiffEntry[] {
  const out: DiffEntry[] = [];
  if (!d.dirExists) {
    out.push({
      path: n.dir,
      attrs: { state: { before: 'absent', after: 'directory' }, mode: { before: undefined, after: '0700' } },
    });
  } else if (d.dirMode !== undefined && d.dirMode & 0o077) {
    out.push({ path: n.dir, attrs: { mode: { before: octal(d.dirMode), after: '0700' } } });
  }
  const caCn = d.ca.action === 'keep' ? (d.ca.info.cn ?? n.caCn) : n.caCn;
  if (d.ca.action === 'create') {
    const oldInfo = d.ca.old?.info;
    out.push({
      path: d.paths.caCert,
      before: oldInfo ? describeCert(oldInfo) : undefined,
      after: describeCert(predictedInfo(n, true, n.caCn)),
    });
    out.push(keyEntry(d.paths.caKey, !d.ca.old));
  }
  if (d.leaf?.action === 'issue') {
    out.push({
      path: d.paths.cert,
      before: d.leaf.old ? describeCert(d.leaf.old) : undefined,
      after: describeCert(predictedInfo(n, false, caCn)),
    });
    out.push(keyEntry(d.paths.key, !d.leaf.old));
  }
  for (const f of d.keyModeFixes) {
    if (out.some((e) => e.path === f.path)) continue; // rewritten anyway
    out.push({ path: f.path, summary: KEY_SUMMARY, attrs: { mode: { before: octal(f.before), after: '0600' } } });
  }
  return out;
}

function resultFor(n: Normalized, d: Pick<Decision, 'paths'>, info?: CertInfo): Record<string, unknown> {
  return {
    cert: d.paths.cert,
    key: d.paths.key,
    ca: d.paths.caCert,
    cn: info?.cn ?? (n.name ? n.cn : n.caCn),
    sans: info ? info.sans.map((s) => s.value) : n.name ? n.sans.map((s) => parseSan(s).value) : [],
    not_after: info?.notAfter.toISOString(),
    serial: info?.serialHex,
  };
}

const until = (i: CertInfo): string => i.notAfter.toISOString().replace(/\.000Z$/, 'Z');

// ---------------------------------------------------------------------------------------------

export default defineModule<CertArgs, CertState>({
  name: 'cert',
  runsOn: 'control',
  doc: {
    short: 'Create a CA and issue TLS certificates (the cfssl profile of the etcd guide)',
    description:
      'Creates ca.pem / ca-key.pem in `dir` and issues NAME.pem / NAME-key.pem signed by it, like ' +
      '`cfssl gencert | cfssljson -bare`: RSA, SHA-256, serverAuth+clientAuth, SANs typed IP or DNS. ' +
      'Reissues only when the CN, SANs, profile, CA or key changed, or expiry is within renew_before.',
    check: 'full',
    diff: true,
    examples: [
      '- cert: {dir: "{{ etcd_ca_dir }}", ca: true}',
      '- cert:',
      '    dir: "{{ etcd_ca_dir }}"',
      '    name: "{{ inventory_hostname_short }}"',
      '    sans: ["{{ ansible_fqdn }}", "{{ inventory_hostname_short }}", "{{ etcd_address }}"]',
    ].join('\n'),
  },
  args: {
    dir: { type: 'path', required: true, description: 'The CA directory on the control node (created 0700).' },
    ca: { type: 'bool', description: 'Create or reuse the CA only (ca.pem, ca-key.pem).' },
    name: { type: 'str', description: 'Basename of the leaf certificate: writes NAME.pem and NAME-key.pem.' },
    cn: { type: 'str', description: 'Subject CN of the leaf (default: name). etcd takes it as the user name.' },
    sans: {
      type: 'list',
      elements: 'str',
      description: 'Subject alternative names, in order: IP if the value parses as one, else DNS.',
    },
    profile: {
      type: 'str',
      default: 'server+client',
      choices: PROFILES,
      description: 'Extended key usage: server+client (etcd members), server, or client (etcdctl, admin).',
    },
    key_size: {
      type: 'int',
      default: 2048,
      description: 'RSA key size in bits (2048-8192) of the certificate this task makes (a CA made by a leaf task: 2048).',
    },
    expiry: {
      type: 'str',
      default: '43800h',
      description: 'Validity, e.g. "43800h" (the guide), "30d", "5y"; a CA made by a leaf task gets 43800h.',
    },
    renew_before: {
      type: 'str',
      default: '30d',
      description: 'Reissue when the certificate expires within this, e.g. "30d" or "720h".',
    },
    ca_cn: { type: 'str', default: 'CA', description: 'Subject CN of a newly created CA.' },
    force: {
      type: 'bool',
      default: false,
      description: 'Reissue the leaf now; with ca: true, create a new CA (the old files are kept as *.bak-TIMESTAMP).',
    },
  },

  validate(args) {
    validateArgs(args);
  },

  async plan(ctx, args): Promise<Plan<CertState>> {
    const n = normalize(args);
    const d = decide(ctx, n);
    const caFingerprint = d.ca.action === 'keep' ? d.ca.fingerprint : (d.ca.old?.fingerprint ?? null);
    const parts: string[] = [];
    if (!d.dirExists) parts.push(`would create ${n.dir} (0700)`);
    else if (d.dirMode !== undefined && d.dirMode & 0o077) {
      parts.push(`would chmod ${n.dir} from ${octal(d.dirMode)} to 0700`);
    }
    if (d.ca.action === 'create') parts.push(`would create CA ${CA_CERT}: ${d.ca.reason}`);
    if (d.leaf?.action === 'issue') parts.push(`would issue ${n.name}.pem: ${d.leaf.reason}`);
    for (const f of d.keyModeFixes) parts.push(`would chmod ${f.path} from ${octal(f.before)} to 0600`);
    const changed = parts.length > 0;
    let msg: string;
    let result: Record<string, unknown>;
    if (changed) {
      msg = parts.join('; ');
      // What is already known (paths, wanted CN/SANs) is registered in check mode too.
      const known = d.leaf?.action === 'keep' ? d.leaf.info : !n.name && d.ca.action === 'keep' ? d.ca.info : undefined;
      result = resultFor(n, d, known);
    } else if (d.leaf?.action === 'keep') {
      msg = `certificate ${n.name}.pem is valid until ${until(d.leaf.info)}`;
      result = resultFor(n, d, d.leaf.info);
    } else {
      const info = (d.ca as Extract<CaDecision, { action: 'keep' }>).info;
      msg = `CA ${CA_CERT} is valid until ${until(info)}`;
      result = resultFor(n, d, info);
    }
    const state = { caFingerprint, leafIssue: d.leaf?.action === 'issue' };
    return { changed, msg, diff: changed ? buildDiff(n, d) : undefined, result, state };
  },

  async apply(ctx, args, plan): Promise<Outcome> {
    const n = normalize(args);
    const notes: string[] = [];
    let dirMode: number | undefined;
    try {
      dirMode = statSync(n.dir).mode & 0o7777;
    } catch {
      dirMode = undefined;
    }
    if (dirMode === undefined) {
      mkdirSync(n.dir, { recursive: true, mode: DIR_MODE });
      chmodSync(n.dir, DIR_MODE); // mkdir's mode is filtered by the umask
      notes.push(`created ${n.dir} (0700)`);
    } else if (dirMode & 0o077) {
      chmodSync(n.dir, DIR_MODE);
      notes.push(`${n.dir} was ${octal(dirMode)}, now 0700`);
      ctx.log(0, `cert: ${n.dir} was ${octal(dirMode)} (readable by others); changed to 0700`);
    }
    // Generate the leaf key off the lock (and off the event loop): parallel hosts overlap here.
    const leafKey = plan.state?.leafIssue ? await generateKeyAsync(n.keyBits) : undefined;

    return withDirLock(
      n.dir,
      async () => {
        // Decide again under the lock: another task of this run (or another run) may have created
        // the CA or this leaf since plan. Leaves are checked against the CA on disk now.
        let d = decide(ctx, n);
        const planned = plan.state?.caFingerprint ?? null;
        const current = d.ca.action === 'keep' ? d.ca.fingerprint : (d.ca.old?.fingerprint ?? null);
        if (n.ca && n.force && current !== planned) {
          // The CA was already replaced after we planned; forcing again would replace that one too.
          d = decide(ctx, { ...n, force: false });
        }
        let caPair: PemPair;
        let caInfo: CertInfo;
        if (d.ca.action === 'create') {
          if (d.ca.old) {
            // Keep the old CA: certificates it signed stay deployed until the play replaces them.
            const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
            for (const p of [d.paths.caCert, d.paths.caKey]) {
              try {
                renameSync(p, `${p}.bak-${stamp}`);
              } catch {
                /* the partner file may be the missing one */
              }
            }
            notes.push(`old CA kept as ${CA_CERT}.bak-${stamp}`);
          }
          const keyPem = await generateKeyAsync(n.caKeyBits);
          registerKey(ctx, keyPem);
          caPair = createCA({ cn: n.caCn, keyPem, expiryHours: n.caExpiryHours });
          writeFileAtomic(d.paths.caKey, caPair.keyPem, KEY_MODE);
          writeFileAtomic(d.paths.caCert, caPair.certPem, CERT_MODE);
          caInfo = inspectCert(caPair.certPem);
          notes.push(`created CA ${CA_CERT} (${d.ca.reason}), valid until ${until(caInfo)}`);
        } else {
          caPair = d.ca.pair;
          caInfo = d.ca.info;
          if (d.ca.fingerprint !== planned) ctx.log(1, `cert: using the CA in ${n.dir} created after this task was planned`);
        }

        let leafInfo: CertInfo | undefined;
        if (d.leaf?.action === 'issue') {
          const keyPem = leafKey ?? (await generateKeyAsync(n.keyBits));
          registerKey(ctx, keyPem);
          const pair = issueCert({
            ca: caPair,
            cn: n.cn,
            sans: n.sans,
            profile: n.profile,
            expiryHours: n.expiryHours,
            keyPem,
          });
          writeFileAtomic(d.paths.key, pair.keyPem, KEY_MODE);
          writeFileAtomic(d.paths.cert, pair.certPem, CERT_MODE);
          leafInfo = inspectCert(pair.certPem);
          notes.push(`issued ${n.name}.pem (${d.leaf.reason}), valid until ${until(leafInfo)}`);
        } else if (d.leaf) {
          leafInfo = d.leaf.info;
        }
        for (const f of d.keyModeFixes) {
          // A key rewritten above is already 0600.
          if ((statSync(f.path).mode & 0o077) !== 0) {
            chmodSync(f.path, KEY_MODE);
            notes.push(`${f.path} was ${octal(f.before)}, now 0600`);
          }
        }
        const info = n.name ? leafInfo! : caInfo;
        return {
          changed: notes.length > 0,
          msg:
            notes.length > 0
              ? notes.join('; ')
              : `${n.name ? `certificate ${n.name}.pem` : `CA ${CA_CERT}`} is valid until ${until(info)}`,
          diff: plan.diff,
          result: resultFor(n, d, info),
        };
      },
      { ...lockOptions, onWait: (m) => ctx.progress(m) },
    );
  },
});
