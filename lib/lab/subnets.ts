// Which 10.66.X.0/24 a new lab takes, and the blackhole route that keeps lab traffic on the machine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LabError } from '../errors.js';
import { LAB_COVER, defaultStateDir } from './plan.js';
import { run } from './processes.js';

export async function ensureBlackhole(): Promise<void> {
  const r = await run('ip', ['route', 'show', 'type', 'blackhole', LAB_COVER]);
  if (r.code === 0 && r.stdout.includes(LAB_COVER.split('/')[0]!)) return;
  const add = await run('ip', ['route', 'add', 'blackhole', LAB_COVER]);
  // Another lab starting at the same time may have added it first.
  if (add.code !== 0 && !/File exists/.test(add.stderr)) {
    throw new LabError(`cannot add blackhole route for ${LAB_COVER}: ${add.stderr.trim()}`);
  }
}

/** /24s `lab up` tries when no --subnet is given: the default first; test labs use 20-239. */
const AUTO_SUBNETS = [...Array.from({ length: 20 }, (_, i) => i), ...Array.from({ length: 16 }, (_, i) => 240 + i)];

/** Third octets of 10.66.X.0/24 already on this machine (bridge addresses) or claimed by a lab's state. */
async function usedSubnets(stateDir: string): Promise<Set<number>> {
  const used = new Set<number>();
  const addrs = await run('ip', ['-o', '-4', 'addr', 'show']);
  for (const m of addrs.stdout.matchAll(/ inet 10\.66\.(\d+)\.\d+\//g)) used.add(Number(m[1]));
  let names: string[] = [];
  try {
    names = fs.readdirSync(stateDir);
  } catch {
    /* no labs yet */
  }
  for (const n of names) {
    try {
      const st = JSON.parse(fs.readFileSync(path.join(stateDir, n, 'state.json'), 'utf8')) as { subnet?: string };
      const m = /^10\.66\.(\d+)\./.exec(st.subnet ?? '');
      if (m) used.add(Number(m[1]));
    } catch {
      /* not a lab */
    }
  }
  return used;
}

/** The first free /24 of AUTO_SUBNETS. */
export async function pickSubnet(stateDir: string = defaultStateDir()): Promise<string> {
  const used = await usedSubnets(path.resolve(stateDir));
  const free = AUTO_SUBNETS.find((i) => !used.has(i));
  if (free === undefined) throw new LabError('no free lab subnet in 10.66.0-19.0/24 or 10.66.240-255.0/24', { hint: 'give one with --subnet' });
  return `10.66.${free}.0/24`;
}
