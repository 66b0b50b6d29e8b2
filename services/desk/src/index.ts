export * from './config.js';
export * from './credentials.js';
export * from './desk-infra.js';
export * from './connect.js';
export * from './provision.js';
export { entitle, provisionUser, USERS_KEY } from '@tickdesk/accounts';
export * from './provision-desk.js';
export * from './topology.js';
export { nodeFlagsOf } from './service-process.js';
