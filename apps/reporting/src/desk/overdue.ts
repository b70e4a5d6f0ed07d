import { ON_LOAN_STATUSES } from '@illbridge/workflow/vocabulary';

const ON_LOAN = ON_LOAN_STATUSES.map((s) => `'${s}'`).join(', ');

/** Today in the request's library's time zone: its profile's time zone (`schedule_timezone`, the one zone the
 *  configuration holds for a library's connection; libraries have none of their own), else UTC. A function
 *  (migration RequestSearch) rather than a correlated subquery: the planner costs it as one cheap call, where the
 *  subquery's cost times the rows of a large list pushed the facet statement into JIT compilation (~0.5 s). */
const localToday = `request_local_today(rs_request.profile_id)`;

/** Whether an rs_request row is overdue: an item out on loan (ON_LOAN_STATUSES, open) whose due date is before
 *  today in its library's time zone. Used by the lists (flag, facet, filter) and the overdue check alike. */
// The first bound needs no look-up of the zone (every zone's today is at most one day after UTC's) and is a range of the
// partial index ix_rs_request_due: only the due dates already past somewhere are checked against their own zone.
export const OVERDUE_SQL = `(rs_request.due_date IS NOT NULL AND NOT rs_request.closed AND rs_request.status IN (${ON_LOAN}) AND rs_request.due_date < (now() AT TIME ZONE 'UTC')::date + 1 AND rs_request.due_date < ${localToday})`;
