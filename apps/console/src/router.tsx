import { createRootRoute, createRoute, createRouter, redirect } from '@tanstack/react-router';
import { Layout, NotFound } from './components/Layout';
import { ApiKeysPage } from './pages/ApiKeys';
import { EventsPage } from './pages/Events';
import { JobHistoryPage } from './pages/JobHistory';
import { JobReportPage } from './pages/JobReport';
import { JobsPage } from './pages/Jobs';
import { LibrariesPage } from './pages/Libraries';
import { MappingsPage } from './pages/Mappings';
import { NotificationsPage } from './pages/Notifications';
import { PartnersPage } from './pages/Partners';
import { ProfilesPage } from './pages/Profiles';
import { ProfileWizardPage } from './pages/ProfileWizard';
import { RequestDetailPage } from './pages/RequestDetail';
import { RequestsPage } from './pages/Requests';
import { NewRequestPage } from './pages/NewRequest';
import { StatisticsPage } from './pages/Statistics';

/** Search values arrive parsed (a number stays a number): the filters are texts, the offset a number. */
const text = (value: unknown): string | undefined => (value === undefined || value === null || value === '' ? undefined : String(value));
const whole = (value: unknown): number | undefined => {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
};

export interface RequestSearch {
  q?: string;
  status?: string;
  externalSystemStatus?: string;
  partnerCode?: string;
  syncState?: string;
  overdue?: string;
  olderThanDays?: number;
  dueFrom?: string;
  dueTo?: string;
  createdFrom?: string;
  createdTo?: string;
  sort?: string;
  order?: 'asc' | 'desc';
  offset?: number;
}

export interface StatisticsSearch {
  from?: string;
  to?: string;
  profileId?: string;
  direction?: string;
}

export interface EventsSearch {
  outcome?: string;
  direction?: string;
  offset?: number;
}

const rootRoute = createRootRoute({ component: Layout, notFoundComponent: NotFound });
const parent = () => rootRoute;

const routeTree = rootRoute.addChildren([
  createRoute({
    getParentRoute: parent, path: '/',
    beforeLoad: () => {
      throw redirect({ to: '/requests/$direction', params: { direction: 'borrowing' } });
    },
  }),
  createRoute({
    getParentRoute: parent, path: '/requests/$direction',
    validateSearch: (s: Record<string, unknown>): RequestSearch => ({
      q: text(s.q),
      status: text(s.status),
      externalSystemStatus: text(s.externalSystemStatus),
      partnerCode: text(s.partnerCode),
      syncState: text(s.syncState),
      overdue: s.overdue === 'true' || s.overdue === true ? 'true' : s.overdue === 'false' || s.overdue === false ? 'false' : undefined,
      olderThanDays: whole(s.olderThanDays),
      dueFrom: text(s.dueFrom),
      dueTo: text(s.dueTo),
      createdFrom: text(s.createdFrom),
      createdTo: text(s.createdTo),
      sort: text(s.sort),
      order: s.order === 'asc' || s.order === 'desc' ? s.order : undefined,
      offset: whole(s.offset),
    }),
    component: RequestsPage,
  }),
  createRoute({ getParentRoute: parent, path: '/request/$id', component: RequestDetailPage }),
  createRoute({ getParentRoute: parent, path: '/borrowing/new', component: NewRequestPage }),
  createRoute({
    getParentRoute: parent, path: '/statistics',
    validateSearch: (s: Record<string, unknown>): StatisticsSearch => ({ from: text(s.from), to: text(s.to), profileId: text(s.profileId), direction: text(s.direction) }),
    component: StatisticsPage,
  }),
  createRoute({ getParentRoute: parent, path: '/jobs', component: JobsPage }),
  createRoute({ getParentRoute: parent, path: '/jobs/$id', component: JobReportPage }),
  createRoute({
    getParentRoute: parent, path: '/jobs/$id/events',
    validateSearch: (s: Record<string, unknown>): EventsSearch => ({ outcome: text(s.outcome), direction: text(s.direction), offset: whole(s.offset) }),
    component: EventsPage,
  }),
  createRoute({ getParentRoute: parent, path: '/profiles', component: ProfilesPage }),
  createRoute({ getParentRoute: parent, path: '/profiles/new', component: ProfileWizardPage }),
  createRoute({ getParentRoute: parent, path: '/profiles/$id/edit', component: ProfileWizardPage }),
  createRoute({ getParentRoute: parent, path: '/profiles/$id/history', component: JobHistoryPage }),
  createRoute({ getParentRoute: parent, path: '/profiles/$id/mappings', component: MappingsPage }),
  createRoute({ getParentRoute: parent, path: '/profiles/$id/notifications', component: NotificationsPage }),
  createRoute({ getParentRoute: parent, path: '/partners', component: PartnersPage }),
  createRoute({ getParentRoute: parent, path: '/libraries', component: LibrariesPage }),
  createRoute({ getParentRoute: parent, path: '/api-keys', component: ApiKeysPage }),
]);

export const router = createRouter({ routeTree, basepath: '/console', defaultPreload: false, scrollRestoration: true });

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
