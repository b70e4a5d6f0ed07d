export * from './libris-status';
export * from './local/local-workflow';
export * from './nacsis/actions';
export * from './nacsis/state-table';
export * from './nacsis/states';
export * from './nacsis/status-mapping';
export * from './harvest';
export * from './vocabulary';
