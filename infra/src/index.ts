export * from './errors.js';
export * from './binaries.js';
export * from './ports.js';
export * from './certs.js';
export * from './managed-process.js';
export * from './redis-server.js';
export * from './prosody-server.js';
export * from './template.js';
