import { NS_PUBSUB, xml, type Element } from '@tickdesk/xmpp/browser';

/** RFC 6121 §2.1.3 roster get: makes this an interested resource before initial presence. */
export const rosterGet = (): Element => xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' }));

/** XEP-0060 §6.1 subscribe `jid` (this tab's full JID, so other clients of the account get nothing) to `node`. */
export const subscribeIq = (service: string, node: string, jid: string): Element =>
  xml('iq', { type: 'set', to: service }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('subscribe', { node, jid })));

/** XEP-0060 §6.2 unsubscribe. */
export const unsubscribeIq = (service: string, node: string, jid: string): Element =>
  xml('iq', { type: 'set', to: service }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('unsubscribe', { node, jid })));

/** The desk's pubsub service for a domain (docs/protocol.md §3). */
export const pubsubService = (domain: string): string => `pubsub.${domain}`;

/** The account the alert engine sends from (docs/protocol.md §11). */
export const alertsAccount = (domain: string): string => `alerts@${domain}`;
