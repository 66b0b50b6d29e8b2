import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DeskRoleSchema, DISABLED_ROLE, SYMBOL_PATTERN } from '@tickdesk/schemas';
import type { AccountDirectory } from '@tickdesk/accounts';
import { BEARER } from '../plugins/openapi.js';
import { ApiError, badRequest, conflict, errorResponses, notFound, unavailable } from '../errors.js';
import { USERNAME_PATTERN } from '../roles.js';

const User = Type.String({ pattern: USERNAME_PATTERN });
// A role route also takes a JID, only to refuse it by name: remote accounts never get desk roles.
const UserOrJid = Type.String({ pattern: `${USERNAME_PATTERN}|^[^@/\\s]{1,64}@[^@/\\s]{1,253}$` });
const AssignableRole = DeskRoleSchema;
const UserEntry = Type.Object({
  user: Type.String(),
  role: Type.String({ description: 'trader, analyst, compliance, admin, service or disabled' }),
});

/**
 * Admin only: accounts (created through XEP-0133 on the XMPP server, roles in Redis,
 * disabled by a fresh random password and ended sessions) and analysts' entitlements
 * (XEP-0060 affiliations on the instrument nodes).
 */
export default async function adminRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['admin'], security: BEARER };
  const admin = [app.requireRole('admin')];
  const directory = (): AccountDirectory => {
    if (!app.deps.accounts) throw unavailable('account administration is not connected to the XMPP server');
    return app.deps.accounts;
  };
  const existing = async (user: string): Promise<string> => {
    const role = await directory().roleOf(user);
    if (!role) throw notFound(`no user ${user}`);
    return role;
  };

  app.get(
    '/users',
    {
      onRequest: admin,
      schema: {
        ...common,
        summary: 'Every account and its role',
        response: { 200: Type.Object({ users: Type.Array(UserEntry) }), ...errorResponses(401, 403) },
      },
    },
    async () => ({ users: await directory().list() }),
  );

  app.post(
    '/users',
    {
      onRequest: admin,
      schema: {
        ...common,
        summary: 'Create an XMPP account with a role; its generated password is returned once',
        body: Type.Object({ user: User, role: AssignableRole }, { additionalProperties: false }),
        response: {
          201: Type.Object({ user: Type.String(), jid: Type.String(), role: AssignableRole, password: Type.String() }),
          ...errorResponses(401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const { user, role } = request.body;
      const { created, password } = await directory().create(user, role);
      if (!created) throw conflict(`user ${user} exists`);
      return reply.code(201).send({ user, jid: `${user}@${app.deps.domain}`, role, password });
    },
  );

  app.put(
    '/users/:user/role',
    {
      onRequest: admin,
      schema: {
        ...common,
        summary: "Change a user's role (and with it their entitlements)",
        params: Type.Object({ user: UserOrJid }, { additionalProperties: false }),
        body: Type.Object({ role: AssignableRole }, { additionalProperties: false }),
        response: { 200: UserEntry, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request) => {
      if (request.params.user.includes('@'))
        throw new ApiError(
          'TICKDESK_API_REMOTE_ACCOUNT',
          `${request.params.user} is a JID: remote accounts get no desk role (PUT /v1/remote-entitlements/:jid/:symbol entitles one)`,
        );
      const role = await existing(request.params.user);
      if (role === 'service' || role === DISABLED_ROLE) throw conflict(`user ${request.params.user} is ${role}`);
      await directory().setRole(request.params.user, request.body.role);
      app.entitlements.invalidate();
      return { user: request.params.user, role: request.body.role };
    },
  );

  app.post(
    '/users/:user/disable',
    {
      onRequest: admin,
      schema: {
        ...common,
        summary:
          'Disable an account: new random password, sessions ended, role and entitlements removed; within 2 s the alert engine pauses its rules and retires alerts to it (not resumed on re-enabling)',
        params: Type.Object({ user: User }, { additionalProperties: false }),
        response: { 204: Type.Null({ description: 'Disabled' }), ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const role = await existing(request.params.user);
      if (role === 'service') throw conflict('service accounts are not disabled over the API');
      if (request.params.user === request.caller.user) throw conflict('an admin cannot disable their own account');
      await directory().disable(request.params.user);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/entitlements/:user',
    {
      onRequest: admin,
      schema: {
        ...common,
        summary: 'The instruments whose nodes the user may read',
        params: Type.Object({ user: User }, { additionalProperties: false }),
        response: {
          200: Type.Object({ user: Type.String(), symbols: Type.Array(Type.String()) }),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (request) => {
      await existing(request.params.user);
      return { user: request.params.user, symbols: await directory().entitlements(request.params.user) };
    },
  );

  for (const [method, on] of [
    ['put', true],
    ['delete', false],
  ] as const) {
    app[method](
      '/entitlements/:user/:symbol',
      {
        onRequest: admin,
        schema: {
          ...common,
          summary: on
            ? 'Grant an analyst an instrument (member of its ticks/ and bars/ nodes)'
            : "Revoke an analyst's instrument (subscriptions removed first)",
          params: Type.Object(
            { user: User, symbol: Type.String({ pattern: SYMBOL_PATTERN }) },
            { additionalProperties: false },
          ),
          response: {
            204: Type.Null({ description: on ? 'Granted' : 'Revoked' }),
            ...errorResponses(401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const { user, symbol } = request.params;
        const role = await existing(user);
        if (role !== 'analyst') throw conflict(`${user} is ${role}: only analysts are entitled per instrument`);
        if (!app.deps.instruments.some((i) => i.symbol === symbol))
          throw badRequest(`params field "symbol": unknown instrument ${symbol}`);
        await directory().grant(user, symbol, on);
        app.entitlements.invalidate();
        return reply.code(204).send(null);
      },
    );
  }
}
