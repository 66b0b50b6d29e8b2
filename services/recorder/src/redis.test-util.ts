// One helper for every package's Redis-backed unit tests.
export { until } from '../../../test/support/private-redis.js';
export { usePrivateRedis } from '../../../test/support/use-private-redis.js';
