#!/usr/bin/env node
/* Runs a TypeScript entry point straight from source: SWC transpiles (with decorator metadata),
   tsconfig-paths resolves the @illbridge/* aliases. Usage: node scripts/run.js <file.ts> [args…] */
'use strict';
const path = require('path');
const root = path.resolve(__dirname, '..');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(root, 'tsconfig.json');
const { compilerOptions } = require(path.join(root, 'tsconfig.base.json'));
require('tsconfig-paths').register({ baseUrl: root, paths: compilerOptions.paths });
require('@swc-node/register');
const entry = process.argv[2];
if (!entry) {
  console.error('usage: node scripts/run.js <file.ts> [args…]');
  process.exit(2);
}
// Load the entry as the main module, so `require.main === module` holds in it.
process.argv.splice(1, 2, path.resolve(root, entry));
require('module').runMain();
