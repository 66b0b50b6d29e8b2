import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { IssuedToken } from '@tickdesk/schemas/rest';
import { jidDomain, jidLocal, XmppError } from '@tickdesk/xmpp';
import { ApiError, badRequest, errorResponses, unavailable } from '../errors.js';
import { loginRateLimit } from '../plugins/rate-limits.js';
import { readRole, USERNAME_PATTERN } from '../roles.js';

/** Checks a password against the XMPP server: true / false, throws when it cannot tell. */
export type VerifyPassword = (user: string, password: string) => Promise<boolean>;

const LoginBody = Type.Object(
  {
    jid: Type.String({
      pattern: `${USERNAME_PATTERN.slice(0, -1)}@[a-z0-9.-]{1,253}$`,
      maxLength: 320,
      description: 'bare JID, e.g. alice@desk.localhost',
    }),
    password: Type.String({ minLength: 1, maxLength: 1_024, description: 'the XMPP password; never stored' }),
  },
  { additionalProperties: false },
);

/** POST /auth/token: one identity, the XMPP account; the password is checked by logging in to the server. */
const authRoutes: FastifyPluginAsyncTypebox<{ verifyPassword: VerifyPassword }> = async (app, { verifyPassword }) => {
  app.post(
    '/auth/token',
    {
      config: { rateLimit: loginRateLimit(app.config) },
      schema: {
        tags: ['auth'],
        summary: 'Log in with an XMPP JID and password; returns a short-lived bearer token',
        body: LoginBody,
        response: { 200: IssuedToken, ...errorResponses(400, 401, 403, 429, 503) },
      },
    },
    async (request) => {
      const { jid, password } = request.body;
      const user = jidLocal(jid);
      if (jidDomain(jid) !== jidDomain(app.deps.domain))
        throw badRequest(`body field "jid": the domain must be ${app.deps.domain}`);
      let ok: boolean;
      try {
        ok = await verifyPassword(user, password);
      } catch (err) {
        if (err instanceof XmppError && err.condition === 'temporary-auth-failure') {
          app.metrics.logins.inc({ result: 'locked' });
          throw new ApiError(
            'TICKDESK_API_LOGIN_LOCKED',
            'too many failed logins for this account: try again in a few minutes',
          );
        }
        app.metrics.logins.inc({ result: 'unavailable' });
        request.log.warn({ err, user }, 'password check failed');
        throw unavailable('the XMPP server could not check the password: try again later');
      }
      if (!ok) {
        app.metrics.logins.inc({ result: 'bad_credentials' });
        throw new ApiError('TICKDESK_API_BAD_CREDENTIALS', 'wrong JID or password');
      }
      // Only after the password is known good, so the answer tells nothing about other accounts.
      const role = await readRole(app.deps.redis, user);
      if (!role) {
        app.metrics.logins.inc({ result: 'no_role' });
        throw new ApiError('TICKDESK_API_FORBIDDEN', `${jid} has no desk role that may use the API`);
      }
      const issued = app.tokens.sign(user, role);
      app.metrics.logins.inc({ result: 'ok' });
      request.log.info({ user, role }, 'token issued');
      return { token: issued.token, expiresAt: new Date(issued.expiresAt).toISOString(), user, role };
    },
  );
};

export default authRoutes;
