export * from './conflict.js';
export * from './digest.js';
export * from './errors.js';
export type * from './ports.js';
