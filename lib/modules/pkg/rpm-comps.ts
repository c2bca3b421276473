// dnf groups and module streams (`@Development Tools`, `@^server-product-environment`,
// `@nodejs:18/common`) as Ansible's dnf module takes them: what `dnf group list --ids --hidden` and
// `dnf module list` print (LC_ALL=C), the comps sections of a transaction table, and the decision
// (which `dnf group …`/`dnf module …` commands a task needs). Pure, tested on dnf 4's output.
import { ArgumentError } from '../../errors.js';
import type { PkgChange } from './apt-parse.js';

/** `@name[:stream][/profile]` as written; `name` is a group (name or id) or a module. */
export interface CompsSpec {
  raw: string;
  /** Without the '@' (and without the '^' that marks an environment group). */
  name: string;
  stream?: string;
  profile?: string;
  /** `@^id`: an environment group. */
  environment: boolean;
}

// dnf's module spec NAME:STREAM[:VERSION[:CONTEXT]][::ARCH][/PROFILE] is reduced to name, stream, profile
const MODULE = /^([A-Za-z0-9_.+-]+)(?::([A-Za-z0-9_.+-]+))?(?:\/([A-Za-z0-9_.+-]+))?$/;
const GROUP = /^[A-Za-z0-9_.+()-][A-Za-z0-9_.+() -]*$/;

export function parseCompsSpec(raw: string, tool: string): CompsSpec {
  const s = raw.trim().slice(1).trim();
  const env = s.startsWith('^');
  const body = env ? s.slice(1) : s;
  const m = MODULE.exec(body);
  if (!env && m && !body.startsWith('-')) return { raw, name: m[1]!, stream: m[2], profile: m[3], environment: false };
  if (!GROUP.test(body) || body.startsWith('-')) throw new ArgumentError(`${tool}: invalid group or module spec ${JSON.stringify(raw)}: letters, digits, spaces and _ . + - ( ) for a group; name[:stream][/profile] for a module`);
  return { raw, name: body, environment: env };
}

export interface CompsGroup {
  id: string;
  name: string;
  environment: boolean;
  installed: boolean;
}

/** `dnf group list --ids --hidden`: "Installed Groups:" and the like, then `   Name (id)` lines. */
export function parseGroupList(text: string): CompsGroup[] {
  const out: CompsGroup[] = [];
  let section: { environment: boolean; installed: boolean } | undefined;
  for (const line of text.split('\n')) {
    const head = /^(Installed|Available) (Environment )?Groups:$/.exec(line.trim());
    if (head && !line.startsWith('   ')) {
      section = { installed: head[1] === 'Installed', environment: head[2] !== undefined };
      continue;
    }
    if (/^\S/.test(line)) section = undefined; // "Done", "Last metadata expiration check…"
    const m = /^\s+(.*?)\s+\(([^()\s]+)\)\s*$/.exec(line);
    if (section && m) out.push({ name: m[1]!, id: m[2]!, ...section });
  }
  return out;
}

export interface ModuleStream {
  name: string;
  stream: string;
  isDefault: boolean;
  enabled: boolean;
  disabled: boolean;
  profiles: Array<{ name: string; isDefault: boolean; installed: boolean }>;
}

/**
 * `dnf module list`: per repository a `Name Stream Profiles Summary` table; the stream carries
 * [d]efault, [e]nabled, [x]disabled, a profile [d] and [i]nstalled. A stream listed by several
 * repositories is one stream.
 */
export function parseModuleList(text: string): ModuleStream[] {
  const out = new Map<string, ModuleStream>();
  let inTable = false; // rows follow a `Name Stream Profiles Summary` header, up to a blank line (repository titles are not rows)
  for (const line of text.split('\n')) {
    if (/^Name\s+Stream\s+Profiles\s+Summary\s*$/.test(line)) inTable = true;
    if (line.trim() === '') inTable = false;
    const m = /^(\S+)\s+(\S+?)((?: ?\[[dex]\])*)\s+(.*)$/.exec(line.trimEnd());
    if (!inTable || !m || m[1] === 'Name' || /^\[/.test(m[2]!)) continue;
    // profiles: "common [d] [i], development, minimal" then the summary
    const pm = /^((?:[^\s,[]+(?: \[[di]\])*)(?:, [^\s,[]+(?: \[[di]\])*)*)(?:\s+.*)?$/.exec(m[4]!);
    const profiles = (pm?.[1] ?? '').split(', ').filter(Boolean).map((p) => ({ name: p.split(' ')[0]!, isDefault: p.includes('[d]'), installed: p.includes('[i]') }));
    const key = `${m[1]}:${m[2]}`;
    if (!out.has(key)) out.set(key, { name: m[1]!, stream: m[2]!, isDefault: m[3]!.includes('[d]'), enabled: m[3]!.includes('[e]'), disabled: m[3]!.includes('[x]'), profiles });
  }
  return [...out.values()];
}

export type CompsOp = 'group install' | 'group remove' | 'group upgrade' | 'module install' | 'module remove' | 'module reset' | 'module update';

/** A dnf subcommand and its operands (group ids, module specs). */
export interface CompsCommand {
  op: CompsOp;
  words: string[];
}

const findGroup = (groups: readonly CompsGroup[], s: CompsSpec): CompsGroup | undefined => {
  const want = s.name.toLowerCase();
  return groups.find((g) => (s.environment ? g.environment : true) && (g.id.toLowerCase() === want || g.name.toLowerCase() === want));
};

/** A module spec for dnf's command line. */
const moduleWord = (s: CompsSpec): string => `${s.name}${s.stream ? `:${s.stream}` : ''}${s.profile ? `/${s.profile}` : ''}`;

/**
 * What the specs need, as Ansible decides it (modules first, then groups, then environments):
 * present installs a group that is not installed, and a module whose stream is not enabled or
 * whose profile (the stream's default one when none is named) is not installed; absent removes an
 * installed group, and removes and resets a module with an enabled or disabled stream or an
 * installed profile; latest also upgrades installed groups and modules (the transaction decides).
 */
export function decideComps(state: 'present' | 'latest' | 'absent', specs: readonly CompsSpec[], groups: readonly CompsGroup[], modules: readonly ModuleStream[]): { commands: CompsCommand[]; unknown: string[] } {
  const cmds = new Map<CompsOp, string[]>();
  const add = (op: CompsOp, w: string): void => void cmds.set(op, [...(cmds.get(op) ?? []), w]);
  const unknown: string[] = [];
  for (const s of specs) {
    const streams = s.environment ? [] : modules.filter((m) => m.name === s.name);
    if (streams.length > 0) {
      const enabled = streams.find((m) => m.enabled && (s.stream === undefined || m.stream === s.stream));
      if (state === 'absent') {
        if (streams.some((m) => m.enabled || m.disabled || m.profiles.some((p) => p.installed))) {
          add('module remove', moduleWord(s));
          add('module reset', s.name);
        }
        continue;
      }
      const target = enabled ?? streams.find((m) => m.stream === s.stream) ?? streams.find((m) => m.isDefault);
      const profile = s.profile ?? target?.profiles.find((p) => p.isDefault)?.name;
      const installed = enabled !== undefined && (profile === undefined || enabled.profiles.some((p) => p.name === profile && p.installed));
      if (!installed) add('module install', moduleWord(s));
      else if (state === 'latest') add('module update', moduleWord(s));
      continue;
    }
    if (s.stream !== undefined || s.profile !== undefined) {
      unknown.push(s.raw.trim());
      continue;
    }
    const g = findGroup(groups, s);
    if (!g) {
      unknown.push(s.raw.trim());
      continue;
    }
    const id = g.environment ? `^${g.id}` : g.id;
    if (state === 'absent') {
      if (g.installed) add('group remove', id);
    } else if (!g.installed) add('group install', id);
    else if (state === 'latest') add('group upgrade', id);
  }
  return { commands: [...cmds.entries()].map(([op, words]) => ({ op, words })), unknown };
}

const COMPS_SECTIONS: Array<[RegExp, PkgChange['action']]> = [
  [/^(Installing|Enabling) (Groups|Environment Groups|module profiles|module streams):$/, 'install'],
  [/^(Upgrading|Switching) (Groups|Environment Groups|module profiles|module streams):$/, 'upgrade'],
  [/^(Removing|Disabling|Resetting) (Groups|Environment Groups|module profiles|module streams|modules):$/, 'remove'],
];

/**
 * The comps part of a transaction table: `@Group Name`, `@module/profile` (installed),
 * `@module:stream` (enabled or switched), `@module` (reset or disabled). Package rows are
 * parseDnfTransaction's.
 */
export function parseCompsTransaction(text: string): PkgChange[] {
  const out: PkgChange[] = [];
  let action: PkgChange['action'] | undefined;
  let kind = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || !line.startsWith(' ')) {
      const head = COMPS_SECTIONS.find(([re]) => re.test(line));
      action = head?.[1];
      kind = !head ? '' : / streams:$/.test(line) ? 'stream' : / modules:$/.test(line) ? 'module' : 'other';
      continue;
    }
    if (!action) continue;
    const f = line.trim().split(/\s+/);
    const name = kind === 'stream' && f.length >= 2 ? `@${f[0]}:${f.at(-1)}` : `@${line.trim()}`;
    // a state word in place of a version, so --diff lists them with the packages
    const word = kind === 'other' ? 'installed' : 'enabled';
    out.push(action === 'remove' ? { name, action, before: word } : { name, action, after: word });
  }
  return out;
}
