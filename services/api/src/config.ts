import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_MIN_COOLDOWN_SECONDS, readEnv, resolveConfig, type Env, type EnvSpec } from '@tickdesk/schemas';
import { DEFAULT_SILENCE_MAX_SECONDS, DEFAULT_SILENCES_PER_TRADER } from '@tickdesk/schemas/rest';
import { DEFAULT_MAX_REMOTE_GRANTS } from '@tickdesk/accounts';
import { DEFAULT_MQTT_DEVICES_MAX } from '@tickdesk/infra';
import { ApiError } from './errors.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const int = (def: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ minimum, maximum, default: def, description });

/** REST API configuration; every field has a default (the secret's comes from the desk's credentials file, else is random per start). */
export const ApiConfig = Type.Object(
  {
    port: int(8080, 0, 65535, 'TCP port to listen on'),
    host: Type.String({ pattern: '^[A-Za-z0-9.:-]{1,253}$', default: '127.0.0.1', description: 'address to bind' }),
    tokenTtlS: int(900, 30, 86_400, 'lifetime of a bearer token, seconds'),
    secret: Type.String({ minLength: 32, maxLength: 1024, description: 'HMAC-SHA256 key that signs tokens' }),
    secretGenerated: Type.Boolean({ default: false, description: 'true when no secret was configured' }),
    bodyLimit: int(65_536, 1_024, 16_777_216, 'largest accepted request body, bytes'),
    loginRateMax: int(10, 1, 1_000_000, 'logins per IP and JID per rate window'),
    writeRateMax: int(120, 1, 1_000_000, 'writes (POST, PUT, PATCH, DELETE) per user per rate window'),
    rateWindowMs: int(60_000, 1_000, 86_400_000, 'rate-limit window, ms'),
    connectionTimeoutMs: int(
      60_000,
      1_000,
      3_600_000,
      'socket idle timeout, ms (SSE streams send heartbeats more often)',
    ),
    requestTimeoutMs: int(30_000, 1_000, 3_600_000, 'time to receive a whole request, ms'),
    keepAliveTimeoutMs: int(5_000, 1_000, 600_000, 'idle keep-alive connection timeout, ms'),
    loginTimeoutMs: int(10_000, 500, 120_000, 'time the XMPP login that verifies a password may take, ms'),
    roleCacheMs: int(1_000, 0, 60_000, 'how long a role read from td:users is trusted, ms'),
    redisUser: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', default: 'api', description: 'Redis ACL user' }),
    redisPassword: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description: "the Redis user's password (default: from credentials.json in home)",
      }),
    ),
    auditKey: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_-]{43,1024}$',
        description: 'the audit chain HMAC key, base64url, at least 32 bytes (default: from credentials.json in home)',
      }),
    ),
    auditKeyedFrom: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'first audit seq written with the key (default: from credentials.json in home)',
      }),
    ),
    home: Type.String({
      minLength: 1,
      default: `${REPO_ROOT}.tickdesk`,
      description: 'runtime folder (credentials.json; topology.json, written by tickdesk up)',
    }),
    topology: Type.String({
      default: '',
      description:
        "the desk topology file: XMPP domain, nodes, Redis, CA (empty: topology.json in home); an API started by tickdesk up is handed the desk's",
    }),
    uiDir: Type.String({
      minLength: 1,
      default: `${REPO_ROOT}ui/dist`,
      description: 'the built dashboard (index.html, assets/), served at /',
    }),
    candleCacheMb: int(32, 0, 65_536, 'memory for pages of final candles, MB (0: no cache)'),
    wsMaxFrameBytes: int(
      1_048_576,
      1_024,
      104_857_600,
      'largest WebSocket frame a client may send through /xmpp-websocket, bytes (twice the XMPP stanza limit); a larger one closes the connection with 1009',
    ),
    wsMaxPerAddress: int(16, 1, 100_000, 'concurrent /xmpp-websocket connections per client address'),
    wsMaxConnections: int(
      256,
      1,
      1_000_000,
      'concurrent /xmpp-websocket connections in all (each may hold up to wsMaxFrameBytes while a frame arrives)',
    ),
    wsPingIntervalMs: int(
      15_000,
      0,
      600_000,
      'how often each /xmpp-websocket client is pinged, ms; one that has not answered by the next ping is cut off and logged out of XMPP (0: never)',
    ),
    wsMaxBufferedBytes: int(
      8_388_608,
      65_536,
      268_435_456,
      'what the API may hold for one /xmpp-websocket connection that is not read, either way, bytes; past it the connection is cut off and logged out of XMPP',
    ),
    streamsPerUser: int(8, 1, 100_000, 'open GET /v1/stream (Server-Sent Events) responses per user'),
    auditStreamsPerUser: int(2, 1, 100, 'open GET /v1/audit/stream (the live audit chain) responses per user'),
    streamsMax: int(
      256,
      1,
      1_000_000,
      'open GET /v1/stream responses in all (each may buffer up to 1 MiB for a client that does not read)',
    ),
    allowedOrigins: Type.String({
      maxLength: 4_096,
      pattern: '^[^\\s]*$',
      default: '',
      description:
        'comma-separated origins that may open /xmpp-websocket (empty: http://localhost:<port> and http://127.0.0.1:<port>)',
    }),
    entitlementCacheMs: int(
      1_000,
      0,
      60_000,
      "how long an analyst's entitlements read from the XMPP server are trusted, ms",
    ),
    remoteGrantsMax: int(
      DEFAULT_MAX_REMOTE_GRANTS,
      0,
      1_000_000,
      'grants of an instrument to an account of a peer desk this desk may hold, all accounts together',
    ),
    devicesMax: int(
      DEFAULT_MQTT_DEVICES_MAX,
      1,
      100_000,
      "devices the desk's MQTT broker may hold (shared with tickdesk devices)",
    ),
    maxRulesPerTrader: int(
      500,
      1,
      1_000_000,
      'rules one trader may have stored, whatever their status (shared with the alert engine)',
    ),
    remoteTradersMax: int(
      1_000,
      1,
      1_000_000,
      "partner desks' traders the alert engines follow at most; a rule naming one more is refused (shared with the alert engine)",
    ),
    minCooldownSeconds: int(
      DEFAULT_MIN_COOLDOWN_SECONDS,
      1,
      86_400,
      'shortest cooldown of an every-time rule, seconds (shared with the alert engine)',
    ),
    latencyWindowMaxH: int(168, 1, 8_760, 'longest window GET /v1/alerts/latency summarises, hours (from → to)'),
    latencySampleMax: int(
      10_000,
      1,
      1_000_000,
      'alerts GET /v1/alerts/latency reads at most, the newest of the window (each is one read of its record)',
    ),
    silenceMaxSeconds: int(
      DEFAULT_SILENCE_MAX_SECONDS,
      60,
      366 * 86_400,
      'longest a silence may last, seconds (POST /v1/silences: 422 past it)',
    ),
    silencesPerTraderMax: int(
      DEFAULT_SILENCES_PER_TRADER,
      1,
      100_000,
      'silences not yet ended one trader may have (POST /v1/silences: 409 past it)',
    ),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
  },
  { additionalProperties: false },
);
export type ApiConfig = Static<typeof ApiConfig>;

type Field = Exclude<keyof ApiConfig, 'secretGenerated'>;
const ENV: Record<string, Field> = {
  TICKDESK_API_PORT: 'port',
  TICKDESK_API_HOST: 'host',
  TICKDESK_API_TOKEN_TTL_S: 'tokenTtlS',
  TICKDESK_API_SECRET: 'secret',
  TICKDESK_API_BODY_LIMIT: 'bodyLimit',
  TICKDESK_API_LOGIN_RATE_MAX: 'loginRateMax',
  TICKDESK_API_WRITE_RATE_MAX: 'writeRateMax',
  TICKDESK_API_RATE_WINDOW_MS: 'rateWindowMs',
  TICKDESK_API_CONNECTION_TIMEOUT_MS: 'connectionTimeoutMs',
  TICKDESK_API_REQUEST_TIMEOUT_MS: 'requestTimeoutMs',
  TICKDESK_API_KEEPALIVE_TIMEOUT_MS: 'keepAliveTimeoutMs',
  TICKDESK_API_LOGIN_TIMEOUT_MS: 'loginTimeoutMs',
  TICKDESK_API_ROLE_CACHE_MS: 'roleCacheMs',
  TICKDESK_API_REDIS_USER: 'redisUser',
  TICKDESK_API_REDIS_PASSWORD: 'redisPassword',
  TICKDESK_AUDIT_KEY: 'auditKey',
  TICKDESK_AUDIT_KEYED_FROM: 'auditKeyedFrom',
  TICKDESK_HOME: 'home',
  TICKDESK_TOPOLOGY: 'topology',
  TICKDESK_API_UI_DIR: 'uiDir',
  TICKDESK_API_CANDLE_CACHE_MB: 'candleCacheMb',
  TICKDESK_API_WS_MAX_FRAME_BYTES: 'wsMaxFrameBytes',
  TICKDESK_API_WS_MAX_PER_ADDRESS: 'wsMaxPerAddress',
  TICKDESK_API_WS_MAX_CONNECTIONS: 'wsMaxConnections',
  TICKDESK_API_WS_PING_INTERVAL_MS: 'wsPingIntervalMs',
  TICKDESK_API_WS_MAX_BUFFERED_BYTES: 'wsMaxBufferedBytes',
  TICKDESK_API_STREAMS_PER_USER: 'streamsPerUser',
  TICKDESK_API_STREAMS_MAX: 'streamsMax',
  TICKDESK_API_AUDIT_STREAMS_PER_USER: 'auditStreamsPerUser',
  TICKDESK_API_ALLOWED_ORIGINS: 'allowedOrigins',
  TICKDESK_API_ENTITLEMENT_CACHE_MS: 'entitlementCacheMs',
  TICKDESK_API_REMOTE_GRANTS_MAX: 'remoteGrantsMax',
  TICKDESK_MQTT_DEVICES_MAX: 'devicesMax',
  TICKDESK_ALERTS_MAX_RULES_PER_TRADER: 'maxRulesPerTrader',
  TICKDESK_ALERTS_REMOTE_TRADERS_MAX: 'remoteTradersMax',
  TICKDESK_ALERTS_MIN_COOLDOWN_S: 'minCooldownSeconds',
  TICKDESK_API_LATENCY_WINDOW_MAX_H: 'latencyWindowMaxH',
  TICKDESK_API_LATENCY_SAMPLE_MAX: 'latencySampleMax',
  TICKDESK_API_SILENCE_MAX_SECONDS: 'silenceMaxSeconds',
  TICKDESK_API_SILENCES_PER_TRADER_MAX: 'silencesPerTraderMax',
  TICKDESK_LOG_LEVEL: 'logLevel',
};

/** The environment variables `loadApiConfig` reads. */
export const API_ENV_VARS = Object.keys(ENV);

const SECRET_VARS = ['TICKDESK_API_SECRET', 'TICKDESK_API_REDIS_PASSWORD', 'TICKDESK_AUDIT_KEY'];
const SPEC: EnvSpec<typeof ApiConfig> = {
  schema: ApiConfig,
  vars: Object.fromEntries(Object.entries(ENV).map(([name, field]) => [field, name])),
  secrets: SECRET_VARS,
  error: (message) => new ApiError('TICKDESK_API_BAD_CONFIG', message),
};

/** Defaults completed with `partial` (a random secret when none is given); throws when invalid. */
export function resolveApiConfig(partial: Partial<ApiConfig> = {}): ApiConfig {
  const input: Partial<ApiConfig> = { ...partial };
  if (input.secret === undefined)
    Object.assign(input, { secret: randomBytes(32).toString('base64url'), secretGenerated: true });
  return resolveConfig(SPEC, input, 'api config');
}

/** Read the API's config from `env`; a bad value throws an error naming the variable. */
export function loadApiConfig(env: Env): ApiConfig {
  const partial = readEnv(SPEC, env) as Record<string, unknown>;
  return resolveApiConfig({ ...fromDeskFolder(partial), ...partial });
}

/**
 * What the desk's credentials file (`<home>/credentials.json`, written by `tickdesk up`)
 * gives the API: its Redis password, the audit key and its token key. The environment wins; no file, or
 * a file from an older desk without them, gives nothing.
 */
function fromDeskFolder(partial: Record<string, unknown>): Partial<ApiConfig> {
  const home = typeof partial.home === 'string' ? partial.home : (ApiConfig.properties.home.default as string);
  const user = typeof partial.redisUser === 'string' ? partial.redisUser : 'api';
  let creds: {
    redis?: { users?: Record<string, unknown> };
    audit?: { key?: unknown; keyedFrom?: unknown };
    api?: { tokenSecret?: unknown };
  };
  try {
    creds = JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as typeof creds;
  } catch {
    return {};
  }
  const out: Partial<ApiConfig> = {};
  const password = creds.redis?.users?.[user];
  if (typeof password === 'string') out.redisPassword = password;
  if (typeof creds.audit?.key === 'string') out.auditKey = creds.audit.key;
  if (typeof creds.audit?.keyedFrom === 'number') out.auditKeyedFrom = creds.audit.keyedFrom;
  if (typeof creds.api?.tokenSecret === 'string') out.secret = creds.api.tokenSecret;
  return out;
}
