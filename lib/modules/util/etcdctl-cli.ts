// Running etcdctl on a host without ever putting a password in argv or in the script text: the
// credentials travel on the request's stdin, the script reads them into ETCDCTL_* environment
// variables (etcdctl reads every global flag from ETCDCTL_<FLAG>), and a new user password is
// piped to etcdctl's prompt with the shell builtin printf. Several independent calls can share one
// request and run concurrently (runEtcdctlConcurrently). Also: parsers for etcdctl's output.

import type { Connection, ExecResult } from '../../executor/types.js';
import { shq } from '../../executor/types.js';
import { ModuleFailure, type ReadRequest } from '../types.js';

export type Api = '2' | '3';

export interface EtcdTarget {
  endpoints: string[];
  cacert?: string;
  cert?: string;
  key?: string;
  etcdctlPath: string;
  /** Per-request timeout in seconds (dial and command). */
  timeoutSec: number;
}

export interface Credentials {
  user: string;
  password: string;
}

export interface RunOptions {
  api: Api;
  /** Authenticate as this user (v3: ETCDCTL_USER/ETCDCTL_PASSWORD, v2: ETCDCTL_USERNAME). */
  auth?: Credentials;
  /** Fed to etcdctl's password prompt (`times` lines: v3 asks twice, v2 once). */
  newPassword?: { value: string; times: number };
  label?: string;
  /** Reads only (ExecOptions.readOnly). */
  readOnly?: boolean;
}

/** Every variable etcdctl would read besides our flags; unset so the host's env cannot change what runs. */
const ENV_TO_CLEAR = [
  'ETCDCTL_USER',
  'ETCDCTL_PASSWORD',
  'ETCDCTL_USERNAME',
  'ETCDCTL_ENDPOINTS',
  'ETCDCTL_ENDPOINT',
  'ETCDCTL_PEERS',
  'ETCDCTL_CACERT',
  'ETCDCTL_CERT',
  'ETCDCTL_KEY',
  'ETCDCTL_CA_FILE',
  'ETCDCTL_CERT_FILE',
  'ETCDCTL_KEY_FILE',
  'ETCDCTL_WRITE_OUT',
  'ETCDCTL_DISCOVERY_SRV',
];

/** Global flags for the API version (v2 and v3 name the TLS flags differently). */
export function globalFlags(t: EtcdTarget, api: Api): string[] {
  const eps = `--endpoints=${t.endpoints.join(',')}`;
  if (api === '2') {
    const f = [eps, `--timeout=${t.timeoutSec}s`, `--total-timeout=${t.timeoutSec * 2}s`];
    if (t.cacert) f.push(`--ca-file=${t.cacert}`);
    if (t.cert) f.push(`--cert-file=${t.cert}`);
    if (t.key) f.push(`--key-file=${t.key}`);
    return f;
  }
  const f = [eps, `--dial-timeout=${t.timeoutSec}s`, `--command-timeout=${t.timeoutSec}s`];
  if (t.cacert) f.push(`--cacert=${t.cacert}`);
  if (t.cert) f.push(`--cert=${t.cert}`);
  if (t.key) f.push(`--key=${t.key}`);
  return f;
}

/** The stdin payload: line 1 `user:password` (or empty), line 2 the new password (or empty). */
export function payload(o: RunOptions): string {
  // One value a line, the user before the first ':': a line break (or a ':' in the user) would shift
  // what etcdctl is given. Refused here whatever the caller checked (never echoing the value).
  const bad = [o.auth?.password, o.newPassword?.value].some((v) => v !== undefined && /[\n\r]/.test(v));
  if (bad || (o.auth && /[\n\r:]/.test(o.auth.user))) {
    throw new ModuleFailure(`etcdctl: ${bad ? 'a password' : `the user name ${JSON.stringify(o.auth!.user)}`} holds a line break${bad ? '' : " or ':'"}; refused (credentials are passed as lines on stdin)`);
  }
  const a = o.auth ? `${o.auth.user}:${o.auth.password}` : '';
  return `${a}\n${o.newPassword?.value ?? ''}\n`;
}

/** Shell lines that export the credentials held in `$<aVar>` (`user:password`) for etcdctl. */
function authLines(api: Api, aVar: string): string {
  return api === '2'
    ? `ETCDCTL_USERNAME=$${aVar}; export ETCDCTL_USERNAME`
    : `ETCDCTL_USER=\${${aVar}%%:*}; ETCDCTL_PASSWORD=\${${aVar}#*:}; export ETCDCTL_USER ETCDCTL_PASSWORD`;
}

/** The etcdctl command line; a new password is fed to its prompt from `$<nVar>`, else stdin is /dev/null. */
function commandLine(t: EtcdTarget, argv: string[], o: RunOptions, nVar: string): string {
  const cmd = [`ETCDCTL_API=${o.api}`, shq(t.etcdctlPath), ...globalFlags(t, o.api).map(shq), ...argv.map(shq)].join(' ');
  if (!o.newPassword) return `${cmd} </dev/null`;
  // printf is a builtin in every POSIX sh: the password never appears in a process's argv.
  const fmt = Array.from({ length: o.newPassword.times }, () => '%s\\n').join('');
  const args = Array.from({ length: o.newPassword.times }, () => `"$${nVar}"`).join(' ');
  return `printf '${fmt}' ${args} | ${cmd}`;
}

/** The script: no secret in its text; argv holds only flags, names and the etcdctl sub-command. */
export function script(t: EtcdTarget, argv: string[], o: RunOptions): string {
  const lines = [
    `unset ${ENV_TO_CLEAR.join(' ')}`,
    `IFS= read -r __bosun_a || :`,
    `IFS= read -r __bosun_n || :`,
  ];
  // A bare name is looked up in PATH, then /usr/local/bin: etcd_install: release puts etcdctl there, and
  // sudo's secure_path on RHEL-family hosts leaves that directory out under become.
  if (!t.etcdctlPath.includes('/')) lines.push('PATH="$PATH:/usr/local/bin"; export PATH');
  if (o.auth) lines.push(authLines(o.api, '__bosun_a'));
  lines.push('unset __bosun_a');
  if (!o.newPassword) lines.push('unset __bosun_n');
  lines.push(commandLine(t, argv, o, '__bosun_n'));
  return lines.join('\n');
}

function timeoutMs(t: EtcdTarget): number {
  // etcdctl's own timeouts end each call; this only guards against a wedged host.
  return (t.timeoutSec * 3 + 30) * 1000;
}

function secretsOf(opts: RunOptions[]): string[] {
  return opts.flatMap((o) => [o.auth?.password, o.newPassword?.value]).filter((s): s is string => !!s);
}

/** The request of one call (runEtcdctl sends it; a module's reads() declares it). */
export function etcdctlRequest(t: EtcdTarget, argv: string[], o: RunOptions): ReadRequest {
  return {
    script: script(t, argv, o),
    opts: { stdin: payload(o), secrets: secretsOf([o]), label: o.label ?? `etcdctl:${argv[0] ?? ''}`, timeoutMs: timeoutMs(t), readOnly: o.readOnly },
  };
}

export async function runEtcdctl(conn: Connection, t: EtcdTarget, argv: string[], o: RunOptions): Promise<ExecResult> {
  const q = etcdctlRequest(t, argv, o);
  return conn.exec(q.script, q.opts);
}

/** One etcdctl invocation of a concurrent batch. */
export interface EtcdctlCall {
  argv: string[];
  opts: RunOptions;
}

/** What one call of a batch gave: its own exit code and its own, exactly separated, output. */
export type CallResult = Pick<ExecResult, 'exitCode' | 'stdout' | 'stderr'>;

/** The batch's stdin: two lines per call, in call order (as payload()). */
export function batchPayload(calls: EtcdctlCall[]): string {
  return calls.map((c) => payload(c.opts)).join('');
}

const FRAME = 'bosun-etcdctl-call';

/**
 * One script that starts every call in the background and waits for all of them. Each call's
 * stdout and stderr go to their own files in a private `mktemp -d` directory (removed by a trap),
 * so concurrent output never interleaves; after `wait`, each call is printed as the header
 * "bosun-etcdctl-call <index> <exit code> <stdout bytes> <stderr bytes>\n" then its stdout and
 * stderr bytes. Credentials are read from stdin into shell variables (never exported except as
 * the ETCDCTL_* of that call's own subshell), as script() does.
 */
export function batchScript(t: EtcdTarget, calls: EtcdctlCall[]): string {
  const n = calls.length;
  const lines = [`unset ${ENV_TO_CLEAR.join(' ')}`];
  for (let i = 0; i < n; i++) lines.push(`IFS= read -r __bosun_a${i} || :`, `IFS= read -r __bosun_n${i} || :`);
  lines.push(
    `__bosun_d=$(mktemp -d "\${TMPDIR:-/tmp}/bosun-etcdctl.XXXXXXXX") || exit 97`,
    `trap 'rm -rf "$__bosun_d"' EXIT`,
    // a signal still runs the EXIT trap (dash skips it on a plain signal death)
    `trap 'exit 129' HUP INT TERM`,
  );
  calls.forEach((c, i) => {
    const body = [...(c.opts.auth ? [authLines(c.opts.api, `__bosun_a${i}`)] : []), commandLine(t, c.argv, c.opts, `__bosun_n${i}`)];
    lines.push(`( ${body.join('; ')} ) >"$__bosun_d/o${i}" 2>"$__bosun_d/e${i}" &`, `__bosun_p${i}=$!`);
  });
  lines.push(`unset ${calls.map((_, i) => `__bosun_a${i} __bosun_n${i}`).join(' ')}`);
  for (let i = 0; i < n; i++) lines.push(`wait "$__bosun_p${i}"; __bosun_r${i}=$?`);
  for (let i = 0; i < n; i++) {
    // wc -c's count unquoted: word splitting drops the padding some wc implementations print.
    lines.push(
      `printf '${FRAME} ${i} %s %s %s\\n' "$__bosun_r${i}" $(wc -c <"$__bosun_d/o${i}") $(wc -c <"$__bosun_d/e${i}")`,
      `cat "$__bosun_d/o${i}" "$__bosun_d/e${i}"`,
    );
  }
  lines.push('exit 0');
  return lines.join('\n');
}

/** Splits a batch's stdout into its calls' results; throws when the framing is not exactly as announced. */
export function parseBatch(raw: Buffer, n: number): CallResult[] {
  const out: CallResult[] = [];
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const nl = raw.indexOf(0x0a, pos);
    const header = nl < 0 ? '' : raw.subarray(pos, nl).toString('latin1');
    const m = new RegExp(`^${FRAME} (\\d+) (\\d+) (\\d+) (\\d+)$`).exec(header);
    if (!m || Number(m[1]) !== i) throw new Error(`etcdctl batch output: expected the header of call ${i} at byte ${pos}, found ${JSON.stringify(header.slice(0, 80))}`);
    const [outLen, errLen] = [Number(m[3]), Number(m[4])];
    const start = nl + 1;
    if (start + outLen + errLen > raw.length) throw new Error(`etcdctl batch output: call ${i} announces ${outLen + errLen} bytes, ${raw.length - start} left`);
    out.push({
      exitCode: Number(m[2]),
      stdout: raw.subarray(start, start + outLen).toString('utf8'),
      stderr: raw.subarray(start + outLen, start + outLen + errLen).toString('utf8'),
    });
    pos = start + outLen + errLen;
  }
  if (pos !== raw.length) throw new Error(`etcdctl batch output: ${raw.length - pos} unexpected trailing byte(s)`);
  return out;
}

/** The request of a concurrent batch of calls (runEtcdctlConcurrently sends it). */
export function etcdctlBatchRequest(t: EtcdTarget, calls: EtcdctlCall[], label?: string): ReadRequest {
  return {
    script: batchScript(t, calls),
    opts: {
      stdin: batchPayload(calls),
      secrets: secretsOf(calls.map((c) => c.opts)),
      label: label ?? calls.map((c) => c.opts.label ?? `etcdctl:${c.argv[0] ?? ''}`).join('+'),
      timeoutMs: timeoutMs(t),
      readOnly: calls.every((c) => c.opts.readOnly),
    },
  };
}

/**
 * Runs independent etcdctl calls concurrently in ONE request (one round trip, the etcdctl process
 * start-ups and logins overlapping). Returns one result per call, in call order. A call's failure is
 * its result; the batch itself fails (ModuleFailure) only when the host could not run it.
 */
export async function runEtcdctlConcurrently(conn: Connection, t: EtcdTarget, calls: EtcdctlCall[], label?: string): Promise<CallResult[]> {
  if (calls.length === 0) return [];
  const q = etcdctlBatchRequest(t, calls, label);
  const r = await conn.exec(q.script, q.opts);
  try {
    if (r.exitCode !== 0) throw new Error(`exit code ${r.exitCode}`);
    return parseBatch(r.raw, calls.length);
  } catch (e) {
    throw new ModuleFailure(`etcdctl: running ${calls.length} calls in one request failed on ${conn.host}: ${(e as Error).message}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}`, {
      rc: r.exitCode,
      stderr: r.stderr,
    });
  }
}

/**
 * etcdctl's own error, without its JSON debug lines and the `stty` noise of its password prompt:
 * "Error: etcdserver: permission denied" → "etcdserver: permission denied".
 */
export function etcdError(r: Pick<ExecResult, 'stderr' | 'stdout' | 'exitCode'>): string {
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const plain = lines.filter((l) => !l.startsWith('{"level"') && !/^stty: /.test(l));
  if (plain.length > 0) return plain.map((l) => l.replace(/^Error:\s*/, '')).join('; ');
  for (const l of lines) {
    const m = /"error":"((?:[^"\\]|\\.)*)"/.exec(l);
    if (m) return m[1]!.replace(/\\"/g, '"');
  }
  return r.stdout.trim() || `etcdctl exited with ${r.exitCode}`;
}

/** Errors meaning "the request was refused for lack of (valid) authentication" — auth is on. */
export const V3_AUTH_REFUSED = /user name is empty|permission denied|user name not found|invalid auth token|auth: revision in header is old/i;
export const V2_AUTH_REFUSED = /Insufficient credentials|status code 401|requires user authentication/i;
/** Wrong user or password (Authenticate RPC / v2 basic auth). */
export const V3_BAD_LOGIN = /authentication failed, invalid user ID or password/i;
/** The server does not serve the v2 API (ETCD_ENABLE_V2 unset). */
export const V2_DISABLED = /404 page not found|unexpected status code 404|the server does not (support|serve)/i;

export interface Member {
  id: string;
  name: string;
  peer_urls: string[];
  client_urls: string[];
  started: boolean;
  is_learner: boolean;
}

/**
 * `member list -w json`. IDs are uint64 printed as JSON numbers, beyond JS's 2^53: they are quoted
 * before parsing and shown in hex like etcdctl's simple output.
 */
export function parseMemberList(json: string): Member[] {
  const quoted = json.replace(/"(ID|cluster_id|member_id)":(\d+)/g, '"$1":"$2"');
  const doc = JSON.parse(quoted) as {
    members?: Array<{ ID: string; name?: string; peerURLs?: string[]; clientURLs?: string[]; isLearner?: boolean }>;
  };
  return (doc.members ?? []).map((m) => ({
    id: BigInt(m.ID).toString(16),
    name: m.name ?? '',
    peer_urls: m.peerURLs ?? [],
    client_urls: m.clientURLs ?? [],
    // etcdctl's rule: a member that has not yet joined has no name.
    started: (m.name ?? '') !== '',
    is_learner: m.isLearner === true,
  }));
}

export interface EndpointHealth {
  endpoint: string;
  healthy: boolean;
  detail: string;
}

/**
 * `endpoint health` simple output: "URL is healthy: …" / "URL is unhealthy: …" (stdout and stderr).
 * etcdctl counts a read refused as "permission denied" as healthy (the refusal comes after the quorum
 * read). A client without identity (no client certificate: etcd_profile pcocc) is refused as "user
 * name is empty" at the same point, after the read index went through raft: healthy as well.
 */
export function parseHealth(text: string): EndpointHealth[] {
  const out: EndpointHealth[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+) is (healthy|unhealthy): (.*)$/.exec(line.trim());
    if (m) out.push({ endpoint: m[1]!, healthy: m[2] === 'healthy' || /: etcdserver: user name is empty$/.test(m[3]!), detail: m[3]! });
  }
  return out;
}

/** `user get NAME` (v3 "Roles: a b", v2 "Roles: a b" too). */
export function parseUserRoles(text: string): string[] {
  const m = /^Roles:[ \t]*(.*)$/m.exec(text);
  return m ? m[1]!.split(/\s+/).filter(Boolean) : [];
}

/** `member add` prints the settings the new member must start with. */
export function parseMemberAdd(text: string): { id?: string; env: Record<string, string> } {
  const id = /Member\s+([0-9a-f]+)\s+added/i.exec(text)?.[1];
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^(ETCD_[A-Z_]+)="(.*)"$/gm)) env[m[1]!] = m[2]!;
  return { id, env };
}
