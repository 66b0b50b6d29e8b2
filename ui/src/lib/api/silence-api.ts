import type { Silence, SilenceInput, SilenceList } from '@tickdesk/schemas/rest';
import type { Http } from './http.js';

/** Silences (services/api/src/routes/silences.ts). */
export function createSilenceApi(http: Http) {
  return {
    list: async () => (await http.get<SilenceList>('/silences')).silences,
    create: (input: SilenceInput) => http.post<Silence>('/silences', input),
    end: (id: string) => http.del(`/silences/${encodeURIComponent(id)}`),
  };
}
export type SilenceApi = ReturnType<typeof createSilenceApi>;
