import type { AlertState, EscalationChain, EscalationStep, LifecycleStep } from '@tickdesk/schemas';

/**
 * Where an alert is in its chain, read from its lifecycle alone: every hop is an `escalated`
 * or `escalation-skipped` record whose detail begins `step=<n>` (n counts the chain's steps
 * from 1). The lifecycle is written by fenced steps (alert-steps.ts), so an engine that takes
 * an instrument over continues the chain where the last holder left it, never twice.
 */
const STEP = /^step=(\d+) /;
const NOTIFIED = / notified=([^ ]*)/;
const FINAL: ReadonlySet<AlertState> = new Set(['acknowledged', 'expired', 'failed', 'suppressed', 'retired']);

/** The chain's steps recorded so far (the highest n). */
export function stepsTaken(lifecycle: readonly LifecycleStep[]): number {
  let n = 0;
  for (const s of lifecycle) {
    if (s.event !== 'escalated' && s.event !== 'escalation-skipped') continue;
    const m = STEP.exec(s.detail ?? '');
    if (m) n = Math.max(n, Number(m[1]));
  }
  return n;
}

/** The next step (its 0-based index) or undefined when the chain is walked; a leading `recipient` is the first send. */
export function nextStep(
  chain: EscalationChain,
  lifecycle: readonly LifecycleStep[],
): { index: number; step: EscalationStep } | undefined {
  const first = chain[0]?.to === 'recipient' ? 1 : 0;
  const index = Math.max(first, stepsTaken(lifecycle));
  const step = chain[index];
  return step ? { index, step } : undefined;
}

/** When a step is due: its wait counts from the firing. */
export const dueAt = (firedAt: string, step: EscalationStep): number =>
  Date.parse(firedAt) + (step.afterSeconds ?? 0) * 1000;

/** Whether the chain stops: someone acknowledged the alert, or it ended otherwise. */
export const chainEnded = (alert: { state: AlertState; lifecycle: readonly LifecycleStep[] }): boolean =>
  FINAL.has(alert.state) || alert.lifecycle.some((s) => s.event === 'acknowledged');

/** The detail of a hop: `step=<n> to=<target> reason=not-acknowledged-after=<s>s`, then what it did or why it was skipped. */
export function hopDetail(index: number, step: EscalationStep, extra = ''): string {
  const base = `step=${index + 1} to=${step.to} reason=not-acknowledged-after=${step.afterSeconds ?? 0}s`;
  return extra ? `${base} ${extra}` : base;
}

/** The traders a desk-wide step told (their receipts and markers count, and acknowledge the alert). */
export function deskNotified(lifecycle: readonly LifecycleStep[]): Set<string> {
  const out = new Set<string>();
  for (const s of lifecycle) {
    if (s.event !== 'escalated' || !s.detail?.includes(' to=desk ')) continue;
    const m = NOTIFIED.exec(s.detail);
    if (m?.[1]) for (const t of m[1].split(',')) out.add(t);
  }
  return out;
}
