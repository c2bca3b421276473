// A minimal ModuleContext for module tests: a real LocalConnection (the module under test really
// runs), with secrets, log and progress lines collected for assertions. Reusable by any module test.

import { resolve } from 'node:path';
import { LocalConnection } from '../../lib/executor/local.js';
import type { Facts, ModuleContext, TaskModule } from '../../lib/modules/types.js';
import { planAndApply, type GateResult } from '../../lib/engine/gate.js';

export interface FakeContext extends ModuleContext {
  /** Every value passed to secret(). */
  readonly secrets: string[];
  /** log(verbosity, msg) lines as "[v] msg". */
  readonly logs: string[];
  readonly progressLines: string[];
}

export interface FakeContextOptions {
  host?: string;
  check?: boolean;
  diff?: boolean;
  vars?: Record<string, unknown>;
  facts?: Partial<Facts>;
  /** Base for findFile (default: process.cwd()). */
  baseDir?: string;
}

export const defaultFacts: Facts = {
  os_family: 'Debian',
  distribution: 'Debian',
  distribution_version: '12',
  distribution_major_version: '12',
  hostname: 'localhost',
  fqdn: 'localhost',
  init: 'sysv',
  architecture: 'x86_64',
  user: process.env.USER ?? 'root',
};

export function fakeContext(opts: FakeContextOptions = {}): FakeContext {
  const conn = new LocalConnection(opts.host ?? 'localhost');
  const secrets: string[] = [];
  const logs: string[] = [];
  const progressLines: string[] = [];
  return {
    host: opts.host ?? 'localhost',
    conn,
    control: conn,
    check: opts.check ?? false,
    diff: opts.diff ?? false,
    facts: { ...defaultFacts, ...opts.facts },
    vars: opts.vars ?? {},
    findFile: (_kind, name) => resolve(opts.baseDir ?? process.cwd(), name),
    render: (text) => text,
    evaluate: (expr) => {
      throw new Error(`fake context cannot evaluate expressions (${expr})`);
    },
    secret: (v) => void secrets.push(v),
    progress: (m) => void progressLines.push(m),
    log: (v, m) => void logs.push(`[${v}] ${m}`),
    signal: new AbortController().signal,
    secrets,
    logs,
    progressLines,
  };
}

/** What the engine does for one task (lib/engine/gate.ts): validate, plan, then apply unless check mode or nothing to change. */
export async function runTask<A, S>(mod: TaskModule<A, S>, ctx: ModuleContext, args: A): Promise<GateResult<S>> {
  mod.validate?.(args);
  return planAndApply(mod, ctx, args);
}
