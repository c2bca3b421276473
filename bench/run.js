#!/usr/bin/env node
// `npm run bench`: the benchmark of issues 3, 5 and 19. In one run, alternating bosun, Ansible
// (bench/ansible/, installed with apt-get when missing) and Ansible + Mitogen (its strategy plugins
// from $BOSUN_BENCH_MITOGEN, a checkout of mitogen-hq/mitogen; skipped with a note when unset):
//  - secure etcd on a 3-host lab: full deploy from a fresh lab, no-op rerun, --check --diff;
//  - the generic 10-task playbook on labs of 1, 3, 10, 30, 50, 100, 200 hosts: bosun's converge,
//    every tool's no-op cold (fresh ControlPath dir) and warm (rerun within ControlPersist), and
//    the floors (multiplexed `ssh host true`; probes through one `ssh host sh`);
//  - start-up: `node -e 0` vs `bosun --version`.
// Prints medians, ratios and the issue's targets, writes bench/results/<date>.json and the figures
// section of bench/README.md. Plain ESM on the built dist/ (`.ci/setup` builds it). Not a test.
//
//   node bench/run.js [--sizes 1,3,10,30,50,100,200] [--runs 3] [--heavy-runs 1] [--etcd-runs 2]
//                     [--ansible-max 50] [--mitogen-max 100] [--no-ansible] [--no-etcd] [--no-pcocc]
//                     [--pcocc-runs 1] [--no-write]
//   node bench/run.js --render bench/results/<date>.json   (rewrite README figures from a result, no run)
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
// what `bosun` runs (package.json bin): the bundle .ci/bundle.mjs builds
const bosunBin = path.join(root, 'dist/bundle/bosun.mjs');
const playbook = path.join(here, 'fixtures/generic/site.yml');
const hook = pathToFileURL(path.join(here, 'rusage-hook.js')).href;
/** Where the playbook writes on each host; removed before every measured converge. */
const REMOTE_BASE = '/var/lib/bosun-bench';
const ansibleDir = path.join(here, 'ansible');
const ansiblePlaybook = path.join(ansibleDir, 'generic.yml');
const ansibleEtcd = path.join(ansibleDir, 'etcd.yml');
const site = path.join(root, 'playbooks/site.yml');
const caPlaybook = path.join(here, 'fixtures/etcd-ca.yml');
/** A throwaway password for the bench's own etcd labs. */
const ETCD_PASSWORD = 'bench-Zq8-root';
/** One lab per size, each its own /24 and domain (perfN.test). */
const LABS = {
  1: { name: 'perf1', subnet: '10.66.50.0/24', domain: 'perf1.test' },
  3: { name: 'perf2', subnet: '10.66.51.0/24', domain: 'perf2.test' },
  10: { name: 'perf3', subnet: '10.66.52.0/24', domain: 'perf3.test' },
  30: { name: 'perf4', subnet: '10.66.53.0/24', domain: 'perf4.test' },
  50: { name: 'perf5', subnet: '10.66.54.0/24', domain: 'perf5.test' },
  100: { name: 'perf7', subnet: '10.66.56.0/24', domain: 'perf7.test' },
  200: { name: 'perf8', subnet: '10.66.57.0/24', domain: 'perf8.test' },
};
const ETCD_LAB = { name: 'perf6', subnet: '10.66.55.0/24', domain: 'perf6.test', hosts: 3 };
/** Issue 20: 3 etcd members (etcd_profile pcocc) + 100 pcocc nodes, one lab. */
const PCOCC_LAB = { name: 'perfpc', subnet: '10.66.58.0/24', domain: 'perfpc.test', members: 3, clients: 100 };
const pcoccClients = path.join(root, 'playbooks/pcocc-clients.yml');
/** Tasks of playbooks/pcocc-clients.yml on a pcocc node (the verification runs on one node only). */
const PCOCC_TASKS_PER_NODE = 5;
/** Sizes from which the slow measures (Ansible, floor a) run --heavy-runs times instead of --runs. */
const HEAVY_FROM = 10;
/** Issue 5's targets (vs plain Ansible). */
const TARGETS = { noopSpeedup: 15, deploySpeedup: 3, versionOverNode: 2.5, memoryMB50: 150 };
/** Issue 19's targets (vs Ansible + Mitogen; scale). */
const TARGETS19 = {
  cold: { 3: 6, 30: 10 },
  warm: { 3: 10, 30: 20 },
  etcdNoopCold: 6,
  floorB200: 1.3,
  memoryMB200: 250,
  versionOverNode: 1.5,
};
/** Ansible + Mitogen's strategy plugins: $BOSUN_BENCH_MITOGEN/ansible_mitogen/plugins/strategy. */
const MITOGEN = process.env.BOSUN_BENCH_MITOGEN || null;
const STARTUP_RUNS = 10;
const RUN_TIMEOUT_MS = 300_000;

// ---------------------------------------------------------------------------------------------
// Options

function usage(msg) {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write(
    'usage: node bench/run.js [--sizes 1,3,10,30,50,100,200] [--runs 3] [--heavy-runs 1] [--etcd-runs 2] [--ansible-max 50] [--mitogen-max 100]\n' +
      '                         [--no-ansible] [--no-etcd] [--no-pcocc] [--pcocc-runs 1] [--no-write]   (Mitogen: BOSUN_BENCH_MITOGEN=/path/to/mitogen)\n' +
      '       node bench/run.js --render RESULT.json\n',
  );
  process.exit(msg ? 5 : 0);
}

function parseOptions(argv) {
  const o = {
    sizes: [1, 3, 10, 30, 50, 100, 200],
    runs: 3,
    heavyRuns: 1,
    etcdRuns: 2,
    ansibleMax: 50,
    mitogenMax: 100,
    ansible: true,
    etcd: true,
    pcocc: true,
    pcoccRuns: 1,
    write: true,
    render: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('--sizes')) {
      const v = val();
      o.sizes = v === 'none' ? [] : v.split(',').map(Number);
    }
    else if (a.startsWith('--runs')) o.runs = Number(val());
    else if (a.startsWith('--heavy-runs')) o.heavyRuns = Number(val());
    else if (a.startsWith('--etcd-runs')) o.etcdRuns = Number(val());
    else if (a.startsWith('--ansible-max')) o.ansibleMax = Number(val());
    else if (a.startsWith('--mitogen-max')) o.mitogenMax = Number(val());
    else if (a === '--no-ansible') o.ansible = false;
    else if (a === '--no-etcd') o.etcd = false;
    else if (a === '--no-pcocc') o.pcocc = false;
    else if (a.startsWith('--pcocc-runs')) o.pcoccRuns = Number(val());
    else if (a === '--no-write') o.write = false;
    else if (a.startsWith('--render')) o.render = val();
    else usage(`unknown option ${a}`);
  }
  for (const n of o.sizes) {
    if (!LABS[n]) usage(`size ${n}: the bench has labs for ${Object.keys(LABS).join(', ')} hosts only`);
  }
  for (const k of ['runs', 'heavyRuns', 'etcdRuns', 'pcoccRuns']) if (!Number.isInteger(o[k]) || o[k] < 1 || o[k] > 9) usage(`--${k} must be 1..9`);
  o.heavyRuns = Math.min(o.heavyRuns, o.runs);
  return o;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const now = () => performance.now();

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const round = (x, d = 3) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : round(a / b, 2));

function log(msg) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Runs a process to completion; resolves with code, output and wall seconds. */
function runProc(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs ?? RUN_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, wallS: (now() - t0) / 1000 });
    });
  });
}

/** Waits for a process's exit (not for its stdio to close: a ControlPersist master keeps a copy). */
function runExit(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return null;
  return `${r.stdout}${r.stderr}`.split('\n')[0].trim() || null;
}

// ---------------------------------------------------------------------------------------------
// Floors

/** sshArgs ends with the host address; ssh options must come before it. */
function sshWith(lab, state, host, extraOpts, remote) {
  const a = lab.sshArgs(state, host, { connectTimeoutSec: 10 });
  return [...a.slice(0, -1), ...extraOpts, a[a.length - 1], ...remote];
}

/** Floor (a): 10 sequential `ssh host true` per host over a ControlMaster, hosts in parallel. */
async function floorMux(lab, state) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-bench-'));
  const mux = ['-o', 'ControlMaster=auto', '-o', `ControlPath=${dir}/%C`, '-o', 'ControlPersist=60'];
  try {
    const t0 = now();
    await Promise.all(
      state.hosts.map(async (h) => {
        for (let i = 0; i < 10; i++) {
          const code = await runExit('ssh', sshWith(lab, state, h.name, mux, ['true']));
          if (code !== 0) throw new Error(`floor a: ssh ${h.name} true exited ${code}`);
        }
      }),
    );
    return (now() - t0) / 1000;
  } finally {
    // Masters are not part of the measure; close them so no process outlives the bench.
    await Promise.all(state.hosts.map((h) => runExit('ssh', sshWith(lab, state, h.name, [...mux, '-O', 'exit'], [])).catch(() => 1)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Read-only probes of the kind bosun's modules send: facts, stat + checksum of files, commands. */
const PROBES = [
  '. /etc/os-release; echo "$ID $VERSION_ID"; hostname; hostname -f; uname -m; id -un',
  ...['/etc/hostname', '/etc/hosts', '/etc/passwd', '/etc/group', '/etc/os-release', '/etc/shells', '/etc/issue'].map(
    (p) => `stat -c '%F %a %U %G %s' ${p} && sha256sum ${p}`,
  ),
  'cat /etc/hostname',
  'uname -r',
];

/**
 * Floor (b): the same number of probes through ONE `ssh host sh` per host, hosts in parallel. Each
 * probe waits for the previous answer (a marker line), as bosun's tasks do: a round-trip floor.
 */
async function floorChannel(lab, state) {
  const t0 = now();
  await Promise.all(
    state.hosts.map(
      (h) =>
        new Promise((resolve, reject) => {
          const child = spawn('ssh', sshWith(lab, state, h.name, [], ['sh']), { stdio: ['pipe', 'pipe', 'pipe'] });
          let buf = '';
          let next = 0;
          let err = '';
          const send = () => {
            if (next === PROBES.length) return child.stdin.end();
            child.stdin.write(`${PROBES[next]}\necho "__bench_${next}__ $?"\n`);
          };
          child.stdout.on('data', (d) => {
            buf += d;
            const marker = `__bench_${next}__ `;
            const at = buf.indexOf(marker);
            if (at < 0) return;
            const eol = buf.indexOf('\n', at);
            if (eol < 0) return; // the exit status is still on its way
            const rc = buf.slice(at + marker.length, eol);
            if (rc !== '0') {
              child.kill();
              return reject(new Error(`floor b: probe ${next} on ${h.name} exited ${rc}`));
            }
            buf = '';
            next++;
            send();
          });
          child.stderr.on('data', (d) => (err += d));
          child.on('error', reject);
          child.on('close', (code) => {
            if (code === 0 && next === PROBES.length) resolve();
            else reject(new Error(`floor b: ssh ${h.name} sh exited ${code} after ${next} probes: ${err.trim()}`));
          });
          send();
        }),
    ),
  );
  return (now() - t0) / 1000;
}

/** Start-up: `node -e 0` and `bosun --version`, alternated, median wall seconds. */
async function startup() {
  const nodeE = [];
  const version = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    nodeE.push((await runProc(process.execPath, ['-e', '0'])).wallS);
    const v = await runProc(process.execPath, [bosunBin, '--version']);
    if (v.code !== 0) throw new Error(`bosun --version exited ${v.code}: ${v.stderr.trim()}`);
    version.push(v.wallS);
  }
  return { nodeE0S: round(median(nodeE)), bosunVersionS: round(median(version)) };
}

// ---------------------------------------------------------------------------------------------
// bosun runs

const SUMMARY = /bosun: (\d+) host\(s\), (\d+) request\(s\), (\d+) ssh process\(es\), ([\d.]+) s/;
// eslint-disable-next-line no-control-regex
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

/** Per-host recap counts from an ansible-playbook / bosun recap ("node1 : ok=3 changed=1 …"). */
function recapCounts(out) {
  const hosts = {};
  for (const m of out.matchAll(/^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    hosts[m[1]] = { ok: Number(m[2]), changed: Number(m[3]), unreachable: Number(m[4]), failed: Number(m[5]) };
  }
  return hosts;
}

/**
 * Checks a run's recap against what its kind must show: a deploy/converge changes every host, a
 * no-op or a dry run on a converged target changes nothing.
 */
function checkRecap(tool, kind, out, hosts) {
  // localhost: site.yml's preflight play runs there; the hosts that count are the lab's.
  const rc = Object.entries(recapCounts(out))
    .filter(([h]) => h !== 'localhost')
    .map(([, c]) => c);
  if (rc.length !== hosts) throw new Error(`${tool} ${kind}: recap lists ${rc.length} host(s), expected ${hosts}:\n${out.slice(-3000)}`);
  if (rc.some((h) => h.failed || h.unreachable)) throw new Error(`${tool} ${kind}: failed/unreachable hosts:\n${out.slice(-3000)}`);
  const changed = rc.reduce((x, h) => x + h.changed, 0);
  if ((kind === 'noop' || kind === 'check') && changed !== 0) throw new Error(`${tool} ${kind} changed ${changed} thing(s):\n${out.slice(-3000)}`);
  if ((kind === 'converge' || kind === 'deploy') && rc.filter((h) => h.changed > 0).length !== hosts) {
    throw new Error(`${tool} ${kind} did not change every host (was the previous state removed?):\n${out.slice(-3000)}`);
  }
  return changed;
}

// ---------------------------------------------------------------------------------------------
// ControlMasters: every tool's persistent ssh connections live in a control dir the bench chooses;
// a fresh dir is a cold run, the previous run's dir (within ControlPersist) a warm one.

let cpSeq = 0;
/** A fresh, short control dir (socket paths must fit sun_path). */
function freshControlDir(tmp) {
  const d = path.join(tmp, `cp${++cpSeq}`);
  fs.mkdirSync(d, { mode: 0o700 });
  return d;
}

/** Pids of the ControlMaster processes whose socket lives in `dir` ("ssh: DIR/x [mux]"). */
function mastersIn(dir) {
  const pids = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const c = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (c.includes(`${dir}/`) && c.includes('[mux]')) pids.push(Number(d));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

/**
 * CPU seconds (user + sys) the masters of `dir` have used so far, by pid. A master is forked from
 * the ssh client that made the connection and daemonized: neither /usr/bin/time nor bosun's reaped
 * children see its CPU (the encryption of every later session), so it is read from /proc.
 */
function mastersCpu(dir) {
  const out = new Map();
  for (const pid of mastersIn(dir)) {
    try {
      const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(f[11]) + Number(f[12])) / Number(clkTck()));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** CPU the masters of `dir` used between two mastersCpu() readings (new masters count whole). */
function masterCpuDelta(before, after) {
  let s = 0;
  for (const [pid, cpu] of after) s += cpu - (before.get(pid) ?? 0);
  return s;
}

/** Stops every master of `dir` (not measured) and removes the dir: no master outlives the bench. */
async function stopMasters(dir) {
  if (!dir || !fs.existsSync(dir)) return;
  const socks = fs.readdirSync(dir).filter((n) => !n.includes('.'));
  for (let i = 0; i < socks.length; i += 25) {
    await Promise.all(
      socks.slice(i, i + 25).map((n) => runExit('ssh', ['-o', 'ControlMaster=no', '-o', `ControlPath=${path.join(dir, n)}`, '-O', 'exit', 'x']).catch(() => 1)),
    );
  }
  // a master that did not answer: by pid (the bench started it)
  for (const pid of mastersIn(dir)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * One bosun run. `cp`: its ControlPath dir (--ssh-control-path-dir); reused across runs = warm.
 * Its ssh CPU = reaped ssh clients (the handshakes) + what its masters used meanwhile.
 */
async function runBosun(inventory, hosts, tmp, kind, book = playbook, extra = [], cp = undefined, listed = hosts) {
  const rusageFile = path.join(tmp, `rusage-${process.pid}.json`);
  fs.rmSync(rusageFile, { force: true });
  // The same ansible.cfg and forks as Ansible's runs (gather_subset, ssh_args, forks = hosts): one
  // configuration for every tool.
  const env = {
    ...process.env,
    ANSIBLE_CONFIG: path.join(ansibleDir, 'ansible.cfg'),
    ANSIBLE_FORKS: String(Math.max(hosts, 5)),
    NO_COLOR: '1',
    BOSUN_BENCH_RUSAGE: rusageFile,
    BOSUN_BENCH_CLK_TCK: clkTck(),
  };
  const dir = cp ?? freshControlDir(tmp);
  const before = mastersCpu(dir);
  const r = await runProc(process.execPath, ['--import', hook, bosunBin, 'run', book, '-i', inventory, '--ssh-control-path-dir', dir, ...extra], { env });
  const masterCpuS = masterCpuDelta(before, mastersCpu(dir));
  if (!cp) await stopMasters(dir);
  const out = stripAnsi(r.stdout + r.stderr);
  if (r.code !== 0) throw new Error(`bosun ${kind} run exited ${r.code ?? r.signal}:\n${out.split('\n').slice(-30).join('\n')}`);
  const m = SUMMARY.exec(out);
  if (!m) throw new Error(`bosun ${kind} run: no summary line in its output:\n${out.slice(-2000)}`);
  const changed = checkRecap('bosun', kind, out, listed);
  const ru = JSON.parse(fs.readFileSync(rusageFile, 'utf8'));
  fs.rmSync(rusageFile, { force: true });
  return {
    wallS: r.wallS,
    reportedS: Number(m[4]),
    hosts: Number(m[1]),
    requests: Number(m[2]),
    processes: Number(m[3]),
    changed,
    cpuS: ru.userS + ru.sysS,
    sshCpuS: ru.childUserS == null ? null : ru.childUserS + ru.childSysS + masterCpuS,
    masterCpuS,
    maxRssMB: ru.maxRssMB,
  };
}

// ---------------------------------------------------------------------------------------------
// Ansible

/** Installs Debian's ansible-core when ansible-playbook is missing (bench only, not CI). */
function ensureAnsible() {
  if (spawnSync('ansible-playbook', ['--version'], { stdio: 'ignore' }).status === 0) return;
  log('ansible-playbook missing: apt-get install -y ansible-core');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'ansible-core'], { stdio: 'inherit', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'ansible-core'], { stdio: 'inherit', env });
  }
  if (r.status !== 0) throw new Error('could not install ansible-core (apt-get failed); rerun with --no-ansible');
}

/**
 * One ansible-playbook run under /usr/bin/time (wall, CPU of the whole process tree, largest RSS),
 * its ssh execs counted by a wrapper (ANSIBLE_SSH_EXECUTABLE) that logs one line and execs ssh.
 * `o.cp`: the ControlPath dir (fresh when not given: the run pays its own connection set-up; the
 * previous run's: warm). `o.mitogen`: the mitogen_linear strategy from $BOSUN_BENCH_MITOGEN; Mitogen
 * hands ssh_args to its own ssh but adds no ControlPath, so the bench gives one in ssh_args (what an
 * operator wanting reuse writes), in the same dir scheme.
 */
async function runAnsible(book, inventory, hosts, tmp, kind, extra = [], o = {}) {
  const cp = o.cp ?? freshControlDir(tmp);
  const run = fs.mkdtempSync(path.join(tmp, 'ansible-'));
  const counter = path.join(run, 'ssh-execs');
  const wrapper = path.join(run, 'ssh');
  fs.writeFileSync(wrapper, `#!/bin/sh\necho >>'${counter}'\nexec ssh "$@"\n`, { mode: 0o755 });
  const timeFile = path.join(run, 'time');
  const env = {
    ...process.env,
    ANSIBLE_CONFIG: path.join(ansibleDir, 'ansible.cfg'),
    ANSIBLE_FORKS: String(Math.max(hosts, 5)),
    ANSIBLE_SSH_CONTROL_PATH_DIR: cp,
    ANSIBLE_SSH_EXECUTABLE: wrapper,
    ANSIBLE_LOCAL_TEMP: path.join(run, 'tmp'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
  };
  if (o.mitogen) {
    env.ANSIBLE_STRATEGY_PLUGINS = path.join(MITOGEN, 'ansible_mitogen/plugins/strategy');
    env.ANSIBLE_STRATEGY = 'mitogen_linear';
    env.ANSIBLE_SSH_ARGS = `-o ControlMaster=auto -o ControlPersist=60s -o ControlPath=${cp}/%C`;
  }
  const before = mastersCpu(cp);
  try {
    const r = await runProc('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, 'ansible-playbook', '-i', inventory, book, ...extra], {
      env,
      timeoutMs: 1_200_000,
    });
    const masterCpuS = masterCpuDelta(before, mastersCpu(cp));
    const out = r.stdout + r.stderr;
    const tool = o.mitogen ? 'mitogen' : 'ansible';
    if (r.code !== 0) throw new Error(`${tool} ${kind} exited ${r.code ?? r.signal}:\n${out.split('\n').slice(-40).join('\n')}`);
    const changed = checkRecap(tool, kind, out, hosts);
    const [, user, sys, maxKB] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
    const tasks = (out.match(/^TASK \[/gm) ?? []).length + (out.match(/^RUNNING HANDLER \[/gm) ?? []).length;
    const execs = fs.existsSync(counter) ? fs.readFileSync(counter, 'utf8').split('\n').length - 1 : 0;
    // cpuS: the whole process tree (/usr/bin/time) plus its ControlMasters meanwhile
    return { wallS: r.wallS, changed, cpuS: user + sys + masterCpuS, masterCpuS, maxRssMB: maxKB / 1024, tasks, sshExecs: execs };
  } finally {
    // ControlPersist masters outlive ansible-playbook: close them (not measured) unless the caller
    // keeps the dir for a warm run.
    if (!o.cp) await stopMasters(cp);
    fs.rmSync(run, { recursive: true, force: true });
  }
}

let clkTckCache;
function clkTck() {
  clkTckCache ??= firstLine('getconf', ['CLK_TCK']) ?? '100';
  return clkTckCache;
}

/** Removes what the playbook wrote, so the next converge starts from scratch (not measured). */
async function resetHosts(lab, state) {
  await Promise.all(
    state.hosts.map(async (h) => {
      const code = await runExit('ssh', sshWith(lab, state, h.name, [], [`rm -rf ${REMOTE_BASE}`]));
      if (code !== 0) throw new Error(`reset of ${h.name} failed (exit ${code})`);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// One lab size

async function withLab(lab, spec, n, active, fn) {
  await lab.labDown(spec.name); // leftovers of an interrupted bench
  log(`lab ${spec.name}: bringing up ${n} hosts on ${spec.subnet}`);
  const t0 = now();
  active.add(spec.name);
  try {
    const state = await lab.labUp({ name: spec.name, hosts: n, subnet: spec.subnet, domain: spec.domain });
    return await fn(state, (now() - t0) / 1000);
  } finally {
    log(`lab ${spec.name}: down`);
    await lab.labDown(spec.name);
    active.delete(spec.name);
  }
}

const summarize = (xs, n) =>
  xs.length === 0
    ? null
    : {
        wallS: round(median(xs.map((x) => x.wallS))),
        reportedS: round(median(xs.map((x) => x.reportedS))),
        requestsPerHost: round(median(xs.map((x) => (x.requests == null ? null : x.requests / n))), 2),
        sshProcessesPerHost: round(median(xs.map((x) => (x.processes == null ? null : x.processes / n))), 2),
        sshExecsPerHost: round(median(xs.map((x) => (x.sshExecs == null ? null : x.sshExecs / n))), 2),
        tasks: median(xs.map((x) => x.tasks)),
        cpuS: round(median(xs.map((x) => x.cpuS))),
        sshCpuS: round(median(xs.map((x) => x.sshCpuS))),
        maxRssMB: round(median(xs.map((x) => x.maxRssMB)), 1),
        samples: xs.map((x) => ({ ...x, wallS: round(x.wallS), cpuS: round(x.cpuS), sshCpuS: round(x.sshCpuS), maxRssMB: round(x.maxRssMB, 1) })),
      };

/** The tools compared on a size: bosun always; Ansible and Mitogen up to their --*-max sizes. */
function toolsFor(n, opts) {
  const t = ['bosun'];
  if (opts.ansible && n <= opts.ansibleMax) t.push('ansible');
  if (opts.ansible && MITOGEN && n <= opts.mitogenMax) t.push('mitogen');
  return t;
}

/**
 * Generic playbook on one lab size: floors, bosun's converge, then each tool's no-op cold (fresh
 * ControlPath dir) and at once warm (the same dir: a rerun within ControlPersist), interleaved,
 * the tool going first rotating from run to run.
 */
async function benchSize(lab, n, opts, tmp, active) {
  return withLab(lab, LABS[n], n, active, async (state, labUpS) => {
    const inventory = path.join(tmp, `${LABS[n].name}.yml`);
    fs.writeFileSync(inventory, lab.labInventory(state, 'bench'));
    const heavy = n >= HEAVY_FROM ? opts.heavyRuns : opts.runs;
    const tools = toolsFor(n, opts);
    const samples = { floorA: [], floorB: [], converge: [], noop: [], noopWarm: [], ansible: [], ansibleWarm: [], mitogen: [], mitogenWarm: [] };
    for (let r = 1; r <= opts.runs; r++) {
      // Interleaved so that machine load drifting during the bench hits every measure alike.
      if (r <= heavy) samples.floorA.push(await floorMux(lab, state));
      samples.floorB.push(await floorChannel(lab, state));
      await resetHosts(lab, state);
      samples.converge.push(await runBosun(inventory, n, tmp, 'converge'));
      // Rotate which tool goes first; Ansible's files are byte-identical to bosun's, so bosun's
      // converge leaves a host on which every run is a no-op (each run checks changed=0).
      const order = tools.map((_, i) => tools[(i + r - 1) % tools.length]).filter((t) => t === 'bosun' || r <= heavy);
      const line = [];
      for (const tool of order) {
        const cp = freshControlDir(tmp);
        try {
          const one = (kind) =>
            tool === 'bosun'
              ? runBosun(inventory, n, tmp, kind, playbook, [], cp)
              : runAnsible(ansiblePlaybook, inventory, n, tmp, kind, [], { cp, mitogen: tool === 'mitogen' });
          const cold = await one('noop');
          const warm = await one('noop');
          const key = tool === 'bosun' ? 'noop' : tool;
          samples[key].push(cold);
          samples[`${key}Warm`].push(warm);
          line.push(
            `${tool} no-op ${cold.wallS.toFixed(2)} s cold / ${warm.wallS.toFixed(2)} s warm` +
              (tool === 'bosun' ? ` (${cold.requests} req, ${cold.processes} ssh, ${cold.maxRssMB.toFixed(0)} MB)` : ` (${cold.sshExecs} ssh execs)`),
          );
        } finally {
          await stopMasters(cp);
        }
      }
      const c = samples.converge.at(-1);
      log(
        `${n} hosts, run ${r}/${opts.runs}: ` +
          (r <= heavy ? `floor a ${samples.floorA.at(-1).toFixed(2)} s, ` : '') +
          `floor b ${samples.floorB.at(-1).toFixed(2)} s, converge ${c.wallS.toFixed(2)} s (${c.requests} req); ${line.join('; ')}`,
      );
    }
    const floorA = round(median(samples.floorA));
    const floorB = round(median(samples.floorB));
    const noop = summarize(samples.noop, n);
    const noopWarm = summarize(samples.noopWarm, n);
    const ansible = summarize(samples.ansible, n);
    const ansibleWarm = summarize(samples.ansibleWarm, n);
    const mitogen = summarize(samples.mitogen, n);
    const mitogenWarm = summarize(samples.mitogenWarm, n);
    return {
      hosts: n,
      labUpS: round(labUpS, 2),
      tools,
      floorMuxTrueS: floorA,
      floorChannelS: floorB,
      floorSamples: { a: samples.floorA.map((x) => round(x)), b: samples.floorB.map((x) => round(x)) },
      converge: summarize(samples.converge, n),
      noop,
      noopWarm,
      ansibleNoop: ansible,
      ansibleNoopWarm: ansibleWarm,
      mitogenNoop: mitogen,
      mitogenNoopWarm: mitogenWarm,
      ratios: {
        noopOverFloorChannel: ratio(noop.wallS, floorB),
        noopOverFloorMux: ratio(noop.wallS, floorA),
        ansibleOverNoop: ratio(ansible?.wallS, noop.wallS),
        ansibleWarmOverNoopWarm: ratio(ansibleWarm?.wallS, noopWarm?.wallS),
        mitogenOverNoop: ratio(mitogen?.wallS, noop.wallS),
        mitogenWarmOverNoopWarm: ratio(mitogenWarm?.wallS, noopWarm?.wallS),
      },
    };
  });
}

/**
 * Secure etcd on a 3-host lab: per tool and run, a fresh lab (down + up, not timed), the full
 * deploy, the no-op rerun and `--check --diff`, each timed. Tools alternate which goes first.
 */
async function benchEtcd(lab, opts, tmp, active) {
  const spec = ETCD_LAB;
  const n = spec.hosts;
  const ca = path.join(tmp, 'etcd-ca');
  const inventory = path.join(tmp, `${spec.name}.yml`);
  const samples = {};
  const tools = toolsFor(n, opts);
  for (const t of tools) samples[t] = { deploy: [], noop: [], check: [] };
  for (let r = 1; r <= opts.etcdRuns; r++) {
    // every timed run cold (its own fresh ControlPath dir), the tool going first rotating
    for (const tool of tools.map((_, i) => tools[(i + r - 1) % tools.length])) {
      await withLab(lab, spec, n, active, async (state) => {
        fs.writeFileSync(inventory, lab.labInventory(state, 'etcd'));
        if (!fs.existsSync(ca)) {
          // Not timed: certificates made once with bosun's etcd_ca role, used by both tools.
          const c = await runProc(process.execPath, [bosunBin, 'run', caPlaybook, '-i', inventory, '-e', `etcd_ca_dir=${ca}`]);
          if (c.code !== 0) throw new Error(`making the etcd CA dir failed:\n${c.stdout.slice(-2000)}${c.stderr}`);
        }
        const vars = ['-e', `etcd_ca_dir=${ca}`, '-e', `etcd_root_password=${ETCD_PASSWORD}`];
        const one =
          tool === 'bosun'
            ? (kind, extra = []) => runBosun(inventory, n, tmp, kind, site, [...vars, ...extra])
            : (kind, extra = []) => runAnsible(ansibleEtcd, inventory, n, tmp, kind, [...vars, ...extra], { mitogen: tool === 'mitogen' });
        samples[tool].deploy.push(await one('deploy'));
        samples[tool].noop.push(await one('noop'));
        samples[tool].check.push(await one('check', ['--check', '--diff']));
        const s = samples[tool];
        log(
          `etcd ${tool}, run ${r}/${opts.etcdRuns}: deploy ${s.deploy.at(-1).wallS.toFixed(2)} s, no-op ${s.noop.at(-1).wallS.toFixed(2)} s, ` +
            `check-diff ${s.check.at(-1).wallS.toFixed(2)} s`,
        );
      });
    }
  }
  const sum = (t) => ({ deploy: summarize(samples[t].deploy, n), noop: summarize(samples[t].noop, n), check: summarize(samples[t].check, n) });
  const b = sum('bosun');
  const a = samples.ansible ? sum('ansible') : null;
  const m = samples.mitogen ? sum('mitogen') : null;
  const over = (x) =>
    x ? { deploy: ratio(x.deploy.wallS, b.deploy.wallS), noop: ratio(x.noop.wallS, b.noop.wallS), check: ratio(x.check.wallS, b.check.wallS) } : null;
  return { hosts: n, bosun: b, ansible: a, mitogen: m, ratios: over(a), mitogenRatios: over(m) };
}

/** The pcocc inventory: members in `etcd`, the other hosts in `pcocc`, etcd_profile pcocc for all. */
function pcoccInventory(lab, state, members) {
  const text = lab.labInventory(state, 'etcd');
  const lines = text.split('\n');
  const isClient = (l) => {
    const m = /^\s+node(\d+):/.exec(l);
    return m !== null && Number(m[1]) > members;
  };
  return (
    lines
      .filter((l) => !isClient(l))
      .join('\n')
      .replace('    ansible_user: root\n', '    ansible_user: root\n    etcd_profile: pcocc\n')
      .trimEnd() + `\n    pcocc:\n      hosts:\n${lines.filter(isClient).join('\n')}\n`
  );
}

/**
 * Issue 20 at scale: 3 members + 100 pcocc nodes in one lab. Timed: site.yml's first run (cluster with
 * the pcocc profile, then every node: CA, password file, batch.yaml, verification), site.yml no-op
 * reruns, pcocc-clients.yml no-op reruns (the nodes' part alone: its requests per node and task), and
 * the same with --forks covering every node. Every run's recap is checked.
 */
async function benchPcocc(lab, opts, tmp, active) {
  const spec = PCOCC_LAB;
  const n = spec.members + spec.clients;
  return withLab(lab, spec, n, active, async (state, labUpS) => {
    const ca = path.join(tmp, 'pcocc-ca');
    const inventory = path.join(tmp, `${spec.name}.yml`);
    fs.writeFileSync(inventory, pcoccInventory(lab, state, spec.members));
    const vars = ['-e', `etcd_ca_dir=${ca}`, '-e', `etcd_root_password=${ETCD_PASSWORD}`];
    const samples = { deploy: [], siteNoop: [], clientsNoop: [], clientsNoopAllForks: [] };
    samples.deploy.push(await runBosun(inventory, n, tmp, 'deploy', site, vars));
    log(`pcocc ${spec.members}+${spec.clients}: deploy ${samples.deploy[0].wallS.toFixed(2)} s (${samples.deploy[0].requests} req)`);
    for (let r = 1; r <= opts.pcoccRuns; r++) {
      samples.siteNoop.push(await runBosun(inventory, n, tmp, 'noop', site, vars));
      // The recap lists the hosts a task ran on (as Ansible's): the nodes, not the members.
      samples.clientsNoop.push(await runBosun(inventory, n, tmp, 'noop', pcoccClients, vars, undefined, spec.clients));
      samples.clientsNoopAllForks.push(await runBosun(inventory, n, tmp, 'noop', pcoccClients, [...vars, '--forks', String(n)], undefined, spec.clients));
      const [a, b, c] = [samples.siteNoop.at(-1), samples.clientsNoop.at(-1), samples.clientsNoopAllForks.at(-1)];
      log(
        `pcocc run ${r}/${opts.pcoccRuns}: site.yml no-op ${a.wallS.toFixed(2)} s (${a.requests} req, ${a.processes} ssh), ` +
          `pcocc-clients.yml no-op ${b.wallS.toFixed(2)} s (${b.requests} req), with --forks ${n}: ${c.wallS.toFixed(2)} s`,
      );
    }
    const clientsNoop = summarize(samples.clientsNoop, spec.clients);
    return {
      members: spec.members,
      clients: spec.clients,
      labUpS: round(labUpS, 1),
      deploy: summarize(samples.deploy, n),
      siteNoop: summarize(samples.siteNoop, n),
      clientsNoop,
      clientsNoopAllForks: summarize(samples.clientsNoopAllForks, spec.clients),
      tasksPerNode: PCOCC_TASKS_PER_NODE,
      // The verification (one node) is one request more for the whole run: not a per-node cost.
      requestsPerTaskPerNode: round(median(samples.clientsNoop.map((x) => (x.requests - 1) / spec.clients / PCOCC_TASKS_PER_NODE)), 2),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Report

/** Mitogen's version and, when it is a git checkout, its commit. */
function mitogenVersion() {
  const init = fs.readFileSync(path.join(MITOGEN, 'mitogen/__init__.py'), 'utf8');
  const m = /__version__\s*=\s*\(([^)]*)\)/.exec(init);
  const v = m ? m[1].replace(/[\s']/g, '').split(',').join('.') : '?';
  const git = spawnSync('git', ['-C', MITOGEN, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  return { path: MITOGEN, version: v, commit: git.status === 0 ? git.stdout.trim() : null };
}

function machine() {
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? null,
    memoryGB: round(os.totalmem() / 2 ** 30, 1),
    kernel: os.release(),
    node: process.version,
    ssh: firstLine('ssh', ['-V']),
    etcd: firstLine('etcd', ['--version']),
    ansible: firstLine('ansible-playbook', ['--version']),
    python: firstLine('python3', ['--version']),
    bosunCommit: git.status === 0 ? git.stdout.trim() : null,
    loadavg: os.loadavg().map((x) => round(x, 2)),
  };
}

const fmtS = (x) => (x == null ? '–' : `${x.toFixed(2)} s`);
const fmtX = (x) => (x == null ? '–' : `${x.toFixed(2)}×`);
const fmtN = (x, d = 1) => (x == null ? '–' : x.toFixed(d).replace(/\.0+$/, ''));

const pass = (ok) => (ok == null ? '–' : ok ? 'met' : '**missed**');

/** The issues' targets, each with the measured figure and whether it was met (ratios of this run). */
function targets(res) {
  const t = [];
  const e = res.etcd;
  // issue 19: vs Ansible + Mitogen, cold and warm; scale
  const size = (n) => res.sizes.find((c) => c.hosts === n);
  for (const n of [3, 30]) {
    const c = size(n);
    if (c?.ratios.mitogenOverNoop != null) {
      const x = c.ratios.mitogenOverNoop;
      // the ceiling: Mitogen against floor b (one bare channel per host, the same probes, no engine at all)
      const ceiling = c.mitogenNoop?.wallS && c.floorChannelS ? c.mitogenNoop.wallS / c.floorChannelS : null;
      const shown = ceiling == null ? x : `${fmtX(x)} (Mitogen / floor b: ${fmtX(ceiling)})`;
      t.push([19, `generic no-op, ${n} hosts, cold: Mitogen / bosun ≥ ${TARGETS19.cold[n]}`, shown, x >= TARGETS19.cold[n]]);
    }
  }
  for (const n of [3, 30]) {
    const c = size(n);
    if (c?.ratios.mitogenWarmOverNoopWarm != null) {
      const x = c.ratios.mitogenWarmOverNoopWarm;
      t.push([19, `generic no-op, ${n} hosts, warm: Mitogen / bosun ≥ ${TARGETS19.warm[n]}`, x, x >= TARGETS19.warm[n]]);
    }
  }
  if (e?.mitogenRatios) t.push([19, `etcd site.yml no-op, 3 hosts, cold: Mitogen / bosun ≥ ${TARGETS19.etcdNoopCold}`, e.mitogenRatios.noop, e.mitogenRatios.noop >= TARGETS19.etcdNoopCold]);
  const c200 = size(200);
  if (c200) {
    const x = c200.ratios.noopOverFloorChannel;
    t.push([19, `generic no-op, 200 hosts: bosun / floor b ≤ ${TARGETS19.floorB200}`, x, x != null && x <= TARGETS19.floorB200]);
    const mb = Math.max(c200.converge.maxRssMB, c200.noop.maxRssMB, c200.noopWarm?.maxRssMB ?? 0);
    t.push([19, `bosun peak memory at 200 hosts ≤ ${TARGETS19.memoryMB200} MB`, `${fmtN(mb, 0)} MB`, mb <= TARGETS19.memoryMB200]);
  }
  if (res.startup) t.push([19, `\`bosun --version\` / \`node -e 0\` ≤ ${TARGETS19.versionOverNode}`, res.startup.ratio, res.startup.ratio <= TARGETS19.versionOverNode]);
  const procs = res.sizes.flatMap((c) => [c.noop.sshProcessesPerHost, c.noopWarm?.sshProcessesPerHost, c.converge.sshProcessesPerHost]).filter((p) => p != null);
  if (procs.length) t.push([19, 'ssh processes (or master sessions) per host, every size and run = 1', `${Math.max(...procs)}`, procs.every((p) => p === 1)]);
  if (!MITOGEN && !res.mitogen) t.push([19, 'Ansible + Mitogen targets', 'not run: BOSUN_BENCH_MITOGEN unset', null]);
  // issue 5: vs plain Ansible
  if (e?.ratios) {
    t.push([5, 'etcd site.yml no-op rerun, 3 hosts: Ansible / bosun ≥ 15', e.ratios.noop, e.ratios.noop >= TARGETS.noopSpeedup]);
    t.push([5, 'etcd site.yml `--check --diff`, 3 hosts: Ansible / bosun ≥ 15', e.ratios.check, e.ratios.check >= TARGETS.noopSpeedup]);
    t.push([5, 'etcd full deploy from a fresh lab, 3 hosts: Ansible / bosun ≥ 3', e.ratios.deploy, e.ratios.deploy >= TARGETS.deploySpeedup]);
  }
  for (const c of res.sizes) {
    if ((c.hosts === 3 || c.hosts === 30) && c.ratios.ansibleOverNoop != null) {
      t.push([5, `generic no-op, ${c.hosts} hosts, cold: Ansible / bosun ≥ 15`, c.ratios.ansibleOverNoop, c.ratios.ansibleOverNoop >= TARGETS.noopSpeedup]);
    }
  }
  const big = size(50);
  if (big) {
    const mb = Math.max(big.converge.maxRssMB, big.noop.maxRssMB);
    t.push([5, 'bosun peak memory at 50 hosts ≤ 150 MB', `${fmtN(mb, 0)} MB`, mb <= TARGETS.memoryMB50]);
  }
  return t;
}

/** results/DAY.json, or DAYb.json, DAYc.json… when the day has a run already (a result is never overwritten). */
function freshResultFile(dir, day) {
  for (const suffix of ['', ...'bcdefghijklmnopqrstuvwxyz']) {
    const file = path.join(dir, `${day}${suffix}.json`);
    if (!fs.existsSync(file)) return file;
  }
  return path.join(dir, `${day}-${Date.now()}.json`);
}

/** Markdown tables: targets, etcd job, one column per lab size, start-up. */
function table(res) {
  const lines = [];
  const tg = targets(res);
  if (tg.length) {
    lines.push('| issue | target | measured | |', '|---:|---|---:|---|');
    for (const [issue, label, v, ok] of tg) lines.push(`| ${issue} | ${label} | ${typeof v === 'number' ? fmtX(v) : v} | ${pass(ok)} |`);
    lines.push('');
  }
  const e = res.etcd;
  if (e) {
    const cell = (x) => (x ? fmtS(x.wallS) : '–');
    const m = e.mitogen;
    lines.push(
      `| secure etcd, 3 hosts, cold (median of ${res.etcdRuns ?? '?'}) | bosun | Ansible | Ansible + Mitogen | Ansible / bosun | Mitogen / bosun |`,
      '|---|---:|---:|---:|---:|---:|',
      `| full deploy from a fresh lab | ${cell(e.bosun.deploy)} | ${cell(e.ansible?.deploy)} | ${cell(m?.deploy)} | ${fmtX(e.ratios?.deploy)} | ${fmtX(e.mitogenRatios?.deploy)} |`,
      `| no-op rerun | **${cell(e.bosun.noop)}** | ${cell(e.ansible?.noop)} | ${cell(m?.noop)} | **${fmtX(e.ratios?.noop)}** | **${fmtX(e.mitogenRatios?.noop)}** |`,
      `| \`--check --diff\` on the converged cluster | **${cell(e.bosun.check)}** | ${cell(e.ansible?.check)} | ${cell(m?.check)} | **${fmtX(e.ratios?.check)}** | **${fmtX(e.mitogenRatios?.check)}** |`,
      `| no-op: requests / ssh processes per host (bosun); ssh execs per host (Ansible, Mitogen) | ${fmtN(e.bosun.noop.requestsPerHost)} / ${fmtN(e.bosun.noop.sshProcessesPerHost)} | ${fmtN(e.ansible?.noop?.sshExecsPerHost)} | ${fmtN(m?.noop?.sshExecsPerHost)} | | |`,
      `| no-op CPU: bosun (node + ssh) / Ansible, Mitogen (all processes) | ${fmtS(e.bosun.noop.cpuS + (e.bosun.noop.sshCpuS ?? 0))} | ${fmtS(e.ansible?.noop?.cpuS)} | ${fmtS(m?.noop?.cpuS)} | | |`,
      '',
    );
  }
  const pc = res.pcocc;
  if (pc) {
    const w = (x) => (x ? fmtS(x.wallS) : '–');
    lines.push(
      `| pcocc: ${pc.members} members (etcd_profile pcocc) + ${pc.clients} pcocc nodes, one lab (median of ${res.pcoccRuns ?? '?'}) | wall | requests | ssh processes |`,
      '|---|---:|---:|---:|',
      `| site.yml first run (cluster, then every node) | ${w(pc.deploy)} | ${fmtN(pc.deploy.requestsPerHost * (pc.members + pc.clients), 0)} | ${fmtN(pc.deploy.sshProcessesPerHost * (pc.members + pc.clients), 0)} |`,
      `| site.yml no-op | **${w(pc.siteNoop)}** | ${fmtN(pc.siteNoop.requestsPerHost * (pc.members + pc.clients), 0)} | ${fmtN(pc.siteNoop.sshProcessesPerHost * (pc.members + pc.clients), 0)} |`,
      `| pcocc-clients.yml no-op (default --forks 50) | **${w(pc.clientsNoop)}** | ${fmtN(pc.clientsNoop.requestsPerHost * pc.clients, 0)} | ${fmtN(pc.clientsNoop.sshProcessesPerHost * pc.clients, 0)} |`,
      `| pcocc-clients.yml no-op, --forks ${pc.members + pc.clients} | ${w(pc.clientsNoopAllForks)} | ${fmtN(pc.clientsNoopAllForks.requestsPerHost * pc.clients, 0)} | |`,
      `| pcocc-clients.yml no-op: requests per task per node (${pc.tasksPerNode} tasks; the verification's one request aside) | ${fmtN(pc.requestsPerTaskPerNode, 2)} | | |`,
      '',
    );
  }
  const cols = [...res.sizes].sort((a, b) => a.hosts - b.hosts);
  if (cols.length) {
    const row = (label, f) => `| ${label} | ${cols.map(f).join(' | ')} |`;
    const perTask = (x, tasks) => (x == null ? '–' : fmtN(x / tasks, 2));
    const cw = (a, b) => (a == null && b == null ? '–' : `${fmtS(a)} / ${fmtS(b)}`);
    const cwX = (a, b) => (a == null && b == null ? '–' : `${fmtX(a)} / ${fmtX(b)}`);
    const perHost = (x, n) => (x == null ? '–' : `${fmtN(x, 0)} MB (${fmtN(x / n, 2)}/host)`);
    lines.push(
      `| generic 10-task playbook, median of ${res.runs} run(s) (Ansible, Mitogen, floor a: ${res.heavyRuns ?? res.runs} from ${HEAVY_FROM} hosts) | ${cols.map((c) => `${c.hosts} host${c.hosts > 1 ? 's' : ''}`).join(' | ')} |`,
      `|---|${cols.map(() => '---:').join('|')}|`,
      row('bosun first converge (wall)', (c) => fmtS(c.converge.wallS)),
      row('bosun no-op (wall): cold / warm', (c) => `**${cw(c.noop.wallS, c.noopWarm?.wallS)}**`),
      row('bosun no-op, its own summary line (no start-up): cold / warm', (c) => cw(c.noop.reportedS, c.noopWarm?.reportedS)),
      row('Ansible no-op (wall): cold / warm', (c) => cw(c.ansibleNoop?.wallS, c.ansibleNoopWarm?.wallS)),
      row('Ansible + Mitogen no-op (wall): cold / warm', (c) => cw(c.mitogenNoop?.wallS, c.mitogenNoopWarm?.wallS)),
      row('**Ansible / bosun, no-op: cold / warm**', (c) => `**${cwX(c.ratios.ansibleOverNoop, c.ratios.ansibleWarmOverNoopWarm)}**`),
      row('**Mitogen / bosun, no-op: cold / warm**', (c) => `**${cwX(c.ratios.mitogenOverNoop, c.ratios.mitogenWarmOverNoopWarm)}**`),
      row('floor a: 10 × multiplexed `ssh host true` per host', (c) => fmtS(c.floorMuxTrueS)),
      row('floor b: 10 probes through one `ssh host sh` per host', (c) => fmtS(c.floorChannelS)),
      row('bosun no-op cold / floor b', (c) => fmtX(c.ratios.noopOverFloorChannel)),
      row('bosun requests per task per host: converge / no-op', (c) => `${perTask(c.converge.requestsPerHost, 11)} / ${perTask(c.noop.requestsPerHost, 11)}`),
      row('bosun ssh processes per host: converge / no-op cold / warm', (c) => `${fmtN(c.converge.sshProcessesPerHost)} / ${fmtN(c.noop.sshProcessesPerHost)} / ${fmtN(c.noopWarm?.sshProcessesPerHost)}`),
      row('Ansible ssh execs per task per host, no-op', (c) => perTask(c.ansibleNoop?.sshExecsPerHost, 11)),
      row('no-op CPU, cold: bosun (node) / its ssh (clients + masters)', (c) => `${fmtS(c.noop.cpuS)} / ${fmtS(c.noop.sshCpuS)}`),
      row('no-op CPU, warm: bosun (node) / its ssh (clients + masters)', (c) => (c.noopWarm ? `${fmtS(c.noopWarm.cpuS)} / ${fmtS(c.noopWarm.sshCpuS)}` : '–')),
      row('no-op CPU, cold / warm: Ansible (all its processes + masters)', (c) => cw(c.ansibleNoop?.cpuS, c.ansibleNoopWarm?.cpuS)),
      row('no-op CPU, cold / warm: Mitogen (all its processes + masters)', (c) => cw(c.mitogenNoop?.cpuS, c.mitogenNoopWarm?.cpuS)),
      row('peak RSS of bosun, converge', (c) => perHost(c.converge.maxRssMB, c.hosts)),
      row('peak RSS of bosun, no-op cold', (c) => perHost(c.noop.maxRssMB, c.hosts)),
      row('largest Ansible / Mitogen process RSS, no-op', (c) => (c.ansibleNoop || c.mitogenNoop ? `${fmtN(c.ansibleNoop?.maxRssMB, 0)} / ${fmtN(c.mitogenNoop?.maxRssMB, 0)} MB` : '–')),
      '',
    );
  }
  const s = res.startup;
  if (s) {
    lines.push(
      `| start-up (median of ${STARTUP_RUNS}) | wall |`,
      '|---|---:|',
      `| \`node -e 0\` | ${fmtS(s.nodeE0S)} |`,
      `| \`bosun --version\` | ${fmtS(s.bosunVersionS)} |`,
      `| **\`--version\` / \`node -e 0\`** | **${fmtX(s.ratio)}** |`,
    );
  }
  return lines.join('\n');
}

function figuresSection(res, resultFile) {
  const m = res.machine;
  return [
    `Run of ${m.date.slice(0, 16).replace('T', ' ')} UTC (\`${path.relative(root, resultFile)}\`), bosun ${m.bosunCommit ?? '?'}: ` +
      `${m.nproc} cores (${m.cpu ?? '?'}), ${m.memoryGB} GB, Linux ${m.kernel}, Node ${m.node}, ${m.ssh ?? 'ssh ?'}, ${m.etcd ?? 'etcd ?'}, ` +
      `${m.ansible ?? 'Ansible: not run'}, ${res.mitogen ? `Mitogen ${res.mitogen.version}${res.mitogen.commit ? ` (${res.mitogen.commit})` : ''}` : 'Mitogen: not run'}, ${m.python ?? ''}; ` +
      `load average at start ${m.loadavg.join(' ')}, at end ${m.loadavgEnd?.join(' ') ?? '?'} (other work on the machine); ` +
      `the lab hosts share the same cores as bosun and the floors. Full bench: ${res.benchS ?? '?'} s.`,
    '',
    table(res),
  ].join('\n');
}

const START = '<!-- bench:figures:start -->';
const END = '<!-- bench:figures:end -->';

function updateReadme(section) {
  const file = path.join(here, 'README.md');
  const text = fs.readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) {
    log(`${file} has no ${START} … ${END} markers: figures not written there`);
    return;
  }
  fs.writeFileSync(file, `${text.slice(0, a + START.length)}\n${section}\n${text.slice(b)}`);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.render) {
    const file = path.resolve(opts.render);
    const res = JSON.parse(fs.readFileSync(file, 'utf8'));
    process.stdout.write(`${table(res)}\n`);
    updateReadme(figuresSection(res, file));
    return;
  }
  if (!fs.existsSync(bosunBin)) throw new Error(`${bosunBin} is missing: build first (npx tsc -p .)`);
  const lab = await import(pathToFileURL(path.join(root, 'dist/lib/lab/lab.js')).href);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bosun-bench-run-'));
  const active = new Set();
  // Labs must come down even when the bench is interrupted.
  let stopping = false;
  const onSignal = async (sig) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: bringing labs down`);
    for (const name of active) await lab.labDown(name).catch(() => {});
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if (opts.ansible) ensureAnsible();
  if (opts.ansible && !MITOGEN) log('BOSUN_BENCH_MITOGEN is not set: Ansible + Mitogen is skipped (point it at a mitogen-hq/mitogen checkout)');
  if (MITOGEN && !fs.existsSync(path.join(MITOGEN, 'ansible_mitogen/plugins/strategy/mitogen_linear.py'))) {
    throw new Error(`BOSUN_BENCH_MITOGEN=${MITOGEN} has no ansible_mitogen/plugins/strategy/mitogen_linear.py`);
  }
  const res = {
    machine: machine(),
    runs: opts.runs,
    heavyRuns: opts.heavyRuns,
    etcdRuns: opts.etcdRuns,
    pcoccRuns: opts.pcoccRuns,
    playbook: path.relative(root, playbook),
    ansiblePlaybooks: opts.ansible ? [path.relative(root, ansiblePlaybook), path.relative(root, ansibleEtcd)] : [],
    mitogen: opts.ansible && MITOGEN ? mitogenVersion() : null,
    ansibleMax: opts.ansibleMax,
    mitogenMax: opts.mitogenMax,
    etcd: null,
    pcocc: null,
    sizes: [],
    startup: null,
  };
  const t0 = now();
  try {
    log(`start-up: node -e 0 and bosun --version, ${STARTUP_RUNS} runs each`);
    const s = await startup();
    res.startup = { ...s, ratio: ratio(s.bosunVersionS, s.nodeE0S) };
    // Saved after every section: a long bench cut short still leaves its figures so far.
    const partial = process.env.BOSUN_BENCH_OUT
      ? path.resolve(process.env.BOSUN_BENCH_OUT).replace(/\.json$/, '.partial.json')
      : path.join(here, 'results', `${res.machine.date.slice(0, 10)}.partial.json`);
    const save = () => opts.write && fs.writeFileSync(partial, JSON.stringify(res, null, 2) + '\n');
    if (opts.etcd) res.etcd = await benchEtcd(lab, opts, tmp, active);
    save();
    if (opts.pcocc) res.pcocc = await benchPcocc(lab, opts, tmp, active);
    save();
    for (const n of opts.sizes) {
      res.sizes.push(await benchSize(lab, n, opts, tmp, active));
      save();
    }
    fs.rmSync(partial, { force: true });
  } finally {
    for (const name of active) await lab.labDown(name).catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  res.benchS = round((now() - t0) / 1000, 1);
  res.machine.loadavgEnd = os.loadavg().map((x) => round(x, 2));

  process.stdout.write(`\n${table(res)}\n\nbench took ${res.benchS} s\n`);
  if (opts.write) {
    // BOSUN_BENCH_OUT: another name (two partial benches of one day, combined later)
    const file = process.env.BOSUN_BENCH_OUT ? path.resolve(process.env.BOSUN_BENCH_OUT) : freshResultFile(path.join(here, 'results'), res.machine.date.slice(0, 10));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(res, null, 2) + '\n');
    updateReadme(figuresSection(res, file));
    log(`wrote ${path.relative(root, file)} and the figures of bench/README.md`);
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
