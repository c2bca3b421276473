// stat: read-only facts about a path, registered like Ansible's stat (one request, never changes):
// the checksum with Ansible's algorithms (sha1 by default) and the mime type `file` gives.

import { defineModule } from './types.js';
import { probeFile, type ProbeOptions } from './util/remote-file.js';
import { ALGOS, type Algo } from './util/transfer.js';

export interface StatArgs {
  path: string;
  get_checksum: boolean;
  checksum_algorithm: Algo;
  get_mime: boolean;
  follow: boolean;
}

/** The one probe stat makes (declared ahead to the engine too): no sha256 of its own, only the asked digest. */
function probeOpts(a: StatArgs): ProbeOptions {
  return { checksum: false, follow: a.follow, realpath: !a.follow, ...(a.get_checksum ? { digest: a.checksum_algorithm } : {}), ...(a.get_mime ? { mime: true } : {}) };
}

export default defineModule<StatArgs>({
  name: 'stat',
  doc: {
    short: 'Retrieve facts about a path (exists, type, mode, owner, size, checksum, mime type)',
    description:
      'Registers {stat: {exists, path, isdir, isreg, islnk, mode, uid, gid, pw_name, gr_name, size, checksum, mimetype, charset, lnk_source, lnk_target}}. ' +
      'checksum is computed on the host with checksum_algorithm (sha1 by default, as Ansible), for readable regular files only. ' +
      'mimetype and charset are what `file --mime-type --mime-encoding` says (not following links, as Ansible), "unknown" when the host has no `file`. ' +
      'Never changes anything; runs in check mode too; one request (often none: fetched ahead with earlier tasks\' probes).',
    check: 'full',
    diff: false,
    examples: '- stat: { path: /etc/etcd/pki/ca.pem, checksum_algorithm: sha256, get_mime: false }\n  register: ca',
  },
  args: {
    path: { type: 'path', required: true, aliases: ['dest', 'name'], description: 'Path on the host.' },
    get_checksum: { type: 'bool', default: true, description: 'Hash regular files the connecting user can read (result key checksum).' },
    checksum_algorithm: { type: 'str', default: 'sha1', choices: ALGOS, aliases: ['checksum', 'checksum_algo'], description: 'Algorithm of the checksum.' },
    get_mime: { type: 'bool', default: true, aliases: ['mime', 'mime_type', 'mime-type'], description: 'Add mimetype and charset, from `file` on the host.' },
    follow: { type: 'bool', default: false, description: 'Report on the target of a symlink instead of the link.' },
  },
  probes(args) {
    return [{ path: args.path, opts: probeOpts(args) }];
  },
  async plan(ctx, args) {
    const p = await probeFile(ctx, args.path, probeOpts(args));
    const islnk = p.type === 'link' || (!args.follow && p.isLink);
    const stat: Record<string, unknown> = p.exists
      ? {
          exists: true,
          path: args.path,
          isdir: p.type === 'directory',
          isreg: p.type === 'file',
          islnk,
          mode: p.mode,
          uid: p.uid,
          gid: p.gid,
          pw_name: p.owner,
          gr_name: p.group,
          size: p.size,
          ...(p.digest !== undefined ? { checksum: p.digest } : {}),
          ...(args.get_mime ? { mimetype: p.mimetype, charset: p.charset } : {}),
          // (Ansible: only of a path that is a link as stat sees it, i.e. not followed)
          ...(islnk && p.linkTarget !== undefined ? { lnk_source: p.realpath ?? p.linkTarget, lnk_target: p.linkTarget } : {}),
        }
      : { exists: false };
    return { changed: false, msg: p.exists ? `${args.path} exists (${p.type})` : `${args.path} does not exist`, result: { stat } };
  },
  async apply(_ctx, _args, plan) {
    return { changed: false, msg: plan.msg, result: plan.result };
  },
});
