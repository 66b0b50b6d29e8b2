import { readonly, writable } from 'svelte/store';
import type { Rule } from '@tickdesk/schemas';
import { silenceActive, silenceEnd, type Silence, type SilenceInput } from '@tickdesk/schemas/rest';
import { ApiError } from '../api/http.js';
import type { SilenceApi } from '../api/silence-api.js';

const text = (err: unknown) => (err instanceof ApiError ? err.message : String((err as Error)?.message ?? err));

/** The silence holding a rule's alerts now (its own or its instrument's, of the rule's owner), the longest first. */
export function silenceOf(rule: Pick<Rule, 'id' | 'symbol' | 'owner'>, all: readonly Silence[], now: number) {
  return all
    .filter((s) => s.owner === rule.owner && silenceActive(s, now))
    .filter((s) => (s.ruleId !== undefined ? s.ruleId === rule.id : s.symbol === rule.symbol))
    .sort((a, b) => silenceEnd(b) - silenceEnd(a))[0];
}

/**
 * The caller's silences over REST (compliance and admin: every trader's): listed, added,
 * ended now. `now` ticks every few seconds so a rule row's "silenced until" goes away at the end.
 */
export function createSilences({ api, now = Date.now }: { api: SilenceApi; now?: () => number }) {
  const list = writable<Silence[]>([]);
  const error = writable('');
  const clock = writable(now());
  let ticker: ReturnType<typeof setInterval> | undefined;

  async function load(): Promise<void> {
    list.set(await api.list());
    clock.set(now());
    ticker ??= setInterval(() => clock.set(now()), 5_000);
  }

  return {
    list: readonly(list),
    error: readonly(error),
    clock: readonly(clock),
    load,
    /** Adds a silence; false (and `error` says why, naming the field) when refused. */
    async add(input: SilenceInput): Promise<boolean> {
      try {
        const created = await api.create(input);
        error.set('');
        list.update((l) => [created, ...l]);
        clock.set(now());
        return true;
      } catch (err) {
        error.set(text(err));
        return false;
      }
    },
    async end(id: string): Promise<void> {
      try {
        await api.end(id);
        error.set('');
        await load();
      } catch (err) {
        error.set(text(err));
      }
    },
    clear(): void {
      clearInterval(ticker);
      ticker = undefined;
      list.set([]);
      error.set('');
    },
  };
}
