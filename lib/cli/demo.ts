// `bosun demo`: the README's first command. Brings up a lab of N hosts, deploys the secure etcd
// cluster with playbooks/site.yml, verifies it from the control node with the admin cert, and
// prints how to talk to the cluster.
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { OptionsError, EnvironmentError } from '../errors.js';
import type { IO } from './io.js';
import { packageRoot } from './package-root.js';

const pexec = promisify(execFile);

export async function demoCommand(argv: string[], io: IO): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        hosts: { type: 'string', default: '3' },
        name: { type: 'string', default: 'demo' },
        domain: { type: 'string', default: 'lab.local' },
        subnet: { type: 'string', default: '10.66.0.0/24' },
        keep: { type: 'boolean', default: true },
      },
    }).values;
  } catch (e) {
    throw new OptionsError(`${(e as Error).message} (usage: bosun demo [--hosts N] [--name LAB] [--domain D] [--subnet S])`);
  }
  const n = Number(v.hosts);
  if (!Number.isInteger(n) || n < 1) throw new OptionsError(`--hosts must be a positive integer; got ${v.hosts}`);
  const root = packageRoot();
  const site = join(root, 'playbooks', 'site.yml');
  if (!existsSync(site)) throw new EnvironmentError(`playbooks/site.yml not found in ${root}`);

  const { labUp, labInventory, loadLabState, labDown } = await import('../lab/lab.js');
  io.out(`bosun demo: bringing up lab '${v.name}' with ${n} host(s) on ${v.subnet}\n`);
  if (loadLabState(v.name)) await labDown(v.name);
  const state = await labUp({ name: v.name, hosts: n, domain: v.domain, subnet: v.subnet });
  const invFile = join(state.stateDir, 'inventory.yml');
  writeFileSync(invFile, labInventory(state));
  const caDir = join(state.stateDir, 'etcd-ca');
  const pwFile = join(state.stateDir, 'etcd-root-password');
  if (!existsSync(pwFile)) {
    mkdirSync(state.stateDir, { recursive: true });
    writeFileSync(pwFile, randomBytes(18).toString('base64url') + '\n', { mode: 0o600 });
  }
  chmodSync(pwFile, 0o600);
  const password = readFileSync(pwFile, 'utf8').trim();
  const varsFile = join(state.stateDir, 'demo-vars.yml');
  writeFileSync(varsFile, `etcd_root_password: "${password}"\netcd_ca_dir: "${caDir}"\n`, { mode: 0o600 });

  io.out(`bosun demo: inventory ${invFile}\n`);
  const { runCommand } = await import('./run.js');
  const code = await runCommand([site, '-i', invFile, '-e', `@${varsFile}`], io);
  if (code !== 0) {
    io.err(`bosun demo: site.yml failed with exit code ${code}; the lab is left up for inspection (bosun lab down --name ${v.name})\n`);
    return code;
  }
  // Independent verification from the control node, with the admin client certificate.
  const endpoints = state.hosts.map((h) => `https://${h.ip}:2379`).join(',');
  const tls = ['--cacert', join(caDir, 'ca.pem'), '--cert', join(caDir, 'admin.pem'), '--key', join(caDir, 'admin-key.pem')];
  const env = { ...process.env, ETCDCTL_API: '3' };
  const health = await pexec('etcdctl', ['--endpoints', endpoints, ...tls, 'endpoint', 'health'], { env }).catch((e: { stderr?: string; stdout?: string }) => e);
  io.out(`\n${String((health as { stdout?: string }).stdout ?? '')}${String((health as { stderr?: string }).stderr ?? '')}`);
  const anon = await pexec('etcdctl', ['--endpoints', endpoints, ...tls, 'get', '/'], { env }).then(
    () => 'ALLOWED',
    (e: { stderr?: string }) => String(e.stderr ?? '').trim(),
  );
  io.out(`unauthenticated read: ${anon === 'ALLOWED' ? 'ALLOWED (auth is NOT on!)' : `refused (${anon.split('\n').filter(Boolean).pop() ?? ''})`}\n`);
  const authed = await pexec('etcdctl', ['--endpoints', endpoints, ...tls, 'put', '/bosun/demo', 'hello'], { env: { ...env, ETCDCTL_USER: `root:${password}` } }).then(
    () => 'ok',
    (e: { stderr?: string }) => `FAILED: ${String(e.stderr ?? '').trim()}`,
  );
  io.out(`authenticated write as root: ${authed}\n`);
  io.out(`
Talk to the cluster from this machine:
  export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${endpoints}
  export ETCDCTL_CACERT=${join(caDir, 'ca.pem')} ETCDCTL_CERT=${join(caDir, 'admin.pem')} ETCDCTL_KEY=${join(caDir, 'admin-key.pem')}
  ETCDCTL_USER="root:$(cat ${pwFile})" etcdctl member list -w table
Log in to a member:   npx bosun lab ssh --name ${v.name} node1
Tear the lab down:    npx bosun lab down --name ${v.name}
`);
  return anon !== 'ALLOWED' && authed === 'ok' && !(health instanceof Error) ? 0 : 2;
}
