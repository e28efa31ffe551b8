// Loaded with `mocha --reporter ../harness/spec-with-retries.cjs --retries N` (see ../README.md,
// "Changes from upstream"): mocha's own `spec` report, plus one line for every failed attempt
// that mocha retries, so that a case passing only on a retry is still seen. Not part of the
// upstream suites.
"use strict";

const mocha = require(require.resolve("mocha", { paths: [process.cwd()] }));

const { EVENT_TEST_RETRY } = mocha.Runner.constants;

class SpecWithRetries extends mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.on(EVENT_TEST_RETRY, (test, err) => {
      const message = String((err && err.message) || err).split("\n")[0];
      console.log(`  RETRY "${test.fullTitle()}": ${message}`);
    });
  }
}

module.exports = SpecWithRetries;
