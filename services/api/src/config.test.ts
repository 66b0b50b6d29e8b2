import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { API_ENV_VARS, loadApiConfig, resolveApiConfig } from './config.js';

describe('api config', () => {
  it('has defaults; the secret is random per start unless set', () => {
    // Not the repository's own .tickdesk: a desk started there has a token key in its credentials file.
    const empty = mkdtempSync(join(tmpdir(), 'tickdesk-api-config-'));
    const a = loadApiConfig({ TICKDESK_HOME: empty });
    rmSync(empty, { recursive: true, force: true });
    expect(a).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      tokenTtlS: 900,
      bodyLimit: 65_536,
      topology: '',
      secretGenerated: true,
    });
    expect(a.secret.length).toBeGreaterThanOrEqual(32);
    // The dashboard as `npm run build` leaves it: ui/dist of this repository.
    expect(a.uiDir).toBe(fileURLToPath(new URL('../../../ui/dist', import.meta.url)));
    expect(a.candleCacheMb).toBe(32);
    expect(loadApiConfig({}).secret).not.toBe(a.secret);
    const b = loadApiConfig({ TICKDESK_API_SECRET: 's'.repeat(40) });
    expect(b).toMatchObject({ secret: 's'.repeat(40), secretGenerated: false });
  });

  it('reads every variable it lists', () => {
    const env = {
      TICKDESK_API_PORT: '9090',
      TICKDESK_API_HOST: '0.0.0.0',
      TICKDESK_API_TOKEN_TTL_S: '60',
      TICKDESK_API_SECRET: 'k'.repeat(32),
      TICKDESK_API_BODY_LIMIT: '2048',
      TICKDESK_API_LOGIN_RATE_MAX: '5',
      TICKDESK_API_WRITE_RATE_MAX: '50',
      TICKDESK_API_RATE_WINDOW_MS: '10000',
      TICKDESK_API_CONNECTION_TIMEOUT_MS: '20000',
      TICKDESK_API_REQUEST_TIMEOUT_MS: '15000',
      TICKDESK_API_KEEPALIVE_TIMEOUT_MS: '4000',
      TICKDESK_API_LOGIN_TIMEOUT_MS: '3000',
      TICKDESK_API_ROLE_CACHE_MS: '0',
      TICKDESK_TOPOLOGY: '/tmp/x/topology.json',
      TICKDESK_API_REDIS_USER: 'api2',
      TICKDESK_API_REDIS_PASSWORD: 'p'.repeat(24),
      TICKDESK_AUDIT_KEY: 'a'.repeat(43),
      TICKDESK_AUDIT_KEYED_FROM: '7',
      TICKDESK_HOME: '/tmp/x',
      TICKDESK_LOG_LEVEL: 'warn',
      TICKDESK_API_UI_DIR: '/srv/ui',
      TICKDESK_API_CANDLE_CACHE_MB: '0',
      TICKDESK_ALERTS_MAX_RULES_PER_TRADER: '50',
      TICKDESK_ALERTS_MIN_COOLDOWN_S: '30',
      TICKDESK_ALERTS_REMOTE_TRADERS_MAX: '40',
      TICKDESK_API_WS_MAX_FRAME_BYTES: '2048',
      TICKDESK_API_WS_MAX_PER_ADDRESS: '3',
      TICKDESK_API_WS_MAX_CONNECTIONS: '30',
      TICKDESK_API_WS_PING_INTERVAL_MS: '5000',
      TICKDESK_API_WS_MAX_BUFFERED_BYTES: '1048576',
      TICKDESK_API_STREAMS_PER_USER: '2',
      TICKDESK_API_STREAMS_MAX: '20',
      TICKDESK_API_AUDIT_STREAMS_PER_USER: '1',
      TICKDESK_API_ALLOWED_ORIGINS: 'https://desk.example',
      TICKDESK_API_ENTITLEMENT_CACHE_MS: '0',
      TICKDESK_API_REMOTE_GRANTS_MAX: '12',
      TICKDESK_MQTT_DEVICES_MAX: '5',
      TICKDESK_API_LATENCY_WINDOW_MAX_H: '48',
      TICKDESK_API_LATENCY_SAMPLE_MAX: '500',
      TICKDESK_API_SILENCE_MAX_SECONDS: '3600',
      TICKDESK_API_SILENCES_PER_TRADER_MAX: '10',
    };
    expect(Object.keys(env).sort()).toEqual([...API_ENV_VARS].sort());
    expect(loadApiConfig(env)).toEqual({
      port: 9090,
      host: '0.0.0.0',
      tokenTtlS: 60,
      secret: 'k'.repeat(32),
      secretGenerated: false,
      bodyLimit: 2048,
      loginRateMax: 5,
      writeRateMax: 50,
      rateWindowMs: 10_000,
      connectionTimeoutMs: 20_000,
      requestTimeoutMs: 15_000,
      keepAliveTimeoutMs: 4_000,
      loginTimeoutMs: 3_000,
      roleCacheMs: 0,
      topology: '/tmp/x/topology.json',
      redisUser: 'api2',
      redisPassword: 'p'.repeat(24),
      auditKey: 'a'.repeat(43),
      auditKeyedFrom: 7,
      home: '/tmp/x',
      logLevel: 'warn',
      uiDir: '/srv/ui',
      candleCacheMb: 0,
      maxRulesPerTrader: 50,
      minCooldownSeconds: 30,
      remoteTradersMax: 40,
      wsMaxFrameBytes: 2048,
      wsMaxPerAddress: 3,
      wsMaxConnections: 30,
      wsPingIntervalMs: 5000,
      wsMaxBufferedBytes: 1048576,
      streamsPerUser: 2,
      streamsMax: 20,
      auditStreamsPerUser: 1,
      allowedOrigins: 'https://desk.example',
      entitlementCacheMs: 0,
      remoteGrantsMax: 12,
      devicesMax: 5,
      latencyWindowMaxH: 48,
      latencySampleMax: 500,
      silenceMaxSeconds: 3600,
      silencesPerTraderMax: 10,
    });
  });

  it.each([
    ['TICKDESK_API_PORT', '80a', /TICKDESK_API_PORT="80a" is invalid: expected an integer from 0 to 65535/],
    ['TICKDESK_API_PORT', '70000', /TICKDESK_API_PORT/],
    ['TICKDESK_API_TOKEN_TTL_S', '-5', /TICKDESK_API_TOKEN_TTL_S/],
    ['TICKDESK_API_TOKEN_TTL_S', '1e3', /TICKDESK_API_TOKEN_TTL_S/],
    ['TICKDESK_API_BODY_LIMIT', '10', /TICKDESK_API_BODY_LIMIT="10" is invalid: expected an integer from 1024/],
    ['TICKDESK_API_HOST', 'local host', /TICKDESK_API_HOST/],
    ['TICKDESK_API_CANDLE_CACHE_MB', 'lots', /TICKDESK_API_CANDLE_CACHE_MB="lots" is invalid/],
    [
      'TICKDESK_API_WS_MAX_FRAME_BYTES',
      '100',
      /TICKDESK_API_WS_MAX_FRAME_BYTES="100" is invalid: expected an integer from 1024/,
    ],
    ['TICKDESK_API_ALLOWED_ORIGINS', 'http://a, http://b', /TICKDESK_API_ALLOWED_ORIGINS/],
    ['TICKDESK_LOG_LEVEL', 'loud', /TICKDESK_LOG_LEVEL="loud" is invalid: expected one of fatal, error/],
  ])('%s=%s throws naming the variable', (name, value, message) => {
    expect(() => loadApiConfig({ [name]: value })).toThrow(message);
  });

  it('a short secret is refused without echoing it', () => {
    let message = '';
    try {
      loadApiConfig({ TICKDESK_API_SECRET: 'hunter2' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('TICKDESK_API_SECRET is invalid: expected 32 to 1024 characters');
  });

  it('takes its Redis password and the audit key from the desk folder; the environment wins', () => {
    const home = mkdtempSync(join(tmpdir(), 'tickdesk-api-config-'));
    try {
      const bare = loadApiConfig({ TICKDESK_HOME: home });
      expect([bare.redisUser, bare.redisPassword, bare.auditKey]).toEqual(['api', undefined, undefined]);
      writeFileSync(
        join(home, 'credentials.json'),
        JSON.stringify({
          domain: 'desk.localhost',
          accounts: {},
          redis: { users: { api: 'from-file-api-password', desk: 'from-file-desk-password' } },
          audit: { key: 'f'.repeat(43), keyedFrom: 3 },
        }),
      );
      expect(loadApiConfig({ TICKDESK_HOME: home })).toMatchObject({
        redisUser: 'api',
        redisPassword: 'from-file-api-password',
        auditKey: 'f'.repeat(43),
        auditKeyedFrom: 3,
      });
      expect(loadApiConfig({ TICKDESK_HOME: home, TICKDESK_API_REDIS_USER: 'desk' }).redisPassword).toBe(
        'from-file-desk-password',
      );
      expect(
        loadApiConfig({
          TICKDESK_HOME: home,
          TICKDESK_API_REDIS_PASSWORD: 'from-env',
          TICKDESK_AUDIT_KEY: 'e'.repeat(43),
        }),
      ).toMatchObject({ redisPassword: 'from-env', auditKey: 'e'.repeat(43) });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('takes its token key from the desk folder, so a restarted API accepts the tokens it issued; the environment wins', () => {
    const home = mkdtempSync(join(tmpdir(), 'tickdesk-api-config-'));
    try {
      writeFileSync(
        join(home, 'credentials.json'),
        JSON.stringify({
          domain: 'desk.localhost',
          accounts: {},
          redis: { users: {} },
          audit: { key: 'f'.repeat(43) },
          api: { tokenSecret: 't'.repeat(43) },
        }),
      );
      expect(loadApiConfig({ TICKDESK_HOME: home })).toMatchObject({ secret: 't'.repeat(43), secretGenerated: false });
      expect(loadApiConfig({ TICKDESK_HOME: home, TICKDESK_API_SECRET: 's'.repeat(32) })).toMatchObject({
        secret: 's'.repeat(32),
        secretGenerated: false,
      });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('never echoes a bad Redis password or audit key', () => {
    expect(() => loadApiConfig({ TICKDESK_AUDIT_KEY: 'short-secret' })).toThrow(
      /^TICKDESK_AUDIT_KEY is invalid: expected text matching/,
    );
    expect(() => loadApiConfig({ TICKDESK_AUDIT_KEY: 'short-secret' })).not.toThrow(/short-secret/);
    expect(() => loadApiConfig({ TICKDESK_API_REDIS_PASSWORD: 'x'.repeat(2000) })).toThrow(
      /^TICKDESK_API_REDIS_PASSWORD is invalid(?!=)/,
    );
  });

  it('resolveApiConfig checks what it is given', () => {
    expect(() => resolveApiConfig({ tokenTtlS: 1 })).toThrow(/tokenTtlS/);
  });
});
