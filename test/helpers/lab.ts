// Test fixture: a real lab (network namespaces + sshd) for one test file, torn down after it.
import type { Test } from 'tap';
import { labDown, labUp, type LabFamily, type LabInit, type LabState } from '../../lib/lab/lab.js';

/**
 * Several checkouts of bosun may run their lab tests on one machine at once (one developer per
 * work tree). BOSUN_TEST_SLOT=k (1-6) moves every withLab lab to its own names (prefix `sK-`)
 * and subnets, so the checkouts never share a namespace, bridge or address. Unset (CI): slot 0.
 */
export function testSlot(): number {
  const raw = process.env.BOSUN_TEST_SLOT ?? '0';
  const k = Number(raw);
  if (!Number.isInteger(k) || k < 0 || k > 6) throw new Error(`BOSUN_TEST_SLOT must be 0-6, got '${raw}'`);
  return k;
}

/** The lab name and /24 index of a test lab in this checkout's slot. Test files use indices 20-49. */
export function slotLab(name: string, subnetIndex: number): { name: string; subnetIndex: number } {
  const k = testSlot();
  if (!Number.isInteger(subnetIndex) || subnetIndex < 20 || subnetIndex > 49) {
    throw new Error(`withLab: subnetIndex must be 20-49 (slots shift it), got ${subnetIndex}`);
  }
  if (k === 0) return { name, subnetIndex };
  return { name: `s${k}-${name}`, subnetIndex: subnetIndex + 30 * k + 10 };
}

/**
 * Brings up a lab named `name` in 10.66.<subnetIndex>.0/24 (shifted by the checkout's slot). Use a
 * distinct name and subnetIndex per test file: tap runs test files in parallel. Leftovers of an
 * earlier crashed run with the same name are removed first.
 */
export interface WithLabOptions {
  hosts: number;
  name: string;
  subnetIndex: number;
  domain?: string;
  /** 'systemd' boots systemd as each host's PID 1 (~6-15 s more): only where a test needs systemd. */
  init?: LabInit;
  /** 'redhat': the hosts present Rocky Linux 9 os-release facts (binaries stay Debian's). */
  family?: LabFamily;
  /** Packages the lab's apt repository must carry (downloaded once per machine). */
  packages?: string[];
}

export async function withLab(t: Test, opts: WithLabOptions): Promise<LabState> {
  const { name, subnetIndex } = slotLab(opts.name, opts.subnetIndex);
  await labDown(name);
  t.teardown(() => labDown(name));
  return labUp({
    name,
    hosts: opts.hosts,
    subnet: `10.66.${subnetIndex}.0/24`,
    // The control node resolves lab FQDNs through /etc/hosts: two slots' labs with one domain would
    // shadow each other (etcd's `endpoint health --cluster` then reached the other slot's hosts).
    domain: opts.domain && testSlot() > 0 ? `s${testSlot()}.${opts.domain}` : opts.domain,
    init: opts.init,
    family: opts.family,
    packages: opts.packages,
  });
}
