// Wraps fakeContext for the core module tests: a real template renderer (handlebars, strict,
// noEscape) and a small expression evaluator over the context's vars (JS syntax plus and/or/not),
// enough for debug/assert/template tests without depending on the engine.

import Handlebars from 'handlebars';
import { fakeContext, type FakeContext, type FakeContextOptions } from './fake-ctx.js';

export function moduleContext(opts: FakeContextOptions = {}): FakeContext {
  const ctx = fakeContext(opts);
  const vars = opts.vars ?? {};
  const hb = Handlebars.create();
  return Object.assign(ctx, {
    render: (text: string) => hb.compile(text, { strict: true, noEscape: true })(vars),
    evaluate: (expr: string): unknown => {
      const js = expr.replace(/\band\b/g, '&&').replace(/\bor\b/g, '||').replace(/\bnot\b/g, '!');
      // Test-only evaluator: sloppy-mode Function so `with` can expose the vars as names.
      return new Function('vars', `with (vars) { return (${js}); }`)(vars);
    },
  });
}
