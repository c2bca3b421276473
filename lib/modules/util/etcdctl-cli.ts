// Running etcdctl on a host without ever putting a password in argv or in the script text: the
// credentials travel on the request's stdin, the script reads them into ETCDCTL_* environment
// variables (etcdctl reads every global flag from ETCDCTL_<FLAG>), and a new user password is
// piped to etcdctl's prompt with the shell builtin printf. Also: parsers for etcdctl's output.

import type { Connection, ExecResult } from '../../executor/types.js';
import { shq } from '../../executor/types.js';

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
  const a = o.auth ? `${o.auth.user}:${o.auth.password}` : '';
  return `${a}\n${o.newPassword?.value ?? ''}\n`;
}

/** The script: no secret in its text; argv holds only flags, names and the etcdctl sub-command. */
export function script(t: EtcdTarget, argv: string[], o: RunOptions): string {
  const lines = [
    `unset ${ENV_TO_CLEAR.join(' ')}`,
    `IFS= read -r __bosun_a || :`,
    `IFS= read -r __bosun_n || :`,
  ];
  if (o.auth) {
    lines.push(
      o.api === '2'
        ? `ETCDCTL_USERNAME=$__bosun_a; export ETCDCTL_USERNAME`
        : `ETCDCTL_USER=\${__bosun_a%%:*}; ETCDCTL_PASSWORD=\${__bosun_a#*:}; export ETCDCTL_USER ETCDCTL_PASSWORD`,
    );
  }
  lines.push('unset __bosun_a');
  const cmd = [`ETCDCTL_API=${o.api}`, shq(t.etcdctlPath), ...globalFlags(t, o.api).map(shq), ...argv.map(shq)].join(' ');
  if (o.newPassword) {
    // printf is a builtin in every POSIX sh: the password never appears in a process's argv.
    const fmt = Array.from({ length: o.newPassword.times }, () => '%s\\n').join('');
    const args = Array.from({ length: o.newPassword.times }, () => '"$__bosun_n"').join(' ');
    lines.push(`printf '${fmt}' ${args} | ${cmd}`);
  } else {
    lines.push(`unset __bosun_n`, `${cmd} </dev/null`);
  }
  return lines.join('\n');
}

export async function runEtcdctl(conn: Connection, t: EtcdTarget, argv: string[], o: RunOptions): Promise<ExecResult> {
  const secrets = [o.auth?.password, o.newPassword?.value].filter((s): s is string => !!s);
  return conn.exec(script(t, argv, o), {
    stdin: payload(o),
    secrets,
    label: o.label ?? `etcdctl:${argv[0] ?? ''}`,
    // etcdctl's own timeouts end each call; this only guards against a wedged host.
    timeoutMs: (t.timeoutSec * 3 + 30) * 1000,
  });
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

/** `endpoint health` simple output: "URL is healthy: …" / "URL is unhealthy: …" (stdout and stderr). */
export function parseHealth(text: string): EndpointHealth[] {
  const out: EndpointHealth[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+) is (healthy|unhealthy): (.*)$/.exec(line.trim());
    if (m) out.push({ endpoint: m[1]!, healthy: m[2] === 'healthy', detail: m[3]! });
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
