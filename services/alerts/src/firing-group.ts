import type { AlertRecord } from '@tickdesk/schemas';
import { xml, type Element } from '@tickdesk/xmpp';
import type { AlertContent } from './alert-message.js';

export type FiringGroup = NonNullable<AlertRecord['group']>;
export type GroupedFiring = FiringGroup['firings'][number];

/** Namespace of the list of a group's firings beside the alert payload (docs/alerts-protocol.md "Flap control"). */
export const NS_ALERT_GROUP = 'urn:tickdesk:alert-group:0';

/**
 * Firings one group message lists at most: a once-per-bar 1s rule grouped over an hour would
 * otherwise gather 3,600 into one stanza. The ones past it are counted (`more`) and each is
 * still stored and audited as grouped into the message.
 */
export const GROUP_LISTED_MAX = 50;

/** The group with one more firing (listed, or counted past GROUP_LISTED_MAX); the same group when it is listed already. */
export function withFiring(group: FiringGroup, f: GroupedFiring): FiringGroup {
  if (group.firings.some((g) => g.id === f.id)) return group;
  if (group.firings.length < GROUP_LISTED_MAX) return { ...group, firings: [...group.firings, f] };
  return { ...group, more: (group.more ?? 0) + 1 };
}

/** How many firings the group gathered. */
const groupSize = (group: FiringGroup): number => group.firings.length + (group.more ?? 0);

const clock = (t: string): string => t.replace('T', ' ').replace(/(\.\d{3})\d*Z$/, '$1 UTC');

/** The `<body/>` of a group message: the condition once, then each firing's price and time. */
export function groupBody(head: string, a: Pick<AlertContent, 'id' | 'rule' | 'message'>, group: FiringGroup): string {
  const listed = group.firings.map((f) => `${f.price} at ${clock(f.eventTime)}`).join('; ');
  const more = group.more ? `; and ${group.more} more` : '';
  const n = groupSize(group);
  return `${head}: ${n} firing${n === 1 ? '' : 's'}: ${listed}${more}${a.message ? `. ${a.message}` : ''} [alert ${a.id}, rule ${a.rule}]`;
}

/** For programs: the alert ids (and prices, times) of the firings the message stands for. */
export function groupElement(group: FiringGroup): Element {
  return xml(
    'group',
    { xmlns: NS_ALERT_GROUP, count: String(groupSize(group)), until: group.until },
    ...group.firings.map((f) => xml('firing', { id: f.id, price: f.price, 'event-time': f.eventTime })),
  );
}
