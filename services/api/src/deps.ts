import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DeskRole, Instrument } from '@tickdesk/schemas';
import type { Device } from '@tickdesk/schemas/rest';
import type { AccountDirectory } from '@tickdesk/accounts';
import type { AlertStore, AuditChain, RuleStore, SilenceStore, UrlPolicy, WebhookStore } from '@tickdesk/alerts';

/** The desk roles that may use the API (@tickdesk/schemas roles.ts). */
export type Role = DeskRole;

/** Who made a request, from the verified token. */
export interface Caller {
  user: string;
  role: Role;
}

/**
 * What route plugins get from the app (decorated as `app.deps`). Route modules never
 * create connections themselves.
 */
export interface ApiDeps {
  redis: Redis;
  log: Logger;
  domain: string;
  instruments: readonly Instrument[];
  /** Partner desks' domains (topology.federation.peers): their traders may be a rule's recipient or backup. */
  peers?: readonly string[];
  rules: RuleStore;
  alerts: AlertStore;
  audit: AuditChain;
  /** Account administration over XMPP (an admin session); absent when the API runs without one (503). */
  accounts?: AccountDirectory;
  /** The MQTT broker's devices (the desk runs the mqtt feed); absent otherwise (503). */
  devices?: DeskDevices;
  /** Webhook endpoints and dead letters (the engine delivers), and the URL policy they are checked against; absent: 503. */
  webhooks?: { store: WebhookStore; policy: UrlPolicy };
  /** Traders' silences (the engine holds alerts by them) and their longest allowed duration, seconds; absent: 503. */
  silences?: { store: SilenceStore; maxSeconds: number };
}

/**
 * The device registry the routes need (infra's, over the broker's dynamic-security API,
 * as `mqtt-admin`), and where devices connect.
 */
export interface DeskDevices {
  registry: {
    readonly max: number;
    add(name: string, topicPrefix: string): Promise<{ password: string }>;
    remove(name: string): Promise<void>;
    list(): Promise<Device[]>;
  };
  /** The broker's TLS listener, as devices reach it. */
  broker: { host: string; port: number };
}
