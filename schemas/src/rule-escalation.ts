import { Type, type Static } from '@sinclair/typebox';

/**
 * Where one step of an escalation chain goes (docs/alerts-protocol.md "Escalation chains"):
 * recipient: the alert's XMPP message to its addressee (always the first step); webhook: the
 * addressee's webhook endpoints, as an escalation POST; backup: the rule's backup over XMPP;
 * desk: a "nobody acknowledged" chat alert to every online trader and every compliance account.
 */
export const ESCALATION_TARGETS = ['recipient', 'webhook', 'backup', 'desk'] as const;
export type EscalationTarget = (typeof ESCALATION_TARGETS)[number];

/** Steps one chain may have at most. */
export const MAX_ESCALATION_STEPS = 6;
/** The longest wait of a step, seconds after the alert fired (one day). */
export const MAX_ESCALATION_WAIT_SECONDS = 86_400;

export const EscalationStep = Type.Object(
  {
    to: Type.Union(ESCALATION_TARGETS.map((t) => Type.Literal(t))),
    /** Seconds after the alert fired; default 0; never less than the step before. */
    afterSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_ESCALATION_WAIT_SECONDS })),
  },
  { additionalProperties: false },
);
export type EscalationStep = Static<typeof EscalationStep>;

/** An ordered chain of steps, each taken only while nobody the alert went to has acknowledged it. */
export const EscalationChain = Type.Array(EscalationStep, { minItems: 1, maxItems: MAX_ESCALATION_STEPS });
export type EscalationChain = Static<typeof EscalationChain>;

/** A trader's default chain (GET/PUT /v1/me/escalation); a rule's own chain wins over it. */
export const EscalationDefault = Type.Object({ escalation: EscalationChain }, { additionalProperties: false });
export type EscalationDefault = Static<typeof EscalationDefault>;

export type EscalationCheck = { ok: true; value: EscalationChain } | { ok: false; field: string; message: string };

/**
 * Checks a chain and returns it with every wait written out. `hasBackup` false (a rule
 * without a backup) refuses a `backup` step; undefined (a trader's default chain, used by
 * rules with and without one) lets it through, and the engine skips it with an audit record.
 * Fields are named as `escalation[i].to`, for a 422 or a chat reply.
 */
export function checkEscalation(input: unknown, opts: { hasBackup?: boolean } = {}): EscalationCheck {
  const no = (field: string, message: string): EscalationCheck => ({ ok: false, field, message });
  if (!Array.isArray(input)) return no('escalation', 'must be a list of steps such as [{"to":"recipient"}]');
  if (input.length === 0) return no('escalation', 'must have at least one step');
  if (input.length > MAX_ESCALATION_STEPS) return no('escalation', `must have at most ${MAX_ESCALATION_STEPS} steps`);
  const out: EscalationStep[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of input.entries()) {
    const at = `escalation[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return no(at, 'must be an object');
    const step = raw as Record<string, unknown>;
    for (const key of Object.keys(step))
      if (key !== 'to' && key !== 'afterSeconds') return no(`${at}.${key}`, 'unknown field');
    const to = step.to;
    if (typeof to !== 'string' || !(ESCALATION_TARGETS as readonly string[]).includes(to))
      return no(`${at}.to`, `must be one of ${ESCALATION_TARGETS.join(', ')}`);
    if (to === 'recipient' && i > 0)
      return no(`${at}.to`, 'recipient can only be the first step: the alert goes to its recipient first');
    if (seen.has(to)) return no(`${at}.to`, `${to} is in the chain already`);
    seen.add(to);
    if (to === 'backup' && opts.hasBackup === false) return no(`${at}.to`, 'the rule has no backup to escalate to');
    const after = step.afterSeconds ?? 0;
    if (typeof after !== 'number' || !Number.isInteger(after) || after < 0 || after > MAX_ESCALATION_WAIT_SECONDS)
      return no(`${at}.afterSeconds`, `must be a whole number of seconds from 0 to ${MAX_ESCALATION_WAIT_SECONDS}`);
    if (to === 'recipient' && after !== 0) return no(`${at}.afterSeconds`, 'must be 0: the recipient is told at once');
    const before = out.at(-1)?.afterSeconds ?? 0;
    if (after < before)
      return no(`${at}.afterSeconds`, `must not be less than the step before (${before}): waits count from the firing`);
    out.push({ to: to as EscalationTarget, afterSeconds: after });
  }
  return { ok: true, value: out };
}
