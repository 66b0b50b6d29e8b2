import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertPortFree, freePort } from '@tickdesk/infra';
import type { DeskConfig } from './config.js';
import type { Running } from './supervisor.js';

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));
/** A service asked to stop gets this long before SIGKILL. */
const SERVICE_STOP_MS = 8_000;

/** One service as a child process (`tickdesk run <name>`), output appended to its log. */
export function spawnService(name: string, logPath: string, env: NodeJS.ProcessEnv): Running {
  const logFd = openSync(logPath, 'a', 0o600);
  const child = spawn(process.execPath, [CLI, 'run', name], { stdio: ['ignore', logFd, logFd], env });
  closeSync(logFd);
  const ended = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`));
    child.once('error', (err) => resolve(`spawn failed: ${err.message}`));
  });
  return {
    pid: child.pid ?? -1,
    ended,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), SERVICE_STOP_MS);
      await ended;
      clearTimeout(timer);
    },
  };
}

/** The configured metrics ports, and free loopback ports for those left at 0, chosen once so they survive restarts. */
export async function chooseMetricsPorts(config: DeskConfig): Promise<{ feed: number; recorder: number; alerts: number }> {
  const taken = new Set([config.TICKDESK_API_PORT, config.TICKDESK_XMPP_PORT, config.TICKDESK_XMPP_TLS_PORT, config.TICKDESK_XMPP_HTTP_PORT, config.TICKDESK_REDIS_PORT]);
  const pick = async (configured: number, name: string, envVar: string) => {
    if (configured !== 0) {
      await assertPortFree(configured, `the ${name} metrics endpoint`, envVar);
      taken.add(configured);
      return configured;
    }
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    return port;
  };
  return {
    feed: await pick(config.TICKDESK_FEED_METRICS_PORT, 'feed', 'TICKDESK_FEED_METRICS_PORT'),
    recorder: await pick(config.TICKDESK_RECORDER_METRICS_PORT, 'recorder', 'TICKDESK_RECORDER_METRICS_PORT'),
    alerts: await pick(config.TICKDESK_ALERTS_METRICS_PORT, 'alerts', 'TICKDESK_ALERTS_METRICS_PORT'),
  };
}
