/**
 * Every XML namespace the desk's XMPP code speaks, in one table (browser-safe). The
 * exported NS_* names elsewhere are aliases of these entries.
 */
export const NS = {
  // RFC 6120
  streams: 'http://etherx.jabber.org/streams',
  tls: 'urn:ietf:params:xml:ns:xmpp-tls',
  sasl: 'urn:ietf:params:xml:ns:xmpp-sasl',
  bind: 'urn:ietf:params:xml:ns:xmpp-bind',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  // RFC 6121 §2
  roster: 'jabber:iq:roster',
  // XEP-0004
  data: 'jabber:x:data',
  // XEP-0030
  discoInfo: 'http://jabber.org/protocol/disco#info',
  discoItems: 'http://jabber.org/protocol/disco#items',
  // XEP-0050
  commands: 'http://jabber.org/protocol/commands',
  // XEP-0060
  pubsub: 'http://jabber.org/protocol/pubsub',
  pubsubOwner: 'http://jabber.org/protocol/pubsub#owner',
  pubsubEvent: 'http://jabber.org/protocol/pubsub#event',
  pubsubNodeConfig: 'http://jabber.org/protocol/pubsub#node_config',
  // XEP-0184
  receipts: 'urn:xmpp:receipts',
  // XEP-0198
  sm: 'urn:xmpp:sm:3',
  // XEP-0199
  ping: 'urn:xmpp:ping',
  // XEP-0333
  markers: 'urn:xmpp:chat-markers:0',
} as const;
