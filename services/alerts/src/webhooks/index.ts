export { backoffCeiling, backoffDelay, type BackoffPolicy } from './webhook-backoff.js';
export { loadWebhooksConfig, resolveWebhooksConfig, WEBHOOKS_ENV_VARS, WebhooksConfig } from './webhook-config.js';
export {
  createWebhookDispatcher,
  IDEMPOTENCY_HEADER,
  webhookBody,
  type WebhookDispatcher,
} from './webhook-dispatcher.js';
export { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_S, signature, verifySignature } from './webhook-signature.js';
export { createWebhookStore, DEFAULT_WEBHOOKS_PER_OWNER, type WebhookStore } from './webhook-store.js';
export { urlProblem, type UrlPolicy } from './webhook-url.js';
