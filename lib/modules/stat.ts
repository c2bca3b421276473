// stat: read-only facts about a path, registered like Ansible's stat (one request, never changes).

import { defineModule } from './types.js';
import { probeFile } from './util/remote-file.js';

export interface StatArgs {
  path: string;
  get_checksum: boolean;
  follow: boolean;
}

export default defineModule<StatArgs>({
  name: 'stat',
  doc: {
    short: 'Retrieve facts about a path (exists, type, mode, owner, size, checksum)',
    description:
      'Registers {stat: {exists, path, isdir, isreg, islnk, mode, uid, gid, pw_name, gr_name, size, checksum, lnk_source}}. ' +
      'checksum is sha256 (Ansible defaults to sha1). Never changes anything; runs in check mode too.',
    check: 'full',
    diff: false,
    examples: '- stat: { path: /etc/etcd/pki/ca.pem }\n  register: ca',
  },
  args: {
    path: { type: 'path', required: true, aliases: ['dest', 'name'], description: 'Path on the host.' },
    get_checksum: { type: 'bool', default: true, description: 'Compute the sha256 of regular files.' },
    follow: { type: 'bool', default: false, description: 'Report on the target of a symlink instead of the link.' },
  },
  probes(args) {
    return [{ path: args.path, opts: { checksum: args.get_checksum, follow: args.follow } }];
  },
  async plan(ctx, args) {
    const p = await probeFile(ctx, args.path, { checksum: args.get_checksum, follow: args.follow });
    const stat: Record<string, unknown> = p.exists
      ? {
          exists: true,
          path: args.path,
          isdir: p.type === 'directory',
          isreg: p.type === 'file',
          islnk: p.type === 'link' || (!args.follow && p.isLink),
          mode: p.mode,
          uid: p.uid,
          gid: p.gid,
          pw_name: p.owner,
          gr_name: p.group,
          size: p.size,
          ...(p.sha256 !== undefined ? { checksum: p.sha256 } : {}),
          ...(p.linkTarget !== undefined ? { lnk_source: p.linkTarget } : {}),
        }
      : { exists: false };
    return { changed: false, msg: p.exists ? `${args.path} exists (${p.type})` : `${args.path} does not exist`, result: { stat } };
  },
  async apply(_ctx, _args, plan) {
    return { changed: false, msg: plan.msg, result: plan.result };
  },
});
