import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { createRuleFlapReader, createRuleService, remoteTraderLimit, type RuleOutcome } from '@tickdesk/alerts';
import { Rule, RuleInput, RuleStatus, sensorRanges, SYMBOL_PATTERN } from '@tickdesk/schemas';
import type { Role } from '../deps.js';
import { ApiError, badRequest, conflict, errorResponses, invalidRule, notFound } from '../errors.js';
import { BEARER } from '../plugins/openapi.js';
import { RuleList } from '@tickdesk/schemas/rest';
import { createRoleStore } from '@tickdesk/store';
import { USERNAME_PATTERN } from '../roles.js';
import { validatorCompiler } from '../validation.js';

const RuleParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
/** Optimistic concurrency: the version read, as `If-Match: "<version>"` or `?version=`. */
const IfMatch = Type.Object({ 'if-match': Type.Optional(Type.String({ pattern: '^(W/)?"?[0-9]{1,15}"?$' })) });
const VersionQuery = Type.Object({
  version: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
});
const ListQuery = Type.Object({
  owner: Type.Optional(Type.String({ pattern: USERNAME_PATTERN })),
  symbol: Type.Optional(Type.String({ pattern: SYMBOL_PATTERN })),
  status: Type.Optional(RuleStatus),
});

const errors = errorResponses(400, 401, 403);
const READ: Role[] = ['trader', 'compliance', 'admin'];
/** Compliance reads but never changes rules; an admin may change anyone's; a trader only their own. */
const WRITE: Role[] = ['trader', 'admin'];

const noRule = (id: string) => notFound(`no rule ${id}`);
const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** Rules through the rules service chat and ad-hoc commands use; every write is published to the engine by the RuleStore. */
export default async function rulesRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['rules'], security: BEARER };
  const { rules, redis, instruments } = app.deps;
  const userRoles = createRoleStore({ redis });
  const service = createRuleService({
    rules,
    symbols: new Set(instruments.map((i) => i.symbol)),
    sensors: sensorRanges(instruments),
    traders: async () => {
      const roles = await userRoles.all();
      return new Set(Object.keys(roles).filter((user) => roles[user] === 'trader'));
    },
    peers: new Set(app.deps.peers ?? []),
    minCooldownSeconds: app.config.minCooldownSeconds,
    remoteTraders: remoteTraderLimit({ redis, peers: new Set(app.deps.peers ?? []), max: app.config.remoteTradersMax }),
    annotate: createRuleFlapReader({ redis }),
  });
  // A rule body is checked by the rules service, as chat and ad-hoc commands' are:
  // a bad one is a 422 naming the field, not the schema's 400. The schema still documents it.
  app.setValidatorCompiler((req) =>
    req.httpPart === 'body'
      ? (value: unknown) => ({ value })
      : validatorCompiler(req as Parameters<typeof validatorCompiler>[0]),
  );

  /** The service's rule, or its refusal as the REST error. */
  function unwrap(out: RuleOutcome, id: string, { expected, from }: { expected?: number; from?: string } = {}): Rule {
    if (out.ok) return out.rule;
    switch (out.kind) {
      case 'invalid':
        throw invalidRule(out.field, out.message);
      case 'self-backup':
        throw invalidRule('backup', "must be another trader, not the owner or the rule's recipient");
      case 'rule-limit':
        throw new ApiError('TICKDESK_API_RULE_LIMIT', out.message);
      case 'not-found':
        throw noRule(id);
      case 'stale-version':
        throw conflict(
          expected === undefined
            ? `rule ${id} changed meanwhile: read it again`
            : `rule ${id} is at version ${out.version}, not ${expected}`,
        );
      case 'changed':
        throw conflict(`rule ${id} changed meanwhile: read it again`);
      case 'wrong-status':
        throw conflict(`rule ${id} is ${out.status}, not ${from}`);
      case 'rate-limited':
        throw new ApiError(
          'TICKDESK_API_RATE_LIMITED',
          `rate limit exceeded: retry in ${Math.ceil(out.retryAfterMs / 1000)} seconds`,
        );
    }
  }

  /** The version the client read, from If-Match or ?version=. */
  function expectedVersion(request: {
    headers: { 'if-match'?: string };
    query: { version?: number };
  }): number | undefined {
    const header = request.headers['if-match'];
    const fromHeader = header === undefined ? undefined : Number(header.replace(/^W\//, '').replaceAll('"', ''));
    const fromQuery = request.query.version;
    if (fromHeader !== undefined && fromQuery !== undefined && fromHeader !== fromQuery)
      throw badRequest('If-Match and ?version= name different versions');
    return fromHeader ?? fromQuery;
  }
  const etag = (rule: Rule) => `"${rule.version}"`;

  app.get(
    '/rules',
    {
      onRequest: [app.authenticate, app.requireRole(...READ)],
      schema: {
        ...common,
        summary: "List rules: a trader their own; compliance and admin everyone's",
        querystring: ListQuery,
        response: { 200: RuleList, ...errors },
      },
    },
    async (request) => {
      const { owner, symbol, status } = request.query;
      return { rules: await service.list(request.caller, defined({ owner, symbol, status })) };
    },
  );

  app.get(
    '/rules/:id',
    {
      onRequest: [app.authenticate, app.requireRole(...READ)],
      schema: {
        ...common,
        summary: 'One rule; its version is also the ETag',
        params: RuleParams,
        response: { 200: Rule, ...errors, ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const rule = await service.get(request.caller, request.params.id);
      if (!rule) throw noRule(request.params.id);
      return reply.header('etag', etag(rule)).send(rule);
    },
  );

  app.post(
    '/rules',
    {
      onRequest: [app.authenticate, app.requireRole('trader')],
      schema: {
        ...common,
        summary:
          "Create a rule of the caller's own (at most TICKDESK_ALERTS_MAX_RULES_PER_TRADER stored per trader: 409 TICKDESK_API_RULE_LIMIT)",
        body: RuleInput,
        response: { 201: Rule, ...errors, ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const rule = unwrap(await service.create(request.caller, request.body), '');
      return reply
        .code(201)
        .header('location', `${request.routeOptions.url}/${rule.id}`)
        .header('etag', etag(rule))
        .send(rule);
    },
  );

  app.put(
    '/rules/:id',
    {
      onRequest: [app.authenticate, app.requireRole(...WRITE)],
      schema: {
        ...common,
        summary: "Replace a rule's input (its status stays); If-Match or ?version= for optimistic concurrency",
        params: RuleParams,
        headers: IfMatch,
        querystring: VersionQuery,
        body: RuleInput,
        response: { 200: Rule, ...errors, ...errorResponses(404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const expected = expectedVersion(request);
      const out = await service.update(request.caller, id, request.body, expected);
      if (!out.ok && out.kind === 'stale-version')
        throw conflict(`rule ${id} is no longer at version ${expected}: read it again`);
      const updated = unwrap(out, id);
      return reply.header('etag', etag(updated)).send(updated);
    },
  );

  for (const [action, from, to] of [
    ['pause', 'active', 'paused'],
    ['resume', 'paused', 'active'],
  ] as const) {
    app.post(
      `/rules/:id/${action}`,
      {
        onRequest: [app.authenticate, app.requireRole(...WRITE)],
        schema: {
          ...common,
          summary: `${action === 'pause' ? 'Pause an active' : 'Resume a paused'} rule`,
          params: RuleParams,
          headers: IfMatch,
          querystring: VersionQuery,
          response: { 200: Rule, ...errors, ...errorResponses(404, 409) },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const expected = expectedVersion(request);
        const updated = unwrap(await service.setStatus(request.caller, id, to, expected), id, { expected, from });
        return reply.header('etag', etag(updated)).send(updated);
      },
    );
  }

  app.delete(
    '/rules/:id',
    {
      onRequest: [app.authenticate, app.requireRole(...WRITE)],
      schema: {
        ...common,
        summary:
          'Delete a rule: within a few seconds its outstanding alerts are retired, its flap state and last firing removed and the silences naming it ended; its alerts and audit records are kept',
        params: RuleParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errors, ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      unwrap(await service.remove(request.caller, id), id);
      return reply.code(204).send(null);
    },
  );
}
