export * from './config.js';
export * from './credentials.js';
export * from './desk-infra.js';
export * from './connect.js';
export * from './provision.js';
export * from './provision-desk.js';
