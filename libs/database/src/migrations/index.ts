import { Init1795379684342 } from './1795379684342-Init';
import { ReportEvents1795383514901 } from './1795383514901-ReportEvents';
import { RequestListIndexes1795386000000 } from './1795386000000-RequestListIndexes';
import { RequestFacetCounts1795390000000 } from './1795390000000-RequestFacetCounts';
import { ApiKeyRevokedAt1795400000000 } from './1795400000000-ApiKeyRevokedAt';
import { ProfileHistoryKept1796289395387 } from './1796289395387-ProfileHistoryKept';
import { RunWarningsAndPartCursors1796289999925 } from './1796289999925-RunWarningsAndPartCursors';
import { StatusByStaff1796291442024 } from './1796291442024-StatusByStaff';
import { AuditRetention1796299437486 } from './1796299437486-AuditRetention';
import { NetpunktOrderKey1796299651664 } from './1796299651664-NetpunktOrderKey';
import { RefreshBudget1796299720000 } from './1796299720000-RefreshBudget';
import { RequestSearch1796299730000 } from './1796299730000-RequestSearch';
import { RequestSearchLowerDoc1796299740000 } from './1796299740000-RequestSearchLowerDoc';
import { PushGiveUp1796299470828 } from './1796299470828-PushGiveUp';
import { BorrowingRequests1796299481466 } from './1796299481466-BorrowingRequests';
import { Notifications1796299486622 } from './1796299486622-Notifications';
import { DeskWorkQueues1796299455852 } from './1796299455852-DeskWorkQueues';
import { Iso186261796299623881 } from './1796299623881-Iso18626';
import { StatisticsGroups1796299710000 } from './1796299710000-StatisticsGroups';

/** Every migration, in order (listed explicitly: works the same from source and from dist). */
export const MIGRATIONS: Function[] = [
  Init1795379684342,
  ReportEvents1795383514901,
  RequestListIndexes1795386000000,
  RequestFacetCounts1795390000000,
  ApiKeyRevokedAt1795400000000,
  ProfileHistoryKept1796289395387,
  RunWarningsAndPartCursors1796289999925,
  StatusByStaff1796291442024,
  AuditRetention1796299437486,
  DeskWorkQueues1796299455852,
  PushGiveUp1796299470828,
  BorrowingRequests1796299481466,
  Notifications1796299486622,
  Iso186261796299623881,
  NetpunktOrderKey1796299651664,
  StatisticsGroups1796299710000,
  RefreshBudget1796299720000,
  RequestSearch1796299730000,
  RequestSearchLowerDoc1796299740000,
];
