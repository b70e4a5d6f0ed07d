import { HealthController } from '@illbridge/common';
import { describeControllerContract } from '@illbridge/testing/controllers';
import { testConfig } from '@illbridge/testing';
import { ReportingModule } from './app.module';
import { JobsService } from './jobs/jobs.service';

/** reporting's routes and their least roles, as api.md (and the README's additions) give them. */
describeControllerContract({
  service: 'reporting',
  controllers: [...(ReportingModule.forRoot(testConfig('postgres://unused@127.0.0.1:1/unused')).controllers ?? []), HealthController],
  roles: {
    'GET /api/jobs': 'viewer',
    'GET /api/jobs/:id': 'viewer',
    'POST /api/jobs/:id/abort': 'operator',
    'GET /api/jobs/:id/events': 'viewer',
    'GET /api/jobs/:id/events.csv': 'viewer',
    'GET /api/integration-profiles/:id/job-history': 'viewer',
    'GET /api/borrowing-requests': 'viewer',
    'GET /api/lending-requests': 'viewer',
    'GET /api/requests/:id': 'viewer',
    'GET /api/me': 'viewer',
    'GET /api/borrowing-requests.csv': 'viewer',
    'GET /api/lending-requests.csv': 'viewer',
    'GET /api/statistics': 'viewer',
    'GET /api/statistics.csv': 'viewer',
    'GET /api/saved-filters': 'viewer',
    'POST /api/saved-filters': 'viewer',
    'PATCH /api/saved-filters/:id': 'viewer',
    'DELETE /api/saved-filters/:id': 'viewer',
    'GET /api/audit': 'admin',
    'GET /api/retention-runs': 'operator',
    'GET /health': null,
    'GET /health/live': null,
    'GET /health/ready': null,
    'GET /metrics': null,
  },
  failing: { method: 'GET', path: '/api/jobs/00000000-0000-4000-8000-000000000001', key: 'viewer', service: JobsService, serviceMethod: 'report' },
  invalid: { method: 'GET', path: '/api/borrowing-requests?limit=0&sort=nonsense', key: 'viewer', body: undefined, problems: ['limit', 'sort'] },
});
