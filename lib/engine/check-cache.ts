// A per-user cache of what the load-time check (static-check.ts) learns from each template text: its
// syntax error, or the root names it reads with their positions. Finding them parses every template
// of the playbook (Handlebars and Jinja), ~50 ms of a run's CPU for the etcd roles; answered from
// here it is a hash and a lookup per text. The answers depend only on the text, whether it is a
// string or a file (and the file's extension class), bosun's build and the filter/test/lookup/global
// tables, so that is the key: an edited text is a miss, never a stale answer.
//
// One entry per playbook file holds the answers for the texts its last checked run used (a run that
// found nothing new writes nothing). Only texts from files the YAML cache may keep are stored (it
// already holds their whole text): a 0600 file or one with vault data may hold secrets, and nothing
// derived from a secret goes to disk. Extra vars and vault values are inputs to rendering, never to
// these answers. Same directory rules as the other caches (cache-dir.ts); BOSUN_CHECK_CACHE=0 turns it off.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { moduleStamp, privateCacheDir, writeCacheEntry } from '../cache-dir.js';

/** Bump when the entry format or what static-check.ts stores changes. */
const FORMAT = 'bosun-check-cache-1';
/** Entries (playbooks) kept; past this the oldest half goes. */
const MAX_ENTRIES = 500;

/** A name a template reads, with its position in the text. */
export interface Root {
  name: string;
  line: number;
  col: number;
}

/** What the check learns from one text: its syntax error, or the names it reads. */
export interface TextFacts {
  syntax?: string;
  roots: Root[];
}

/** On disk: [syntax error or null, [[name, line, col], …]]. */
type Stored = [string | null, Array<[string, number, number]>];

// The modules whose code decides the answers; any of them rebuilt makes every entry a miss. In the
// bundle this file is the bundle (its stamp covers all; the others are not found); from tsc's or
// the tests' build, each file's own.
const DEPENDS = ['./static-check.js', './template-lang.js', './jinja/index.js', './jinja/check.js', './jinja/compile.js', './jinja/tokenizer.js', './jinja/parser.js', './jinja/template-parser.js', './jinja/filters.js', './jinja/tests.js', './jinja/globals.js'];

let buildStamp: string | undefined;
function stamp(): string {
  if (buildStamp === undefined) {
    const urls = [new URL(import.meta.url), ...DEPENDS.map((d) => new URL(d, import.meta.url))];
    let hbs = '?';
    try {
      hbs = moduleStamp(import.meta.resolve('handlebars'));
    } catch {
      /* not resolvable as a file */
    }
    buildStamp = [...urls.map(moduleStamp), hbs].join(':');
  }
  return buildStamp;
}

function sha(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

/** The answers of one check (one playbook), read from and written back to the cache directory. */
export class CheckCache {
  private stored: Record<string, unknown> = {};
  /** Every persistable text's answer this run (hits and new ones): what the entry is rewritten with. */
  private readonly used = new Map<string, Stored>();
  private dirty = false;

  private constructor(
    private readonly dir: string | null,
    private readonly entry: string,
  ) {}

  /**
   * The cache of `playbookFile`'s check; `tables` names what else decides an answer (the filters,
   * tests, lookups and globals known to this run). Without a usable directory it stores nothing.
   */
  static open(playbookFile: string, tables: string): CheckCache {
    const dir = privateCacheDir('check', 'BOSUN_CHECK_CACHE');
    const cache = new CheckCache(dir, sha(FORMAT, stamp(), sha(tables), resolve(playbookFile)));
    if (dir) cache.load(join(dir, cache.entry));
    return cache;
  }

  private load(path: string): void {
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch {
      return; // first run of this playbook (or build)
    }
    try {
      const o = JSON.parse(raw) as unknown;
      if (o && typeof o === 'object' && !Array.isArray(o)) this.stored = o as Record<string, unknown>;
    } catch {
      /* a torn or foreign entry: every text is a miss, and the entry is rewritten */
    }
  }

  /** The key of a text of one kind ('s' a string, 'f…' a file by extension class). */
  key(kind: string, text: string): string {
    return `${kind}:${createHash('sha256').update(text).digest('base64')}`;
  }

  get(key: string): TextFacts | undefined {
    const s = Object.hasOwn(this.stored, key) ? this.stored[key] : undefined;
    if (!valid(s)) return undefined; // absent, or not what this code writes: answered afresh
    this.used.set(key, s);
    return { ...(s[0] !== null ? { syntax: s[0] } : {}), roots: s[1].map(([name, line, col]) => ({ name, line, col })) };
  }

  /** Records a text's answer; kept on disk only when `persist` (its source may be cached, see the header). */
  put(key: string, facts: TextFacts, persist: boolean): void {
    if (!persist || !this.dir) return;
    this.used.set(key, [facts.syntax ?? null, facts.roots.map((r) => [r.name, r.line, r.col])]);
    this.dirty = true;
  }

  /** Writes the entry when this run learnt something new. Never throws. */
  save(): void {
    if (!this.dir || !this.dirty) return;
    this.dirty = false;
    writeCacheEntry(this.dir, this.entry, JSON.stringify(Object.fromEntries(this.used)), MAX_ENTRIES);
  }
}

function valid(v: unknown): v is Stored {
  return (
    Array.isArray(v) &&
    v.length === 2 &&
    (v[0] === null || typeof v[0] === 'string') &&
    Array.isArray(v[1]) &&
    v[1].every((r) => Array.isArray(r) && r.length === 3 && typeof r[0] === 'string' && Number.isInteger(r[1]) && Number.isInteger(r[2]))
  );
}
