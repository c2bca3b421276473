// The per-file keys Ansible's stat and find derive from a stat(2) answer, computed the way Python
// computes them, so a registered result is the same value for the same file: the type and
// permission booleans of st_mode, times as Python's float (st_mtime = tv_sec + tv_nsec * 1e-9),
// device numbers as glibc's makedev, lsattr's flags as Ansible names them.
import { pyFloat, type PyFloat } from '../../engine/jinja/values.js';

const S_IFMT = 0o170000;

/** isdir … issock of a raw st_mode (stat.S_ISDIR and the rest). */
export function typeKeys(mode: number): Record<'isdir' | 'ischr' | 'isblk' | 'isreg' | 'isfifo' | 'islnk' | 'issock', boolean> {
  const t = mode & S_IFMT;
  return {
    isdir: t === 0o040000,
    ischr: t === 0o020000,
    isblk: t === 0o060000,
    isreg: t === 0o100000,
    isfifo: t === 0o010000,
    islnk: t === 0o120000,
    issock: t === 0o140000,
  };
}

/**
 * uid … ctime, in Ansible's order, from the fields stat or find printed (uid, gid, size, inode, dev,
 * nlink, then the three times with their fraction).
 */
export function numberKeys(f: readonly string[]): Record<string, number | PyFloat> {
  const [uid, gid, size, inode, dev, nlink, atime, mtime, ctime] = f;
  return {
    uid: Number(uid),
    gid: Number(gid),
    size: Number(size),
    inode: Number(inode),
    dev: Number(dev),
    nlink: Number(nlink),
    atime: pyTime(atime ?? ''),
    mtime: pyTime(mtime ?? ''),
    ctime: pyTime(ctime ?? ''),
  };
}

/** wusr … isgid: the permission bits as booleans, in Ansible's order. */
export function permKeys(mode: number): Record<string, boolean> {
  const bit = (b: number): boolean => (mode & b) !== 0;
  return {
    wusr: bit(0o200),
    rusr: bit(0o400),
    xusr: bit(0o100),
    wgrp: bit(0o20),
    rgrp: bit(0o40),
    xgrp: bit(0o10),
    woth: bit(0o2),
    roth: bit(0o4),
    xoth: bit(0o1),
    isuid: bit(0o4000),
    isgid: bit(0o2000),
  };
}

/** "%04o" % S_IMODE(mode). */
export function modeString(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * A time as stat/find print it with a fraction ("1700000000.123456789", "-1.500000000": the
 * fraction of a negative time counts down from the second) → Python's st_*time float, computed as
 * CPython does (tv_sec + tv_nsec * 1e-9), so the last bits agree too. An integral one is boxed to
 * print as Python's float does ("1700000000.0"). NaN for what does not parse.
 */
export function pyTime(text: string): number | PyFloat {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) return Number.NaN;
  let sec = Number(m[2]);
  let nsec = Number((m[3] ?? '').padEnd(9, '0').slice(0, 9));
  if (m[1] === '-') {
    // -A.B is tv_sec = -(A + 1), tv_nsec = 1e9 - B (or -A, 0)
    sec = nsec === 0 ? -sec : -(sec + 1);
    nsec = nsec === 0 ? 0 : 1e9 - nsec;
  }
  return pyFloat(sec + nsec * 1e-9);
}

/** st_rdev from the major and minor numbers stat prints in hex (%t %T): glibc's makedev. */
export function makedev(majorHex: string, minorHex: string): number {
  const ma = BigInt(`0x${majorHex}`);
  const mi = BigInt(`0x${minorHex}`);
  const dev = ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
  return Number(dev);
}

/** lsattr's flag letters → Ansible's names (module_utils/common/file.py FILE_ATTRIBUTES). */
const FILE_ATTRIBUTES: Readonly<Record<string, string>> = {
  A: 'noatime',
  a: 'append',
  c: 'compressed',
  C: 'nocow',
  d: 'nodump',
  D: 'dirsync',
  e: 'extents',
  E: 'encrypted',
  h: 'blocksize',
  i: 'immutable',
  I: 'indexed',
  j: 'journalled',
  N: 'inline',
  s: 'zero',
  S: 'synchronous',
  t: 'notail',
  T: 'blockroot',
  u: 'undelete',
  X: 'compressedraw',
  Z: 'compresseddirty',
};

/**
 * `lsattr -vd` output → version, attr_flags and attributes as Ansible's get_file_attributes: the
 * first two words, the flags without their dashes (letters it has no name for stay in attr_flags
 * only). Defaults (null, '', []) when lsattr failed or said nothing.
 */
export function fileAttributes(out: string | undefined): { version: string | null; attributes: string[]; attr_flags: string } {
  const [version, word] = (out ?? '').split(/\s+/).filter((w) => w !== '');
  // (Ansible sets the version before it reads the flags: a lone word is a version without flags)
  if (word === undefined) return { version: version ?? null, attributes: [], attr_flags: '' };
  const flags = word.replaceAll('-', '');
  return { version: version!, attributes: [...flags].filter((c) => c in FILE_ATTRIBUTES).map((c) => FILE_ATTRIBUTES[c]!), attr_flags: flags };
}
