export * from './client.js';
export * from './session.js';
