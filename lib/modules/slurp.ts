// slurp: a host file's bytes, base64-encoded, in the result (Ansible's `content`). One read-only
// request; the bytes travel raw over the channel and are encoded here. Meant for small files: the
// whole content ends up in the registered variable (use fetch for big ones).
import { shq } from '../executor/types.js';
import { defineModule, ModuleFailure, type ReadRequest } from './types.js';
import { notOption } from './util/remote-file.js';

export interface SlurpArgs {
  src: string;
}

/** Ansible's messages, decided on the host before any byte is read; then the bytes, after `---`. */
function slurpScript(src: string): string {
  return [
    `p=${shq(notOption(src))}`,
    `if [ -d "$p" ]; then echo isdir; exit 3; fi`,
    `if [ ! -e "$p" ]; then echo missing; exit 3; fi`,
    `if [ ! -r "$p" ]; then echo unreadable; exit 3; fi`,
    `exec cat < "$p"`,
  ].join('\n') + '\n';
}

/** plan()'s one read-only request, also declared ahead (reads()): the two must be the same request. */
function slurpRequest(src: string): ReadRequest {
  return { script: slurpScript(src), opts: { label: 'slurp', readOnly: true } };
}

export default defineModule<SlurpArgs>({
  name: 'slurp',
  doc: {
    short: 'Read a file from the host into the result, base64-encoded',
    description:
      'Registers {content: BASE64, encoding: base64, source: SRC}; decode with the b64decode filter. Binary-safe. ' +
      'Never changes anything; runs in check mode too; one request (often none: fetched ahead with an earlier task\'s read). ' +
      'The whole file is held in memory and in the variable: for big files use fetch.',
    check: 'full',
    diff: false,
    examples: '- slurp: { src: /etc/etcd/pki/ca.pem }\n  register: ca\n- debug: { msg: "{{ ca.content | b64decode }}" }',
  },
  args: {
    src: { type: 'path', required: true, aliases: ['path'], description: 'File on the host.' },
  },
  // a small file's read (slurp is for small files): the engine may fetch it ahead with other reads
  reads: (args) => [slurpRequest(args.src)],
  async plan(ctx, args) {
    const q = slurpRequest(args.src);
    const r = await ctx.conn.exec(q.script, q.opts);
    if (r.exitCode === 3) {
      const why = r.stdout.trim();
      if (why === 'isdir') throw new ModuleFailure(`source is a directory and must be a file: ${args.src}`);
      if (why === 'missing') throw new ModuleFailure(`file not found: ${args.src}`);
      if (why === 'unreadable') throw new ModuleFailure(`file is not readable: ${args.src}`);
    }
    if (r.exitCode !== 0) throw new ModuleFailure(`unable to slurp file: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    return {
      changed: false,
      msg: `read ${args.src} (${r.raw.length} bytes)`,
      result: { content: r.raw.toString('base64'), source: args.src, encoding: 'base64' },
    };
  },
  async apply(_ctx, _args, plan) {
    return { changed: false, msg: plan.msg, result: plan.result };
  },
});
