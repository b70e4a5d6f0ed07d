export * from './schema';
export * from './agency';
export * from './receipt-parser';
export * from './receipt-mapper';
export * from './receipt-answer';
export * from './receipt-builder';
