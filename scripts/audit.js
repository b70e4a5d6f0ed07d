#!/usr/bin/env node
/* CI's dependency audit: `npm audit --omit=dev --audit-level=high` of the lockfile.
   - the registry answers and lists a high or critical advisory for a runtime package → exit 1;
   - the registry answers with nothing at that level → exit 0;
   - the registry cannot answer the audit (no audit endpoint, offline, an error) → says so, exit 0,
     so that CI goes on.
   AUDIT_JSON_FILE=<file> reads an answer saved from `npm audit --json` instead of asking the registry. */
const { spawnSync } = require('child_process');
const { readFileSync } = require('fs');

const LEVELS = ['high', 'critical'];

function answer() {
  if (process.env.AUDIT_JSON_FILE) return { text: readFileSync(process.env.AUDIT_JSON_FILE, 'utf8'), status: 1 };
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['audit', '--omit=dev', '--audit-level=high', '--json'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { text: run.stdout || '', status: run.status, error: run.error };
}

function main() {
  const { text, status, error } = answer();
  let report;
  try {
    report = JSON.parse(text);
  } catch {
    report = null;
  }
  const vulnerabilities = report && report.metadata && report.metadata.vulnerabilities;
  if (error || !report || report.error || !vulnerabilities) {
    const why = (error && error.message) || (report && (report.message || (report.error && (report.error.summary || report.error.code)))) || `npm audit exited with ${status} without a report`;
    console.log(`Dependency audit: the registry could not answer the audit (${String(why).trim() || 'no reason given'}); going on without it.`);
    return 0;
  }
  const found = LEVELS.filter((level) => vulnerabilities[level] > 0);
  if (!found.length) {
    console.log(`Dependency audit: no high or critical advisory for the runtime dependencies (${vulnerabilities.total ?? 0} lower ones).`);
    return 0;
  }
  console.log(`Dependency audit FAILED: ${found.map((level) => `${vulnerabilities[level]} ${level}`).join(', ')} advisor${found.length === 1 && vulnerabilities[found[0]] === 1 ? 'y' : 'ies'} for runtime dependencies:`);
  for (const [name, entry] of Object.entries(report.vulnerabilities || {})) {
    if (!LEVELS.includes(entry.severity)) continue;
    const titles = (entry.via || []).filter((v) => typeof v === 'object').map((v) => `${v.title}${v.url ? ` (${v.url})` : ''}`);
    console.log(`- ${name} (${entry.severity}, ${entry.range || 'any version'}): ${titles.join('; ') || `through ${(entry.via || []).join(', ')}`}`);
  }
  return 1;
}

process.exit(main());
