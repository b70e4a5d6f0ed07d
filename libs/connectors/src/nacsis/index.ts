export * from './catp-client';
export * from './catp-codec';
export * from './nacsis-mapper';
export * from './renewal-searches';
export * from './holdings';
