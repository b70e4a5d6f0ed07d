import { ValueTransformer } from 'typeorm';

/** bigint columns (sequences) read back as numbers: they stay far below 2^53. */
export const bigintNumber: ValueTransformer = {
  to: (value?: number | null) => value,
  from: (value?: string | null) => (value === null || value === undefined ? value : Number(value)),
};
