/** The API answers a 400 with every problem as a sentence that starts with the field's path
 *  ("baseUrl must be an http(s) URL", "schedule.time is required for DAILY schedules",
 *  "property extra should not exist"). This finds the form field each problem belongs to, so the
 *  form shows it beside that field; problems of no known field are returned apart. */
export function problemsByField(messages: string[], fields: readonly string[]): { byField: Record<string, string[]>; other: string[] } {
  const byField: Record<string, string[]> = {};
  const other: string[] = [];
  // The longest path first: "schedule.timezone" before "schedule".
  const known = [...fields].sort((a, b) => b.length - a.length);
  for (const message of messages) {
    const subject = message.replace(/^property\s+/, '').replace(/^the\s+/, '');
    const field = known.find((f) => subject === f || subject.startsWith(`${f} `) || subject.startsWith(`${f}.`) || subject.startsWith(`${f}[`));
    if (field) (byField[field] ??= []).push(message);
    else other.push(message);
  }
  return { byField, other };
}
