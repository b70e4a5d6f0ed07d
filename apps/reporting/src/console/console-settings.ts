import { existsSync } from 'fs';
import { resolve } from 'path';
import { ConfigError } from '@illbridge/common';

/** Where reporting finds the staff console's built files and the services the console calls through it. */
export interface ConsoleSettings {
  /** The Vite build output (index.html and assets/). */
  dir: string;
  /** Base URLs the same-origin proxy forwards to: /proxy/profile-config/api/… and /proxy/action-push/api/…. */
  upstreams: Record<ConsoleUpstream, string>;
  /** How long a proxied call may take before the console gets a 503. */
  proxyTimeoutMs: number;
}

export const CONSOLE_UPSTREAMS = ['profile-config', 'action-push'] as const;
export type ConsoleUpstream = (typeof CONSOLE_UPSTREAMS)[number];

/** The build output: dist/console beside the compiled services (Docker, `npm run build`), found from the
 *  source tree (apps/reporting/src/console → dist/console) or from the compiled tree (dist/apps/… → dist/console). */
export function defaultConsoleDir(): string {
  const candidates = [resolve(__dirname, '..', '..', '..', '..', 'dist', 'console'), resolve(__dirname, '..', '..', '..', '..', 'console')];
  return candidates.find((dir) => existsSync(resolve(dir, 'index.html'))) ?? candidates[0];
}

const httpUrl = (value: string) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
};

export function consoleSettings(env: NodeJS.ProcessEnv = process.env): ConsoleSettings {
  const problems: string[] = [];
  const upstreams = {
    'profile-config': env.PROFILE_CONFIG_URL || 'http://127.0.0.1:3001',
    'action-push': env.ACTION_PUSH_URL || 'http://127.0.0.1:3002',
  };
  if (!httpUrl(upstreams['profile-config'])) problems.push('PROFILE_CONFIG_URL must be an http(s) URL');
  if (!httpUrl(upstreams['action-push'])) problems.push('ACTION_PUSH_URL must be an http(s) URL');
  const proxyTimeoutMs = Number(env.CONSOLE_PROXY_TIMEOUT_MS || 30_000);
  if (!Number.isInteger(proxyTimeoutMs) || proxyTimeoutMs < 100) problems.push('CONSOLE_PROXY_TIMEOUT_MS must be a whole number of milliseconds, at least 100');
  if (problems.length) throw new ConfigError(problems);
  return {
    dir: env.CONSOLE_DIR ? resolve(env.CONSOLE_DIR) : defaultConsoleDir(),
    upstreams: { 'profile-config': upstreams['profile-config'].replace(/\/+$/, ''), 'action-push': upstreams['action-push'].replace(/\/+$/, '') },
    proxyTimeoutMs,
  };
}
