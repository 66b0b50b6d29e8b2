/** Stable error codes of the MQTT adapter; never reused. */
export type MqttFeedErrorCode = 'TICKDESK_MQTT_CONFIG' | 'TICKDESK_MQTT_BUSY' | 'TICKDESK_MQTT_CLIENT';

export class MqttFeedError extends Error {
  override readonly name = 'MqttFeedError';
  constructor(
    readonly code: MqttFeedErrorCode,
    message: string,
  ) {
    super(message);
  }
}
