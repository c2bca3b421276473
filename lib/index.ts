export * from './errors.js';
export * from './executor/types.js';
export * from './modules/types.js';
// Extension points for code outside the tree (docs/architecture.md)
export { registerModule } from './modules/index.js';
export { registerConnection, type ConnectionType } from './executor/registry.js';
export { FILE_ATTR_ARGS, PUT_FILE_ARGS } from './modules/util/file-args.js';
export { probeFile, writeFile, type FileProbe, type ProbeOptions } from './modules/util/remote-file.js';
/** The CLI as a function (argv without `bosun`): a custom entry point registers its modules, then calls it. */
export { main } from './cli/main.js';
export type { IO } from './cli/io.js';
