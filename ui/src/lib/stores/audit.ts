import { readonly, writable } from 'svelte/store';
import type { AuditFilter, DeskApi } from '../api/desk-api.js';
import { ApiError } from '../api/http.js';
import type { AlertRecord, AuditVerdict } from '../api/rest-types.js';
import { utcInput } from '../time-format.js';

export interface AuditFilters {
  trader: string;
  symbol: string;
  status: string;
  from: string;
  to: string;
}

export interface AuditView {
  rows: AlertRecord[];
  more: boolean;
  loading: boolean;
  error: string;
  verdict: AuditVerdict | undefined;
  verifying: boolean;
  exporting: '' | 'jsonl' | 'csv';
}

const text = (err: unknown) => (err instanceof ApiError ? err.message : String((err as Error)?.message ?? err));
const LIMIT = 200;

/** The audit chain's filter as the export takes it (no status: chain records are events, not states). */
export function chainFilter(f: AuditFilters): AuditFilter {
  const out: AuditFilter = {};
  if (f.trader.trim()) out.trader = f.trader.trim().split('@')[0]!;
  if (f.symbol.trim()) out.symbol = f.symbol.trim().toUpperCase();
  if (f.from.trim()) out.from = utcInput(f.from);
  if (f.to.trim()) out.to = utcInput(f.to);
  return out;
}

/**
 * Compliance: alert lifecycles by trader, instrument, status and time (GET /v1/alerts),
 * the chain's verification (GET /v1/audit/verify) and its export, fetched with the
 * bearer token and handed to `save` as a file.
 */
export function createAudit(deps: { api: DeskApi; save: (blob: Blob, filename: string) => void; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const filters = writable<AuditFilters>({ trader: '', symbol: '', status: '', from: '', to: '' });
  const view = writable<AuditView>({
    rows: [],
    more: false,
    loading: false,
    error: '',
    verdict: undefined,
    verifying: false,
    exporting: '',
  });
  /** The alert whose detail is open (its id), '' for none. */
  const selected = writable('');
  let current: AuditFilters = { trader: '', symbol: '', status: '', from: '', to: '' };
  filters.subscribe((f) => (current = f));

  return {
    filters,
    view: readonly(view),
    selected: readonly(selected),
    /** Open one alert's detail (or close it with ''). */
    select: (id: string) => selected.set(id),

    async apply(): Promise<void> {
      view.update((v) => ({ ...v, loading: true, error: '' }));
      try {
        const page = await deps.api.alerts({
          ...chainFilter(current),
          ...(current.status ? { state: current.status } : {}),
          limit: LIMIT,
        });
        view.update((v) => ({ ...v, rows: page.alerts, more: page.next !== undefined, loading: false }));
      } catch (err) {
        view.update((v) => ({ ...v, loading: false, error: text(err) }));
      }
    },

    async verify(): Promise<void> {
      view.update((v) => ({ ...v, verifying: true, error: '' }));
      try {
        const verdict = await deps.api.verifyAudit();
        view.update((v) => ({ ...v, verdict, verifying: false }));
      } catch (err) {
        view.update((v) => ({ ...v, verifying: false, error: text(err) }));
      }
    },

    async exportFile(format: 'jsonl' | 'csv'): Promise<void> {
      view.update((v) => ({ ...v, exporting: format, error: '' }));
      try {
        const blob = await deps.api.exportAudit(format, chainFilter(current));
        deps.save(blob, `audit-${new Date(now()).toISOString().replace(/[:.]/g, '-')}.${format}`);
      } catch (err) {
        view.update((v) => ({ ...v, error: `Export failed: ${text(err)}` }));
      } finally {
        view.update((v) => ({ ...v, exporting: '' }));
      }
    },

    clear(): void {
      selected.set('');
      view.set({
        rows: [],
        more: false,
        loading: false,
        error: '',
        verdict: undefined,
        verifying: false,
        exporting: '',
      });
    },
  };
}
