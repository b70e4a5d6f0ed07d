import type { Client } from 'pg';
import { eventually, jsonClient } from '@illbridge/testing';

/** "Run now" on a profile through profile-config, then the job_run row once the run has ended. */
export async function runProfileNow(api: ReturnType<typeof jsonClient>, pg: Client, profileId: string): Promise<any> {
  const started = await api('POST', `/api/integration-profiles/${profileId}/run`);
  if (started.status !== 202) throw new Error(`run now answered ${started.status}: ${JSON.stringify(started.body)}`);
  return eventually(async () => {
    const { rows } = await pg.query('SELECT * FROM job_run WHERE id = $1', [started.body.jobRunId]);
    return rows[0] && !['PENDING', 'RUNNING'].includes(rows[0].state) ? rows[0] : null;
  }, 60_000, 'the run to end');
}

/** A day `n` days ago, as YYYY-MM-DD (UTC). */
export const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

/** The day in Japan `msAgo` ago, as YYYY-MM-DD: NACSIS dates its records (RNWDT) by it. */
export const japanDay = (msAgo = 0) => new Date(Date.now() - msAgo + 9 * 3_600_000).toISOString().slice(0, 10);
