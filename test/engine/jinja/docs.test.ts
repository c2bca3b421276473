// docs/templates.md lists every filter, test and lookup with its count: checked here against the
// tables the engine dispatches on, so the page cannot drift from the code.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FILTERS, LOOKUPS, TESTS } from '../../../lib/engine/jinja/index.js';

const doc = readFileSync(join(import.meta.dirname, '../../../docs/templates.md'), 'utf8');

/** The count in `### Title (N…)` and the names in the paragraph right after it. */
function section(title: string): { count: number; names: string[] } {
  const m = new RegExp(`^### ${title} \\((\\d+)[^)]*\\)\\n\\n([^\\n]+(?:\\n[^\\n]+)*)`, 'm').exec(doc);
  if (!m) throw new Error(`docs/templates.md has no "### ${title} (N)" section followed by its names`);
  return { count: Number(m[1]), names: m[2]!.split(/\s+/).filter(Boolean) };
}

const short = (table: Record<string, unknown>): string[] => Object.keys(table).filter((k) => !k.startsWith('ansible.builtin.')).sort();

for (const [title, table, qualified] of [
  ['Filters', FILTERS, true],
  ['Tests', TESTS, true],
  ['Lookups', LOOKUPS, false],
] as const) {
  t.test(`docs/templates.md: ${title}`, async (t) => {
    const { count, names } = section(title);
    const have = short(table);
    t.same([...names].sort(), have, `the ${title.toLowerCase()} listed are exactly the registered ones`);
    t.equal(count, have.length, `the count in the heading is ${have.length}`);
    t.same(names, [...names].sort(), 'listed in alphabetical order');
    if (qualified) t.same(have.filter((n) => !Object.hasOwn(table, `ansible.builtin.${n}`)), [], 'each also as ansible.builtin.NAME');
  });
}
