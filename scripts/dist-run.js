#!/usr/bin/env node
/* Runs a compiled entry point from dist/ (production, Docker): resolves the @illbridge/* aliases
   to the compiled libraries. Usage: node scripts/dist-run.js apps/<service>/src/main.js */
'use strict';
const path = require('path');
const root = path.resolve(__dirname, '..');
const { compilerOptions } = require(path.join(root, 'tsconfig.base.json'));
require('tsconfig-paths').register({ baseUrl: path.join(root, 'dist'), paths: compilerOptions.paths });
const entry = process.argv[2];
if (!entry) {
  console.error('usage: node scripts/dist-run.js apps/<service>/src/main.js');
  process.exit(2);
}
process.argv.splice(1, 2, path.join(root, 'dist', entry));
require('module').runMain();
