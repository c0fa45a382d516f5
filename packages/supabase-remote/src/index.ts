export * from './client.js';
export * from './project.js';
export * from './realtime.js';
export * from './remote.js';
export * from './request.js';
export * from './session.js';
export * from './visuals.js';
