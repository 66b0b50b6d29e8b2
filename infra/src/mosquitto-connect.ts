import { connect, type IClientOptions, type MqttClient } from 'mqtt';

export interface MqttLogin {
  /** `mqtts://host:port` */
  url: string;
  /** The desk's CA certificate (PEM): the broker's certificate is verified against it. */
  ca: string;
  username: string;
  password: string;
  clientId?: string;
  timeoutMs?: number;
}

/**
 * One MQTT 5 connection over TLS, no reconnect: resolves once the broker accepted the
 * login (CONNACK success), rejects with its refusal (mosquitto answers 135, not authorized, to a bad user name or
 * password: MQTT 5 §3.2.2.2), a TLS error or a timeout.
 */
export function connectMqtt(login: MqttLogin, extra: Partial<IClientOptions> = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(login.url, {
      protocolVersion: 5,
      ca: login.ca,
      rejectUnauthorized: true,
      username: login.username,
      password: login.password,
      reconnectPeriod: 0,
      connectTimeout: login.timeoutMs ?? 10_000,
      ...(login.clientId ? { clientId: login.clientId } : {}),
      ...extra,
    });
    const fail = (err: Error) => {
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end(true);
      reject(err);
    };
    client.once('connect', () => {
      client.removeListener('error', fail);
      client.removeListener('close', onClose);
      resolve(client);
    });
    const onClose = () => fail(new Error(`the MQTT broker at ${login.url} closed the connection`));
    client.once('error', fail);
    client.once('close', onClose);
  });
}
