/**
 * The role `td:users` gives a disabled account: the account directory writes it, the
 * alert engine reads it (pausing the account's rules and retiring alerts to it).
 */
export const DISABLED_ROLE = 'disabled';
