import { Type, type Static } from '@sinclair/typebox';

/*
 * Webhook endpoints and their dead letters (docs/alerts-protocol.md "Webhooks"): the REST
 * API writes endpoints, the alert engine delivers to them; both read them through the one
 * store in @tickdesk/alerts (webhooks/webhook-store.ts). Browser-safe: TypeBox only.
 */

/** The longest endpoint URL accepted (the common browser and CDN limit). */
export const WEBHOOK_URL_MAX_LENGTH = 2048;

/** The owner of a desk-wide endpoint: it gets every trader's alerts. */
export const DESK_WIDE = '*';

/** One registered endpoint as GET /v1/webhooks shows it: never its secret. */
export const Webhook = Type.Object(
  {
    id: Type.String(),
    url: Type.String(),
    owner: Type.String({ description: `the trader whose alerts it receives, or "${DESK_WIDE}" (desk-wide)` }),
    createdAt: Type.String(),
  },
  { additionalProperties: false },
);
export type Webhook = Static<typeof Webhook>;

/** POST /v1/webhooks: the endpoint and its signing secret, shown this once. */
export const WebhookCreated = Type.Composite([
  Webhook,
  Type.Object({ secret: Type.String({ description: 'HMAC-SHA256 key of Tickdesk-Signature; never shown again' }) }),
]);
export type WebhookCreated = Static<typeof WebhookCreated>;

/** GET /v1/webhooks. */
export const WebhookList = Type.Object(
  { webhooks: Type.Array(Webhook), max: Type.Integer({ description: 'the most endpoints one owner may register' }) },
  { additionalProperties: false },
);
export type WebhookList = Static<typeof WebhookList>;

/** A delivery given up on: kept until its owner replays it. */
export const WebhookDeadLetter = Type.Object(
  {
    id: Type.String({ description: '<alert id>|<endpoint id>, also the Tickdesk-Idempotency-Key' }),
    alertId: Type.String(),
    endpointId: Type.String(),
    owner: Type.String(),
    attempts: Type.Integer(),
    lastError: Type.String(),
    at: Type.String(),
  },
  { additionalProperties: false },
);
export type WebhookDeadLetter = Static<typeof WebhookDeadLetter>;

/** GET /v1/webhooks/dead-letters. */
export const WebhookDeadLetterList = Type.Object(
  { deadLetters: Type.Array(WebhookDeadLetter) },
  { additionalProperties: false },
);
export type WebhookDeadLetterList = Static<typeof WebhookDeadLetterList>;
