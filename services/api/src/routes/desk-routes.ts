import type { FastifyPluginAsync } from 'fastify';
import alertsRoutes from './alerts.js';
import auditRoutes from './audit.js';
import auditStreamRoutes from './audit-stream.js';
import adminRoutes from './admin.js';
import deviceRoutes from './devices.js';
import presenceRoutes from './presence.js';
import remoteEntitlementRoutes from './remote-entitlements.js';
import rulesRoutes from './rules.js';
import streamRoutes from './stream.js';
import webhookRoutes from './webhooks.js';
import silenceRoutes from './silences.js';
import escalationRoutes from './escalation.js';

/** The route plugins mounted under /v1 after the core's own (auth, instruments, health). */
export const DESK_ROUTES: FastifyPluginAsync[] = [
  rulesRoutes,
  alertsRoutes,
  auditRoutes,
  auditStreamRoutes,
  presenceRoutes,
  adminRoutes,
  remoteEntitlementRoutes,
  deviceRoutes,
  streamRoutes,
  webhookRoutes,
  silenceRoutes,
  escalationRoutes,
];
