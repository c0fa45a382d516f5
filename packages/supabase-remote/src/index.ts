export * from './client.js';
export * from './network.js';
export * from './project.js';
export * from './realtime.js';
export * from './remote.js';
export * from './request.js';
export * from './session.js';
