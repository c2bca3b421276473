// Hardware facts (Ansible's `hardware` subset): memory, processors, mounts — parsed from the probe's
// sections with the rules of Ansible 2.14's LinuxHardware collector.
import type { FactDict } from './system.js';

const ORIGINAL_MEMORY = ['MemTotal', 'SwapTotal', 'MemFree', 'SwapFree'];

export function memoryFacts(meminfo: string): FactDict {
  const kb: Record<string, number> = {};
  for (const l of meminfo.split('\n')) {
    const i = l.indexOf(':');
    if (i < 0) continue;
    kb[l.slice(0, i)] = Math.floor(Number.parseInt(l.slice(i + 1).trim().split(' ')[0]!, 10) / 1024);
  }
  const f: FactDict = {};
  for (const k of ORIGINAL_MEMORY) if (kb[k] !== undefined) f[`${k.toLowerCase()}_mb`] = kb[k];
  const g = (k: string) => kb[k];
  const sum = (...xs: Array<number | undefined>) => (xs.every((x) => x !== undefined) ? (xs as number[]).reduce((a, b) => a + b, 0) : undefined);
  const diff = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? a - b : undefined);
  const nocacheFree = sum(g('Cached'), g('MemFree'), g('Buffers'));
  f.memory_mb = {
    real: { total: g('MemTotal') ?? null, used: diff(g('MemTotal'), g('MemFree')) ?? null, free: g('MemFree') ?? null },
    nocache: { free: nocacheFree ?? null, used: diff(g('MemTotal'), nocacheFree) ?? null },
    swap: { total: g('SwapTotal') ?? null, free: g('SwapFree') ?? null, used: diff(g('SwapTotal'), g('SwapFree')) ?? null, cached: g('SwapCached') ?? null },
  };
  return f;
}

/** Processor facts from /proc/cpuinfo, counted as Ansible counts sockets, cores and threads. */
export function cpuFacts(cpuinfo: string, extra: string, architecture: string): FactDict {
  const f: FactDict = {};
  if (!cpuinfo.trim()) return f;
  const xen = /^xen$/m.test(extra) || /^hypervisor=xen$/m.test(extra);
  let xenParavirt = false;
  const processor: string[] = [];
  let i = 0;
  let vendorIds = 0;
  let modelNames = 0;
  let processors = 0;
  let physid = '0';
  let coreid = '0';
  const sockets = new Map<string, number>();
  const cores = new Map<string, number>();
  for (const line of cpuinfo.split('\n')) {
    const j = line.indexOf(':');
    const key = (j < 0 ? line : line.slice(0, j)).trim();
    const val = j < 0 ? '' : line.slice(j + 1).trim();
    if (xen && key === 'flags' && !val.split(/\s+/).includes('vme')) xenParavirt = true;
    if (['model name', 'Processor', 'vendor_id', 'cpu', 'Vendor', 'processor'].includes(key)) {
      processor.push(val);
      if (key === 'vendor_id') vendorIds++;
      if (key === 'model name') modelNames++;
      if (key === 'processor') processors++;
      i++;
    } else if (key === 'physical id') {
      physid = val;
      if (!sockets.has(physid)) sockets.set(physid, 1);
    } else if (key === 'core id') {
      coreid = val;
      if (!sockets.has(coreid)) cores.set(coreid, 1);
    } else if (key === 'cpu cores') sockets.set(physid, Number.parseInt(val, 10));
    else if (key === 'siblings') cores.set(coreid, Number.parseInt(val, 10));
    else if (key === '# processors') f.processor_cores = Number.parseInt(val, 10);
    else if (key === 'ncpus active') i = Number.parseInt(val, 10);
  }
  f.processor = processor;
  if (vendorIds > 0 && vendorIds === modelNames) i = vendorIds;
  if (/^(armv|aarch|ppc)/.test(architecture)) i = processors;
  if (architecture === 's390x') return f;
  if (xenParavirt) return Object.assign(f, { processor_count: i, processor_cores: i, processor_threads_per_core: 1, processor_vcpus: i });
  f.processor_count = sockets.size ? sockets.size : i;
  const first = [...sockets.values()][0];
  f.processor_cores = first ? first : 1;
  const c = [...cores.values()][0];
  f.processor_threads_per_core = Math.floor((c ?? 1) / (f.processor_cores as number));
  f.processor_vcpus = (f.processor_threads_per_core as number) * (f.processor_count as number) * (f.processor_cores as number);
  const nproc = /^nproc=(\d+)$/m.exec(extra)?.[1];
  f.processor_nproc = nproc ? Number(nproc) : processors;
  return f;
}

/** `\040`-style escapes of /proc/mounts and mountinfo fields. */
export const unescapeOctal = (s: string): string => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/**
 * ansible_mounts: the mtab entries whose device is a path (or host:/path) and whose type is not
 * `none`, with statvfs sizes, the lsblk UUID (else "N/A"), and `,bind` added for bind mounts that
 * findmnt shows with a `[/dir]` source (always: Ansible 2.14's test for an existing `bind` option never matches).
 */
export function mountFacts(mtab: string, findmnt: string, lsblk: string, statfs: string): FactDict {
  const binds = new Set<string>();
  for (const l of findmnt.split('\n')) {
    const w = l.split(/\s+/);
    if (w.length >= 2 && /.*\]/.test(w[1]!)) binds.add(w[0]!);
  }
  const uuids = new Map<string, string>();
  for (const l of lsblk.split('\n')) {
    const t = l.trim();
    const m = /^(.*\S)\s+(\S+)$/.exec(t);
    if (m && !uuids.has(m[1]!)) uuids.set(m[1]!, m[2]!);
  }
  // `stat -f -c '%s %S %b %a %c %d %n'`: the six numbers, then the path as the probe decoded it
  const sizes = new Map<string, number[]>();
  for (const l of statfs.split('\n')) {
    const m = /^(\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (.*)$/.exec(l);
    if (m) sizes.set(m[7]!, m.slice(1, 7).map(Number));
  }
  const mounts: FactDict[] = [];
  for (const l of mtab.split('\n')) {
    const raw = l.split(/\s+/);
    if (raw.length < 4) continue;
    const [device, mount, fstype, options] = raw.slice(0, 4).map(unescapeOctal) as [string, string, string, string];
    if ((!(device.startsWith('/') || device.startsWith('\\')) && !device.includes(':/')) || fstype === 'none') continue;
    const info: FactDict = { mount, device, fstype, options: binds.has(mount) ? `${options},bind` : options };
    const s = sizes.get(mount);
    if (s && s.every((x) => Number.isFinite(x))) {
      const [bsize, frsize, blocks, bavail, files, ffree] = s as [number, number, number, number, number, number];
      Object.assign(info, {
        size_total: frsize * blocks, size_available: frsize * bavail, block_size: bsize, block_total: blocks, block_available: bavail,
        block_used: blocks - bavail, inode_total: files, inode_available: ffree, inode_used: files - ffree,
      });
    }
    info.uuid = uuids.get(device) || 'N/A';
    mounts.push(info);
  }
  return { mounts };
}
