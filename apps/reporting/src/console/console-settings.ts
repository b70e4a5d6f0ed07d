import { existsSync } from 'fs';
import { resolve } from 'path';
import { portSetting, setting, settingsOrThrow } from '@illbridge/common';
import { NOTIFICATION_SETTINGS } from '@illbridge/notifications/settings';

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

/** Every setting reporting reads besides the common ones (validated at start-up with them: main.ts). */
export const REPORTING_SETTINGS = {
  PORT: portSetting(3003),
  PROFILE_CONFIG_URL: setting.url('http://127.0.0.1:3001', ['http:', 'https:'], 'an http(s) URL'),
  ACTION_PUSH_URL: setting.url('http://127.0.0.1:3002', ['http:', 'https:'], 'an http(s) URL'),
  CONSOLE_DIR: setting.optionalText(),
  CONSOLE_PROXY_TIMEOUT_MS: setting.ms(30_000, 100),
  /** Validated here; read by the overdue check's scheduler (libs/queues overdueRepeatSpec). */
  OVERDUE_CHECK_MS: setting.ms(3_600_000, 1000),
  ...NOTIFICATION_SETTINGS,
};

export function consoleSettings(env: NodeJS.ProcessEnv = process.env): ConsoleSettings {
  const s = settingsOrThrow(REPORTING_SETTINGS, env);
  return {
    dir: s.CONSOLE_DIR ? resolve(s.CONSOLE_DIR) : defaultConsoleDir(),
    upstreams: { 'profile-config': s.PROFILE_CONFIG_URL.replace(/\/+$/, ''), 'action-push': s.ACTION_PUSH_URL.replace(/\/+$/, '') },
    proxyTimeoutMs: s.CONSOLE_PROXY_TIMEOUT_MS,
  };
}
