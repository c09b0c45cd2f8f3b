import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

/**
 * Builds the drill page's script (`npm run build` runs this after tsc): drill/page/main.ts with
 * the drill engine, the scenario loader and every model bundled by esbuild into one minified
 * browser script, dist/drill/page/drill-page.js, which drill/html.ts inlines into each page.
 * The page then simulates the scenario itself (the kernel is deterministic), so a page carries
 * the scenario text, not its trace. The few Node built-ins the bundle reaches are replaced by
 * drill/page/shims/ (no file system; MD5 for RocketMQ's consistent hashing; Buffer.from).
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

export async function buildDrillPage(): Promise<void> {
  const shim = (name: string) => `${root}drill/page/shims/${name}`;
  await build({
    entryPoints: [`${root}drill/page/main.ts`],
    outfile: `${root}dist/drill/page/drill-page.js`,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    alias: { 'node:fs': shim('node-fs.ts'), 'node:crypto': shim('node-crypto.ts') },
    inject: [shim('buffer.ts')],
    // The page is one inline <script>: no chunk may end it early.
    charset: 'utf8',
  });
}

await buildDrillPage();
