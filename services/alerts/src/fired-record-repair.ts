import type { Logger } from 'pino';
import type { DeliveryOwnership } from './alert-steps.js';
import type { AuditChain, StoredAlert } from './store/index.js';

export interface FiredRecordRepairDeps {
  audit: AuditChain;
  ownership: DeliveryOwnership;
  /** True while this engine's firing writer stores the alert and has not yet appended its `fired` record. */
  storing: (alertId: string) => boolean;
  log: Logger;
}

/**
 * A never-sent alert this engine did not just store may lack its `fired` record: the engine
 * that stored it was killed between the outbox write and the audit append (two slots, two
 * writes). Written before the first send, so the chain never shows an alert sent that never fired.
 */
export function createFiredRecordRepair({ audit, ownership, storing, log }: FiredRecordRepairDeps) {
  return async function ensureFired(alert: StoredAlert): Promise<void> {
    if (alert.attempts > 0 || storing(alert.id) || !ownership.owns(alert.symbol)) return;
    if ((await audit.range({ alertId: alert.id, limit: 1 })).length > 0) return;
    await audit.append({
      alertId: alert.id,
      trader: alert.owner,
      symbol: alert.symbol,
      event: 'fired',
      stanzaHash: '',
      detail: `rule=${alert.ruleId} seq=${alert.tickSeq} price=${alert.price}`,
    });
    log.warn(
      { alert: alert.id, symbol: alert.symbol },
      'fired record missing (its engine stopped before writing it): written before the first send',
    );
  };
}
