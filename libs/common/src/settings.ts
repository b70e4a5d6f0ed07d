/** Settings as a small typed table: each service lists every environment variable it reads (name, type, default,
 *  bounds) in one schema, read and validated at start-up. Every bad value is listed in one message that names the
 *  variable, and the service stops (ConfigError). The README's configuration table is checked against the
 *  schemas (settings-readme.spec.ts), so a setting cannot be added without being documented. */

/** A setting's value from its raw text, or the problem with it (the message names the variable). */
export interface SettingDef<T> {
  /** What the README's table shows as the default (for the check and for messages). */
  readonly fallback: T;
  parse(raw: string, name: string): { value: T } | { problem: string };
}

export type SettingsSchema = Record<string, SettingDef<unknown>>;
export type SettingsOf<S extends SettingsSchema> = { [K in keyof S]: S[K] extends SettingDef<infer T> ? T : never };

function wholeNumber(fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER, unit = '' }: { min?: number; max?: number; unit?: string } = {}): SettingDef<number> {
  return {
    fallback,
    parse(raw, name) {
      const value = Number(raw.trim());
      if (raw.trim() === '' || !Number.isSafeInteger(value) || value < min || value > max) {
        const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
        return { problem: `${name} must be a whole number${unit ? ` of ${unit}` : ''}, ${range}; got "${raw}"` };
      }
      return { value };
    },
  };
}

/** The kinds of setting the services have. */
export const setting = {
  int: (fallback: number, bounds?: { min?: number; max?: number }) => wholeNumber(fallback, bounds),
  ms: (fallback: number, min = 0) => wholeNumber(fallback, { min, unit: 'milliseconds' }),
  /** A whole number, or unset (the feature is off). */
  optionalInt: (bounds?: { min?: number; max?: number }): SettingDef<number | undefined> => {
    const inner = wholeNumber(0, bounds);
    return { fallback: undefined, parse: (raw, name) => inner.parse(raw, name) };
  },
  bool: (fallback: boolean): SettingDef<boolean> => ({
    fallback,
    parse(raw, name) {
      const text = raw.trim().toLowerCase();
      if (['true', '1'].includes(text)) return { value: true };
      if (['false', '0'].includes(text)) return { value: false };
      return { problem: `${name} must be true or false; got "${raw}"` };
    },
  }),
  text: (fallback: string, pattern?: RegExp, what = 'a valid value'): SettingDef<string> => ({
    fallback,
    parse: (raw, name) => (pattern && !pattern.test(raw) ? { problem: `${name} must be ${what}; got "${raw}"` } : { value: raw }),
  }),
  optionalText: (): SettingDef<string | undefined> => ({ fallback: undefined, parse: (raw) => ({ value: raw }) }),
  oneOf: <T extends string>(fallback: T, values: readonly T[]): SettingDef<T> => ({
    fallback,
    parse: (raw, name) => ((values as readonly string[]).includes(raw) ? { value: raw as T } : { problem: `${name} must be one of ${values.join(', ')}; got "${raw}"` }),
  }),
  url: (fallback: string, protocols: string[], what = `a ${protocols[0]}// URL`): SettingDef<string> => ({
    fallback,
    parse(raw, name) {
      try {
        if (protocols.includes(new URL(raw).protocol)) return { value: raw };
      } catch {
        // not a URL
      }
      return { problem: `${name} must be ${what}; got "${raw}"` };
    },
  }),
};

/** Reads every setting of `schema` from `env`: unset or empty → the default. Answers the values and every problem. */
export function readSettings<S extends SettingsSchema>(schema: S, env: NodeJS.ProcessEnv = process.env): { values: SettingsOf<S>; problems: string[] } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, def] of Object.entries(schema)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      values[name] = def.fallback;
      continue;
    }
    const parsed = def.parse(raw, name);
    if ('problem' in parsed) {
      problems.push(parsed.problem);
      values[name] = def.fallback;
    } else values[name] = parsed.value;
  }
  return { values: values as SettingsOf<S>, problems };
}
