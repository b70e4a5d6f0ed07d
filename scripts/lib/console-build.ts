import { spawn } from 'child_process';
import { existsSync, readdirSync, statSync } from 'fs';
import { join, resolve } from 'path';

const ROOT = resolve(__dirname, '..', '..');
export const CONSOLE_SOURCE = join(ROOT, 'apps', 'console');
export const CONSOLE_BUILD = join(ROOT, 'dist', 'console');
/** What the build reads besides apps/console: the shared vocabularies and the pinned dependencies. */
const INPUTS = [CONSOLE_SOURCE, join(ROOT, 'libs', 'database', 'src', 'entities', 'enums.ts'), join(ROOT, 'package-lock.json')];

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((latest, name) => (name === 'node_modules' ? latest : Math.max(latest, newest(join(path, name)))), stat.mtimeMs);
}

/** Missing, or older than any of its sources. */
export function consoleBuildIsStale(): boolean {
  const index = join(CONSOLE_BUILD, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return INPUTS.some((input) => existsSync(input) && newest(input) > built);
}

/** `npm run build:console` (vite build) when the build output is missing or stale; answers whether it built. */
export async function ensureConsoleBuilt(): Promise<boolean> {
  if (!consoleBuildIsStale()) return false;
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', join(CONSOLE_SOURCE, 'vite.config.mts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`The console build failed (vite build, exit ${code}):\n${output}`))));
  });
  return true;
}
