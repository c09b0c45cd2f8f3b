import { keyCoverageSuite } from '../key-coverage-suite.js';

// Every key of the rabbitmq scenario schema changes a run, or is listed (test/key-coverage-cases.ts).
keyCoverageSuite('rabbitmq');
