#!/usr/bin/env node
// `npm run bench`: the SSH benchmark of issue 3. On labs of 3 and 30 hosts it times bosun on a generic
// 10-task playbook (first converge, then the no-op rerun) against two floors measured in the same run
// (10 multiplexed `ssh host true` per host; 10 probes through one `ssh host sh` per host) and node's
// own start-up, prints medians and ratios, writes bench/results/<date>.json and the figures section of
// bench/README.md. Plain ESM on the built dist/ (`.ci/setup` builds it). Not a test: nothing asserts.
//
//   node bench/run.js [--sizes 3,30] [--runs 3] [--no-write]
//   node bench/run.js --render bench/results/<date>.json   (rewrite README figures from a result, no run)
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const bosunBin = path.join(root, 'dist/bin/bosun.js');
const playbook = path.join(here, 'fixtures/generic/site.yml');
const hook = pathToFileURL(path.join(here, 'rusage-hook.js')).href;
/** Where the playbook writes on each host; removed before every measured converge. */
const REMOTE_BASE = '/var/lib/bosun-bench';
const LABS = {
  3: { name: 'bench3', subnet: '10.66.40.0/24' },
  30: { name: 'bench30', subnet: '10.66.41.0/24' },
};
const STARTUP_RUNS = 10;
const RUN_TIMEOUT_MS = 300_000;

// ---------------------------------------------------------------------------------------------
// Options

function usage(msg) {
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write('usage: node bench/run.js [--sizes 3,30] [--runs 3] [--no-write] | --render RESULT.json\n');
  process.exit(msg ? 5 : 0);
}

function parseOptions(argv) {
  const o = { sizes: [3, 30], runs: 3, write: true, render: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('--sizes')) o.sizes = val().split(',').map(Number);
    else if (a.startsWith('--runs')) o.runs = Number(val());
    else if (a === '--no-write') o.write = false;
    else if (a.startsWith('--render')) o.render = val();
    else usage(`unknown option ${a}`);
  }
  for (const n of o.sizes) {
    if (!LABS[n]) usage(`size ${n}: the bench has labs for ${Object.keys(LABS).join(', ')} hosts only`);
  }
  if (!Number.isInteger(o.runs) || o.runs < 1 || o.runs > 9) usage('--runs must be 1..9');
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

async function runBosun(inventory, hosts, tmp, kind) {
  const rusageFile = path.join(tmp, `rusage-${process.pid}.json`);
  fs.rmSync(rusageFile, { force: true });
  const env = { ...process.env, NO_COLOR: '1', BOSUN_BENCH_RUSAGE: rusageFile, BOSUN_BENCH_CLK_TCK: clkTck() };
  const r = await runProc(process.execPath, ['--import', hook, bosunBin, 'run', playbook, '-i', inventory], { env });
  const out = stripAnsi(r.stdout + r.stderr);
  if (r.code !== 0) throw new Error(`bosun ${kind} run exited ${r.code ?? r.signal}:\n${out.split('\n').slice(-30).join('\n')}`);
  const m = SUMMARY.exec(out);
  if (!m) throw new Error(`bosun ${kind} run: no summary line in its output:\n${out.slice(-2000)}`);
  const changed = [...out.matchAll(/ changed=(\d+)/g)].map((x) => Number(x[1]));
  const totalChanged = changed.reduce((a, b) => a + b, 0);
  if (kind === 'noop' && totalChanged !== 0) throw new Error(`bosun no-op rerun changed ${totalChanged} thing(s):\n${out.slice(-3000)}`);
  if (kind === 'converge' && changed.filter((c) => c > 0).length !== hosts) {
    throw new Error(`bosun converge did not change every host (was the previous state removed?):\n${out.slice(-3000)}`);
  }
  const ru = JSON.parse(fs.readFileSync(rusageFile, 'utf8'));
  fs.rmSync(rusageFile, { force: true });
  return {
    wallS: r.wallS,
    reportedS: Number(m[4]),
    hosts: Number(m[1]),
    requests: Number(m[2]),
    processes: Number(m[3]),
    cpuS: ru.userS + ru.sysS,
    sshCpuS: ru.childUserS == null ? null : ru.childUserS + ru.childSysS,
    maxRssMB: ru.maxRssMB,
  };
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

async function benchSize(lab, n, runs, tmp, active) {
  const { name, subnet } = LABS[n];
  await lab.labDown(name); // leftovers of an interrupted bench
  log(`lab ${name}: bringing up ${n} hosts on ${subnet}`);
  const t0 = now();
  active.add(name);
  const state = await lab.labUp({ name, hosts: n, subnet });
  const labUpS = (now() - t0) / 1000;
  try {
    const inventory = path.join(tmp, `${name}.yml`);
    fs.writeFileSync(inventory, lab.labInventory(state, 'bench'));
    const samples = { floorA: [], floorB: [], converge: [], noop: [] };
    for (let r = 1; r <= runs; r++) {
      // Interleaved so that machine load drifting during the bench hits every measure alike.
      samples.floorA.push(await floorMux(lab, state));
      samples.floorB.push(await floorChannel(lab, state));
      await resetHosts(lab, state);
      samples.converge.push(await runBosun(inventory, n, tmp, 'converge'));
      samples.noop.push(await runBosun(inventory, n, tmp, 'noop'));
      const c = samples.converge.at(-1);
      const o = samples.noop.at(-1);
      log(
        `${n} hosts, run ${r}/${runs}: floor a ${samples.floorA.at(-1).toFixed(2)} s, floor b ${samples.floorB.at(-1).toFixed(2)} s, ` +
          `converge ${c.wallS.toFixed(2)} s (${c.requests} req), no-op ${o.wallS.toFixed(2)} s (${o.requests} req, ${o.processes} ssh)`,
      );
    }
    const summarize = (xs) => ({
      wallS: round(median(xs.map((x) => x.wallS))),
      reportedS: round(median(xs.map((x) => x.reportedS))),
      requestsPerHost: round(median(xs.map((x) => x.requests / n)), 2),
      sshProcessesPerHost: round(median(xs.map((x) => x.processes / n)), 2),
      cpuS: round(median(xs.map((x) => x.cpuS))),
      sshCpuS: round(median(xs.map((x) => x.sshCpuS))),
      maxRssMB: round(median(xs.map((x) => x.maxRssMB)), 1),
      samples: xs.map((x) => ({ ...x, wallS: round(x.wallS), cpuS: round(x.cpuS), sshCpuS: round(x.sshCpuS), maxRssMB: round(x.maxRssMB, 1) })),
    });
    const floorA = round(median(samples.floorA));
    const floorB = round(median(samples.floorB));
    const noop = summarize(samples.noop);
    return {
      hosts: n,
      labUpS: round(labUpS, 2),
      floorMuxTrueS: floorA,
      floorChannelS: floorB,
      floorSamples: { a: samples.floorA.map((x) => round(x)), b: samples.floorB.map((x) => round(x)) },
      converge: summarize(samples.converge),
      noop,
      ratios: { noopOverFloorChannel: ratio(noop.wallS, floorB), noopOverFloorMux: ratio(noop.wallS, floorA) },
    };
  } finally {
    log(`lab ${name}: down`);
    await lab.labDown(name);
    active.delete(name);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

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
    bosunCommit: git.status === 0 ? git.stdout.trim() : null,
    loadavg: os.loadavg().map((x) => round(x, 2)),
  };
}

const fmtS = (x) => (x == null ? '–' : `${x.toFixed(2)} s`);
const fmtX = (x) => (x == null ? '–' : `${x.toFixed(2)}×`);
const fmtN = (x, d = 1) => (x == null ? '–' : x.toFixed(d).replace(/\.0+$/, ''));

/** Markdown table: one column per lab size. */
function table(res) {
  const cols = res.sizes;
  const row = (label, f) => `| ${label} | ${cols.map(f).join(' | ')} |`;
  const lines = [
    `| median of ${res.runs} run(s) | ${cols.map((c) => `${c.hosts} hosts`).join(' | ')} |`,
    `|---|${cols.map(() => '---:').join('|')}|`,
    row('bosun first converge (wall)', (c) => fmtS(c.converge.wallS)),
    row('bosun no-op rerun (wall)', (c) => `**${fmtS(c.noop.wallS)}**`),
    row('bosun no-op, its own summary line (no start-up)', (c) => fmtS(c.noop.reportedS)),
    row('floor a: 10 × multiplexed `ssh host true` per host', (c) => fmtS(c.floorMuxTrueS)),
    row('floor b: 10 probes through one `ssh host sh` per host', (c) => fmtS(c.floorChannelS)),
    row('**no-op / floor b**', (c) => `**${fmtX(c.ratios.noopOverFloorChannel)}**`),
    row('no-op / floor a', (c) => fmtX(c.ratios.noopOverFloorMux)),
    row('requests per host: converge / no-op', (c) => `${fmtN(c.converge.requestsPerHost)} / ${fmtN(c.noop.requestsPerHost)}`),
    row('ssh processes per host: converge / no-op', (c) => `${fmtN(c.converge.sshProcessesPerHost)} / ${fmtN(c.noop.sshProcessesPerHost)}`),
    row('no-op CPU: bosun (node) / its ssh clients', (c) => `${fmtS(c.noop.cpuS)} / ${fmtS(c.noop.sshCpuS)}`),
    row('converge CPU: bosun (node) / its ssh clients', (c) => `${fmtS(c.converge.cpuS)} / ${fmtS(c.converge.sshCpuS)}`),
    row('peak RSS of bosun: converge / no-op', (c) => `${fmtN(c.converge.maxRssMB, 0)} / ${fmtN(c.noop.maxRssMB, 0)} MB`),
  ];
  const s = res.startup;
  lines.push(
    '',
    `| start-up (median of ${STARTUP_RUNS}) | wall |`,
    '|---|---:|',
    `| \`node -e 0\` | ${fmtS(s.nodeE0S)} |`,
    `| \`bosun --version\` | ${fmtS(s.bosunVersionS)} |`,
    `| **\`--version\` / \`node -e 0\`** | **${fmtX(s.ratio)}** |`,
  );
  return lines.join('\n');
}

function figuresSection(res, resultFile) {
  const m = res.machine;
  return [
    `Run of ${m.date.slice(0, 16).replace('T', ' ')} UTC (\`${path.relative(root, resultFile)}\`), bosun ${m.bosunCommit ?? '?'}: ` +
      `${m.nproc} cores (${m.cpu ?? '?'}), ${m.memoryGB} GB, Linux ${m.kernel}, Node ${m.node}, ${m.ssh ?? 'ssh ?'}, ${m.etcd ?? 'etcd ?'}; ` +
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

  const res = { machine: machine(), runs: opts.runs, playbook: path.relative(root, playbook), sizes: [], startup: null };
  const t0 = now();
  try {
    log(`start-up: node -e 0 and bosun --version, ${STARTUP_RUNS} runs each`);
    const s = await startup();
    res.startup = { ...s, ratio: ratio(s.bosunVersionS, s.nodeE0S) };
    for (const n of opts.sizes) res.sizes.push(await benchSize(lab, n, opts.runs, tmp, active));
  } finally {
    for (const name of active) await lab.labDown(name).catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  res.benchS = round((now() - t0) / 1000, 1);
  res.machine.loadavgEnd = os.loadavg().map((x) => round(x, 2));

  process.stdout.write(`\n${table(res)}\n\nbench took ${res.benchS} s\n`);
  if (opts.write) {
    const file = path.join(here, 'results', `${res.machine.date.slice(0, 10)}.json`);
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
