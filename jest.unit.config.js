/* The unit specs alone (*.spec.ts beside the code: codecs, mappers, workflow rules, validation, controllers' role
   checks): no Postgres, no Redis, no global set-up, so `npm run test:unit` answers in seconds. `npm test` runs them
   too, with the integration and end-to-end specs (jest.config.js). */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'],
  globalSetup: undefined,
  maxWorkers: '50%',
};
