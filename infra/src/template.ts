import { readFileSync } from 'node:fs';

/** Replace `{{name}}` placeholders; an unknown placeholder is a bug, so it throws. */
export function render(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template placeholder {{${key}}} has no value`);
    return String(value);
  });
}

export function renderFile(path: URL, values: Record<string, string | number>): string {
  return render(readFileSync(path, 'utf8'), values);
}

/** A Lua string list body: "a", "b". */
export const luaList = (items: readonly string[]): string => items.map((s) => JSON.stringify(s)).join(', ');
