import type { Client } from 'pg';
import { eventually, jsonClient } from '@illbridge/testing';

/** The job_run row of run `jobRunId` once the run has ended. */
export function runEnded(pg: Client, jobRunId: string, timeoutMs = 60_000): Promise<any> {
  return eventually(async () => {
    const { rows } = await pg.query('SELECT * FROM job_run WHERE id = $1', [jobRunId]);
    return rows[0] && !['PENDING', 'RUNNING'].includes(rows[0].state) ? rows[0] : null;
  }, timeoutMs, 'the run to end');
}

/** The job report of run `jobRunId` as reporting serves it, once the run has ended. */
export function reportWhenEnded(reports: ReturnType<typeof jsonClient>, jobRunId: string, timeoutMs = 60_000): Promise<any> {
  return eventually(async () => {
    const res = await reports('GET', `/api/jobs/${jobRunId}`);
    return res.status === 200 && !['PENDING', 'RUNNING'].includes(res.body.state) ? res.body : null;
  }, timeoutMs, `run ${jobRunId} to end`);
}

/** "Run now" on a profile through profile-config: the id of the run it started. */
export async function startRun(api: ReturnType<typeof jsonClient>, profileId: string): Promise<string> {
  const started = await api('POST', `/api/integration-profiles/${profileId}/run`);
  if (started.status !== 202) throw new Error(`run now answered ${started.status}: ${JSON.stringify(started.body)}`);
  return started.body.jobRunId;
}

/** "Run now" on a profile through profile-config, then the job_run row once the run has ended. */
export async function runProfileNow(api: ReturnType<typeof jsonClient>, pg: Client, profileId: string, timeoutMs = 60_000): Promise<any> {
  return runEnded(pg, await startRun(api, profileId), timeoutMs);
}

/** A day `n` days ago, as YYYY-MM-DD (UTC). */
export const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

/** The day in Japan `msAgo` ago, as YYYY-MM-DD: NACSIS dates its records (RNWDT) by it. */
export const japanDay = (msAgo = 0) => new Date(Date.now() - msAgo + 9 * 3_600_000).toISOString().slice(0, 10);
