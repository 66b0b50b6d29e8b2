export { createAuditChain, type AuditChain, type AuditEntry, type AuditQuery } from './audit-chain.js';
export { GENESIS_HASH, canonicalRecord, hashRecord, type AuditRecord } from './audit-record.js';
export { chainKey, macRecord, type AuditKey } from './audit-key.js';
export {
  auditAnchorPath,
  createAuditAnchorWriter,
  readAuditAnchor,
  writeAuditAnchor,
  type AuditAnchor,
} from './audit-anchor.js';
export { createChainChecker, verifyRecords, type VerifyResult } from './audit-verify.js';
export { createAlertStore, type AlertStore, type Fence } from './alert-store.js';
export type { AlertCaps, CreateGuard, CreateResult } from './alert-create.js';
export { OUTBOX_STATES, type AlertPatch, type LifecycleStep, type StoredAlert } from './alert-record.js';
export type { AlertListOptions } from './alert-query.js';
export {
  createRuleStore,
  DEFAULT_MAX_RULES_PER_OWNER,
  type RuleChange,
  type RuleStore,
  type RuleWriteResult,
} from './rule-store.js';
export { alertKeys, auditKeys, DEFAULT_PREFIX, ruleKeys } from './redis-layout.js';
export { createFlapStore, type FlapFields, type FlapStore } from './flap-store.js';
export { ruleLimit, StoreError, type StoreErrorCode } from './store-errors.js';
export { createReplicaAck, type ReplicaAck, type ReplicaAckOptions } from './replica-ack.js';
