// Where bosun is installed: the nearest directory above this code holding bosun's package.json.
// The code runs from lib/ (tests), dist/lib/ (tsc) or dist/bosun.mjs (the bundle), so no fixed
// number of '..' fits all three.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'bosun') return (root = dir);
    if (dirname(dir) === dir) throw new Error(`bosun's package.json not found above ${fileURLToPath(import.meta.url)}`);
  }
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
