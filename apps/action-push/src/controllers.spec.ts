import { HealthController } from '@illbridge/common';
import { describeControllerContract } from '@illbridge/testing/controllers';
import { testConfig } from '@illbridge/testing';
import { ActionsService } from './actions.service';
import { ActionPushModule } from './app.module';

/** action-push's routes and their least roles, as api.md (and the README's additions) give them. */
describeControllerContract({
  service: 'action-push',
  controllers: [...(ActionPushModule.forRoot(testConfig('postgres://unused@127.0.0.1:1/unused')).controllers ?? []), HealthController],
  roles: {
    'GET /api/requests/:id/actions': 'viewer',
    'POST /api/requests/:id/actions': 'operator',
    'POST /api/actions/bulk': 'operator',
    'GET /api/requests/:id/outbound-actions': 'viewer',
    'POST /api/outbound-actions/:id/retry': 'operator',
    'POST /api/outbound-actions/:id/discard': 'operator',
    'POST /api/borrowing-requests': 'operator',
    'POST /api/borrowing-requests/:id/order': 'operator',
    'GET /api/nacsis/holdings': 'viewer',
    'POST /api/requests/:id/iso18626/status-request': 'operator',
    'GET /health': null,
    'GET /health/live': null,
    'GET /health/ready': null,
    'GET /metrics': null,
  },
  failing: { method: 'POST', path: '/api/requests/00000000-0000-4000-8000-000000000001/actions', key: 'operator', body: { action: 'RECEIVE' }, service: ActionsService, serviceMethod: 'take' },
  invalid: { method: 'POST', path: '/api/actions/bulk', key: 'operator', body: { action: 'NOT_AN_ACTION', requestIds: 'all' }, problems: ['action', 'requestIds'] },
});
