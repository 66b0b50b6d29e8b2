export * from './keys.js';
export * from './key-slot.js';
export * from './role-store.js';
export * from './presence-store.js';
export * from './last-price-store.js';
export * from './heartbeat-store.js';
export * from './lease-scripts.js';
export * from './lease.js';
