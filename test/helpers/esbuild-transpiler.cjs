// ts-node's transpiler for the test runs (tsconfig.json's "ts-node" block; tsc ignores it):
// esbuild's transform instead of TypeScript's transpileModule. Every test file is its own process
// and transpiles the lib/ it imports afresh (~200 files); TypeScript took ~40 ms of CPU a file,
// esbuild ~4, which over the suite's ~150 processes is minutes of CPU on a 2-core machine. Type
// checking stays with `tsc -p tsconfig.json` (the build); the emit is the same ES2022 ESM with a
// source map (coverage and stack traces map back to the .ts), and a syntax error still fails loudly.
'use strict';
const { transformSync } = require('esbuild');

const CommonJS = 1; // ts.ModuleKind.CommonJS

exports.create = function create({ service, nodeModuleEmitKind }) {
  const cjs = nodeModuleEmitKind === 'nodecjs' || service.config.options.module === CommonJS;
  return {
    transpile(input, { fileName }) {
      const r = transformSync(input, {
        loader: /\.[cm]?tsx$/.test(fileName) ? 'tsx' : 'ts',
        format: cjs ? 'cjs' : 'esm',
        target: 'es2022',
        sourcemap: 'external',
        sourcefile: fileName,
        // tsc's emit for this project: ES2022 class fields ([[Define]]), strict, type-only imports dropped
        tsconfigRaw: { compilerOptions: { useDefineForClassFields: true, alwaysStrict: true, verbatimModuleSyntax: false } },
      });
      return { outputText: r.code, sourceMapText: r.map };
    },
  };
};
