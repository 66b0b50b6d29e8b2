import { readonly, writable } from 'svelte/store';
import type { Fetch } from '../api/http.js';
import type { HealthReport } from '../api/rest-types.js';
import type { Visibility } from './alerts.js';
import { deskParts, type DeskPartRow } from './desk-parts.js';
import type { Timers } from './reconnect-timer.js';

/** How often the Desk panel reads /health: a killed part shows within this plus the probe's own ~1.5 s at most. */
export const HEALTH_POLL_MS = 3_000;
/** The one-line desk state of roles without the panel: the same answer, read less often. */
export const HEALTH_POLL_LINE_MS = 15_000;

export interface DeskHealthView {
  /** unknown: not read yet; unreachable: /health did not answer (the API itself is down or restarting). */
  status: 'unknown' | 'ok' | 'degraded' | 'unreachable';
  parts: DeskPartRow[];
  /** When the shown answer was read (ms), 0 before the first. */
  checkedAt: number;
}

const EMPTY: DeskHealthView = { status: 'unknown', parts: [], checkedAt: 0 };

/**
 * The desk's parts from GET /health (no token; a 503 carries the same body), read every
 * `intervalMs` while watched and the tab is visible; an answer that is not /health's is
 * `unreachable` and keeps the last parts shown.
 */
export function createDeskHealth(deps: { fetch: Fetch; timers: Timers; visibility: Visibility; now: () => number }) {
  const view = writable<DeskHealthView>(EMPTY);
  let timer: unknown;
  let interval = 0;
  let inFlight = false;

  async function read(): Promise<void> {
    if (inFlight) return;
    inFlight = true;
    try {
      const res = await deps.fetch('/health', { headers: { accept: 'application/json' } });
      const body = (await res.json()) as Partial<HealthReport>;
      if ((res.status !== 200 && res.status !== 503) || !body.components || typeof body.components !== 'object')
        throw new Error(`HTTP ${res.status}`);
      const parts = deskParts(body.components);
      view.set({
        status: body.status === 'ok' && parts.every((p) => p.state === 'ok') ? 'ok' : 'degraded',
        parts,
        checkedAt: deps.now(),
      });
    } catch {
      view.update((v) => ({ ...v, status: 'unreachable', checkedAt: deps.now() }));
    } finally {
      inFlight = false;
    }
  }

  function schedule(): void {
    deps.timers.clear(timer);
    if (interval === 0) return;
    timer = deps.timers.set(() => {
      if (deps.visibility.visible()) void read().finally(schedule);
      else schedule();
    }, interval);
  }

  deps.visibility.onChange(() => {
    if (interval !== 0 && deps.visibility.visible()) void read();
  });

  return {
    view: readonly(view),
    /** Read now, then every `intervalMs` (the shortest asked for wins) until `stop`. */
    watch(intervalMs: number): void {
      if (interval !== 0 && interval <= intervalMs) return;
      interval = intervalMs;
      void read();
      schedule();
    },
    read,
    stop(): void {
      interval = 0;
      deps.timers.clear(timer);
      view.set(EMPTY);
    },
  };
}
