import xml, { type Element } from '@xmpp/xml';
import type { IQCaller } from './iq-caller.js';
import { toXmppError } from './errors.js';
import { parseForm, submitForm, type FieldValue } from './data-form.js';
import { NS } from './namespaces.js';

// XEP-0060: Publish-Subscribe.
export const NS_PUBSUB = NS.pubsub;
export const NS_PUBSUB_OWNER = NS.pubsubOwner;
export const NS_PUBSUB_EVENT = NS.pubsubEvent;
const NS_NODE_CONFIG = NS.pubsubNodeConfig;
const NS_DISCO_ITEMS = NS.discoItems;
const NS_DISCO_INFO = NS.discoInfo;

export type Affiliation = 'owner' | 'publisher' | 'publish-only' | 'member' | 'none' | 'outcast';
export interface PubsubItem {
  id: string;
  payload: Element | undefined;
}
export interface NodeInfo {
  node: string;
  name?: string;
}
/** Node configuration by XEP-0060 §16.4.4 field name without the `pubsub#` prefix. */
export type NodeConfig = Partial<Record<string, FieldValue>>;

const prefixed = (config: NodeConfig): Record<string, FieldValue> =>
  Object.fromEntries(
    Object.entries(config)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [`pubsub#${k}`, v as FieldValue]),
  );

/**
 * What pubsub needs of a session: an IQ caller and the JID subscriptions default to. A
 * service's XmppClient is one; the dashboard hands its WebSocket session's.
 */
export interface PubsubPeer {
  iq: Pick<IQCaller, 'request'>;
  bareJid(): string;
}

/** Typed XEP-0060 operations against one pubsub service. */
export function createPubsub(client: PubsubPeer, service: string) {
  const iq = async (type: 'get' | 'set', child: Element, what: string, timeoutMs?: number) => {
    try {
      return await client.iq.request(xml('iq', { type, to: service }, child), timeoutMs);
    } catch (err) {
      throw toXmppError(err, what);
    }
  };
  const iqSet = (child: Element, what: string, timeoutMs?: number) => iq('set', child, what, timeoutMs);
  const iqGet = (child: Element, what: string) => iq('get', child, what);

  return {
    service,

    /** XEP-0030 disco#items on the service: the nodes this account may see. */
    async nodes(): Promise<NodeInfo[]> {
      const res = await iqGet(xml('query', { xmlns: NS_DISCO_ITEMS }), 'disco#items');
      return (res.getChild('query')?.getChildren('item') ?? []).map((i) => ({
        node: i.attrs.node as string,
        ...(i.attrs.name ? { name: i.attrs.name as string } : {}),
      }));
    },

    /** XEP-0030 disco#info on a node: identity type and meta-data form. */
    async nodeInfo(node: string) {
      const res = await iqGet(xml('query', { xmlns: NS_DISCO_INFO, node }), `disco#info ${node}`);
      const q = res.getChild('query');
      return { identity: q?.getChild('identity')?.attrs, meta: parseForm(q?.getChild('x', NS.data)) };
    },

    /** §8.1.3 create a node with configuration. */
    async create(node: string, config: NodeConfig = {}): Promise<void> {
      await iqSet(
        xml(
          'pubsub',
          { xmlns: NS_PUBSUB },
          xml('create', { node }),
          xml('configure', {}, submitForm(NS_NODE_CONFIG, prefixed(config))),
        ),
        `create ${node}`,
      );
    },

    /** §8.2.4 submit node configuration. */
    async configure(node: string, config: NodeConfig): Promise<void> {
      await iqSet(
        xml(
          'pubsub',
          { xmlns: NS_PUBSUB_OWNER },
          xml('configure', { node }, submitForm(NS_NODE_CONFIG, prefixed(config))),
        ),
        `configure ${node}`,
      );
    },

    /** §8.2.1 current node configuration, `pubsub#` prefix removed. */
    async configuration(node: string): Promise<Record<string, string[]>> {
      const res = await iqGet(
        xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('configure', { node })),
        `configuration ${node}`,
      );
      const form = parseForm(res.getChild('pubsub')?.getChild('configure')?.getChild('x', NS.data));
      return Object.fromEntries(
        [...form.values()].filter((f) => f.var !== 'FORM_TYPE').map((f) => [f.var.replace(/^pubsub#/, ''), f.values]),
      );
    },

    /** §7.1 publish one item; resolves with the item id the service assigned or kept. */
    async publish(node: string, payload: Element, id?: string, timeoutMs?: number): Promise<string | undefined> {
      const res = await iqSet(
        xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node }, xml('item', id ? { id } : {}, payload))),
        `publish ${node}`,
        timeoutMs,
      );
      return (res.getChild('pubsub')?.getChild('publish')?.getChild('item')?.attrs.id as string | undefined) ?? id;
    },

    /** §6.1 subscribe `jid` (default: this client's bare JID) to a node. */
    async subscribe(node: string, jid: string = client.bareJid()): Promise<string> {
      const res = await iqSet(
        xml('pubsub', { xmlns: NS_PUBSUB }, xml('subscribe', { node, jid })),
        `subscribe ${node}`,
      );
      return (
        (res.getChild('pubsub')?.getChild('subscription')?.attrs.subscription as string | undefined) ?? 'subscribed'
      );
    },

    /** §6.2 unsubscribe. */
    async unsubscribe(node: string, jid: string = client.bareJid(), timeoutMs?: number): Promise<void> {
      await iqSet(
        xml('pubsub', { xmlns: NS_PUBSUB }, xml('unsubscribe', { node, jid })),
        `unsubscribe ${node}`,
        timeoutMs,
      );
    },

    /** §6.5 the most recent items (the service decides how many it keeps). */
    async items(node: string, max?: number): Promise<PubsubItem[]> {
      const res = await iqGet(
        xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', max ? { node, max_items: String(max) } : { node })),
        `items ${node}`,
      );
      return (res.getChild('pubsub')?.getChild('items')?.getChildren('item') ?? []).map(toItem);
    },

    /** §8.9.1 affiliations of a node (owner only). */
    async affiliations(node: string): Promise<Array<{ jid: string; affiliation: Affiliation }>> {
      const res = await iqGet(
        xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('affiliations', { node })),
        `affiliations ${node}`,
      );
      return (res.getChild('pubsub')?.getChild('affiliations')?.getChildren('affiliation') ?? []).map((a) => ({
        jid: a.attrs.jid as string,
        affiliation: a.attrs.affiliation as Affiliation,
      }));
    },

    /** §8.9.2 modify affiliations (owner only); `none` removes one. */
    async setAffiliations(
      node: string,
      changes: ReadonlyArray<{ jid: string; affiliation: Affiliation }>,
    ): Promise<void> {
      await iqSet(
        xml(
          'pubsub',
          { xmlns: NS_PUBSUB_OWNER },
          xml('affiliations', { node }, ...changes.map((c) => xml('affiliation', c))),
        ),
        `set affiliations ${node}`,
      );
    },

    /** §8.8.1 subscriptions of a node (owner only). */
    async subscriptions(node: string): Promise<Array<{ jid: string; subscription: string }>> {
      const res = await iqGet(
        xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('subscriptions', { node })),
        `subscriptions ${node}`,
      );
      return (res.getChild('pubsub')?.getChild('subscriptions')?.getChildren('subscription') ?? []).map((s) => ({
        jid: s.attrs.jid as string,
        subscription: s.attrs.subscription as string,
      }));
    },

    /** §8.8.2 modify subscriptions (owner only); `none` removes one. */
    async setSubscriptions(
      node: string,
      changes: ReadonlyArray<{ jid: string; subscription: 'none' | 'subscribed' }>,
    ): Promise<void> {
      await iqSet(
        xml(
          'pubsub',
          { xmlns: NS_PUBSUB_OWNER },
          xml('subscriptions', { node }, ...changes.map((c) => xml('subscription', c))),
        ),
        `set subscriptions ${node}`,
      );
    },

    /** §8.4 delete a node (owner only). */
    async deleteNode(node: string): Promise<void> {
      await iqSet(xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('delete', { node })), `delete ${node}`);
    },

    /** §8.5 purge all items (owner only). */
    async purge(node: string): Promise<void> {
      await iqSet(xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('purge', { node })), `purge ${node}`);
    },
  };
}

export type Pubsub = ReturnType<typeof createPubsub>;

function toItem(i: Element): PubsubItem {
  const payload = i.children.find((c): c is Element => typeof c !== 'string');
  return { id: (i.attrs.id as string) ?? '', payload };
}

export interface PubsubEvent {
  node: string;
  items: PubsubItem[];
  retracted: string[];
}

/**
 * §7.1.2.1 a notification, or undefined when the stanza is not one. Only events whose
 * `from` is the pubsub service count; anything else is not a pubsub event for us.
 */
export function parsePubsubEvent(stanza: Element, service: string): PubsubEvent | undefined {
  if (stanza.name !== 'message' || stanza.attrs.type === 'error') return undefined;
  const event = stanza.getChild('event', NS_PUBSUB_EVENT);
  if (!event) return undefined;
  if (stanza.attrs.from !== service) return undefined;
  const items = event.getChild('items');
  if (!items || typeof items.attrs.node !== 'string') return undefined;
  return {
    node: items.attrs.node,
    items: items.getChildren('item').map(toItem),
    retracted: items.getChildren('retract').map((r) => r.attrs.id as string),
  };
}
