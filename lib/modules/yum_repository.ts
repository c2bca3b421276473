// yum_repository: one repository section of a .repo file, as Ansible 2.14 writes it. The file is
// read as Python's configparser reads it and, when the repository's options differ (compared as
// Ansible's dump: sections and options sorted), written back whole as configparser writes it: the
// repository's section last, its options sorted, booleans as 0/1, baseurl/gpgkey one per line,
// exclude/includepkgs joined with spaces. Pure file editing: it runs on any host. One probe plans
// it (fetched ahead with other tasks' probes); the write is atomic (util/edit-file.ts).

import { posix } from 'node:path';
import { ArgumentError } from '../errors.js';
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type ArgSchema, type Plan } from './types.js';
import { applyEdit, editProbe, planEdit, readText, type EditState } from './util/edit-file.js';
import { FILE_ATTR_ARGS } from './util/file-args.js';
import { IniParseError, items, parseIni, pySort, writeIni, type IniDoc } from './util/py-configparser.js';

/** The options Ansible writes into the section (its allowed_params), `description` being written as `name`. */
const BOOL_OPTS = ['async', 'enabled', 'enablegroups', 'gpgcheck', 'keepalive', 'module_hotfixes', 'protect', 'repo_gpgcheck', 's3_enabled', 'skip_if_unavailable', 'ssl_check_cert_permissions', 'sslverify'] as const;
const STR_OPTS = [
  'bandwidth',
  'cost',
  'deltarpm_metadata_percentage',
  'deltarpm_percentage',
  'failovermethod',
  'gpgcakey',
  'http_caching',
  'include',
  'ip_resolve',
  'keepcache',
  'metadata_expire',
  'metadata_expire_filter',
  'metalink',
  'mirrorlist',
  'mirrorlist_expire',
  'password',
  'priority',
  'proxy',
  'proxy_password',
  'proxy_username',
  'retries',
  'sslcacert',
  'sslclientcert',
  'sslclientkey',
  'throttle',
  'timeout',
  'ui_repoid_vars',
  'username',
] as const;
/** Lists written one item a line (continuation lines). */
const LINE_LISTS = ['baseurl', 'gpgkey'] as const;
/** Lists written on one line, space-separated. */
const WORD_LISTS = ['exclude', 'includepkgs'] as const;

export interface YumRepositoryArgs {
  name: string;
  description?: string;
  file?: string;
  reposdir: string;
  state: 'present' | 'absent';
  params?: Record<string, unknown>;
  mode?: string;
  owner?: string;
  group?: string;
  [opt: string]: unknown;
}

const CHOICES: Record<string, readonly string[]> = {
  failovermethod: ['roundrobin', 'priority'],
  http_caching: ['all', 'packages', 'none'],
  ip_resolve: ['4', '6', 'IPv4', 'IPv6', 'whatever'],
  keepcache: ['0', '1'],
  metadata_expire_filter: ['never', 'read-only:past', 'read-only:present', 'read-only:future'],
};
const SECRET = new Set(['password', 'proxy_password']);
const ALIASES: Record<string, readonly string[]> = { sslcacert: ['ca_cert'], sslclientcert: ['client_cert'], sslclientkey: ['client_key'], sslverify: ['validate_certs'] };

function optionArgs(): ArgSchema {
  const out: Record<string, ArgSchema[string]> = {};
  for (const k of BOOL_OPTS) out[k] = { type: 'bool', description: `Written as ${k} = 0 or 1.`, ...(ALIASES[k] ? { aliases: ALIASES[k] } : {}) };
  for (const k of STR_OPTS) {
    out[k] = {
      type: 'str',
      description: `Written as ${k} = VALUE.${SECRET.has(k) ? ' Masked in output (it is still written to the file, as Ansible does).' : ''}`,
      ...(CHOICES[k] ? { choices: CHOICES[k] } : {}),
      ...(ALIASES[k] ? { aliases: ALIASES[k] } : {}),
      ...(SECRET.has(k) ? { secret: true } : {}),
    };
  }
  for (const k of LINE_LISTS) out[k] = { type: 'list', elements: 'str', description: `Written as ${k} = FIRST, the others on continuation lines.` };
  for (const k of WORD_LISTS) out[k] = { type: 'list', elements: 'str', description: `Written as ${k} = A B C (space-separated).` };
  return out;
}

/** The section's options as Ansible sets them: sorted by name, no unset ones. */
export function repoOptions(a: YumRepositoryArgs): Array<[string, string]> {
  const opts: Array<[string, string]> = [];
  const add = (k: string, v: unknown): void => {
    if (v === undefined || v === null) return;
    if (typeof v === 'boolean') opts.push([k, v ? '1' : '0']);
    else if ((LINE_LISTS as readonly string[]).includes(k)) opts.push([k, (v as string[]).join('\n')]);
    else if ((WORD_LISTS as readonly string[]).includes(k)) opts.push([k, (v as string[]).join(' ')]);
    else opts.push([k, String(v)]);
  };
  for (const k of [...BOOL_OPTS, ...STR_OPTS, ...LINE_LISTS, ...WORD_LISTS]) add(k, a[k]);
  add('name', a.description);
  return opts.sort((x, y) => pySort(x[0], y[0]));
}

/** Ansible's dump(): every section sorted, its items sorted, a blank line after each. */
export function dump(doc: IniDoc): string {
  let out = '';
  for (const s of [...doc.sections.keys()].sort(pySort)) {
    out += `[${s}]\n`;
    for (const [k, v] of items(doc, s).sort((x, y) => pySort(x[0], y[0]) || pySort(x[1], y[1]))) out += `${k} = ${v}\n`;
    out += '\n';
  }
  return out;
}

interface YumState extends EditState {
  /** The last section goes: the file is removed. */
  remove?: boolean;
}

export default defineModule<YumRepositoryArgs, YumState>({
  name: 'yum_repository',
  doc: {
    short: 'Add or remove YUM repositories',
    description:
      'Writes the section [name] of REPOSDIR/FILE.repo as Ansible 2.14 does (byte for byte): the file is parsed as Python\'s configparser ' +
      'parses it and, when the repository differs, written back whole — comments dropped, the section rewritten last with its options ' +
      'sorted, booleans as 0/1, baseurl and gpgkey one URL a line, exclude and includepkgs space-separated. state=absent removes the ' +
      'section, and the file with its last section. Only the file is touched (no yum/dnf run): it works on any host. --diff shows ' +
      "Ansible's sorted dump of the file's repositories. One probe plans it; the write is atomic.",
    check: 'full',
    diff: true,
    examples: [
      '- yum_repository:',
      '    name: epel',
      '    description: EPEL YUM repo',
      '    baseurl: https://download.fedoraproject.org/pub/epel/$releasever/$basearch/',
      '    gpgkey: file:///etc/pki/rpm-gpg/RPM-GPG-KEY-EPEL-9',
      '    exclude: [kernel*, systemd*]',
      '- yum_repository: { name: epel, file: external_repos, state: absent }',
    ].join('\n'),
  },
  args: {
    name: { type: 'str', required: true, description: 'Repository id: the [section] name.' },
    description: { type: 'str', description: 'Human-readable name (the name = line); required with state=present.' },
    file: { type: 'str', description: 'File name without .repo (default: name).' },
    reposdir: { type: 'path', default: '/etc/yum.repos.d', description: 'Directory of the .repo files; must exist.' },
    state: { type: 'str', default: 'present', choices: ['absent', 'present'], description: 'Whether the repository section should be there.' },
    params: { type: 'dict', description: 'Removed in Ansible 2.5: giving it is an error.' },
    ...optionArgs(),
    ...FILE_ATTR_ARGS,
  },
  validate(a) {
    if (a.params) throw new ArgumentError("The params option to yum_repository was removed in Ansible 2.5 since it circumvents Ansible's option handling");
    if (a.state === 'present') {
      if (a.baseurl === undefined && a.metalink === undefined && a.mirrorlist === undefined) throw new ArgumentError("Parameter 'baseurl', 'metalink' or 'mirrorlist' is required.");
      if (a.description === undefined) throw new ArgumentError("Parameter 'description' is required.");
    }
    if (a.name === 'DEFAULT') throw new ArgumentError("Invalid section name: 'DEFAULT'");
    if (/[\n\]]/.test(a.name)) throw new ArgumentError(`name ${JSON.stringify(a.name)} cannot be a section name (no newline or ])`);
  },
  probes: (a) => editProbe(destOf(a)),
  async plan(ctx, a): Promise<Plan<YumState>> {
    const dest = destOf(a);
    const read = await readText(ctx, dest);
    if (!read.probe.exists && read.probe.parentExists === false) throw new ModuleFailure(`Repo directory '${a.reposdir}' does not exist.`);
    let doc: IniDoc;
    try {
      doc = read.text === undefined ? { defaults: new Map(), sections: new Map() } : parseIni(read.text);
    } catch (e) {
      if (e instanceof IniParseError) throw new ModuleFailure(`${dest}: ${e.message}`);
      throw e;
    }
    const before = dump(doc);
    doc.sections.delete(a.name);
    if (a.state === 'present') doc.sections.set(a.name, new Map(repoOptions(a)));
    const after = dump(doc);
    const result = { repo: a.name, state: a.state };
    const changed = before !== after;
    const edit = { ...a, path: dest, backup: false };
    if (changed && doc.sections.size === 0) {
      // the last repository goes, and the file with it (Ansible: os.remove)
      return {
        changed: true,
        msg: `${a.name} removed, and ${dest} with it`,
        diff: [{ path: dest, before, after, attrs: { state: { before: 'file', after: 'absent' } } }],
        result,
        state: { remove: true, attrs: {}, mkdirs: false, backupKey: 'backup_file' },
      };
    }
    // (attributes count only for a file that is there after the change, as in Ansible)
    const plan = planEdit(ctx, edit, read, changed ? writeIni(doc) : undefined, changed ? `repository ${a.name} ${a.state === 'present' ? 'written' : 'removed'}` : '', {
      backupKey: 'backup_file',
      result,
    });
    if (!plan.changed) return { ...plan, msg: `repository ${a.name} is as wanted` };
    // Ansible's diff: the sorted dump of the repositories, not the file's text
    if (changed) plan.diff = [{ ...plan.diff![0]!, before, after }];
    return plan;
  },
  async apply(ctx, a, plan) {
    const dest = destOf(a);
    if (plan.state?.remove) {
      const r = await ctx.conn.exec(`rm -f -- ${shq(dest)}\n`, { label: 'yum_repository:remove' });
      if (r.exitCode !== 0) throw new ModuleFailure(`Cannot remove empty repo file ${dest}. ${r.stderr.trim()}`);
      return { changed: true, msg: plan.msg, result: plan.result, diff: plan.diff };
    }
    return applyEdit(ctx, { ...a, path: dest, backup: false }, plan);
  },
});

function destOf(a: YumRepositoryArgs): string {
  return posix.join(a.reposdir, `${a.file ?? a.name}.repo`);
}
