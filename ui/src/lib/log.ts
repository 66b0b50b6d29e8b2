/** The dashboard's one place that writes to the browser console: warnings a developer should see. */
export function warn(event: string, detail?: Record<string, unknown>): void {
  console.warn(`tickdesk: ${event}`, detail ?? {});
}
