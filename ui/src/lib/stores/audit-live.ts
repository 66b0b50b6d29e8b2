import { readonly, writable } from 'svelte/store';
import type { Fetch } from '../api/http.js';
import { createEmitter } from '../emitter.js';
import { createReconnectTimer, type Timers } from './reconnect-timer.js';

/** One audit chain record as GET /v1/audit/stream sends it (services/api/src/routes/audit-stream.ts). */
export interface LiveAuditRecord {
  seq: number;
  time: string;
  alertId: string;
  trader: string;
  symbol: string;
  event: string;
  detail?: string;
}

export interface AuditLiveView {
  /** The newest records, newest first, at most KEPT. */
  records: LiveAuditRecord[];
  state: 'off' | 'connecting' | 'live' | 'retrying';
}

/** Records kept for the view: the chain itself has them all. */
const KEPT = 100;

/** The `audit` events of an SSE text: complete frames parsed, the unfinished rest returned. */
function frames(text: string): { records: LiveAuditRecord[]; rest: string } {
  const parts = text.split('\n\n');
  const rest = parts.pop() ?? '';
  const records: LiveAuditRecord[] = [];
  for (const part of parts) {
    const lines = part.split('\n');
    if (!lines.includes('event: audit')) continue;
    const data = lines.find((l) => l.startsWith('data: '));
    if (data) records.push(JSON.parse(data.slice(6)) as LiveAuditRecord);
  }
  return { records, rest };
}

/**
 * The audit chain live (compliance view): GET /v1/audit/stream read with fetch (an EventSource
 * cannot send the bearer token), every record as it is appended. A dropped stream is opened
 * again after a backoff with Last-Event-ID, the last seq seen, so no record is missed.
 */
export function createAuditLive(deps: { fetch: Fetch; token: () => string | undefined; timers?: Timers }) {
  const view = writable<AuditLiveView>({ records: [], state: 'off' });
  const events = createEmitter<{ records: LiveAuditRecord[] }>();
  const retry = createReconnectTimer({ ...(deps.timers ? { timers: deps.timers } : {}), maxMs: 15_000 });
  let last: number | undefined;
  let abort: AbortController | undefined;

  async function read(ctrl: AbortController): Promise<void> {
    const token = deps.token();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (last !== undefined) headers['last-event-id'] = String(last);
    const res = await deps.fetch('/v1/audit/stream', { headers, signal: ctrl.signal });
    // Not compliance (403): nothing to follow; anything else is tried again.
    if (res.status === 403) {
      abort = undefined;
      return view.update((v) => ({ ...v, state: 'off' }));
    }
    if (!res.ok || !res.body) throw new Error(`audit stream: HTTP ${res.status}`);
    view.update((v) => ({ ...v, state: 'live' }));
    retry.reset();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error('audit stream ended');
      const got = frames(text + value);
      text = got.rest;
      if (got.records.length === 0) continue;
      last = got.records[got.records.length - 1]!.seq;
      view.update((v) => ({ ...v, records: [...[...got.records].reverse(), ...v.records].slice(0, KEPT) }));
      events.emit('records', got.records);
    }
  }

  function connect(): void {
    const ctrl = new AbortController();
    abort = ctrl;
    view.update((v) => ({ ...v, state: v.state === 'off' ? 'connecting' : v.state }));
    read(ctrl).catch(() => {
      if (abort !== ctrl) return; // stopped meanwhile
      view.update((v) => ({ ...v, state: 'retrying' }));
      retry.schedule(connect);
    });
  }

  function stop(): void {
    retry.cancel();
    const ctrl = abort;
    abort = undefined;
    ctrl?.abort();
    view.update((v) => ({ ...v, state: 'off' }));
  }

  return {
    view: readonly(view),
    on: events.on,
    /** Follow the chain from now on (idempotent). */
    start(): void {
      if (!abort) connect();
    },
    stop,
    clear(): void {
      stop();
      last = undefined;
      view.set({ records: [], state: 'off' });
    },
  };
}
