import type { ApiError } from './http.js';

/**
 * The field a refused rule names. The API says `rule field "threshold": must be …`
 * (422, services/api/src/errors.ts invalidRule) or, for a body the schema refuses,
 * `body field "windowSeconds": …` (400, validation.ts fieldName).
 */
export function ruleFieldError(err: ApiError): { field: string; path: string; message: string } | undefined {
  if (err.status !== 422 && err.status !== 400) return undefined;
  const m = /^(?:rule|body) field "(([A-Za-z]+)[^"]*)": (.*)$/s.exec(err.message);
  if (!m || m[2] === 'rule') return undefined;
  // path: the whole field as named (`series.legs[1].coefficient`), for the input that holds it.
  return { field: m[2]!, path: m[1]!, message: m[3]! };
}
