import { NS, xml, type Element } from '@tickdesk/xmpp/browser';

/** RFC 6121 §2.1.3 roster get: makes this an interested resource before initial presence. */
export const rosterGet = (): Element => xml('iq', { type: 'get' }, xml('query', { xmlns: NS.roster }));

/** The desk's pubsub service for a domain (docs/protocol.md §3). */
export const pubsubService = (domain: string): string => `pubsub.${domain}`;

/** The account the alert engine sends from (docs/alerts-protocol.md §1). */
export const alertsAccount = (domain: string): string => `alerts@${domain}`;
