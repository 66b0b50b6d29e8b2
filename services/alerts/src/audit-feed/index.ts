export { createAuditFeed, type AuditFeed } from './audit-feed.js';
export { AUDIT_NODE, NS_AUDIT, auditPayload, decodeAuditPayload } from './audit-payload.js';
export { provisionAuditNode } from './audit-node.js';
