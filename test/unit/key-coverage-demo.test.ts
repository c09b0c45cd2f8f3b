import { keyCoverageSuite } from '../key-coverage-suite.js';

// Every key of the demo scenario schema changes a run, or is listed (test/key-coverage-cases.ts).
keyCoverageSuite('demo');
