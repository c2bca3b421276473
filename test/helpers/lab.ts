// Test fixture: a real lab (network namespaces + sshd) for one test file, torn down after it.
import type { Test } from 'tap';
import { labDown, labUp, type LabState } from '../../lib/lab/lab.js';

/**
 * Brings up a lab named `name` in 10.66.<subnetIndex>.0/24. Use a distinct name and subnetIndex
 * per test file: tap runs test files in parallel. Leftovers of an earlier crashed run with the
 * same name are removed first.
 */
export async function withLab(
  t: Test,
  opts: { hosts: number; name: string; subnetIndex: number; domain?: string },
): Promise<LabState> {
  if (!Number.isInteger(opts.subnetIndex) || opts.subnetIndex < 0 || opts.subnetIndex > 255) {
    throw new Error(`withLab: subnetIndex must be 0-255, got ${opts.subnetIndex}`);
  }
  await labDown(opts.name);
  t.teardown(() => labDown(opts.name));
  return labUp({
    name: opts.name,
    hosts: opts.hosts,
    subnet: `10.66.${opts.subnetIndex}.0/24`,
    domain: opts.domain,
  });
}
