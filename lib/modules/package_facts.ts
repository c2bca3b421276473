// package_facts: every installed package as ansible_facts.packages, in Ansible's shape (name → list
// of {name, version, arch, source, …}; a list because rpm can hold several versions of one name).
// One read-only request: dpkg-query or rpm -qa, never a package manager's whole cache.
import { defineModule, ModuleFailure, type Facts, type ReadRequest } from './types.js';

export interface PackageFactsArgs {
  manager: string[];
  strategy: 'first' | 'all';
}

type Manager = 'apt' | 'rpm';

export interface PackageInfo {
  name: string;
  version: string;
  arch: string;
  source: Manager;
  /** apt: the package's section (Ansible's `category`). */
  category?: string;
  /** rpm only. */
  release?: string;
  epoch?: number | null;
}

const SCRIPTS: Record<Manager, string> = {
  apt:
    'command -v dpkg-query >/dev/null 2>&1 && { echo "@@apt $(dpkg --print-architecture)"; ' +
    "dpkg-query -W -f='${Package}\\t${Version}\\t${Architecture}\\t${Section}\\t${db:Status-Abbrev}\\n'; }",
  rpm: "command -v rpm >/dev/null 2>&1 && { echo @@rpm; rpm -qa --qf '%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{EPOCH}\\t%{ARCH}\\n'; }",
};

export function factsScript(managers: readonly Manager[]): string {
  return ['export LC_ALL=C', ...managers.map((m) => `${SCRIPTS[m]}\n:`), 'echo @@end'].join('\n') + '\n';
}

/** The sections of the answer, per manager, in the order they came. */
export function parseFacts(out: string): Array<{ manager: Manager; packages: PackageInfo[] }> {
  const res: Array<{ manager: Manager; packages: PackageInfo[] }> = [];
  let cur: { manager: Manager; packages: PackageInfo[] } | undefined;
  let native = '';
  for (const line of out.split('\n')) {
    const head = /^@@(apt|rpm|end)(?: (\S+))?$/.exec(line);
    if (head) {
      if (head[1] === 'end') break;
      cur = { manager: head[1] as Manager, packages: [] };
      native = head[2] ?? '';
      res.push(cur);
      continue;
    }
    const f = line.split('\t');
    if (!cur || f.length !== 5 || f[0] === '') continue;
    if (cur.manager === 'apt') {
      const [name, version, arch, section, status] = f as [string, string, string, string, string];
      // what python-apt calls installed: a current version (not "not-installed", not "config-files")
      if ('nc'.includes(status.trim()[1] ?? 'n')) continue;
      const key = arch === native || arch === 'all' ? name : `${name}:${arch}`;
      cur.packages.push({ name: key, version, arch, category: section, source: 'apt' });
    } else {
      const [name, version, release, epoch, arch] = f as [string, string, string, string, string];
      cur.packages.push({ name, version, release, epoch: /^\d+$/.test(epoch) ? Number(epoch) : null, arch, source: 'rpm' });
    }
  }
  return res;
}

function managersOf(a: PackageFactsArgs): Manager[] {
  return [...new Set(a.manager.flatMap((m): Manager[] => (m === 'auto' ? ['apt', 'rpm'] : [m as Manager])))];
}

/** plan()'s one read-only request. */
function listRequest(a: PackageFactsArgs): ReadRequest {
  return { script: factsScript(managersOf(a)), opts: { label: 'package_facts', readOnly: true } };
}

/**
 * reads(): the listing is fetched ahead only on a Debian-family host (dpkg-query -W: 30-80 ms for
 * 774 packages on the dev machine, and no rpm database to list). rpm -qa reads every header of the
 * rpm database (not measured here: no rpm host; Berkeley DB/sqlite, far slower than dpkg's status
 * file): left to its own request rather than holding another task's.
 */
function quickListing(a: PackageFactsArgs, facts: Facts): boolean {
  return facts.os_family === 'Debian' || (a.manager.length > 0 && a.manager.every((m) => m === 'apt'));
}

export default defineModule<PackageFactsArgs>({
  name: 'package_facts',
  doc: {
    short: 'Installed packages as facts (ansible_facts.packages)',
    description:
      'Sets `ansible_facts.packages`: each installed package name → a list of `{name, version, arch, source}` ' +
      '(apt adds `category`, the section; rpm adds `release` and `epoch`), from one `dpkg-query -W` or `rpm -qa`. ' +
      '`manager: auto` tries apt, then rpm (a Debian host with the rpm tool installed still answers with apt); ' +
      '`strategy: first` stops at the first manager that answers, `all` merges them. apt entries carry no `origin` ' +
      '(it would need apt\'s whole cache). Never changes anything.',
    check: 'full',
    diff: false,
    examples: ['- package_facts: { manager: auto }', '- debug: { msg: "hello {{ ansible_facts.packages.hello[0].version }}" }\n  when: "\'hello\' in ansible_facts.packages"'].join('\n'),
  },
  args: {
    manager: { type: 'list', elements: 'str', default: ['auto'], choices: ['auto', 'apt', 'rpm'], description: 'Package managers to ask: `auto` (apt, then rpm), `apt`, `rpm`.' },
    strategy: { type: 'str', default: 'first', choices: ['first', 'all'], description: '`first`: the first manager found; `all`: every one found.' },
  },
  reads: (a, ctx) => (quickListing(a, ctx.facts) ? [listRequest(a)] : []),
  // the variable Ansible injects besides ansible_facts.packages
  factNames: () => ['packages'],
  async plan(ctx, a) {
    const managers = managersOf(a);
    const q = listRequest(a);
    const r = await ctx.conn.exec(q.script, q.opts);
    const found = parseFacts(r.stdout);
    if (!r.stdout.includes('@@end') || found.length === 0) {
      throw new ModuleFailure(`Could not detect a supported package manager from the following list: ${managers.join(', ')}`);
    }
    const packages: Record<string, PackageInfo[]> = {};
    for (const { packages: list } of a.strategy === 'first' ? found.slice(0, 1) : found) {
      for (const p of list) (packages[p.name] ??= []).push(p);
    }
    return { changed: false, msg: `${Object.keys(packages).length} packages`, result: { ansible_facts: { packages } } };
  },
  async apply() {
    // plan never reports a change: the gate does not call apply
    return { changed: false };
  },
});
