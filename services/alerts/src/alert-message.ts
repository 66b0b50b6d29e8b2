import { createHash } from 'node:crypto';
import { encodeAlert, type AlertPayload, type RuleCondition } from '@tickdesk/schemas';
import { markable, receiptRequest, sanitizeElement, xml, type Element } from '@tickdesk/xmpp';
import { crossPrice, crossSubject } from './cross-alert.js';
import { groupBody, groupElement, type FiringGroup } from './firing-group.js';

/** The fields of an alert that its message carries. */
export type AlertContent = AlertPayload;

const WORDS: Record<RuleCondition, string> = {
  crossing: 'crossed',
  'crossing-up': 'crossed up through',
  'crossing-down': 'crossed down through',
  'greater-than': 'is above',
  'less-than': 'is below',
  'entering-channel': 'entered the channel',
  'exiting-channel': 'left the channel',
  'inside-channel': 'is inside the channel',
  'outside-channel': 'is outside the channel',
  'moving-up': 'rose by at least',
  'moving-down': 'fell by at least',
  'moving-up-percent': 'rose by at least',
  'moving-down-percent': 'fell by at least',
};

/** What the rule said, in words: "crossed up through 65000", "entered the channel 1.08–1.09". */
export function describeCondition(
  a: Pick<AlertContent, 'condition' | 'threshold' | 'lower' | 'upper' | 'amount' | 'windowSeconds'>,
): string {
  const words = WORDS[a.condition];
  if (a.lower !== undefined && a.upper !== undefined) return `${words} ${a.lower}–${a.upper}`;
  if (a.amount !== undefined) {
    const amount = a.condition.endsWith('-percent') ? `${a.amount}%` : a.amount;
    return `${words} ${amount} within ${a.windowSeconds ?? '?'}s`;
  }
  return `${words} ${a.threshold ?? ''}`.trimEnd();
}

/** The human-readable `<body/>`: any client shows it as it is; a group's lists each firing (firing-group.ts). */
export function alertBody(a: AlertContent, group?: FiringGroup): string {
  const what = `${a.priority === 'critical' ? 'CRITICAL ' : ''}${crossSubject(a, describeCondition(a))}`;
  if (group) return groupBody(what, a, group);
  const when = a.eventTime.replace('T', ' ').replace(/(\.\d{3})\d*Z$/, '$1 UTC');
  const head = `${what}: ${crossPrice(a)} at ${when}`;
  return `${head}${a.message ? `. ${a.message}` : ''} [alert ${a.id}, rule ${a.rule}]`;
}

/**
 * The alert as a chat message (never headline: headlines are neither stored offline
 * nor archived). Its id is the alert id, so a resend is recognisably the same alert;
 * it asks for a receipt (XEP-0184 §5.1) and is markable (XEP-0333 §3). A character XML
 * 1.0 forbids (a rule stored before the boundary check) becomes U+FFFD here, so the
 * audit's stanza hash is of what the client sends. A group's message also lists its firings' ids.
 */
export function alertMessage(a: AlertContent, to: string, from?: string, group?: FiringGroup): Element {
  const message = xml(
    'message',
    { to, type: 'chat', id: a.id, ...(from ? { from } : {}) },
    xml('body', {}, alertBody(a, group)),
    encodeAlert(a),
    ...(group ? [groupElement(group)] : []),
    receiptRequest(),
    markable(),
    // XEP-0334: keep it in the recipient's archive and offline store even without a body-aware server rule.
    xml('store', { xmlns: 'urn:xmpp:hints' }),
  );
  sanitizeElement(message);
  return message;
}

/** SHA-256 of a stanza's XML, the audit chain's evidence of what was sent or received. */
export const stanzaHash = (stanza: Element | string): string =>
  createHash('sha256')
    .update(typeof stanza === 'string' ? stanza : stanza.toString())
    .digest('hex');
