export * from './client.js';
export * from './remote.js';
export * from './session.js';
