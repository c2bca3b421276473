// Network facts (Ansible's `network` subset): interfaces and their per-interface facts, default
// routes, all addresses — parsed from sysfs values, `ip addr show primary|secondary` and
// `ip route get` (v4 and v6) with the rules of Ansible 2.14's LinuxNetwork collector.
import type { FactDict } from './system.js';
import { ROUTE_V4, ROUTE_V6 } from './script.js';

const INTERFACE_TYPE: Record<string, string> = { '1': 'ether', '32': 'infiniband', '512': 'ppp', '772': 'loopback', '65534': 'tunnel' };

type Iface = Record<string, unknown>;

/** `ip route get` output → interface, address, gateway. */
function defaultRoute(out: string, target: string): Record<string, string> {
  const r: Record<string, string> = {};
  const words = (out.split('\n')[0] ?? '').trim().split(/\s+/);
  if (words[0] !== target) return r;
  for (let i = 0; i < words.length - 1; i++) {
    if (words[i] === 'dev') r.interface = words[i + 1]!;
    else if (words[i] === 'src') r.address = words[i + 1]!;
    else if (words[i] === 'via' && words[i + 1] !== target) r.gateway = words[i + 1]!;
  }
  return r;
}

/** `ip addr show` output, split per device (the header `2: eth0@if5: <…>` names it). */
function perDevice(out: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const l of out.split('\n')) {
    const h = /^\d+:\s+([^:@\s]+)(?:@[^:\s]*)?:/.exec(l);
    if (h) m.set(h[1]!, (cur = []));
    else if (cur) cur.push(l);
  }
  return m;
}

function ipv4Info(address: string, prefix: string, broadcast: string): Iface {
  const a = address.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const bits = Number(prefix);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
  return { address, broadcast, netmask: dotted(mask), network: dotted((a & mask) >>> 0), prefix };
}

export function networkFacts(sysfs: string, primary: string, secondary: string, route4: string, route6: string): FactDict {
  const default4 = defaultRoute(route4, ROUTE_V4) as Iface;
  const default6 = defaultRoute(route6, ROUTE_V6) as Iface;
  const interfaces = new Map<string, Iface>();
  const all4: string[] = [];
  const all6: string[] = [];
  const prim = perDevice(primary);
  const sec = perDevice(secondary);
  for (const chunk of sysfs.split(/^==/m).slice(1)) {
    const [device, ...kvLines] = chunk.split('\n');
    if (!device) continue;
    const kv = new Map<string, string>();
    for (const l of kvLines) {
      const i = l.indexOf('=');
      if (i > 0) kv.set(l.slice(0, i), l.slice(i + 1));
    }
    const it: Iface = { device };
    interfaces.set(device, it);
    const mac = kv.get('address');
    if (mac && mac !== '00:00:00:00:00:00') it.macaddress = mac;
    if (kv.has('mtu')) it.mtu = Number.parseInt(kv.get('mtu')!, 10);
    if (kv.has('operstate')) it.active = kv.get('operstate') !== 'down';
    if (kv.has('module')) it.module = kv.get('module');
    if (kv.has('type')) it.type = INTERFACE_TYPE[kv.get('type')!] ?? 'unknown';
    if (kv.has('bridge')) {
      it.type = 'bridge';
      it.interfaces = kv.get('bridge')!.split(/\s+/).filter(Boolean);
      if (kv.has('bridge_id')) it.id = kv.get('bridge_id');
      if (kv.has('stp_state')) it.stp = kv.get('stp_state') === '1';
    }
    if (kv.has('bond_slaves')) {
      it.type = 'bonding';
      it.slaves = kv.get('bond_slaves')!.split(/\s+/).filter(Boolean);
      for (const k of ['mode', 'miimon', 'lacp_rate']) it[k] = (kv.get(`bond_${k}`) ?? '').split(/\s+/)[0];
      const p = kv.get('bond_primary');
      if (p) {
        it.primary = p;
        if (kv.has('bond_all_slaves_active')) it.all_slaves_active = kv.get('bond_all_slaves_active') === '1';
      }
    }
    if (kv.has('perm_macaddress')) it.perm_macaddress = kv.get('perm_macaddress');
    if (kv.has('pciid')) it.pciid = kv.get('pciid');
    if (kv.has('speed') && /^-?\d+$/.test(kv.get('speed')!)) it.speed = Number(kv.get('speed'));
    if (kv.has('flags')) it.promisc = (Number.parseInt(kv.get('flags')!, 16) & 0x100) > 0;

    const parse = (out: string[] | undefined, secondaryAddr: boolean): void => {
      for (const line of out ?? []) {
        const w = line.trim().split(/\s+/);
        if (w[0] === 'inet' && w[1]) {
          let address = w[1];
          let bits = '32';
          let broadcast = '';
          if (w[1].includes('/')) {
            [address, bits] = w[1].split('/') as [string, string];
            if (w.length > 3 && w[2] === 'brd') broadcast = w[3]!;
          }
          const info = ipv4Info(address, bits, broadcast);
          const label = w[w.length - 1]!;
          if (label !== device) interfaces.set(label, {});
          const target = interfaces.get(label)!;
          if (!secondaryAddr && !('ipv4' in target)) target.ipv4 = info;
          else ((target.ipv4_secondaries ??= []) as Iface[]).push({ ...info });
          if (secondaryAddr) {
            it.ipv4_secondaries ??= [];
            if (label !== device) (it.ipv4_secondaries as Iface[]).push({ ...info });
          }
          if (default4.address === address) {
            Object.assign(default4, { broadcast, netmask: info.netmask, network: info.network, prefix: bits, macaddress: mac, mtu: it.mtu, type: it.type ?? 'unknown', alias: label });
          }
          if (!address.startsWith('127.')) all4.push(address);
        } else if (w[0] === 'inet6' && w[1]) {
          let address: string;
          let prefix: string;
          let scope: string;
          if (w[2] === 'peer') {
            address = w[1];
            prefix = (w[3] ?? '').split('/')[1] ?? '';
            scope = w[5] ?? '';
          } else {
            [address, prefix] = w[1].split('/') as [string, string];
            scope = w[3] ?? '';
          }
          ((it.ipv6 ??= []) as Iface[]).push({ address, prefix, scope });
          if (default6.address === address) Object.assign(default6, { prefix, scope, macaddress: mac, mtu: it.mtu, type: it.type ?? 'unknown' });
          if (address !== '::1') all6.push(address);
        }
      }
    };
    parse(prim.get(device), false);
    parse(sec.get(device), true);
  }
  const f: FactDict = {};
  const names: string[] = [];
  for (const [name, it] of interfaces) {
    const n = name.replace(/:/g, '_');
    names.push(n);
    f[n.replace(/-/g, '_')] = it;
  }
  // JSON drops undefined: a default route whose interface has no MAC leaves the key out, as Python's None would print null
  for (const d of [default4, default6]) for (const k of Object.keys(d)) if (d[k] === undefined) d[k] = null;
  return Object.assign(f, { interfaces: names, default_ipv4: default4, default_ipv6: default6, all_ipv4_addresses: all4, all_ipv6_addresses: all6 });
}
