export * from './test-env';
export * from './http';
