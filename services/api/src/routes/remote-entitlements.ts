import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { SYMBOL_PATTERN } from '@tickdesk/schemas';
import { REMOTE_JID_MAX_LENGTH, RemoteGrantError, type RemoteGrants } from '@tickdesk/accounts';
import { BEARER } from '../plugins/openapi.js';
import { ApiError, badRequest, errorResponses, unavailable } from '../errors.js';

// Checked in full by remote-jid.ts (@xmpp/jid); the schema only bounds what reaches it.
const Jid = Type.String({
  minLength: 3,
  maxLength: REMOTE_JID_MAX_LENGTH,
  description: "bare JID of an account on a peer desk, e.g. analyst@deskb.example ('@' may be sent as %40)",
});
const Grant = Type.Object({ jid: Type.String(), symbols: Type.Array(Type.String()) });

/** The API's answer to a refused remote account or grant: a stable code per problem. */
function apiError(err: unknown): unknown {
  if (!(err instanceof RemoteGrantError)) return err;
  switch (err.problem) {
    case 'not-a-peer':
      return new ApiError('TICKDESK_API_NOT_A_PEER', err.message);
    case 'limit':
      return new ApiError('TICKDESK_API_REMOTE_GRANT_LIMIT', err.message);
    case 'unknown-instrument':
      return badRequest(`params field "symbol": ${err.message}`);
    case 'malformed':
      return badRequest(`params field "jid": ${err.message}`);
  }
}

/**
 * Admin only: entitlements of accounts on peer desks (docs/operations.md "Federated
 * desks"). A family of its own rather than a JID in `/entitlements/:user`: a local user
 * has an account and a role here and a remote one has neither, and a static `remote`
 * segment under `/entitlements/` would hide a local user named `remote`.
 */
export default async function remoteEntitlementRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['admin'], security: BEARER };
  const admin = [app.requireRole('admin')];
  const remote = async <T>(use: (grants: RemoteGrants) => Promise<T>): Promise<T> => {
    if (!app.deps.accounts) throw unavailable('entitlements are not connected to the XMPP server');
    try {
      return await use(app.deps.accounts.remote);
    } catch (err) {
      throw apiError(err);
    }
  };

  app.get(
    '/remote-entitlements',
    {
      onRequest: admin,
      schema: {
        ...common,
        summary: "Every peer-desk account's instruments, and the most grants the desk may hold",
        response: {
          200: Type.Object({ grants: Type.Array(Grant), held: Type.Integer(), max: Type.Integer() }),
          ...errorResponses(401, 403),
        },
      },
    },
    async () =>
      remote(async (r) => {
        const grants = await r.list();
        return { grants, held: grants.reduce((n, g) => n + g.symbols.length, 0), max: r.max };
      }),
  );

  app.get(
    '/remote-entitlements/:jid',
    {
      onRequest: admin,
      schema: {
        ...common,
        summary: 'The instruments a peer-desk account may read',
        params: Type.Object({ jid: Jid }, { additionalProperties: false }),
        response: { 200: Grant, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => remote(async (r) => (await r.list(request.params.jid))[0]!),
  );

  for (const [method, on] of [
    ['put', true],
    ['delete', false],
  ] as const) {
    app[method](
      '/remote-entitlements/:jid/:symbol',
      {
        onRequest: admin,
        schema: {
          ...common,
          summary: on
            ? "Grant a peer desk's account an instrument (member of its ticks/ and bars/ nodes)"
            : "Revoke a peer desk's account's instrument (subscriptions removed first)",
          params: Type.Object(
            { jid: Jid, symbol: Type.String({ pattern: SYMBOL_PATTERN }) },
            { additionalProperties: false },
          ),
          response: {
            204: Type.Null({ description: on ? 'Granted (or held already)' : 'Revoked (or not held)' }),
            ...errorResponses(400, 401, 403, ...(on ? [409 as const] : [])),
          },
        },
      },
      async (request, reply) => {
        const { jid, symbol } = request.params;
        await remote<unknown>((r) => (on ? r.grant(jid, symbol) : r.revoke(jid, symbol)));
        return reply.code(204).send(null);
      },
    );
  }
}
