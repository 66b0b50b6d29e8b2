import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * Stable error codes of the REST API, never reused, with the HTTP status each is sent
 * with. Every error response is `{ code, message }`.
 */
export const API_ERRORS = {
  TICKDESK_API_BAD_REQUEST: { status: 400, description: 'Malformed input: the message names the field' },
  TICKDESK_API_UNAUTHENTICATED: { status: 401, description: 'No bearer token' },
  TICKDESK_API_BAD_TOKEN: { status: 401, description: 'The token is malformed or its signature is wrong' },
  TICKDESK_API_TOKEN_EXPIRED: { status: 401, description: 'The token has expired: log in again' },
  TICKDESK_API_TOKEN_REVOKED: {
    status: 401,
    description: "The account's role changed or it was disabled since the token was issued",
  },
  TICKDESK_API_BAD_CREDENTIALS: { status: 401, description: 'The XMPP server refused the JID and password' },
  TICKDESK_API_FORBIDDEN: { status: 403, description: "The caller's role may not do this" },
  TICKDESK_API_NOT_ENTITLED: {
    status: 403,
    description: 'The analyst is not entitled to this instrument (an admin grants it)',
  },
  TICKDESK_API_NOT_A_PEER: {
    status: 403,
    description:
      "The JID's domain is not a peer desk of this one (TICKDESK_PEERS_FILE): only accounts of peer desks are entitled by JID",
  },
  TICKDESK_API_ORIGIN_FORBIDDEN: {
    status: 403,
    description: 'The WebSocket was opened from a page of another origin (TICKDESK_API_ALLOWED_ORIGINS)',
  },
  TICKDESK_API_NOT_FOUND: { status: 404, description: 'No such route or resource' },
  TICKDESK_API_UNKNOWN_INSTRUMENT: { status: 404, description: 'No instrument with this symbol' },
  TICKDESK_API_UNKNOWN_DEVICE: { status: 404, description: "No device of this name on the desk's MQTT broker" },
  TICKDESK_API_NO_DATA: { status: 404, description: 'Nothing recorded yet' },
  TICKDESK_API_CONFLICT: { status: 409, description: 'The resource changed or already exists' },
  TICKDESK_API_RULE_LIMIT: {
    status: 409,
    description: 'The trader has as many rules as allowed (TICKDESK_ALERTS_MAX_RULES_PER_TRADER): delete one first',
  },
  TICKDESK_API_REMOTE_ACCOUNT: {
    status: 409,
    description: "A remote account (a peer desk's JID) gets no desk role: entitle it per instrument instead",
  },
  TICKDESK_API_REMOTE_GRANT_LIMIT: {
    status: 409,
    description: 'The desk holds as many remote grants as allowed (TICKDESK_API_REMOTE_GRANTS_MAX): revoke one first',
  },
  TICKDESK_API_DEVICE_EXISTS: {
    status: 409,
    description: "A device of this name exists on the desk's MQTT broker: remove it first to issue a new password",
  },
  TICKDESK_API_DEVICE_LIMIT: {
    status: 409,
    description: 'The broker holds as many devices as allowed (TICKDESK_MQTT_DEVICES_MAX): remove one first',
  },
  TICKDESK_API_WEBHOOK_LIMIT: {
    status: 409,
    description:
      'The owner has as many webhook endpoints as allowed (TICKDESK_WEBHOOKS_PER_OWNER_MAX): delete one first',
  },
  TICKDESK_API_UNKNOWN_WEBHOOK: {
    status: 404,
    description: "No webhook endpoint or dead letter by this id among the caller's",
  },
  TICKDESK_API_SILENCE_LIMIT: {
    status: 409,
    description:
      'The trader has as many silences not yet ended as allowed (TICKDESK_API_SILENCES_PER_TRADER_MAX): end one first',
  },
  TICKDESK_API_UNKNOWN_SILENCE: { status: 404, description: "No silence by this id among the caller's" },
  TICKDESK_API_PAYLOAD_TOO_LARGE: { status: 413, description: 'The body is over the limit' },
  TICKDESK_API_UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'Bodies must be application/json' },
  TICKDESK_API_INVALID_RULE: {
    status: 422,
    description: 'Valid JSON, but not a valid rule: the message names the field',
  },
  TICKDESK_API_INVALID_DEVICE: {
    status: 422,
    description: 'Valid JSON, but not a valid device name or topic prefix: the message names the field',
  },
  TICKDESK_API_INVALID_WEBHOOK: {
    status: 422,
    description:
      'Valid JSON, but not an acceptable webhook URL (scheme, length, the desk itself, a private address): the message names the field',
  },
  TICKDESK_API_INVALID_WINDOW: {
    status: 422,
    description:
      'A time window that is impossible, empty (from not before to) or longer than allowed (TICKDESK_API_LATENCY_WINDOW_MAX_H)',
  },
  TICKDESK_API_INVALID_SILENCE: {
    status: 422,
    description:
      'Valid JSON, but not an acceptable silence (until past or too far, neither or both of symbol and ruleId, an unknown instrument, not your rule, the reason): the message names the field',
  },
  TICKDESK_API_INVALID_ESCALATION: {
    status: 422,
    description:
      'Valid JSON, but not an acceptable escalation chain (more than 6 steps, an unknown target, recipient not first, a wait outside 0..86400 s or shorter than the step before): the message names the field',
  },
  TICKDESK_API_RATE_LIMITED: { status: 429, description: 'Too many requests: retry after the Retry-After header' },
  TICKDESK_API_LOGIN_LOCKED: {
    status: 429,
    description:
      'The XMPP server has locked the account after failed logins (temporary-auth-failure): try again in a few minutes',
  },
  TICKDESK_API_TOO_MANY_CONNECTIONS: {
    status: 429,
    description: 'Too many open WebSockets from this address (TICKDESK_API_WS_MAX_PER_ADDRESS) or in all',
  },
  TICKDESK_API_TOO_MANY_STREAMS: {
    status: 429,
    description:
      'Too many open GET /v1/stream responses of this user (TICKDESK_API_STREAMS_PER_USER) or in all (TICKDESK_API_STREAMS_MAX), or GET /v1/audit/stream responses of this user (TICKDESK_API_AUDIT_STREAMS_PER_USER)',
  },
  TICKDESK_API_INTERNAL: { status: 500, description: 'Unexpected server error (details are in the log)' },
  TICKDESK_API_UNAVAILABLE: { status: 503, description: 'Redis or the XMPP server is unreachable' },
  TICKDESK_API_UI_NOT_BUILT: {
    status: 503,
    description: 'The dashboard is not built (GET / and page routes only)',
    page: true,
  },
  TICKDESK_API_BAD_CONFIG: { status: 500, description: 'Invalid configuration (start-up only, never sent)' },
} as const satisfies Record<string, { status: number; description: string; page?: true }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly statusCode: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.statusCode = API_ERRORS[code].status;
  }
}

/** The body of every error response. */
export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'A stable TICKDESK_API_* code' }),
    message: Type.String(),
  },
  { additionalProperties: false },
);
export type ErrorBody = Static<typeof ErrorBody>;

const STATUS_TEXT: Record<number, string> = {
  400: 'Malformed input',
  401: 'Missing, malformed, expired or revoked token',
  403: 'Forbidden for this role',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Unsupported content type',
  422: 'Invalid rule, device, webhook or silence',
  429: 'Rate limited',
  500: 'Internal error',
  503: 'A backing service is unavailable',
};

/** Response schemas for error statuses, to spread into a route's `response`. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, TSchema> {
  const out = {} as Record<S, TSchema>;
  for (const s of statuses) {
    const codes = Object.entries(API_ERRORS)
      .filter(([, e]) => e.status === s && !('page' in e))
      .map(([c]) => c);
    out[s] = Type.Object(ErrorBody.properties, {
      additionalProperties: false,
      description: `${STATUS_TEXT[s] ?? 'Error'} (${codes.join(', ')})`,
    });
  }
  return out;
}

export const badRequest = (message: string) => new ApiError('TICKDESK_API_BAD_REQUEST', message);
export const notFound = (message: string) => new ApiError('TICKDESK_API_NOT_FOUND', message);
export const conflict = (message: string) => new ApiError('TICKDESK_API_CONFLICT', message);
export const forbidden = (message: string) => new ApiError('TICKDESK_API_FORBIDDEN', message);
export const unavailable = (message: string) => new ApiError('TICKDESK_API_UNAVAILABLE', message);

/** 422 for a rule that is valid JSON but not a valid rule; `field` is named in the message. */
export function invalidRule(field: string, message: string): ApiError {
  return new ApiError('TICKDESK_API_INVALID_RULE', `rule field "${field}": ${message}`);
}
