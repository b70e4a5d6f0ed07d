import { INestApplication, RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { AddressInfo } from 'net';
import { ApiKeyAuthenticator, ApiKeyGuard, applyApiConventions, PUBLIC_KEY, ROLE_KEY } from '@illbridge/common';
import type { Role } from '@illbridge/database/entities';

/** Controller specs without servers: the controllers of a service mounted with the real guard, validation pipe and
 *  error filter (applyApiConventions, as every service has them), keys resolved from a table instead of Postgres, and
 *  every service they depend on replaced by a double whose methods answer what the test sets (default `{}`). */

/** One key per role, and one nobody knows. */
export const KEYS: Readonly<Record<Role | 'unknown', string>> = { viewer: 'viewer-key', operator: 'operator-key', admin: 'admin-key', unknown: 'nobody-knows-this-key' };
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

export interface Route {
  method: string;
  path: string;
  /** The least role (null: public, no key). */
  role: Role | null;
  controller: string;
  handler: string;
}

const METHOD_NAMES: Record<number, string> = {
  [RequestMethod.GET]: 'GET',
  [RequestMethod.POST]: 'POST',
  [RequestMethod.PUT]: 'PUT',
  [RequestMethod.PATCH]: 'PATCH',
  [RequestMethod.DELETE]: 'DELETE',
};

const join = (...parts: string[]) => '/' + parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/');

/** Every route of these controllers, with the role the guard will ask for (method, then class, as the guard reads it). */
export function routesOf(controllers: Type<unknown>[]): Route[] {
  const routes: Route[] = [];
  for (const controller of controllers) {
    const base: string = Reflect.getMetadata(PATH_METADATA, controller) ?? '';
    for (const handler of Object.getOwnPropertyNames(controller.prototype)) {
      const fn = Object.getOwnPropertyDescriptor(controller.prototype, handler)?.value; // not getters: they read the instance
      if (handler === 'constructor' || typeof fn !== 'function') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, fn);
      if (method === undefined) continue;
      const paths: string | string[] = Reflect.getMetadata(PATH_METADATA, fn) ?? '';
      const isPublic = Reflect.getMetadata(PUBLIC_KEY, fn) ?? Reflect.getMetadata(PUBLIC_KEY, controller);
      const role: Role = Reflect.getMetadata(ROLE_KEY, fn) ?? Reflect.getMetadata(ROLE_KEY, controller) ?? 'viewer';
      for (const path of Array.isArray(paths) ? paths : [paths]) {
        routes.push({ method: METHOD_NAMES[method] ?? String(method), path: join(base, path), role: isPublic ? null : role, controller: controller.name, handler });
      }
    }
  }
  return routes;
}

/** A path with its parameters filled (a UUID for ids, a word otherwise). */
export function concretePath(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => (/id$/i.test(name) ? '00000000-0000-4000-8000-000000000001' : 'X1'));
}

export interface ControllerHarness {
  url: string;
  /** The double standing in for a provider: set `double(Service).method = async () => …` to answer or throw. */
  double<T>(token: Type<T> | string | symbol): Record<string, (...args: unknown[]) => unknown>;
  /** The calls the doubles received, as `Class.method`. */
  calls: string[];
  call(method: string, path: string, key?: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Mounts the controllers; every dependency they have is a double (whatever it is, so a new dependency needs no change here). */
export async function controllerHarness(controllers: Type<unknown>[]): Promise<ControllerHarness> {
  const doubles = new Map<unknown, Record<string, (...args: unknown[]) => unknown>>();
  const calls: string[] = [];
  const doubleOf = (token: unknown) => {
    let double = doubles.get(token);
    if (!double) {
      const name = typeof token === 'function' ? token.name : String(token);
      const own: Record<string, (...args: unknown[]) => unknown> = {};
      double = new Proxy(own, {
        get: (target, property: string | symbol) => {
          if (typeof property === 'symbol' || property === 'then') return undefined;
          if (!(property in target)) {
            target[property] = async () => ({});
          }
          const fn = target[property];
          return (...args: unknown[]) => {
            calls.push(`${name}.${property}`);
            return fn(...args);
          };
        },
        set: (target, property: string, value) => {
          target[property] = value;
          return true;
        },
      });
      doubles.set(token, double);
    }
    return double;
  };
  const roles = new Map<string, Role>(ROLES.map((role) => [KEYS[role], role]));
  const module = await Test.createTestingModule({
    controllers,
    providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }, {
        provide: ApiKeyAuthenticator,
        useValue: {
          identify: async (key: string) => (roles.has(key) ? { id: `00000000-0000-4000-8000-00000000000${ROLES.indexOf(roles.get(key)!) + 1}`, name: `${roles.get(key)} key`, role: roles.get(key) } : null),
          roleOf: async (key: string) => roles.get(key) ?? null,
        },
      }],
  })
    .useMocker((token) => doubleOf(token))
    .compile();
  const app: INestApplication = module.createNestApplication({ bodyParser: false, logger: false });
  applyApiConventions(app);
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  return {
    url,
    calls,
    double: (token) => doubleOf(token),
    async call(method, path, key, body) {
      let res: Response;
      let text: string;
      try {
        res = await fetch(`${url}${path}`, {
          method,
          headers: { ...(key && { Authorization: `Bearer ${key}` }), ...(body !== undefined && { 'Content-Type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        text = await res.text();
      } catch (error) {
        // A streamed answer broken off by its handler (the doubles feed it nothing it can stream): past the guard.
        return { status: 0, body: `connection closed: ${(error as Error).message}` };
      }
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed };
    },
    close: () => app.close(),
  };
}

/** What a route answers for each key: 401 without a key or with an unknown one, 403 below its role, and past the
 *  guard (neither 401 nor 403) from its role up. The checks every controller spec runs over its routes. */
export async function roleAnswers(harness: ControllerHarness, route: Route): Promise<Record<'none' | 'unknown' | Role, number>> {
  const path = concretePath(route.path);
  const answers = {} as Record<'none' | 'unknown' | Role, number>;
  answers.none = (await harness.call(route.method, path)).status;
  answers.unknown = (await harness.call(route.method, path, KEYS.unknown)).status;
  for (const role of ROLES) answers[role] = (await harness.call(route.method, path, KEYS[role])).status;
  return answers;
}

export interface ControllerContract {
  /** The service, for the test names. */
  service: string;
  controllers: Type<unknown>[];
  /** Every route of the service and the least role api.md (or the README's additions) gives it; null = public. */
  roles: Readonly<Record<string, Role | null>>;
  /** A route whose handler calls `service.method` (checked for the error answers): its double is made to throw. */
  failing: { method: string; path: string; key?: Role; body?: unknown; service: Type<unknown> | string | symbol; serviceMethod: string };
  /** A body route with more than one problem in `body`: the 400 lists each of `problems` (substrings). */
  invalid?: { method: string; path: string; key: Role; body: unknown; problems: string[] };
}

/** The specs every service's controllers get: each route has its role decided (a new route must be added to the
 *  table), the guard answers 401 / 403 / passes for each key, errors come out in api.md's format (an ApiError as
 *  thrown, an unknown error as a bare 500 that leaks nothing, a dependency down as 503), and validation lists every
 *  problem of a body in one 400. */
export function describeControllerContract(contract: ControllerContract): void {
  describe(`${contract.service}: routes, roles and error answers`, () => {
    let harness: ControllerHarness;
    const routes = routesOf(contract.controllers);
    const keyOf = (route: Route) => `${route.method} ${route.path}`;

    beforeAll(async () => {
      harness = await controllerHarness(contract.controllers);
    });
    afterAll(() => harness?.close());

    it('every route has its role decided in the contract table, and only those routes exist', () => {
      expect(Object.fromEntries(routes.map((route) => [keyOf(route), route.role]))).toEqual(contract.roles);
    });

    it.each(routes.map((route) => [keyOf(route), route] as const))('%s answers 401 without a known key, 403 below its role, and lets its role and above through', async (_, route) => {
      const answers = await roleAnswers(harness, route);
      if (route.role === null) {
        for (const who of ['none', 'unknown', ...ROLES] as const) expect({ who, refused: [401, 403].includes(answers[who]) }).toEqual({ who, refused: false });
        return;
      }
      expect(answers.none).toBe(401);
      expect(answers.unknown).toBe(401);
      const needed = ROLES.indexOf(route.role);
      ROLES.forEach((role, i) => {
        if (i < needed) expect({ role, status: answers[role] }).toEqual({ role, status: 403 });
        else expect({ role, refused: [401, 403].includes(answers[role]) }).toEqual({ role, refused: false });
      });
    });

    const { failing } = contract;
    const callFailing = () => harness.call(failing.method, failing.path, KEYS[failing.key ?? 'admin'], failing.body);
    const failWith = (error: unknown) => {
      harness.double(failing.service)[failing.serviceMethod] = async () => {
        throw error;
      };
    };

    it('answers an ApiError with its status, code, message and extra fields', async () => {
      const { ApiError } = await import('@illbridge/common');
      failWith(new ApiError(409, 'ACTION_NOT_ALLOWED', 'Not now', { allowed: ['RECEIVE'] }));
      const res = await callFailing();
      expect(res).toEqual({ status: 409, body: { statusCode: 409, error: 'Conflict', code: 'ACTION_NOT_ALLOWED', message: ['Not now'], allowed: ['RECEIVE'] } });
    });

    it('answers an unexpected error as a bare 500 that does not leak its text', async () => {
      failWith(new Error('secret internals: password=hunter2'));
      const res = await callFailing();
      expect(res).toEqual({ status: 500, body: { statusCode: 500, error: 'Internal Server Error', code: 'INTERNAL_ERROR', message: ['Internal server error'] } });
    });

    it('answers 503 SERVICE_UNAVAILABLE when the database or Redis cannot be reached', async () => {
      failWith(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
      const res = await callFailing();
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });
    });

    if (contract.invalid) {
      const invalid = contract.invalid;
      it('lists every problem of an invalid body in one 400', async () => {
        const res = await harness.call(invalid.method, invalid.path, KEYS[invalid.key], invalid.body);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
        for (const problem of invalid.problems) expect(res.body.message).toEqual(expect.arrayContaining([expect.stringContaining(problem)]));
      });
    }
  });
}
