export * from './schema';
export * from './messages';
export * from './read';
export * from './conformance';
