export * from './events';
export * from './signature';
export * from './settings';
export * from './notifier';
export * from './delivery';
export * from './stale-check';
