import { Decimal, type SensorMapEntry } from '@tickdesk/schemas';

/** One value of a demo sensor per call: a mean-reverting random walk inside [min, max], with exactly `decimals` fraction digits. */
export type SensorWalk = () => string;

/**
 * Plausible readings for a sensor of the map: they start at 40 % of its range (a cold room
 * of -40..85 °C at 10 °C, a freezer of -40..10 °C at -20 °C) and move by up to 0.5 % of the
 * range a step, pulled back towards there (about ±1 °C for that cold room), so the chart
 * moves and a level rule near it fires now and then; never outside [min, max] (the feed
 * would refuse them) and never `-0` (not a sensor value).
 */
export function createSensorWalk(
  sensor: Pick<SensorMapEntry, 'min' | 'max' | 'decimals'>,
  random: () => number = Math.random,
): SensorWalk {
  const min = new Decimal(sensor.min);
  const max = new Decimal(sensor.max);
  const range = max.minus(min);
  const middle = min.plus(range.times(0.4));
  const step = range.div(200);
  let value = middle;
  return () => {
    const pull = middle.minus(value).div(20);
    value = Decimal.min(max, Decimal.max(min, value.plus(step.times(random() * 2 - 1)).plus(pull)));
    // Rounding inward keeps a value next to a bound inside it.
    const text = value.toFixed(sensor.decimals, value.isNegative() ? Decimal.ROUND_UP : Decimal.ROUND_DOWN);
    return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
  };
}

/** A topic a demo device publishes on for a map entry's filter: each wildcard level becomes `demo`. */
export const demoTopic = (filter: string): string =>
  filter
    .split('/')
    .map((level) => (level === '+' || level === '#' ? 'demo' : level))
    .join('/');
