export * from './errors.js';
export * from './executor/types.js';
export * from './modules/types.js';
