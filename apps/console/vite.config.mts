import { fileURLToPath } from 'url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The staff console: a single-page app served by reporting at /console/ (apps/reporting/src/console).
 *  JSX goes through Vite 8's built-in oxc transform (automatic runtime); no React plugin is needed. */
export default defineConfig({
  root: here,
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic' } },
  // The vocabularies the console shares with the services (libs/database re-exports them by these aliases).
  resolve: {
    alias: [
      { find: /^@illbridge\/workflow\/(.*)$/, replacement: fileURLToPath(new URL('../../libs/workflow/src/$1', import.meta.url)) },
      { find: /^@illbridge\/connectors\/(.*)$/, replacement: fileURLToPath(new URL('../../libs/connectors/src/$1', import.meta.url)) },
    ],
  },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      // TanStack's "use client" directives mean nothing in a single-page app.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  logLevel: 'warn',
});
