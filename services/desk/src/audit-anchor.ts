import { Redis } from 'ioredis';
import { redisConnection, type RedisServer } from '@tickdesk/infra';
import { auditKeys } from '@tickdesk/alerts';
import { saveCredentials, type Credentials } from './credentials.js';

/**
 * An audit key added to an older desk's credentials covers the records appended from now
 * on: note the first such seq in the credentials file (outside Redis), so that a chain
 * rewritten later as unkeyed records fails verification from there.
 */
export async function anchorAuditKey(path: string, credentials: Credentials, server: RedisServer): Promise<void> {
  if (credentials.audit.keyedFrom !== undefined) return;
  const redis = new Redis({
    ...redisConnection(server.port, server.login),
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  try {
    await redis.connect();
    const seq = Number((await redis.hget(auditKeys().head, 'seq')) ?? 0);
    credentials.audit.keyedFrom = seq + 1;
    saveCredentials(path, credentials);
  } finally {
    redis.disconnect();
  }
}
