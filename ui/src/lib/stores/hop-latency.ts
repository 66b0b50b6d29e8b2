import { readonly, writable } from 'svelte/store';
import type { DeskApi } from '../api/desk-api.js';
import { ApiError } from '../api/http.js';
import type { HopLatency } from '../api/rest-types.js';
import { isoMillis } from '../time-format.js';

/** The windows compliance chooses from, ms back from now; the API bounds them (TICKDESK_API_LATENCY_WINDOW_MAX_H, 7 days by default). */
export const LATENCY_WINDOWS = [
  { label: 'last 15 min', ms: 900_000 },
  { label: 'last hour', ms: 3_600_000 },
  { label: 'last 24 h', ms: 86_400_000 },
  { label: 'last 7 days', ms: 604_800_000 },
] as const;

export interface HopLatencyView {
  windowMs: number;
  loading: boolean;
  error: string;
  result: HopLatency | undefined;
}

/** Compliance: tick to acknowledge per hop over a window (GET /v1/alerts/latency). */
export function createHopLatency(deps: { api: DeskApi; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const initial: HopLatencyView = { windowMs: 3_600_000, loading: false, error: '', result: undefined };
  const view = writable<HopLatencyView>(initial);
  let windowMs = initial.windowMs;

  async function load(ms = windowMs): Promise<void> {
    windowMs = ms;
    view.update((v) => ({ ...v, windowMs: ms, loading: true, error: '' }));
    const to = now();
    try {
      const result = await deps.api.alertLatency({ from: isoMillis(to - ms), to: isoMillis(to) });
      view.update((v) => ({ ...v, loading: false, result }));
    } catch (err) {
      const error = err instanceof ApiError ? err.message : String((err as Error)?.message ?? err);
      view.update((v) => ({ ...v, loading: false, error, result: undefined }));
    }
  }

  return {
    view: readonly(view),
    load,
    clear: () => view.set(initial),
  };
}
