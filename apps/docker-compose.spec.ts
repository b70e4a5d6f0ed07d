import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
const services: Record<string, any> = compose.services;
/** The services README "Running several workers" says may run as several replicas (`docker compose up --scale`). */
const SCALED = ['import-worker', 'action-push'];
const hostPort = (mapping: unknown) => {
  // "3002" (container port only), "3001:3001", "127.0.0.1:3001:3001", or the long form { target, published }.
  if (typeof mapping === 'object' && mapping) return (mapping as any).published ?? null;
  const parts = String(mapping).split(':');
  return parts.length > 1 ? parts[parts.length - 2] : null;
};

describe('docker-compose.yml', () => {
  it('runs the four services from the built image, each with a health check on its own PORT', () => {
    for (const name of ['profile-config', 'action-push', 'reporting', 'import-worker']) {
      const service = services[name];
      expect(service).toBeDefined();
      expect(service.image).toBe('ill-bridge:local');
      expect(existsSync(join(ROOT, service.command[service.command.length - 1].replace(/\.js$/, '.ts')))).toBe(true);
      expect(service.environment.PORT).toMatch(/^\d+$/);
      expect(service.healthcheck.test.join(' ')).toContain('process.env.PORT');
      expect(service.depends_on.migrations).toEqual({ condition: 'service_completed_successfully' });
    }
  });

  it.each(SCALED)('lets %s scale: no fixed host port (none, or a range of them), no container name', (name) => {
    const service = services[name];
    expect(service.container_name).toBeUndefined();
    const fixed = (service.ports ?? []).map(hostPort).filter((port: unknown) => port !== null && !/^\d+-\d+$/.test(String(port)));
    expect(fixed).toEqual([]);
  });

  it('keeps action-push on host port 3002 for one replica, with room for more', () => {
    expect(services['action-push'].ports).toEqual(['3002-3011:3002']);
  });

  it('publishes no host port twice', () => {
    const published = Object.values(services).flatMap((service: any) => (service.ports ?? []).map(hostPort).filter((port: unknown) => port !== null));
    expect(new Set(published).size).toBe(published.length);
  });

  it('gives every replica the same database, Redis and queue prefix', () => {
    for (const name of ['profile-config', 'action-push', 'reporting', 'import-worker']) {
      expect(services[name].environment).toMatchObject({ DATABASE_URL: services.migrations.environment.DATABASE_URL, REDIS_URL: 'redis://redis:6379', QUEUE_PREFIX: 'illbridge' });
    }
  });
});
