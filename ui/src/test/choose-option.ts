/**
 * Pick an option the way a user does. happy-dom does not match `:checked` on options,
 * which Svelte's select binding queries, so that query is answered here.
 */
export function choose(select: HTMLElement, value: string): void {
  const el = select as HTMLSelectElement;
  const options = [...el.options];
  const option = options.find((o) => o.value === value);
  if (!option) throw new Error(`no option ${value}`);
  options.forEach((o) => (o.selected = o === option));
  const query = el.querySelector.bind(el);
  el.querySelector = (sel: string) => (sel === ':checked' ? (options.find((o) => o.selected) ?? null) : query(sel));
  el.dispatchEvent(new Event('change', { bubbles: true }));
}
