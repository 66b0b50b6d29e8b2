import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_ERRORS, ApiError, type ApiErrorCode, type ErrorBody } from './errors.js';
import { fieldName } from './validation.js';

const BY_STATUS: Record<number, ApiErrorCode> = {
  401: 'TICKDESK_API_UNAUTHENTICATED',
  403: 'TICKDESK_API_FORBIDDEN',
  404: 'TICKDESK_API_NOT_FOUND',
  409: 'TICKDESK_API_CONFLICT',
  413: 'TICKDESK_API_PAYLOAD_TOO_LARGE',
  415: 'TICKDESK_API_UNSUPPORTED_MEDIA_TYPE',
  429: 'TICKDESK_API_RATE_LIMITED',
};

const UNAVAILABLE =
  /Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|Stream isn't writeable|enableOfflineQueue/;

type AnyError = Partial<FastifyError> & Error & { validationContext?: string };

/** The status and `{ code, message }` for any error thrown while handling a request. */
function toErrorResponse(err: AnyError, requestId: string): { status: number; body: ErrorBody } {
  if (err instanceof ApiError) return { status: err.statusCode, body: { code: err.code, message: err.message } };
  if (err.validation && err.validation.length > 0) {
    const where = err.validationContext ?? 'request';
    const message = err.validation
      .slice(0, 3)
      .map((v) => `${fieldName(where, v.instancePath)}: ${v.message}`)
      .join('; ');
    return { status: 400, body: { code: 'TICKDESK_API_BAD_REQUEST', message } };
  }
  const status = err.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // fastify's own 4xx errors (bad JSON, empty body, limits) describe the input, never internals.
    const code = BY_STATUS[status] ?? 'TICKDESK_API_BAD_REQUEST';
    const message =
      code === 'TICKDESK_API_PAYLOAD_TOO_LARGE' ? 'request body is too large' : String(err.message).slice(0, 300);
    return { status: API_ERRORS[code].status, body: { code, message } };
  }
  if (isUnavailable(err)) {
    return {
      status: 503,
      body: { code: 'TICKDESK_API_UNAVAILABLE', message: `a backing service is unavailable (request ${requestId})` },
    };
  }
  return { status: 500, body: { code: 'TICKDESK_API_INTERNAL', message: `internal error (request ${requestId})` } };
}

function isUnavailable(err: AnyError): boolean {
  if (err.name === 'MaxRetriesPerRequestError') return true;
  const code = (err as { code?: unknown }).code;
  if (code === 'TICKDESK_XMPP_UNREACHABLE' || code === 'TICKDESK_XMPP_TIMEOUT' || code === 'TICKDESK_XMPP_TLS_FAILED')
    return true;
  return err.name !== 'ReplyError' && UNAVAILABLE.test(String(err.message));
}

/** Answers an unknown route some other way (the dashboard's page); false to leave it a 404. */
export type NotFoundFallback = (request: FastifyRequest, reply: FastifyReply) => boolean;

/** Every error and every unknown route becomes `{ code, message }`; 5xx details go to the log only. */
export function installErrorHandlers(app: FastifyInstance, fallback?: NotFoundFallback): void {
  app.setErrorHandler((err: AnyError, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = toErrorResponse(err, request.id);
    if (status >= 500) request.log.error({ err, code: body.code }, 'request failed');
    else request.log.debug({ code: body.code, message: body.message }, 'request refused');
    if (reply.sent) return;
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    if (fallback?.(request, reply)) return;
    const url = request.url.length > 200 ? `${request.url.slice(0, 200)}…` : request.url;
    return reply
      .code(404)
      .send({ code: 'TICKDESK_API_NOT_FOUND', message: `no route ${request.method} ${url}` } satisfies ErrorBody);
  });
}

/** fastify's `frameworkErrors` option: malformed URLs get a 400 in our shape too. */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  reply
    .code(400)
    .send({ code: 'TICKDESK_API_BAD_REQUEST', message: String(err.message).slice(0, 300) } satisfies ErrorBody);
}
