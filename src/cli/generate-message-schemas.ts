import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { messageSchemas } from './message-schemas';

/** Writes docs/schemas/*.json from the zod message declarations: `npm run docs:schemas`. */
const directory = path.resolve(__dirname, '../../../docs/schemas');
for (const [file, schema] of Object.entries(messageSchemas())) {
  writeFileSync(path.join(directory, file), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote docs/schemas/${file}`);
}
