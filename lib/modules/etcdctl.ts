// etcdctl: etcd cluster operations (health wait, members, users, roles, auth) through the etcdctl
// binary on the host the task runs on. Plan probes read-only and lists the etcdctl calls apply
// would make; passwords only ever travel on stdin (see util/etcdctl-cli.ts).

import { ArgumentError } from '../errors.js';
import { defineModule, ModuleFailure, type ModuleContext, type Plan } from './types.js';
import {
  etcdError,
  parseHealth,
  parseMemberAdd,
  parseMemberList,
  parseUserRoles,
  etcdctlBatchRequest,
  etcdctlRequest,
  runEtcdctl,
  runEtcdctlConcurrently,
  V2_AUTH_REFUSED,
  V2_DISABLED,
  V3_AUTH_REFUSED,
  V3_BAD_LOGIN,
  type Api,
  type CallResult,
  type Credentials,
  type EndpointHealth,
  type EtcdTarget,
  type Member,
  type RunOptions,
} from './util/etcdctl-cli.js';

export const OPS = [
  'health',
  'member_list',
  'member_add',
  'member_remove',
  'user',
  'role',
  'grant',
  'auth',
  'v2_guest',
  'verify_auth',
] as const;
export type Op = (typeof OPS)[number];

export interface EtcdctlArgs {
  op: Op;
  endpoints: string[] | string;
  cacert?: string;
  cert?: string;
  key?: string;
  user?: string;
  password?: string;
  api?: Api | number;
  name?: string;
  new_password?: string;
  update_password?: 'always' | 'on_create';
  peer_urls?: string[] | string;
  roles?: string[] | string;
  state?: 'present' | 'absent' | 'enabled' | 'disabled';
  retries?: number;
  delay?: number;
  timeout?: number;
  etcdctl_path?: string;
  login_verified?: boolean;
  members?: boolean;
}

interface CallOpts {
  api?: Api;
  /** true: the task's user/password; or explicit credentials. */
  auth?: boolean | Credentials;
  newPasswordTimes?: number;
  label?: string;
}

/** One etcdctl call for apply. */
interface Step {
  argv: string[];
  api: Api;
  /** Authenticate with the task's user/password. */
  auth: boolean;
  /** Pipe new_password to the prompt this many times. */
  newPasswordTimes?: number;
  what: string;
}

export interface EtcdctlState {
  steps: Step[];
}

const MEMBER_LIST: [string[], CallOpts] = [['member', 'list', '-w', 'json'], { auth: true, label: 'etcdctl:member-list' }];

/** What op=member_list registers (and op=health with `members`). */
function membersResult(members: Member[]): { members: Member[]; started_count: number } {
  return { members, started_count: members.filter((m) => m.started).length };
}

function membersMsg(r: { members: Member[]; started_count: number }): string {
  return `${r.members.length} member(s), ${r.started_count} started`;
}

/** Key read by the auth probes; its value does not matter, only whether the read is allowed. */
const PROBE_KEY = 'bosun-auth-probe';

function list(v: string[] | string | undefined): string[] {
  if (v === undefined) return [];
  const items = Array.isArray(v) ? v : v.split(',');
  return items.map((s) => String(s).trim()).filter(Boolean);
}

function apiOf(a: EtcdctlArgs): Api {
  return String(a.api ?? '3') === '2' ? '2' : '3';
}

function target(a: EtcdctlArgs): EtcdTarget {
  return {
    endpoints: list(a.endpoints),
    cacert: a.cacert,
    cert: a.cert,
    key: a.key,
    etcdctlPath: a.etcdctl_path ?? 'etcdctl',
    timeoutSec: a.timeout ?? 5,
  };
}

function creds(a: EtcdctlArgs): Credentials | undefined {
  return a.password ? { user: a.user ?? 'root', password: a.password } : undefined;
}

function runOptions(a: EtcdctlArgs, o: CallOpts, readOnly: boolean): RunOptions {
  const auth = o.auth === true ? creds(a) : o.auth === false || o.auth === undefined ? undefined : o.auth;
  return {
    api: o.api ?? '3',
    auth,
    newPassword: o.newPasswordTimes && a.new_password !== undefined ? { value: a.new_password, times: o.newPasswordTimes } : undefined,
    label: o.label,
    readOnly,
  };
}

/** The auth probe's call (see Etcd.authProbe). */
function authProbeCall(api: Api): [string[], CallOpts] {
  return api === '2' ? [['role', 'list'], { api: '2', label: 'etcdctl:auth-probe-v2' }] : [['get', PROBE_KEY], { label: 'etcdctl:auth-probe' }];
}

/**
 * The calls plan() starts with, for reads(): one call alone, or several sent concurrently (the
 * request differs). Each plan function below makes exactly these first; the test of reads() runs
 * every op's plan and compares its first request with this.
 */
function firstCalls(a: EtcdctlArgs): { calls: Array<[string[], CallOpts]>; concurrent: boolean } | undefined {
  const api = apiOf(a);
  const authAnd = (argv: string[], label: string) => ({ calls: [authProbeCall(api), [argv, { api, auth: true, label }] as [string[], CallOpts]], concurrent: true });
  switch (a.op) {
    case 'health':
      return a.members ? { calls: [HEALTH_CALL, MEMBER_LIST], concurrent: true } : { calls: [HEALTH_CALL], concurrent: false };
    case 'member_list':
    case 'member_add':
    case 'member_remove':
      return { calls: [MEMBER_LIST], concurrent: false };
    case 'user':
    case 'grant':
      return authAnd(['user', 'get', '--', a.name!], 'etcdctl:user-get');
    case 'role':
      return authAnd(['role', 'get', '--', a.name!], 'etcdctl:role-get');
    case 'auth':
      return { calls: [authProbeCall(api)], concurrent: false };
    case 'v2_guest':
      return { calls: [GUEST_GET], concurrent: false };
    case 'verify_auth': {
      const anon = verifyCall(api, false);
      return a.login_verified !== true && a.password ? { calls: [anon, verifyCall(api, true)], concurrent: true } : { calls: [anon], concurrent: false };
    }
  }
  return undefined;
}

function verifyCall(api: Api, authed: boolean): [string[], CallOpts] {
  const read = api === '2' ? ['ls', '/'] : ['get', PROBE_KEY];
  return authed ? [read, { api, auth: true, label: 'etcdctl:verify-auth' }] : [read, { api, label: 'etcdctl:verify-anon' }];
}

const HEALTH_CALL: [string[], CallOpts] = [['endpoint', 'health'], { auth: true, label: 'etcdctl:health' }];
const GUEST_GET: [string[], CallOpts] = [['role', 'get', 'guest'], { api: '2', auth: true, label: 'etcdctl:guest-get' }];

class Etcd {
  readonly t: EtcdTarget;
  constructor(
    readonly ctx: ModuleContext,
    readonly a: EtcdctlArgs,
    /** plan(): every call only reads (no file on the host changes; fetched file states stay valid). */
    private readonly readOnly = false,
  ) {
    this.t = target(a);
  }

  private opts(o: CallOpts): RunOptions {
    return runOptions(this.a, o, this.readOnly);
  }

  run(argv: string[], o: CallOpts = {}) {
    return runEtcdctl(this.ctx.conn, this.t, argv, this.opts(o));
  }

  /** Independent calls, concurrently in one request: one round trip, start-ups and logins overlap. */
  runConcurrently(calls: Array<[argv: string[], o: CallOpts]>): Promise<CallResult[]> {
    return runEtcdctlConcurrently(this.ctx.conn, this.t, calls.map(([argv, o]) => ({ argv, opts: this.opts(o) })));
  }

  fail(what: string, r: CallResult, hint = ''): never {
    const err = etcdError(r);
    let h = hint;
    if (!h && V3_BAD_LOGIN.test(err)) {
      h = ` (the password given for etcd user '${this.a.user ?? 'root'}' is wrong; to change that user's password pass the current one as \`password\` and the new one as \`new_password\`)`;
    }
    throw new ModuleFailure(`etcdctl ${what} failed on ${this.t.endpoints.join(',')}: ${err}${h}`, {
      rc: r.exitCode,
      stderr: r.stderr,
    });
  }

  /**
   * The auth probe's call. 3.4 has no `auth status`: an unauthenticated read is refused exactly
   * when auth is on. v2: `role list` is open while v2 auth is off and needs root once it is on.
   */
  authProbe(api: Api): [string[], CallOpts] {
    return authProbeCall(api);
  }

  /** What the probe's answer means: auth on, auth off, or a failure of its own. */
  authFrom(api: Api, r: CallResult): boolean {
    if (r.exitCode === 0) return false;
    const err = etcdError(r);
    if ((api === '2' ? V2_AUTH_REFUSED : V3_AUTH_REFUSED).test(err)) return true;
    if (api === '2') this.fail('v2 auth probe (role list)', r, v2Hint(err));
    this.fail('auth probe (unauthenticated get)', r);
  }

  async authEnabled(api: Api): Promise<boolean> {
    return this.authFrom(api, await this.run(...this.authProbe(api)));
  }

  /**
   * The auth probe and an authenticated read, concurrently in one request. The read's call does not
   * depend on the probe's answer, so its result is exactly what probing first would have fetched.
   */
  async authEnabledAnd(api: Api, argv: string[], label: string): Promise<{ on: boolean; r: CallResult }> {
    const [probe, r] = await this.runConcurrently([this.authProbe(api), [argv, { api, auth: true, label }]]);
    const on = this.authFrom(api, probe!);
    this.requireCredsWhenAuthOn(on, api);
    return { on, r: r! };
  }

  async members(): Promise<Member[]> {
    return this.membersFrom(await this.run(...MEMBER_LIST));
  }

  membersFrom(r: CallResult): Member[] {
    if (r.exitCode !== 0) this.fail('member list', r);
    try {
      return parseMemberList(r.stdout);
    } catch (e) {
      throw new ModuleFailure(`etcdctl member list: cannot parse its JSON output: ${(e as Error).message}`);
    }
  }

  requireCredsWhenAuthOn(on: boolean, api: Api): void {
    if (on && !this.a.password) {
      throw new ModuleFailure(
        `etcd ${api === '2' ? 'v2 ' : ''}authentication is enabled: pass \`password\` (of etcd user '${this.a.user ?? 'root'}')`,
      );
    }
  }
}

function v2Hint(err: string): string {
  return V2_DISABLED.test(err) ? ' (the v2 API is not served: set ETCD_ENABLE_V2=true on the members, etcd_enable_v2 in the roles)' : '';
}

const V3_NOT_FOUND = /user name not found|role name not found/i;
const V2_NOT_FOUND = /doesn't exist|not found|does not exist/i;

function noop(msg: string, result: Record<string, unknown> = {}): Plan<EtcdctlState> {
  return { changed: false, msg, result, state: { steps: [] } };
}

function willDo(steps: Step[], result: Record<string, unknown> = {}): Plan<EtcdctlState> {
  if (steps.length === 0) return noop('nothing to do', result);
  return { changed: true, msg: `would ${steps.map((s) => s.what).join(', ')}`, result, state: { steps } };
}

async function planHealth(e: Etcd, check: boolean): Promise<Plan<EtcdctlState>> {
  const retries = e.a.retries ?? 20;
  const delay = e.a.delay ?? 3;
  let last: EndpointHealth[] = [];
  let lastErr = '';
  const attempts = check ? 1 : retries + 1;
  const healthCall = HEALTH_CALL;
  for (let i = 1; i <= attempts; i++) {
    // members: the member list rides in the same request, concurrently (one round trip, not two).
    const [r, list] = e.a.members ? await e.runConcurrently([healthCall, MEMBER_LIST]) : [await e.run(...healthCall)];
    last = parseHealth(`${r!.stdout}\n${r!.stderr}`);
    lastErr = etcdError(r!);
    // Every endpoint's line decides, not the exit code: etcdctl exits 1 for "user name is empty" too,
    // which parseHealth counts as healthy.
    const ok = last.length >= e.t.endpoints.length && last.every((h) => h.healthy);
    if (ok || check) {
      // Read only when this attempt ends the op: a member list that fails fails the task, as op=member_list would.
      const mem = list ? membersResult(e.membersFrom(list)) : undefined;
      const result = { endpoints: last, healthy: ok, attempts: i, ...mem };
      if (ok) return noop(`all ${last.length} endpoint(s) healthy${mem ? `; ${membersMsg(mem)}` : ''}`, result);
      return noop(`not healthy now (in a real run it would wait up to ${retries * delay}s): ${describeHealth(last, lastErr)}`, result);
    }
    if (i < attempts) {
      e.ctx.progress(`waiting for etcd health (${i}/${retries}): ${describeHealth(last, lastErr)}`);
      await new Promise((res) => setTimeout(res, delay * 1000));
    }
  }
  throw new ModuleFailure(`etcd not healthy after ${retries + 1} attempts ${delay}s apart: ${describeHealth(last, lastErr)}`, {
    endpoints: last,
    healthy: false,
  });
}

function describeHealth(h: EndpointHealth[], err: string): string {
  const bad = h.filter((x) => !x.healthy).map((x) => `${x.endpoint} is unhealthy: ${x.detail}`);
  if (bad.length > 0) return bad.join('; ');
  return err;
}

async function planUser(e: Etcd, api: Api): Promise<Plan<EtcdctlState>> {
  const a = e.a;
  const name = a.name!;
  const state = a.state ?? 'present';
  const { on, r } = await e.authEnabledAnd(api, ['user', 'get', '--', name], 'etcdctl:user-get');
  const exists = r.exitCode === 0;
  if (!exists) {
    const err = etcdError(r);
    if (!(api === '2' ? V2_NOT_FOUND : V3_NOT_FOUND).test(err)) e.fail(`user get ${name}`, r, api === '2' ? v2Hint(err) : '');
  }
  const current = exists ? parseUserRoles(r.stdout) : [];
  const loginUser = a.user ?? 'root';
  // An authenticated request answered while auth is on proves the login as `user` with `password`
  // (a later verify_auth may rely on it) — unless this task deletes that user or changes its password.
  const loggedIn = on && !!a.password && exists;
  const result = { name, state, auth_enabled: on, roles: current, password_verified: loggedIn };
  if (state === 'absent') {
    if (!exists) return noop(`user ${name} is absent`, result);
    return willDo([{ argv: ['user', api === '2' ? 'remove' : 'delete', '--', name], api, auth: true, what: `delete user ${name}` }], {
      ...result,
      password_verified: loggedIn && name !== loginUser,
    });
  }
  const steps: Step[] = [];
  let pwNote = '';
  if (!exists) {
    if (a.new_password !== undefined) {
      // v3 asks for the password twice, v2 once.
      steps.push({ argv: ['user', 'add', '--', name], api, auth: true, newPasswordTimes: api === '2' ? 1 : 2, what: `add user ${name}` });
    } else if (api === '3') {
      steps.push({ argv: ['user', 'add', '--no-password', '--', name], api, auth: true, what: `add user ${name} (no password)` });
    } else {
      throw new ModuleFailure(`etcd v2 user ${name} needs a password: pass new_password`);
    }
  } else if (a.new_password !== undefined && (a.update_password ?? 'always') === 'always') {
    // etcd never shows a password: it can only be tested by logging in, which works only with auth on.
    let differs = true;
    if (on && name === loginUser && a.new_password === a.password) {
      differs = false; // the `user get` above already logged in with it
    } else if (on) {
      const probe = api === '2' ? ['role', 'list'] : ['get', PROBE_KEY];
      const lr = await e.run(probe, { api, auth: { user: name, password: a.new_password }, label: 'etcdctl:password-probe' });
      const err = lr.exitCode === 0 ? '' : etcdError(lr);
      // v3: a refused login says so; permission denied means the login worked. v2 can only confirm root.
      differs = api === '2' ? lr.exitCode !== 0 : V3_BAD_LOGIN.test(err);
    } else {
      pwNote = ' (a password cannot be verified while auth is disabled: set it)';
    }
    if (differs) {
      steps.push({ argv: ['user', 'passwd', '--', name], api, auth: true, newPasswordTimes: api === '2' ? 1 : 2, what: `set the password of user ${name}${pwNote}` });
    }
  }
  for (const role of list(a.roles)) {
    if (current.includes(role)) continue;
    steps.push(
      api === '2'
        ? { argv: ['user', 'grant', `--roles=${role}`, '--', name], api, auth: true, what: `grant role ${role} to ${name}` }
        : { argv: ['user', 'grant-role', '--', name, role], api, auth: true, what: `grant role ${role} to ${name}` },
    );
  }
  if (steps.length === 0) {
    const pw = a.new_password === undefined ? '' : on ? ', password verified' : '';
    return noop(`user ${name} is present${pw}`, result);
  }
  const ownPasswordSet = name === loginUser && steps.some((s) => s.argv[1] === 'passwd');
  return willDo(steps, { ...result, password_verified: loggedIn && !ownPasswordSet });
}

async function planRole(e: Etcd, api: Api): Promise<Plan<EtcdctlState>> {
  const name = e.a.name!;
  const state = e.a.state ?? 'present';
  const { r } = await e.authEnabledAnd(api, ['role', 'get', '--', name], 'etcdctl:role-get');
  const exists = r.exitCode === 0;
  if (!exists && !(api === '2' ? V2_NOT_FOUND : V3_NOT_FOUND).test(etcdError(r))) {
    e.fail(`role get ${name}`, r, api === '2' ? v2Hint(etcdError(r)) : '');
  }
  const result = { name, state, exists };
  if (state === 'absent') {
    return exists
      ? willDo([{ argv: ['role', api === '2' ? 'remove' : 'delete', '--', name], api, auth: true, what: `delete role ${name}` }], result)
      : noop(`role ${name} is absent`, result);
  }
  return exists ? noop(`role ${name} is present`, result) : willDo([{ argv: ['role', 'add', '--', name], api, auth: true, what: `add role ${name}` }], result);
}

async function planGrant(e: Etcd, api: Api): Promise<Plan<EtcdctlState>> {
  const name = e.a.name!;
  const { r } = await e.authEnabledAnd(api, ['user', 'get', '--', name], 'etcdctl:user-get');
  if (r.exitCode !== 0) e.fail(`user get ${name}`, r);
  const current = parseUserRoles(r.stdout);
  const steps: Step[] = list(e.a.roles)
    .filter((role) => !current.includes(role))
    .map((role) =>
      api === '2'
        ? { argv: ['user', 'grant', `--roles=${role}`, '--', name], api, auth: true, what: `grant role ${role} to ${name}` }
        : { argv: ['user', 'grant-role', '--', name, role], api, auth: true, what: `grant role ${role} to ${name}` },
    );
  return steps.length ? willDo(steps, { name, roles: current }) : noop(`user ${name} already has ${list(e.a.roles).join(', ')}`, { name, roles: current });
}

async function planAuth(e: Etcd, api: Api): Promise<Plan<EtcdctlState>> {
  const want = e.a.state ?? 'enabled';
  const on = await e.authEnabled(api);
  const result = { auth_enabled: on };
  const v = api === '2' ? 'v2 ' : '';
  if (want === 'enabled') {
    return on ? noop(`${v}authentication is already enabled`, result) : willDo([{ argv: ['auth', 'enable'], api, auth: false, what: `enable ${v}authentication` }], result);
  }
  if (!on) return noop(`${v}authentication is already disabled`, result);
  e.requireCredsWhenAuthOn(on, api);
  return willDo([{ argv: ['auth', 'disable'], api, auth: true, what: `disable ${v}authentication` }], result);
}

async function planGuest(e: Etcd): Promise<Plan<EtcdctlState>> {
  const r = await e.run(...GUEST_GET);
  if (r.exitCode === 0) {
    return willDo([{ argv: ['role', 'remove', 'guest'], api: '2', auth: true, what: 'remove the v2 guest role' }], { guest: true });
  }
  const err = etcdError(r);
  if (V2_NOT_FOUND.test(err)) return noop('the v2 guest role is absent', { guest: false });
  e.fail('(v2) role get guest', r, v2Hint(err));
}

async function planVerify(e: Etcd, api: Api, check: boolean): Promise<Plan<EtcdctlState>> {
  const user = e.a.user ?? 'root';
  const anonCall = verifyCall(api, false);
  // An earlier task's login as `user` (e.g. op=user's password_verified) spares a second bcrypt on
  // the server; the anonymous read is what this op is for and is always done.
  const skipAuthed = e.a.login_verified === true;
  let anon: CallResult;
  let authed: CallResult = { exitCode: 1, stderr: 'no password given', stdout: '' };
  if (skipAuthed) authed = { exitCode: 0, stderr: '', stdout: '' };
  if (!skipAuthed && e.a.password) {
    [anon, authed] = (await e.runConcurrently([anonCall, verifyCall(api, true)])) as [CallResult, CallResult];
  } else {
    anon = await e.run(...anonCall);
  }
  const anonErr = anon.exitCode === 0 ? '' : etcdError(anon);
  const refused = anon.exitCode !== 0 && (api === '2' ? V2_AUTH_REFUSED : V3_AUTH_REFUSED).test(anonErr);
  const authedOk = authed.exitCode === 0;
  const seen = {
    unauthenticated: anon.exitCode === 0 ? 'allowed' : `refused: ${anonErr}`,
    authenticated: skipAuthed ? 'login verified by an earlier task' : authedOk ? 'allowed' : `refused: ${etcdError(authed)}`,
  };
  const result = { api, ...seen, verified: refused && authedOk };
  const how = skipAuthed ? `login as ${user} verified by an earlier task` : `read as ${user} allowed`;
  if (refused && authedOk) return noop(`${api === '2' ? 'v2' : 'v3'} auth verified: anonymous read refused, ${how}`, result);
  const problems: string[] = [];
  if (!refused) problems.push(`an unauthenticated read was ${anon.exitCode === 0 ? 'allowed' : `refused for another reason (${anonErr})`}`);
  if (!authedOk) problems.push(`a read as ${user} was refused (${etcdError(authed)})`);
  const msg = `etcd ${api === '2' ? 'v2' : 'v3'} auth is not in force: ${problems.join('; ')}`;
  // Check mode runs before the changes that would make this pass: report, do not fail.
  if (check) return noop(`${msg} (check mode: earlier tasks would change this)`, result);
  throw new ModuleFailure(msg, result);
}

export default defineModule<EtcdctlArgs, EtcdctlState>({
  name: 'etcdctl',
  doc: {
    short: 'etcd cluster operations through etcdctl: health wait, members, users, roles, auth (v3, optional v2).',
    description: [
      'Runs etcdctl on the host the task runs on (paths of cacert/cert/key are on that host). Ops:',
      '`health` waits (retries x delay) until every endpoint is healthy — the wait for quorum after starting members;',
      'never changes; fails with etcdctl\'s own error; with `members` it also reads the member list in the same request. `member_list` registers `members` ({id (hex), name, peer_urls,',
      'client_urls, started, is_learner}) and `started_count`. `member_add` (name, peer_urls; present by name or peer URL → no change;',
      'registers `initial_cluster` for the new member) and `member_remove` (name; absent → no change).',
      '`user` (state present/absent, new_password, roles — roles are added, never revoked): etcd cannot show a',
      'password, so with auth enabled the wanted password is tested by logging in with it, and set only if the login',
      'is refused; with auth disabled a password cannot be tested and is set on every run unless',
      '`update_password: on_create`; it registers `password_verified`: true when its authenticated request as `user`',
      'with `password` succeeded while auth was enabled (and the task neither deletes that user nor changes its password).',
      '`role` (present/absent), `grant` (name + roles), `auth` (state enabled/disabled;',
      'etcd 3.4 has no `auth status`: an unauthenticated read refused as "user name is empty"/"permission denied"',
      'means enabled), `v2_guest` (removes the v2 guest role: needs ETCD_ENABLE_V2 on the server and the v2 root',
      'password), `verify_auth` (an unauthenticated read must be refused and a read as `user` allowed; with',
      '`login_verified` the read as `user` is skipped, the anonymous read never). Calls that do not depend on each',
      'other (the auth probe and the read of user, role or grant; verify_auth\'s two reads) run concurrently in one request.',
      'Passwords never appear in argv or in the script text: they are sent on the request\'s stdin and reach etcdctl',
      'through ETCDCTL_USER/ETCDCTL_PASSWORD (v3) or ETCDCTL_USERNAME (v2), or its password prompt. With client-cert',
      'auth, etcd takes an unauthenticated client certificate\'s CN as the user name: use a CN that is not an etcd',
      'user (e.g. admin) for the certificate given here. Check mode: every probe is read-only; `health` and',
      '`verify_auth` report instead of waiting/failing, since the tasks before them did not run.',
    ].join(' '),
    check: 'full',
    diff: false,
    examples: [
      '- etcdctl: { op: health, endpoints: "https://n1:2379,https://n2:2379", cacert: /etc/etcd/etcd-ca.crt,',
      '             cert: /etc/etcd/admin.crt, key: /etc/etcd/admin.key, retries: 30, delay: 2 }',
      '- etcdctl: { op: user, name: root, new_password: "{{ pw }}", password: "{{ pw }}", roles: [root], endpoints: ... }',
      '  register: root_user',
      '- etcdctl: { op: auth, state: enabled, endpoints: ... }',
      '- etcdctl: { op: verify_auth, password: "{{ pw }}", login_verified: "{{ default root_user.password_verified false }}", endpoints: ... }',
    ].join('\n'),
  },
  args: {
    op: { type: 'str', required: true, choices: OPS, description: 'Operation (see the description).' },
    endpoints: {
      type: 'list',
      elements: 'str',
      required: true,
      description: 'Client URLs, a list or a comma-separated string (e.g. https://node1.example.com:2379).',
    },
    cacert: { type: 'path', description: 'CA bundle on the host (v3 --cacert, v2 --ca-file).' },
    cert: { type: 'path', description: 'Client certificate on the host; etcd 3.4 requires one once a trusted CA is set.' },
    key: { type: 'path', description: 'Client key on the host.' },
    user: { type: 'str', default: 'root', description: 'etcd user to authenticate as (when `password` is given).' },
    password: { type: 'str', secret: true, description: 'Password of `user`; needed once auth is enabled. Sent on stdin only.' },
    api: { type: 'str', default: '3', choices: ['2', '3'], description: 'etcd API: 3, or 2 for the v2 auth store (user, role, grant, auth, verify_auth).' },
    name: { type: 'str', description: 'Member name (member_add/remove), user name (user, grant) or role name (role).' },
    new_password: { type: 'str', secret: true, description: 'op=user: the password the user must have. Sent on stdin only.' },
    update_password: {
      type: 'str',
      default: 'always',
      choices: ['always', 'on_create'],
      description: 'op=user: `on_create` sets new_password only when creating the user (no verification).',
    },
    peer_urls: { type: 'list', elements: 'str', description: 'op=member_add: the new member\'s peer URLs.' },
    roles: { type: 'list', elements: 'str', description: 'op=user/grant: roles the user must have (added, never revoked).' },
    state: {
      type: 'str',
      choices: ['present', 'absent', 'enabled', 'disabled'],
      description: 'user/role: present (default) | absent; auth: enabled (default) | disabled; v2_guest: absent (default).',
    },
    retries: { type: 'int', default: 20, description: 'op=health: attempts after the first before failing.' },
    delay: { type: 'int', default: 3, description: 'op=health: seconds between attempts.' },
    timeout: { type: 'int', default: 5, description: 'Seconds for each etcdctl call (dial and command timeout).' },
    etcdctl_path: { type: 'str', default: 'etcdctl', description: 'etcdctl binary on the host.' },
    members: {
      type: 'bool',
      default: false,
      description:
        'op=health: also read the member list, concurrently in the same request, and register `members` and `started_count` as op=member_list does (a member list that fails fails the task).',
    },
    login_verified: {
      type: 'bool',
      default: false,
      description:
        'op=verify_auth: a login as `user` with `password` already succeeded in this run, e.g. the registered `password_verified` of the `user` op — the authenticated read is then skipped and the message says the login was verified by an earlier task.',
    },
  },

  validate(a) {
    const need = (k: keyof EtcdctlArgs, why: string) => {
      if (a[k] === undefined || a[k] === '') throw new ArgumentError(`etcdctl op=${a.op}: \`${String(k)}\` is required (${why})`);
    };
    if (list(a.endpoints).length === 0) throw new ArgumentError('etcdctl: `endpoints` is empty');
    if (['member_add', 'member_remove', 'user', 'role', 'grant'].includes(a.op)) need('name', 'what to act on');
    if (a.op === 'member_add' && list(a.peer_urls).length === 0) need('peer_urls', "the new member's peer URLs");
    if (a.op === 'grant' && list(a.roles).length === 0) need('roles', 'roles to grant');
    if (a.op === 'v2_guest') need('password', 'removing the guest role needs the v2 root password');
    for (const k of ['password', 'new_password'] as const) {
      if (a[k] !== undefined && /[\n\r]/.test(a[k]!)) throw new ArgumentError(`etcdctl: \`${k}\` must not contain a line break`);
    }
    if (a.user !== undefined && /[\n\r:]/.test(a.user)) throw new ArgumentError('etcdctl: `user` must not contain a line break or \':\'');
    const st = a.state;
    if (st !== undefined) {
      const ok: Partial<Record<Op, string[]>> = {
        user: ['present', 'absent'],
        role: ['present', 'absent'],
        auth: ['enabled', 'disabled'],
        v2_guest: ['absent'],
      };
      const allowed = ok[a.op];
      if (!allowed || !allowed.includes(st)) {
        throw new ArgumentError(`etcdctl op=${a.op}: state '${st}' is not valid here${allowed ? ` (one of ${allowed.join(', ')})` : ''}`);
      }
    }
    if (apiOf(a) === '2' && ['health', 'member_list', 'member_add', 'member_remove'].includes(a.op)) {
      throw new ArgumentError(`etcdctl op=${a.op} speaks API v3 only`);
    }
  },

  reads(a) {
    const first = firstCalls(a);
    if (!first) return [];
    const t = target(a);
    const calls = first.calls.map(([argv, o]) => ({ argv, opts: runOptions(a, o, true) }));
    return [first.concurrent ? etcdctlBatchRequest(t, calls) : etcdctlRequest(t, calls[0]!.argv, calls[0]!.opts)];
  },

  async plan(ctx, a) {
    if (a.password) ctx.secret(a.password);
    if (a.new_password) ctx.secret(a.new_password);
    const e = new Etcd(ctx, a, true);
    const api = apiOf(a);
    switch (a.op) {
      case 'health':
        return planHealth(e, ctx.check);
      case 'member_list': {
        const result = membersResult(await e.members());
        return noop(membersMsg(result), result);
      }
      case 'member_add': {
        const members = await e.members();
        const urls = list(a.peer_urls);
        const hit = members.find((m) => m.name === a.name || m.peer_urls.some((u) => urls.includes(u)));
        if (hit) return noop(`member ${a.name} is already in the cluster (id ${hit.id})`, { members, id: hit.id });
        return willDo(
          [{ argv: ['member', 'add', `--peer-urls=${urls.join(',')}`, '--', a.name!], api: '3', auth: true, what: `add member ${a.name}` }],
          { members },
        );
      }
      case 'member_remove': {
        const members = await e.members();
        const hit = members.find((m) => m.name === a.name);
        if (!hit) return noop(`member ${a.name} is not in the cluster`, { members });
        return willDo([{ argv: ['member', 'remove', '--', hit.id], api: '3', auth: true, what: `remove member ${a.name} (id ${hit.id})` }], {
          members,
          id: hit.id,
        });
      }
      case 'user':
        return planUser(e, api);
      case 'role':
        return planRole(e, api);
      case 'grant':
        return planGrant(e, api);
      case 'auth':
        return planAuth(e, api);
      case 'v2_guest':
        return planGuest(e);
      case 'verify_auth':
        return planVerify(e, api, ctx.check);
    }
  },

  async apply(ctx, a, plan) {
    const e = new Etcd(ctx, a);
    const done: string[] = [];
    const result: Record<string, unknown> = { ...(plan.result ?? {}) };
    for (const s of plan.state?.steps ?? []) {
      const r = await e.run(s.argv, { api: s.api, auth: s.auth, newPasswordTimes: s.newPasswordTimes, label: `etcdctl:${s.argv.slice(0, 2).join('-')}` });
      if (r.exitCode !== 0) {
        const err = etcdError(r);
        const hint =
          s.argv[0] === 'auth' && /root user does not exist|No root user/i.test(err)
            ? ' (create the root user first: op=user name=root)'
            : s.api === '2'
              ? v2Hint(err)
              : '';
        e.fail(`${s.argv.slice(0, 2).join(' ')} (${s.what})${done.length ? ` after: ${done.join(', ')}` : ''}`, r, hint);
      }
      done.push(s.what);
      if (s.argv[0] === 'member' && s.argv[1] === 'add') {
        const added = parseMemberAdd(r.stdout);
        result.id = added.id;
        result.initial_cluster = added.env.ETCD_INITIAL_CLUSTER;
        result.env = added.env;
      }
    }
    const msg = done.join(', ');
    return { changed: true, msg: msg.charAt(0).toUpperCase() + msg.slice(1), result };
  },
});
