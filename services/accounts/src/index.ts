export * from './accounts.js';
export * from './presence-links.js';
