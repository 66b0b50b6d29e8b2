// The browser-safe part of @tickdesk/xmpp: the client composition over WebSocket, SCRAM on
// WebCrypto, stanza builders and parsers, with no node:* import.
export * from './compose.js';
export * from './websocket-transport.js';
export * from './scram-sha-1.js';
export * from './namespaces.js';
export * from './backoff.js';
export * from './jid.js';
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
