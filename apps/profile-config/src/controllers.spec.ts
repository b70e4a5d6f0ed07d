import { HealthController } from '@illbridge/common';
import { describeControllerContract } from '@illbridge/testing/controllers';
import { testConfig } from '@illbridge/testing';
import { ProfileConfigModule } from './app.module';
import { ProfilesService } from './profiles/profiles.service';

/** profile-config's routes and their least roles, as api.md (and the README's additions) give them. */
describeControllerContract({
  service: 'profile-config',
  controllers: [...(ProfileConfigModule.forRoot(testConfig('postgres://unused@127.0.0.1:1/unused')).controllers ?? []), HealthController],
  roles: {
    'POST /api/api-keys': 'admin',
    'GET /api/api-keys': 'admin',
    'DELETE /api/api-keys/:id': 'admin',
    'GET /api/libraries': 'viewer',
    'POST /api/libraries': 'admin',
    'GET /api/libraries/:code': 'viewer',
    'PATCH /api/libraries/:code': 'admin',
    'DELETE /api/libraries/:code': 'admin',
    'GET /api/partners': 'viewer',
    'POST /api/partners': 'admin',
    'GET /api/partners/:code': 'viewer',
    'PATCH /api/partners/:code': 'admin',
    'DELETE /api/partners/:code': 'admin',
    'GET /api/integration-profiles': 'viewer',
    'POST /api/integration-profiles': 'admin',
    'GET /api/integration-profiles/:id': 'viewer',
    'PATCH /api/integration-profiles/:id': 'admin',
    'DELETE /api/integration-profiles/:id': 'admin',
    'POST /api/integration-profiles/:id/run': 'operator',
    'GET /api/integration-profiles/:id/library-mappings': 'viewer',
    'PUT /api/integration-profiles/:id/library-mappings': 'admin',
    'POST /api/integration-profiles/:id/library-mappings': 'admin',
    'DELETE /api/integration-profiles/:id/library-mappings/:externalLibraryCode': 'admin',
    'GET /api/netpunkt-receipts': 'operator',
    'GET /api/netpunkt-receipts/:id': 'operator',
    'POST /api/netpunkt-receipts/:id/reimport': 'operator',
    'GET /api/notification-subscribers': 'admin',
    'POST /api/notification-subscribers': 'admin',
    'GET /api/notification-subscribers/:id': 'admin',
    'PATCH /api/notification-subscribers/:id': 'admin',
    'DELETE /api/notification-subscribers/:id': 'admin',
    'GET /api/notification-subscribers/:id/deliveries': 'admin',
    'POST /api/notification-subscribers/:id/test': 'admin',
    'GET /api/iso18626/messages': 'operator',
    'POST /api/iso18626/messages/:id/reapply': 'operator',
    'POST /iso18626': null,
    'POST /netpunkt/receipt': null,
    'GET /health': null,
    'GET /health/live': null,
    'GET /health/ready': null,
    'GET /metrics': null,
  },
  failing: { method: 'POST', path: '/api/integration-profiles/00000000-0000-4000-8000-000000000001/run', key: 'operator', service: ProfilesService, serviceMethod: 'runNow' },
  invalid: { method: 'POST', path: '/api/libraries', key: 'admin', body: { code: 'bad code!', resourceSharing: 'yes' }, problems: ['code may hold', 'name', 'resourceSharing'] },
});

