export * from './accounts.js';
export * from './presence-links.js';
export * from './account-directory.js';
export * from './provision-account.js';
export * from './remote-grants.js';
export * from './remote-jid.js';
