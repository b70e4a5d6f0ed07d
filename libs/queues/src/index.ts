export * from './names';
export * from './redis';
export * from './schedule';
export * from './schedules.service';
export * from './report-events';
