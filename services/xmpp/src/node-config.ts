import type { NodeConfig } from './pubsub.js';

/**
 * The configuration (XEP-0060 §16.4.4) of a desk node one account publishes to and a
 * whitelist reads: the instrument nodes (docs/protocol.md §5.2) and the audit node (§13).
 * `whitelist` (§4.5): only members and owners subscribe or retrieve items; `publishers`:
 * only owners and publishers publish. Notifications are headlines (RFC 6121 §8.5.2.1.1: to
 * the available resources, never stored offline): the node's items and Redis, not offline
 * storage, are how a reader catches up; subscribing sends nothing old.
 */
export function publisherNodeConfig(title: string, maxItems: number): NodeConfig {
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
