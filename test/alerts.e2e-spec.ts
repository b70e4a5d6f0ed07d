import { INestApplication } from '@nestjs/common';
import { readFileSync } from 'fs';
import { join } from 'path';
import { Client } from 'pg';
import { parse } from 'yaml';
import { AppConfig } from '@illbridge/common';
import { createTestDatabase, jsonClient, TEST_ADMIN_KEY, TestDatabase, testConfig, wipeQueuePrefix } from '@illbridge/testing';
import { createActionPushApp } from '../apps/action-push/src/main';
import { createImportWorkerApp } from '../apps/import-worker/src/main';
import { ImportSettings } from '../apps/import-worker/src/import-settings';
import { createProfileConfigApp } from '../apps/profile-config/src/main';
import { createReportingApp } from '../apps/reporting/src/main';
import { daysAgo, runProfileNow } from './support/runs';
import { urlOf } from './support/stack';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The metric names of a PromQL expression (ours all start with illbridge_; quoted label values left out), each
 *  with the label names its selectors match on. */
function selectors(expr: string): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const match of bare.matchAll(/\b(illbridge_[A-Za-z0-9_:]+)(\{([^}]*)\})?/g)) {
    const labels = found.get(match[1]) ?? new Set<string>();
    for (const matcher of (match[3] ?? '').split(',').filter((m) => m.trim())) labels.add(matcher.split(/=~|!~|!=|=/)[0].trim());
    found.set(match[1], labels);
  }
  return found;
}

/** What /metrics exports: each metric (by its # TYPE line, and each sample's name) with the label names seen. */
function exported(text: string, into: Map<string, Set<string>>) {
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type) {
      if (!into.has(type[1])) into.set(type[1], new Set());
      continue;
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})? /.exec(line);
    if (!sample) continue;
    const labels = into.get(sample[1]) ?? new Set<string>();
    for (const pair of (sample[3] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="/g)) labels.add(pair[1]);
    into.set(sample[1], labels);
  }
}

/** ops/alerts.yml against the four services' /metrics, started as the other end-to-end tests start them. */
describe('ops/alerts.yml (end to end)', () => {
  let db: TestDatabase;
  let config: AppConfig;
  const apps: INestApplication[] = [];
  let pg: Client;
  const metrics = new Map<string, Set<string>>();
  const rules: Rule[] = (parse(readFileSync(join(__dirname, '..', 'ops', 'alerts.yml'), 'utf8')).groups as { name: string; rules: Rule[] }[]).flatMap((g) => g.rules);

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    const admin = await createProfileConfigApp(config);
    const worker = await createImportWorkerApp(config, new ImportSettings({ httpTimeoutMs: 500, retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 20 } }));
    const push = await createActionPushApp(config);
    const reporting = await createReportingApp(config);
    for (const app of [admin, worker, push, reporting]) {
      apps.push(app);
      await app.listen(0, '127.0.0.1');
    }
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    // A scheduled profile with a run (failed: nothing listens at its Libris), so that the per-profile series exist.
    const api = jsonClient(await urlOf(admin), TEST_ADMIN_KEY);
    expect((await api('POST', '/api/libraries', { code: 'MAIN', name: 'Huvudbiblioteket', resourceSharing: true })).status).toBe(201);
    const profile = await api('POST', '/api/integration-profiles', {
      code: 'LIBRIS_ALERTS',
      name: 'Libris alerts',
      integrationType: 'RESOURCE_SHARING',
      system: 'LIBRIS',
      active: true,
      granularity: 'DAY',
      baseUrl: 'http://127.0.0.1:9/libris/api',
      libraryCode: 'Hig',
      resourceSharingLibraryCode: 'MAIN',
      authentication: { enabled: true, apiKey: 'k' },
      harvestStartDate: daysAgo(3),
      schedule: { type: 'DAILY', time: '03:00' },
    });
    expect([profile.status, profile.body.message]).toEqual([201, undefined]);
    expect((await api('PUT', `/api/integration-profiles/${profile.body.id}/library-mappings`, [{ libraryCode: 'MAIN', externalLibraryCode: 'Hig' }])).status).toBe(200);
    expect((await runProfileNow(api, pg, profile.body.id)).state).toBe('FAILED');
    // A completed run too (as a finished harvest leaves it), for the last-success gauge.
    await pg.query(
      `INSERT INTO job_run (profile_id, job_name, trigger, state, stage, counters, started_at, finished_at, created_at)
       VALUES ($1, 'earlier', 'SCHEDULED', 'COMPLETED_WITH_ERRORS', 'DONE', $2, now() - interval '1 day', now() - interval '1 day', now() - interval '1 day')`,
      [profile.body.id, JSON.stringify({ totalRecordsProcessed: 3, borrowingProcessed: 3, borrowingSucceeded: 2, borrowingFailed: 1, lendingProcessed: 0, lendingSucceeded: 0, lendingFailed: 0, created: 2, updated: 0, unchanged: 0 })],
    );
    for (const app of apps) {
      const res = await fetch(`${await urlOf(app)}/metrics`);
      expect(res.status).toBe(200);
      exported(await res.text(), metrics);
    }
  });

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await pg?.end();
    await wipeQueuePrefix(config.redisUrl, config.queuePrefix);
    await db?.drop();
  });

  it('has the four kinds of alert, each with a severity and a summary', () => {
    expect(rules.length).toBeGreaterThanOrEqual(4);
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^IllBridge[A-Za-z]+$/);
      expect(['info', 'warning', 'critical']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(selectors(rule.expr).size).toBeGreaterThan(0);
      if (rule.for) expect(rule.for).toMatch(/^\d+[smhd]$/);
    }
    const named = rules.map((r) => r.expr).join('\n');
    expect(named).toMatch(/2 \* on \(profile\) illbridge_profile_schedule_interval_seconds/);
    expect(named).toContain('illbridge_profile_job_runs{state="FAILED"}');
    expect(named).toContain('illbridge_push_failed_requests');
    expect(named).toContain('illbridge_queue_jobs');
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it("names only metrics the services export, with labels their series carry", () => {
    const problems: string[] = [];
    for (const rule of rules) {
      for (const [name, labels] of selectors(rule.expr)) {
        const seen = metrics.get(name);
        if (!seen) {
          problems.push(`${rule.alert}: ${name} is not exported`);
          continue;
        }
        for (const label of labels) if (seen.size && !seen.has(label)) problems.push(`${rule.alert}: ${name} has no label ${label} (it has ${[...seen].join(', ')})`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('exports the per-profile metrics with the profile label', () => {
    for (const name of ['illbridge_profile_last_success_timestamp_seconds', 'illbridge_profile_last_run_state', 'illbridge_profile_job_runs', 'illbridge_profile_records_failed', 'illbridge_profile_schedule_interval_seconds']) {
      expect([name, metrics.get(name)?.has('profile')]).toEqual([name, true]);
    }
  });
});
