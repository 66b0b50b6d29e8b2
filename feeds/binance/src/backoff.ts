// The desk's one backoff (full jitter under a doubling cap) lives with the XMPP client's.
export { createBackoff, type Backoff, type BackoffOptions } from '@tickdesk/xmpp';
