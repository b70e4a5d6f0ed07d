export * from './libris-client';
export * from './libris-mapper';
export * from './libris-wire';
export * from './windows';
