import { keyCoverageSuite } from '../key-coverage-suite.js';

// Every key of the kafka scenario schema changes a run, or is listed (test/key-coverage-cases.ts).
keyCoverageSuite('kafka');
