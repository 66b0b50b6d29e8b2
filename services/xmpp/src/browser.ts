// The browser-safe part of @tickdesk/xmpp: stanza builders and parsers with no node:*
// import (the dashboard composes its own WebSocket client from xmpp.js parts).
export * from './backoff.js';
export * from './errors.js';
export * from './data-form.js';
export * from './iq-caller.js';
export * from './pubsub.js';
export * from './receipts.js';
export * from './markers.js';
export * from './presence.js';
export * from './xml-safe.js';
export * from './sasl.js';
export { default as xml, type Element } from '@xmpp/xml';
