export { createAuditChain, type AuditChain, type AuditEntry, type AuditQuery } from './audit-chain.js';
export {
  GENESIS_HASH, canonicalRecord, createChainChecker, hashRecord, verifyRecords,
  type AuditRecord, type VerifyResult,
} from './audit-record.js';
export { createAlertStore, type AlertStore } from './alert-store.js';
export { OUTBOX_STATES, type AlertPatch, type LifecycleStep, type StoredAlert } from './alert-record.js';
export type { AlertListOptions } from './alert-query.js';
export { createRuleStore, DEFAULT_MAX_RULES_PER_OWNER, type RuleChange, type RuleStore, type RuleWriteResult } from './rule-store.js';
export { alertKeys, auditKeys, DEFAULT_PREFIX, ruleKeys } from './redis-layout.js';
export { ruleLimit, StoreError, type StoreErrorCode } from './store-errors.js';
