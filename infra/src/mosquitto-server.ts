import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { requireBinary } from './binaries.js';
import type { CertPaths } from './certs.js';
import { InfraError } from './errors.js';
import { startProcess, tail, type ManagedProcess } from './managed-process.js';
import { dynsecFileText, MQTT_ADMIN, type MqttCredentials } from './mosquitto-dynsec.js';
import { connectMqtt } from './mosquitto-connect.js';
import { assertPortFree } from './ports.js';
import { renderFile } from './template.js';

/** Debian's build of the dynamic-security plugin (package mosquitto). */
export const DYNSEC_PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
/** Messages queued per client while it is away (beyond the 1000 in flight); then new ones are dropped. */
export const DEFAULT_MQTT_MAX_QUEUED = 100_000;
/** A sensor payload is a decimal or `{"value":…,"time":…}`: far below this. */
export const DEFAULT_MQTT_MESSAGE_SIZE_LIMIT = 1024;
/** Connections at once on the listener (devices, the adapter, the admin). */
export const DEFAULT_MQTT_MAX_CONNECTIONS = 2000;
/** Seconds between two writes of the broker's in-memory store (sessions, queued QoS 1 messages). */
export const DEFAULT_MQTT_AUTOSAVE_S = 1;

export interface MosquittoOptions {
  /** Folder for the rendered config, the dynamic-security file, log, pid file and data (persistence). */
  dir: string;
  port: number;
  /** The listener's interface (TICKDESK_MQTT_INTERFACE). */
  host?: string;
  /** The desk's CA and server certificate (certs.ts). */
  certs: CertPaths;
  /** Passwords of the broker's own accounts `mqtt-admin` and `mqtt-feed`. */
  credentials: MqttCredentials;
  maxQueuedMessages?: number;
  messageSizeLimit?: number;
  maxConnections?: number;
  autosaveS?: number;
  /** The setting that moves its port, named when the port is taken. */
  portSetting?: string;
}

export interface MosquittoServer {
  readonly port: number;
  readonly host: string;
  /** `mqtts://<host>:<port>` */
  readonly url: string;
  readonly process: ManagedProcess;
  readonly logPath: string;
  stop(): Promise<void>;
}

const TEMPLATE = new URL('../mosquitto/mosquitto.conf.tmpl', import.meta.url);
const positive = (name: string, v: number) => {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`mosquitto ${name} must be a positive integer, not ${v}`);
  return v;
};

/** mosquitto.conf for `opts`, as startMosquitto writes it. */
export function renderMosquittoConfig(opts: MosquittoOptions, user = userInfo().username): string {
  return renderFile(TEMPLATE, {
    user,
    dir: opts.dir,
    plugin: DYNSEC_PLUGIN,
    port: opts.port,
    host: opts.host ?? '127.0.0.1',
    caFile: opts.certs.caCert,
    certFile: opts.certs.serverCert,
    keyFile: opts.certs.serverKey,
    maxQueued: positive('max_queued_messages', opts.maxQueuedMessages ?? DEFAULT_MQTT_MAX_QUEUED),
    messageSizeLimit: positive('message_size_limit', opts.messageSizeLimit ?? DEFAULT_MQTT_MESSAGE_SIZE_LIMIT),
    maxConnections: positive('max_connections', opts.maxConnections ?? DEFAULT_MQTT_MAX_CONNECTIONS),
    autosaveS: positive('autosave_interval', opts.autosaveS ?? DEFAULT_MQTT_AUTOSAVE_S),
  });
}

/**
 * Start a private mosquitto on `host`:`port`, TLS only, reachable only with an account of
 * its dynamic-security plugin. Its folders are 0700 and its files 0600. The
 * dynamic-security file keeps the devices added earlier; the desk's own two accounts are
 * set to the passwords of `credentials` at every start (the broker is not running then).
 */
export async function startMosquitto(opts: MosquittoOptions): Promise<MosquittoServer> {
  const bin = requireBinary('mosquitto', 'mosquitto');
  if (!existsSync(DYNSEC_PLUGIN))
    throw new InfraError(
      'TICKDESK_INFRA_BINARY_MISSING',
      `${DYNSEC_PLUGIN} is missing. Install it with: apt-get install -y mosquitto`,
    );
  const host = opts.host ?? '127.0.0.1';
  await assertPortFree(opts.port, 'the MQTT broker', opts.portSetting ?? 'TICKDESK_MQTT_PORT');
  const conf = join(opts.dir, 'mosquitto.conf');
  const dynsec = join(opts.dir, 'dynamic-security.json');
  const logPath = join(opts.dir, 'mosquitto.log');
  for (const d of [opts.dir, join(opts.dir, 'data')]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    chmodSync(d, 0o700);
  }
  const previous = existsSync(dynsec) ? readFileSync(dynsec, 'utf8') : undefined;
  for (const [path, text] of [
    [conf, renderMosquittoConfig(opts)],
    [dynsec, dynsecFileText(previous, opts.credentials.users)],
  ] as const) {
    writeFileSync(path, text, { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  const proc = startProcess(bin, ['-c', conf], { umask: 0o077 });
  // A listener on every interface is reached on loopback (the certificate names 127.0.0.1).
  const url = `mqtts://${['0.0.0.0', '::'].includes(host) ? '127.0.0.1' : host}:${opts.port}`;
  try {
    // Ready once it accepts a login over TLS (the plugin loaded, the certificate readable).
    const login = {
      url,
      ca: readFileSync(opts.certs.caCert, 'utf8'),
      username: MQTT_ADMIN,
      password: opts.credentials.users[MQTT_ADMIN] ?? '',
    };
    const deadline = Date.now() + 15_000;
    for (;;) {
      const admin = await connectMqtt(login).catch((err: Error & { code?: unknown }) => {
        if (err.code !== 'ECONNREFUSED' || !proc.alive() || Date.now() > deadline) throw err;
      });
      if (admin) {
        await admin.endAsync();
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await proc.stop();
    throw new InfraError(
      'TICKDESK_INFRA_START_FAILED',
      `the MQTT broker did not start on ${host}:${opts.port}: ${(err as Error).message}\n${tail(logPath)}`,
    );
  }
  return { port: opts.port, host, url, process: proc, logPath, stop: () => proc.stop() };
}
