// Package specs as Ansible's package modules take them: `name`, `name=version` (apt: the version
// may be a glob, `2.10*`), `name>=version`, `name:arch`. Names are checked strictly here, before
// anything runs: a name is data on a command line and must never read as an option or a glob.
import { ArgumentError } from '../../errors.js';

export interface PkgSpec {
  /** As written by the user. */
  raw: string;
  name: string;
  /** Multiarch qualifier (`hello:i386`), apt only. */
  arch?: string;
  op?: '=' | '>=';
  version?: string;
}

/** Debian policy names (lower-case, digits, + - .), optionally `:arch`. */
const DEB_NAME = /^[a-z0-9][a-z0-9+.-]*(?::[a-z0-9][a-z0-9-]*)?$/;
/** RPM names are wider (upper case, _), still no leading '-', no space, no glob. */
const RPM_NAME = /^[A-Za-z0-9_+][A-Za-z0-9_+.-]*$/;
/** Versions: what dpkg and rpm accept, plus the glob characters apt pins allow. */
const VERSION = /^[A-Za-z0-9.+~:^_*?-]+$/;

export function parseSpec(raw: string, format: 'deb' | 'rpm', module: string): PkgSpec {
  const s = raw.trim();
  const m = /^([^=<>]+?)(>=|=)(.*)$/.exec(s);
  const namePart = m ? m[1]! : s;
  const bad = (why: string): never => {
    throw new ArgumentError(`${module}: invalid package spec ${JSON.stringify(raw)}: ${why}`);
  };
  if (namePart === '') bad('empty name');
  if (/[*?[\]!]/.test(namePart)) bad('name patterns (globs) are not supported; list the packages by name');
  if (format === 'deb' ? !DEB_NAME.test(namePart) : !RPM_NAME.test(namePart)) {
    bad(
      format === 'deb'
        ? 'Debian package names are lower-case letters, digits and + - . (optionally :arch), starting with a letter or digit'
        : 'package names are letters, digits and _ + - ., not starting with -',
    );
  }
  const colon = format === 'deb' ? namePart.indexOf(':') : -1;
  const spec: PkgSpec = colon > 0 ? { raw, name: namePart.slice(0, colon), arch: namePart.slice(colon + 1) } : { raw, name: namePart };
  if (m) {
    const version = m[3]!;
    if (version === '' || !VERSION.test(version) || /[=<>]/.test(version)) bad(`version ${JSON.stringify(version)} is not a package version`);
    spec.op = m[2] as '=' | '>=';
    spec.version = version;
  }
  return spec;
}

export function parseSpecs(names: readonly string[], format: 'deb' | 'rpm', module: string): PkgSpec[] {
  return names.filter((n) => n.trim() !== '').map((n) => parseSpec(n, format, module));
}

/** `name[:arch]`, the key a host's package database answers under. */
export function specKey(s: Pick<PkgSpec, 'name' | 'arch'>): string {
  return s.arch ? `${s.name}:${s.arch}` : s.name;
}

/** Shell-style glob (`*`, `?`) of an apt version pin, matched against a whole version. */
export function versionGlob(pattern: string): RegExp {
  const re = pattern.replace(/[.+^$(){}|\\[\]]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`);
}
