import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Redis } from 'ioredis';
import type { ApiApp } from '../app.js';
import { ACCOUNTS, bearer, expectError, login, SECRET, seedUsers, testApp } from '../app.test-util.js';
import { conflict, errorResponses, invalidRule } from '../errors.js';
import { USERS_KEY } from '../roles.js';
import { createTokenSigner } from '../token.js';
import { privateRedis, until } from '../redis.test-util.js';

/** Routes as another module would write them, to exercise what the core gives every route. */
const things: FastifyPluginAsync = async (v1) => {
  const app = v1.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/things',
    {
      preHandler: app.requireRole('trader', 'admin'),
      schema: {
        body: Type.Object(
          { name: Type.String({ maxLength: 100_000 }), count: Type.Optional(Type.Integer()) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ ok: Type.Boolean() }), ...errorResponses(401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const { name } = request.body;
      if (name === 'dup') throw conflict('thing dup already exists');
      if (name === 'bad') throw invalidRule('threshold', 'must be above zero');
      if (name === 'boom') throw new Error('db password is hunter2');
      return reply.code(201).send({ ok: true });
    },
  );
  app.get(
    '/whoami',
    {
      preHandler: app.authenticate,
      schema: { response: { 200: Type.Object({ user: Type.String(), role: Type.String() }) } },
    },
    async (request) => request.caller,
  );
  app.get('/forgot-auth', { schema: { response: { 200: Type.Object({ user: Type.String() }) } } }, async (request) => ({
    user: request.caller.user,
  }));
};

describe('what every route gets', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let redis: Redis;
  let app: ApiApp;
  let clock = Date.now();
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    server = await privateRedis();
    redis = server.client();
    await seedUsers(redis);
    app = await testApp(redis, { routes: [things], now: () => clock, config: { roleCacheMs: 0 } });
    for (const user of ['alice', 'ana', 'admin']) tokens[user] = await login(app, user);
  });
  afterAll(async () => {
    await app.close();
    await server.close();
  });

  const post = (payload: unknown, user = 'alice', headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: { ...bearer(tokens[user]!), ...headers },
      payload: payload as object,
    });

  describe('401', () => {
    it('missing, malformed, wrongly signed, unsigned tokens', async () => {
      expectError(await app.inject('/v1/whoami'), 401, 'TICKDESK_API_UNAUTHENTICATED', /missing bearer token/);
      expectError(
        await app.inject({ url: '/v1/whoami', headers: { authorization: 'Basic YWxpY2U6cHc=' } }),
        401,
        'TICKDESK_API_BAD_TOKEN',
      );
      expectError(
        await app.inject({ url: '/v1/whoami', headers: { authorization: 'Bearer' } }),
        401,
        'TICKDESK_API_BAD_TOKEN',
      );
      expectError(
        await app.inject({ url: '/v1/whoami', headers: { authorization: 'Bearer a.b' } }),
        401,
        'TICKDESK_API_BAD_TOKEN',
      );
      expectError(
        await app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${'x'.repeat(3000)}` } }),
        401,
        'TICKDESK_API_BAD_TOKEN',
      );
      const forged = createTokenSigner({ secret: 'another-secret-another-secret-12345', ttlS: 900 }).sign(
        'alice',
        'admin',
      ).token;
      expectError(
        await app.inject({ url: '/v1/whoami', headers: bearer(forged) }),
        401,
        'TICKDESK_API_BAD_TOKEN',
        /signature/,
      );
      const [, payload] = tokens.alice!.split('.');
      const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
      expectError(await app.inject({ url: '/v1/whoami', headers: bearer(none) }), 401, 'TICKDESK_API_BAD_TOKEN');
      const tampered = tokens.alice!.replace(
        /\.([^.]+)\./,
        `.${Buffer.from(JSON.stringify({ iss: 'tickdesk-api', sub: 'alice', role: 'admin', exp: 9e9 })).toString('base64url')}.`,
      );
      expectError(await app.inject({ url: '/v1/whoami', headers: bearer(tampered) }), 401, 'TICKDESK_API_BAD_TOKEN');
    });

    it('an expired token', async () => {
      const token = await login(app, 'alice');
      expect((await app.inject({ url: '/v1/whoami', headers: bearer(token) })).json()).toEqual({
        user: 'alice',
        role: 'trader',
      });
      clock += 901_000;
      try {
        expectError(await app.inject({ url: '/v1/whoami', headers: bearer(token) }), 401, 'TICKDESK_API_TOKEN_EXPIRED');
      } finally {
        clock -= 901_000;
      }
    });

    it('a token whose account changed role or was disabled', async () => {
      const token = await login(app, 'carol');
      await redis.hset(USERS_KEY, 'carol', 'analyst');
      expectError(await app.inject({ url: '/v1/whoami', headers: bearer(token) }), 401, 'TICKDESK_API_TOKEN_REVOKED');
      await redis.hdel(USERS_KEY, 'carol');
      expectError(await app.inject({ url: '/v1/whoami', headers: bearer(token) }), 401, 'TICKDESK_API_TOKEN_REVOKED');
      await redis.hset(USERS_KEY, 'carol', ACCOUNTS.carol!.role!);
      expect((await app.inject({ url: '/v1/whoami', headers: bearer(token) })).statusCode).toBe(200);
    });

    it('reading request.caller on a route without authentication is a 401, not a 500', async () => {
      expectError(await app.inject('/v1/forgot-auth'), 401, 'TICKDESK_API_UNAUTHENTICATED');
    });
  });

  it('403 for a role not allowed; requireRole authenticates by itself', async () => {
    expectError(
      await post({ name: 'x' }, 'ana'),
      403,
      'TICKDESK_API_FORBIDDEN',
      /role analyst may not POST \/v1\/things/,
    );
    expect((await post({ name: 'x' }, 'admin')).statusCode).toBe(201);
    expectError(await app.inject({ method: 'POST', url: '/v1/things', payload: { name: 'x' } }), 401);
  });

  it('409 and 422 from the shared helpers; 422 names the field', async () => {
    expectError(await post({ name: 'dup' }), 409, 'TICKDESK_API_CONFLICT');
    expectError(
      await post({ name: 'bad' }),
      422,
      'TICKDESK_API_INVALID_RULE',
      /rule field "threshold": must be above zero/,
    );
  });

  it('500: a generic message with the request id; the cause only in the log', async () => {
    const body = expectError(
      await post({ name: 'boom' }),
      500,
      'TICKDESK_API_INTERNAL',
      /^internal error \(request .+\)$/,
    );
    expect(body.message).not.toMatch(/hunter2/);
  });

  it('400: unknown fields are refused, not dropped; a number is not a string; a string is not an integer', async () => {
    expectError(
      await post({ name: 'x', colour: 'red' }),
      400,
      'TICKDESK_API_BAD_REQUEST',
      /body field "colour": unknown field/,
    );
    expectError(await post({ name: 5 }), 400, 'TICKDESK_API_BAD_REQUEST', /body field "name": expected string/);
    expectError(
      await post({ name: 'x', count: '5' }),
      400,
      'TICKDESK_API_BAD_REQUEST',
      /body field "count": expected integer/,
    );
    expectError(await post({ name: 'x', count: 1.5 }), 400, 'TICKDESK_API_BAD_REQUEST', /body field "count"/);
    expectError(await post({ name: null }), 400, 'TICKDESK_API_BAD_REQUEST', /body field "name"/);
  });

  it('413 over the body limit, 415 for anything but JSON', async () => {
    expectError(await post({ name: 'x'.repeat(66_000) }), 413, 'TICKDESK_API_PAYLOAD_TOO_LARGE');
    expectError(
      await post('<name>x</name>', 'alice', { 'content-type': 'application/xml' }),
      415,
      'TICKDESK_API_UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await post('name=x', 'alice', { 'content-type': 'multipart/form-data; boundary=x' }),
      415,
      'TICKDESK_API_UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('404 for unknown routes and methods, 400 for a malformed URL, all as { code, message }', async () => {
    expectError(await app.inject('/v2/instruments'), 404, 'TICKDESK_API_NOT_FOUND', /no route GET \/v2\/instruments/);
    expectError(await app.inject({ method: 'DELETE', url: '/v1/instruments' }), 404, 'TICKDESK_API_NOT_FOUND');
    expectError(await app.inject('/v1/instruments/%E0%A4%A/last'), 400, 'TICKDESK_API_BAD_REQUEST');
  });

  it('timeouts and the body limit come from the config', () => {
    expect(app.initialConfig.connectionTimeout).toBe(60_000);
    expect(app.server.requestTimeout).toBe(30_000);
    expect(app.initialConfig.keepAliveTimeout).toBe(5_000);
    expect(app.initialConfig.bodyLimit).toBe(65_536);
  });
});

describe('write rate limit per user', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  let app: ApiApp;
  beforeAll(async () => {
    server = await privateRedis();
    const redis = server.client();
    await seedUsers(redis);
    app = await testApp(redis, { routes: [things], config: { writeRateMax: 3 } });
  });
  afterAll(async () => {
    await app.close();
    await server.close();
  });

  it('429 after writeRateMax writes in the window; other users and reads are not affected', async () => {
    const alice = bearer(await login(app, 'alice'));
    const admin = bearer(await login(app, 'admin'));
    const write = (headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/v1/things', headers, payload: { name: 'x' } });
    for (let i = 0; i < 3; i++) expect((await write(alice)).statusCode).toBe(201);
    const res = await write(alice);
    expectError(res, 429, 'TICKDESK_API_RATE_LIMITED');
    expect(res.headers['retry-after']).toBeDefined();
    // A new token for the same user does not reset the budget.
    expectError(await write(bearer(await login(app, 'alice'))), 429);
    expect((await write(admin)).statusCode).toBe(201);
    for (let i = 0; i < 10; i++) expect((await app.inject({ url: '/v1/whoami', headers: alice })).statusCode).toBe(200);
  });
});

describe('Redis unreachable', () => {
  it('503 with a generic message, not 500, and no internals', async () => {
    const server = await privateRedis();
    const redis = server.client({ enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    await until(() => redis.status === 'ready');
    await seedUsers(redis);
    const app = await testApp(redis, { config: { roleCacheMs: 0 } });
    try {
      const token = await login(app, 'alice');
      await server.down();
      expectError(
        await app.inject({ url: '/v1/instruments', headers: bearer(token) }),
        503,
        'TICKDESK_API_UNAVAILABLE',
      );
      expectError(
        await app.inject({
          method: 'POST',
          url: '/v1/auth/token',
          payload: { jid: 'alice@desk.localhost', password: 'alice-pw' },
        }),
        503,
        'TICKDESK_API_UNAVAILABLE',
      );
    } finally {
      await app.close();
      await server.close();
    }
  });
});

describe('start-up checks on routes', () => {
  let server: Awaited<ReturnType<typeof privateRedis>>;
  beforeAll(async () => {
    server = await privateRedis();
  });
  afterAll(async () => {
    await server.close();
  });

  it('a /v1 route without response schemas is refused', async () => {
    const bad: FastifyPluginAsync = async (v1) => {
      v1.get('/bare', async () => ({}));
    };
    await expect(testApp(server.client(), { routes: [bad] })).rejects.toThrow(
      /GET \/v1\/bare declares no response schema/,
    );
  });

  it('a body schema that accepts unknown fields is refused', async () => {
    const bad: FastifyPluginAsync = async (v1) => {
      v1.post(
        '/loose',
        { schema: { body: Type.Object({ a: Type.String() }), response: { 200: Type.Object({}) } } },
        async () => ({}),
      );
    };
    await expect(testApp(server.client(), { routes: [bad] })).rejects.toThrow(/additionalProperties: false/);
  });

  it('the secret signs tokens: another app with the same secret accepts them', async () => {
    const redis = server.client();
    await seedUsers(redis);
    const a = await testApp(redis);
    const b = await testApp(redis);
    try {
      const token = createTokenSigner({ secret: SECRET, ttlS: 60 }).sign('alice', 'trader').token;
      expect((await b.inject({ url: '/v1/instruments', headers: bearer(token) })).statusCode).toBe(200);
      expect((await a.inject({ url: '/v1/instruments', headers: bearer(await login(b, 'carol')) })).statusCode).toBe(
        200,
      );
    } finally {
      await a.close();
      await b.close();
    }
  });
});
