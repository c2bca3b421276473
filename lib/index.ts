export * from './errors.js';
export * from './executor/types.js';
export * from './modules/types.js';
// Extension points for code outside the tree (docs/architecture.md)
export { registerModule } from './modules/index.js';
export { registerConnection, type ConnectionType } from './executor/registry.js';
