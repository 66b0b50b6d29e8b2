import { barsNode, ticksNode, type Instrument } from '@tickdesk/schemas';
import type { NodeConfig, Pubsub } from '@tickdesk/xmpp';

/** Node configuration of instrument nodes (docs/protocol.md, "Nodes"). */
export function instrumentNodeConfig(title: string, maxItems: number): NodeConfig {
  return {
    title,
    access_model: 'whitelist',
    publish_model: 'publishers',
    deliver_payloads: true,
    deliver_notifications: true,
    persist_items: true,
    max_items: maxItems,
    notification_type: 'headline',
    send_last_published_item: 'never',
    notify_retract: false,
    notify_delete: true,
    notify_config: false,
  };
}

/** Create each instrument's ticks/ and bars/ node, or bring an existing one's configuration in line. */
export async function ensureInstrumentNodes(pubsub: Pubsub, instruments: readonly Instrument[], maxItems = { ticks: 100, bars: 600 }): Promise<string[]> {
  const existing = new Set((await pubsub.nodes()).map((n) => n.node));
  const made: string[] = [];
  for (const inst of instruments) {
    for (const [node, config] of [
      [ticksNode(inst.symbol), instrumentNodeConfig(`${inst.symbol} ticks`, maxItems.ticks)],
      [barsNode(inst.symbol), instrumentNodeConfig(`${inst.symbol} 1-second bars`, maxItems.bars)],
    ] as const) {
      if (existing.has(node)) await pubsub.configure(node, config);
      else {
        await pubsub.create(node, config);
        made.push(node);
      }
    }
  }
  return made;
}
