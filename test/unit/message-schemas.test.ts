import { readFileSync } from 'node:fs';
import path from 'node:path';
import { messageSchemas } from '../../src/cli/message-schemas';

describe('docs/schemas', () => {
  it.each(Object.entries(messageSchemas()))(
    '%s matches the zod declaration (run `npm run docs:schemas` after changing it)',
    (file, schema) => {
      const committed = JSON.parse(
        readFileSync(path.resolve(__dirname, '../../docs/schemas', file), 'utf8'),
      ) as unknown;
      expect(committed).toEqual(schema);
    },
  );
});
