#!/usr/bin/env node
import '../scenario-sections.js';
import { Argument, Command, CommanderError, Option } from 'commander';
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';
import { validateCommand, listCommand, schemaCommand, type CliIo } from './commands.js';
import { EXIT, UsageError } from './exit.js';
import { fileErrorReason, isFileSystemError } from './outputs.js';
import { terminalSafe } from './terminal.js';
import { checkCommand, mergeCommand } from './check-commands.js';
import { drillCommand } from './drill-command.js';
import { compareCommand, compareSchemaCommand, runWithReport } from './report-commands.js';

/** The `mqsim` command line: thin wiring of the commands in commands.ts. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('mqsim')
    .description('Deterministic discrete-event simulator of Kafka, RabbitMQ and RocketMQ semantics')
    .version('0.1.0')
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('run')
    .description('run scenario files and check their expectations (or an OpenMessaging Benchmark workload: --omb)')
    .argument('[files...]', 'scenario YAML files')
    .option('--seed <n>', 'override the scenario seed')
    .option('--json', 'print the result object as JSON and nothing else on stdout')
    .option('--trace <out.jsonl>', 'write every event and state change as JSON lines')
    .option('--until <duration>', 'stop the run at this virtual time (e.g. 30s)')
    .option('--quiet', 'print one line per scenario')
    .option('--html <run.html>', 'also write the run as a self-contained HTML report (charts, faults, anomalies)')
    .addOption(new Option('--report <run.html>', 'the same as --html (its older name)').hideHelp())
    .option('--md <run.md>', 'also write the run as a Markdown report, with its SVG charts beside it')
    .addOption(new Option('--check-determinism', 'run each scenario twice and fail on the first differing event').hideHelp(false))
    .option('--explain', 'print the cost estimate (messages, deliveries, events) before running')
    .option('--max-messages <n>', 'the run\'s message budget (default: limits.maxMessages, else 50,000,000): a scenario estimated above it is refused, a run sending more is stopped')
    .option('--perfetto <run.json>', 'write the run as Chrome/Perfetto trace-event JSON (open it in ui.perfetto.dev or chrome://tracing)')
    .option('--history <run.edn|run.json>', 'write the client history as Jepsen\'s Kafka workload does (for Elle / elle-cli): EDN or JSON by the extension')
    .option('--junit <results.xml>', 'write JUnit XML: one test case per scenario, failing expectations in the failure message')
    .option('--no-color', 'no colour in the output (as NO_COLOR=1)')
    .option('--omb <workload.yaml>', 'run an OpenMessaging Benchmark workload file (instead of scenario files) and write OMB\'s result JSON')
    .option('--driver <driver.yaml>', 'with --omb: an OMB driver file (Kafka, RabbitMQ or RocketMQ; default: OMB\'s Kafka driver settings)')
    .option('--print-scenario', 'with --omb: print the scenario built from the workload and driver, and run nothing')
    .option('--result <result.json>', 'with --omb: where to write the OMB result JSON (default: <scenario name>.json)')
    .addHelpText('after', '\nExample:\n  $ mqsim run scenarios/demo/ack-before-fsync-crash.yaml\n  $ mqsim run --omb examples/omb/workloads/1-topic-16-partitions-1kb.yaml --driver examples/omb/drivers/kafka.yaml --result result.json\n  $ mqsim run scenarios/demo/*.yaml --quiet\n  $ mqsim run scenarios/demo/consumer-crash-redelivery.yaml --json --trace run.jsonl\n  $ mqsim run scenarios/demo/ack-before-fsync-crash.yaml --html run.html --md run.md\n  $ mqsim run scenarios/kafka/acks-1-leader-failover.yaml --perfetto run.json --history run.edn --junit results.xml')
    .action(async (files: string[], options) => {
      if (options.omb !== undefined) {
        if (files.length > 0) throw new UsageError('run --omb runs the workload file it names: give no scenario files with it');
        const { ombCommand } = await import('./omb-command.js');
        io.exitCode = await ombCommand(options, io);
        return;
      }
      for (const flag of ['driver', 'printScenario', 'result'] as const) {
        if (options[flag] !== undefined) throw new UsageError(`--${flag === 'printScenario' ? 'print-scenario' : flag} goes with --omb <workload.yaml>`);
      }
      if (files.length === 0) throw new UsageError('run: give scenario files to run (or --omb <workload.yaml>)');
      io.exitCode = await runWithReport(files, options, io);
    });

  program
    .command('validate')
    .description('check scenario files without running them')
    .argument('<files...>', 'scenario YAML files')
    .option('--verbose', 'also print each scenario\'s cost estimate (messages, deliveries, events)')
    .addHelpText('after', '\nExample:\n  $ mqsim validate scenarios/demo/*.yaml\n  $ mqsim validate --verbose scenarios/kafka/acks-1-leader-failover.yaml')
    .action((files: string[], options: { verbose?: boolean }) => {
      io.exitCode = validateCommand(files, io, options);
    });

  program
    .command('list')
    .description('list scenarios with their one-line descriptions')
    .argument('[dir]', 'folder to search (default: ./scenarios, else the bundled scenarios)')
    .addHelpText('after', '\nExample:\n  $ mqsim list scenarios/demo')
    .action((dir: string | undefined) => {
      io.exitCode = listCommand(dir, io);
    });

  program
    .command('check')
    .description('search fault schedules and workloads for a counterexample to the scenario\'s property: section')
    .argument('<file>', 'a scenario with explore: and property: sections')
    .option('--runs <n>', 'variants to run (default: explore.runs, else 100)')
    .option('--seed <s>', 'fast-check seed (default 1): the same seed and runs give the same verdict')
    .option('--workers <w>', 'worker threads (default: the machine\'s cores)')
    .option('--shard <i/n>', 'run the i-th of n disjoint slices of the runs (1-based); merge the JSON reports with mqsim merge')
    .option('--out <dir>', 'where to write counterexample-<property>.yaml (default: .)')
    .option('--json', 'print the report as JSON')
    .option('--junit <results.xml>', 'write JUnit XML: one test case per property, the counterexample file in the failure message')
    .option('--no-color', 'no colour in the output (as NO_COLOR=1)')
    .addHelpText('after', '\nExample:\n  $ mqsim check scenarios/properties/demo-ack-before-fsync.yaml --runs 200\n  $ mqsim check FILE --shard 1/4 --json > shard-1.json   # one CI matrix job\n  $ mqsim merge shard-*.json')
    .action(async (file: string, options) => {
      io.exitCode = await checkCommand(file, options, io);
    });

  program
    .command('mutate')
    .description('run the mutations: of scenario files (each must make expect: fail) and print the mutation score per system')
    .argument('<files...>', 'scenario YAML files with a mutations: section')
    .option('--json', 'print every scenario\'s mutants and the scores as JSON')
    .option('--markdown', 'print the score table as Markdown')
    .addHelpText('after', '\nExample:\n  $ mqsim mutate scenarios/kafka/group-rebalance-sticky.yaml\n  $ mqsim mutate scenarios/*/*.yaml --markdown')
    .action(async (files: string[], options: { json?: boolean; markdown?: boolean }) => {
      const { mutateCommand } = await import('./mutate-command.js');
      io.exitCode = mutateCommand(files, options, io);
    });

  program
    .command('merge')
    .description('combine the JSON reports of mqsim check --shard i/n runs into one verdict')
    .argument('<reports...>', 'JSON reports from mqsim check --json --shard i/n')
    .option('--out <dir>', 'where to write counterexample-<property>.yaml (default: .)')
    .option('--json', 'print the merged report as JSON')
    .option('--junit <results.xml>', 'write JUnit XML: one test case per property, the counterexample file in the failure message')
    .addHelpText('after', '\nExample:\n  $ mqsim merge shard-1.json shard-2.json shard-3.json shard-4.json')
    .action((files: string[], options) => {
      io.exitCode = mergeCommand(files, options, io);
    });

  program
    .command('compare')
    .description('run the variants of a compare file (one workload and fault schedule, several systems or configs) side by side')
    .argument('<file>', 'a compare file (scenarios/compare/*.yaml)')
    .option('--seeds <n>', 'run each variant with the file\'s seed and the next n-1 seeds; report medians and min-max (default 1)')
    .option('--html <report.html>', 'write the comparison as a self-contained HTML report')
    .addOption(new Option('--out <report.html>', 'the same as --html (its older name)').hideHelp())
    .option('--md <report.md>', 'write the comparison as a Markdown report, with its SVG charts beside it')
    .option('--json', 'print one JSON row per variant and nothing else on stdout')
    .option('--junit <results.xml>', 'write JUnit XML: one test case per variant, failing expectations in the failure message')
    .option('--no-color', 'no colour in the output (as NO_COLOR=1)')
    .addHelpText('after', '\nExample:\n  $ mqsim compare scenarios/compare/demo-ack-modes.yaml --html report.html\n  $ mqsim compare scenarios/compare/demo-consumers.yaml --seeds 5 --md report.md\n  $ mqsim compare scenarios/compare/demo-ack-modes.yaml --json')
    .action(async (file: string, options) => {
      io.exitCode = await compareCommand(file, options, io);
    });

  program
    .command('drill')
    .description('step through a classroom drill: the cluster at each moment that matters, questions, answers, evidence')
    .argument('<file>', 'a scenario with a drill: section (scenarios/drills/)')
    .option('--answers <list>', 'answers to the questions in order, e.g. 1,3,12')
    .option('--non-interactive', 'do not read the keyboard: go straight through (with --answers, graded)')
    .option('--html <drill.html>', 'write the drill as one self-contained web page (timeline, cluster, message inspector, questions) and exit; the terminal drill does not run')
    .addHelpText('after', '\nExample:\n  $ mqsim drill scenarios/drills/demo-ack-before-fsync.yaml\n  $ mqsim drill scenarios/drills/demo-ack-before-fsync.yaml --non-interactive --answers 2,505\n  $ mqsim drill scenarios/drills/demo-ack-before-fsync.yaml --html drill.html')
    .action(async (file: string, options) => {
      io.exitCode = await drillCommand(file, options, io, process.stdin);
    });

  program
    .command('conformance')
    .description('put the conformance probes through a real broker and through the model, and print where they agree')
    .addOption(new Option('--system <name>', 'the system whose probes run').choices(['rabbitmq', 'kafka', 'rocketmq']).default('rabbitmq'))
    .option('--url <url>', 'a broker you already run (RabbitMQ: e.g. amqp://guest:guest@localhost:5672/test, the probes declare and delete their queues and exchanges there; Kafka: kafka://host:9092, the probes create topics and groups named mqsim-*; RocketMQ: a NameServer host:port of a fresh cluster, the probes create their topics and groups there); without it, a throwaway broker on loopback (RabbitMQ from the installed package, Kafka and RocketMQ from the jars conformance/<system>/java/pom.xml pins)')
    .addHelpText('after', '\nExamples:\n  $ mqsim conformance --url amqp://guest:guest@localhost:5672/%2F\n  $ mqsim conformance --system kafka --url kafka://127.0.0.1:9092\n  $ mqsim conformance --system rocketmq --url 127.0.0.1:9876')
    .action(async (options: { system: string; url?: string }) => {
      // Loaded only here: it needs the real client library (amqplib, a development dependency).
      const { conformanceCommand } = await loadConformance();
      io.exitCode = await conformanceCommand(options, io);
    });

  program
    .command('explain')
    .description('print a scenario as the model will run it: the cluster as built, every config with its value and where it came from (file:line:col or the default)')
    .argument('<file>', 'a scenario YAML file')
    .option('--json', 'the same as one JSON object')
    .addHelpText('after', '\nExample:\n  $ mqsim explain scenarios/kafka/acks-1-leader-failover.yaml\n(mqsim run FILE --explain prints the cost estimate before a run.)')
    .action(async (file: string, options: { json?: boolean }) => {
      const { explainCommand } = await import('./explain-command.js');
      io.exitCode = explainCommand(file, options, io);
    });

  program
    .command('init')
    .description('write a commented starter scenario to edit')
    .addArgument(new Argument('[system]', 'the system to model').choices(['kafka', 'rabbitmq', 'rocketmq', 'demo']).default('kafka'))
    .option('--out <file>', 'where to write it (default: <system>.mqsim.yaml; - prints it)')
    .option('--force', 'overwrite an existing file')
    .addHelpText('after', '\nExample:\n  $ mqsim init kafka\n  $ mqsim init rabbitmq --out scenarios/my-queue.mqsim.yaml')
    .action(async (system: string | undefined, options: { out?: string; force?: boolean }) => {
      const { initCommand } = await import('./init-command.js');
      io.exitCode = initCommand(system, options, io);
    });

  program
    .command('schema')
    .description('print the JSON Schema of scenario files (for editors)')
    .option('--compare', 'the JSON Schema of compare files (scenarios/compare/) instead')
    .addHelpText('after', '\nExample:\n  $ mqsim schema > mqsim.schema.json\n  $ mqsim schema --compare > mqsim-compare.schema.json')
    .action((options: { compare?: boolean }) => {
      io.exitCode = options.compare ? compareSchemaCommand(io) : schemaCommand(io);
    });
  return program;
}

/**
 * `mqsim conformance` talks to a real broker through its client library (amqplib), a development
 * dependency: an installed package (npm install mqsim, npx) has none, which is said plainly.
 */
async function loadConformance(): Promise<typeof import('../conformance/cli.js')> {
  try {
    return await import('../conformance/cli.js');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e?.code === 'ERR_MODULE_NOT_FOUND' && /amqplib/.test(String(e.message))) {
      throw new UsageError('conformance needs the AMQP client library amqplib, a development dependency that an installed mqsim does not bring: run it from a clone of the repository after npm ci, or npm install amqplib beside mqsim');
    }
    throw error;
  }
}

/**
 * Runs one command line. Every byte for the terminal passes through terminalSafe (a file's text
 * cannot send escape sequences); a user's mistake found mid-command (UsageError, or a file the
 * system will not let us write) ends in a message and exit 2; anything else is a bug (exit 3).
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const safe: CliIo = {
    ...io,
    stdout: (text) => io.stdout(terminalSafe(text)),
    stderr: (text) => io.stderr(terminalSafe(text)),
  };
  const program = buildProgram(safe);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (error instanceof UsageError) {
      safe.stderr(`mqsim: ${error.message}\n`);
      return EXIT.usage;
    }
    if (isFileSystemError(error)) {
      safe.stderr(`mqsim: cannot ${error.syscall} ${error.path ?? ''}: ${fileErrorReason(error)}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  io.exitCode = safe.exitCode;
  return safe.exitCode;
}

function isEntryPoint(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // `mqsim list | head`: a closed pipe ends the command quietly, as for any Unix tool.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const io: CliIo = {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    ...(process.stdout.isTTY && process.stdout.columns ? { columns: process.stdout.columns } : {}),
    env: process.env,
    cwd: process.cwd(),
    exitCode: 0,
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`mqsim: internal error: ${(error as Error)?.stack ?? String(error)}\nPlease report this bug with the scenario file and the seed.\n`);
      process.exitCode = EXIT.internal;
    },
  );
}
