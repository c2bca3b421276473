// apt's decision, a pure function of the query (Ansible's apt.py package_status/install/remove):
// which specs go to `apt-get install`, which names to `apt-get remove`, which installed packages
// only need marking as manually installed, and what cannot be satisfied.
import { entryFor, type AptQuery } from './apt-query.js';
import { hasFiles, isInstalled, type PkgChange } from './apt-parse.js';
import { specKey, versionGlob, type PkgSpec } from './spec.js';
import { compareDebVersions } from './version.js';

export interface AptDecision {
  /** Words for `apt-get install --`, pinned to the version decided here when it is known. */
  install: string[];
  /** Words for `apt-get remove --`. */
  remove: string[];
  /** Installed and wanted, but automatically installed: `apt-mark manual`. */
  markManual: PkgChange[];
  /** Specs no version satisfies (Ansible: "no available installation candidate"). */
  unsatisfiable: string[];
}

/** The best version a pinned spec can be installed at (apt's version table is newest first). */
function bestFor(spec: PkgSpec, q: AptQuery): string | undefined {
  const pol = q.policy.get(specKey(spec)) ?? q.policy.get(spec.name);
  if (!pol) return undefined;
  if (spec.op === '=') return pol.versions.find((v) => versionGlob(spec.version!).test(v));
  if (spec.op === '>=') return pol.candidate !== undefined && compareDebVersions(pol.candidate, spec.version!) >= 0 ? pol.candidate : undefined;
  return pol.candidate;
}

function satisfies(spec: PkgSpec, installed: string): boolean {
  if (spec.op === '=') return versionGlob(spec.version!).test(installed);
  if (spec.op === '>=') return compareDebVersions(installed, spec.version!) >= 0;
  return true;
}

export function decideInstall(specs: readonly PkgSpec[], q: AptQuery, opts: { latest: boolean; onlyUpgrade: boolean }): AptDecision {
  const d: AptDecision = { install: [], remove: [], markManual: [], unsatisfiable: [] };
  for (const spec of specs) {
    const key = specKey(spec);
    const e = entryFor(q.dpkg, spec.name, spec.arch, q.arch);
    const installed = e !== undefined && isInstalled(e);
    if (!installed && opts.onlyUpgrade) continue;
    const ok = installed && satisfies(spec, e.version);
    const needBest = spec.op !== undefined || opts.latest;
    const best = needBest ? bestFor(spec, q) : undefined;
    if (ok && (!opts.latest || best === undefined || best === e.version)) {
      if (q.auto.has(key) || q.auto.has(spec.name)) d.markManual.push({ name: key, action: 'mark_manual', before: e.version, after: e.version });
      continue;
    }
    if (spec.op !== undefined && best === undefined) {
      d.unsatisfiable.push(spec.raw);
      continue;
    }
    // a known version is pinned, so the run installs exactly what the plan said; else apt's
    // candidate (a virtual package, a name apt resolves) as the simulation shows it
    d.install.push(best !== undefined ? `${key}=${best}` : key);
  }
  return d;
}

export function decideRemove(specs: readonly PkgSpec[], q: AptQuery, purge: boolean): AptDecision {
  const d: AptDecision = { install: [], remove: [], markManual: [], unsatisfiable: [] };
  for (const spec of specs) {
    const e = entryFor(q.dpkg, spec.name, spec.arch, q.arch);
    if (!e || !hasFiles(e)) continue;
    if (spec.op !== undefined && !satisfies(spec, e.version)) continue;
    if (isInstalled(e) || purge || (e.status[1] ?? 'n') !== 'c') d.remove.push(specKey(spec));
  }
  return d;
}
