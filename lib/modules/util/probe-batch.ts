// Many file probes in ONE request and few processes: existence and type come from shell builtins
// per path, then one `stat` for all paths (one more with -L for those followed), one `sha256sum`
// for all regular files, one `readlink` for all link targets; only contents (under
// --diff) cost processes per path. Its output is text (hex where a
// value could hold anything), so the channel answers it from a shell variable (ExecOptions.text).
// The answers are exactly probeFile's (remote-file.ts); a batch that does not add up (a file
// vanished between the steps, a tool failed) answers nothing and each probe is asked alone.
import { posix } from 'node:path';
import { shq } from '../../executor/types.js';
import { MAX_CONTENT, normMode, STAT_FORMAT, type FileProbe, type FileType, type ProbeOptions } from './remote-file.js';

export interface BatchItem {
  path: string;
  opts: ProbeOptions;
}

/** The shell word for `path`, as a shell literal: `eval` of a list of these gives the paths back. */
function word(path: string): string {
  return shq(shq(path));
}

export function batchProbeScript(items: readonly BatchItem[]): string {
  const L: string[] = ['sn=; sno=; sf=; sfo=; hs=; hso=; ls=; lso=; ln=0', "NL='\n'"];
  items.forEach((it, i) => {
    const o = it.opts;
    // the parent, as `dirname` would say, is known here: no process for it there
    L.push(`p=${shq(it.path)}; q=${word(it.path)}; d=${shq(posix.dirname(it.path))}; a=0`);
    if (o.appendIfDir !== undefined) {
      const inner = posix.join(it.path, o.appendIfDir);
      L.push(`if [ -d "$p" ]; then p=${shq(inner)}; q=${word(inner)}; d=${shq(posix.dirname(inner))}; a=1; fi`);
    }
    L.push(
      o.follow
        ? `if [ -d "$p" ]; then t=directory; elif [ -f "$p" ]; then t=file; elif [ -L "$p" ]; then t=link; elif [ -e "$p" ]; then t=other; else t=; fi`
        : `if [ -L "$p" ]; then t=link; elif [ -d "$p" ]; then t=directory; elif [ -f "$p" ]; then t=file; elif [ -e "$p" ]; then t=other; else t=; fi`,
      `if [ -z "$t" ]; then if [ -d "$d" ]; then e=1; else e=0; fi; echo "@ ${i} absent $e $a"`,
      `else`,
      `  l=0; [ -L "$p" ] && l=1; echo "@ ${i} $t $l $a"`,
      // a dangling link cannot be stat'ed with -L: the link itself is (as probeFile does)
      // only a link needs -L: any other path says the same to both (no second stat in most runs)
      o.follow ? `  if [ "$l" = 1 ] && [ -e "$p" ]; then sf="$sf $q"; sfo="$sfo ${i}"; else sn="$sn $q"; sno="$sno ${i}"; fi` : `  sn="$sn $q"; sno="$sno ${i}"`,
      ...(o.checksum !== false ? [`  if [ "$t" = file ]; then hs="$hs $q"; hso="$hso ${i}"; fi`] : []),
      `  if [ "$l" = 1 ]; then ls="$ls $q"; lso="$lso ${i}"; ln=$((ln + 1)); fi`,
      ...(o.wantContent
        ? [`  if [ "$t" = file ]; then printf '@c ${i} '; head -c ${(o.maxContent ?? MAX_CONTENT) + 1} < "$p" | od -An -v -tx1 | tr -d ' \\n'; echo; fi`]
        : []),
      `fi`,
    );
  });
  L.push(
    // every link target in one readlink, a line each: exactly as many newlines as links proves that
    // no target holds one (such a batch fails, and each probe, which hex-encodes, is asked alone)
    // (busybox's readlink takes one path: then one each)
    `echo "@L$lso"; if [ -n "$ls" ]; then x=$(eval "readlink -- $ls" 2>/dev/null && echo .) ||`,
    `  x=$(eval "set -- $ls"; for f; do readlink -- "$f" || exit 1; done; echo .) || exit 1`,
    `  x=\${x%.}; y=$x; n=0`,
    `  while :; do case $y in *"$NL"*) y=\${y#*"$NL"}; n=$((n + 1));; *) break;; esac; done`,
    `  [ "$n" = "$ln" ] && [ -z "$y" ] || exit 1; printf '%s' "$x"; fi`,
    `echo "@sn$sno"; [ -z "$sn" ] || eval "stat -c ${STAT_FORMAT} -- $sn" || exit 1`,
    `echo "@sf$sfo"; [ -z "$sf" ] || eval "stat -L -c ${STAT_FORMAT} -- $sf" || exit 1`,
    `echo "@h$hso"; [ -z "$hs" ] || eval "sha256sum -- $hs" || exit 1`,
    `echo "@end"`,
  );
  return L.join('\n') + '\n';
}

function parseStatLine(v: string): Pick<FileProbe, 'mode' | 'uid' | 'gid' | 'owner' | 'group' | 'size'> | undefined {
  const f = v.split(' ');
  if (f.length !== 6 || !/^[0-7]+$/.test(f[0]!)) return undefined;
  const [mode, uid, gid, owner, group, size] = f as [string, string, string, string, string, string];
  return { mode: normMode(mode), uid: Number(uid), gid: Number(gid), owner, group, size: Number(size) };
}

/** Probes in item order, or undefined for every item when the output does not add up. */
export function parseBatch(items: readonly BatchItem[], raw: Buffer): Array<FileProbe | undefined> {
  const none = items.map(() => undefined);
  const lines = raw.toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.at(-1) !== '@end') return none;
  const out: Array<FileProbe | undefined> = items.map(() => undefined);
  const content = new Map<number, Buffer>();
  let pos = 0;
  const index = (s: string): number | undefined => {
    const i = Number(s);
    return Number.isInteger(i) && i >= 0 && i < items.length ? i : undefined;
  };
  for (; pos < lines.length && !lines[pos]!.startsWith('@L'); pos++) {
    const f = lines[pos]!.split(' ');
    const i = index(f[1] ?? '');
    if (i === undefined) return none;
    const it = items[i]!;
    const probed = (appended: string | undefined) => (appended === '1' ? posix.join(it.path, it.opts.appendIfDir ?? '') : it.path);
    if (f[0] === '@' && f[2] === 'absent') out[i] = { path: probed(f[4]), exists: false, isLink: false, parentExists: f[3] === '1' };
    else if (f[0] === '@') out[i] = { path: probed(f[4]), exists: true, type: f[2] as FileType, isLink: f[3] === '1' };
    else if (f[0] === '@c') content.set(i, Buffer.from(f[2] ?? '', 'hex'));
    else return none;
  }
  // link targets: "@L 3 5", then one line each, in that order (the script checked there is no other newline)
  {
    const head = lines[pos] ?? '';
    if (head !== '@L' && !head.startsWith('@L ')) return none;
    const order = head.slice(2).trim().split(' ').filter(Boolean).map(index);
    pos++;
    for (const i of order) {
      const target = lines[pos++];
      if (i === undefined || target === undefined || !out[i]?.isLink) return none;
      out[i]!.linkTarget = target;
    }
  }
  // sections: header "@sn 3 5" (item order), then one line per item
  for (const tag of ['@sn', '@sf', '@h']) {
    const head = lines[pos];
    if (head === undefined || !head.startsWith(tag) || (head.length > tag.length && head[tag.length] !== ' ')) return none;
    const order = head.slice(tag.length).trim().split(' ').filter(Boolean).map(index);
    pos++;
    for (const i of order) {
      const line = lines[pos++];
      if (i === undefined || line === undefined || !out[i]?.exists) return none;
      if (tag === '@h') {
        const m = /^\\?([0-9a-f]{64}) /.exec(line);
        if (!m) return none;
        out[i]!.sha256 = m[1];
      } else {
        const st = parseStatLine(line);
        if (!st) return none;
        Object.assign(out[i]!, st);
      }
    }
  }
  if (lines[pos] !== '@end') return none;
  for (const [i, c] of content) {
    const max = items[i]!.opts.maxContent ?? MAX_CONTENT;
    if (c.length <= max) out[i]!.content = c;
  }
  // the same fields, in the same order, as a single probe's answer
  return out.map((p) => {
    if (!p?.exists) return p;
    return {
      path: p.path, exists: true, type: p.type, isLink: p.isLink, mode: p.mode, uid: p.uid, gid: p.gid, owner: p.owner, group: p.group, size: p.size, sha256: p.sha256,
      linkTarget: p.linkTarget,
      content: p.content,
    };
  });
}
