// Writes schemas/json/*.schema.json; `npm run export -w @tickdesk/schemas`.
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jsonSchemaFiles } from './json-schemas.js';

const dir = fileURLToPath(new URL('../json/', import.meta.url));
mkdirSync(dir, { recursive: true });
for (const [name, text] of Object.entries(jsonSchemaFiles())) writeFileSync(dir + name, text);
