import type { Http } from './http.js';
import type {
  AlertPage,
  AuditVerdict,
  HopLatency,
  Rule,
  RuleInput,
  RuleList,
  TraderPresenceList,
} from './rest-types.js';

export interface AlertQuery {
  trader?: string;
  symbol?: string;
  state?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export interface AuditFilter {
  trader?: string;
  symbol?: string;
  from?: string;
  to?: string;
}

const rulePath = (id: string) => `/rules/${encodeURIComponent(id)}`;
/** Optimistic concurrency on rule writes (services/api/src/routes/rules.ts). */
const ifMatch = (version: number | undefined) => (version === undefined ? undefined : { 'if-match': `"${version}"` });

/** Alerts, rules, presence and the audit chain (services/api/src/routes/*). */
export function createDeskApi(http: Http) {
  return {
    alerts: (q: AlertQuery = {}) => http.get<AlertPage>('/alerts', { ...q }),
    alertLatency: (window: { from: string; to: string }) => http.get<HopLatency>('/alerts/latency', { ...window }),

    rules: async () => (await http.get<RuleList>('/rules')).rules,
    createRule: (input: RuleInput) => http.post<Rule>('/rules', input),
    updateRule: (id: string, input: RuleInput, version?: number) =>
      http.put<Rule>(rulePath(id), input, ifMatch(version)),
    pauseRule: (id: string, version?: number) => http.post<Rule>(`${rulePath(id)}/pause`, undefined, ifMatch(version)),
    resumeRule: (id: string, version?: number) =>
      http.post<Rule>(`${rulePath(id)}/resume`, undefined, ifMatch(version)),
    deleteRule: (id: string) => http.del(rulePath(id)),

    presence: async () => (await http.get<TraderPresenceList>('/presence')).traders,

    verifyAudit: () => http.get<AuditVerdict>('/audit/verify'),
    /** The export needs the bearer token, so it is fetched and saved as a Blob rather than linked. */
    exportAudit: (format: 'jsonl' | 'csv', filter: AuditFilter) =>
      http.request<Blob>('GET', '/audit/export', {
        query: { ...filter, format },
        blob: true,
        headers: { accept: '*/*' },
      }),
  };
}

export type DeskApi = ReturnType<typeof createDeskApi>;

/** The URL an export link shows (what it fetches, without the token). */
export function auditExportUrl(format: 'jsonl' | 'csv', filter: AuditFilter): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filter, format })) if (v) params.set(k, v);
  return `/v1/audit/export?${params}`;
}
