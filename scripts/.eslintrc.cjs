// ESLint for the repository's dev tooling. scripts/ is no workspace package, so
// `backstage-cli repo lint` does not reach it: `yarn lint:scripts` lints it with the Backstage
// rules for command-line programs (part of `yarn lint:all` and of `./dev test`).
const { createConfigForRole } = require('@backstage/cli/config/eslint-factory');

module.exports = createConfigForRole(__dirname, 'cli', {
  parserOptions: { ecmaVersion: 2022 },
});
