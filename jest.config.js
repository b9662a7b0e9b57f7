/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // @middy/core ships ES modules only; ts-jest turns it into CommonJS like the rest.
  transform: { "^.+\\.[tj]s$": ["ts-jest", { tsconfig: { allowJs: true, isolatedModules: true } }] },
  transformIgnorePatterns: ["/node_modules/(?!@middy/)"],
  setupFiles: ["<rootDir>/local/polyfills.ts", "<rootDir>/test/setup-env.ts"],
  testTimeout: 60000,
};
