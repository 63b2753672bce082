// Bundles the console (esbuild) into dist/console with its stylesheets: every asset from
// the npm registry, nothing fetched at run time, so the console works with no internet.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'console');
const require = createRequire(import.meta.url);
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, 'src', 'main.ts')],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: 'es2022',
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
});
copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
for (const file of ['console.css', 'favicon.svg']) copyFileSync(join(here, file), join(out, file));
const jsondiffpatch = dirname(require.resolve('jsondiffpatch')); // its lib/ folder
copyFileSync(join(jsondiffpatch, 'formatters', 'styles', 'html.css'), join(out, 'jsondiffpatch.css'));
