/** The `bench` command: its options; the bench itself (bench/) loads only when it runs. */
import { Command, Option } from 'commander';
import { BENCH_CONFIG_CHOICES, collectEnv, countListOrNone, HANDOFF_CHOICES, HANDOFF_SIZE_NAMES, nameList, type HandoffSizeName, parseCount, parseNonNegative, parseSeconds, parseSecondsOrZero, parseThreadList, parseTransferList, parseLinkRates, type BenchCliOptions } from '../bench/options.js';
import { BACKEND_NAMES, BATCH_NORM_KERNELS, CONV_ALGORITHMS } from '../shared/scenario.js';

/** `streamssl bench`. */
export function benchCommand(): Command {
  return new Command('bench')
    .description('MoCo-v2 training throughput (img/s, step phases, GFLOP/s), evaluation throughput and model hand-off figures')
    .option('--json', 'print one JSON object instead of tables')
    .option('--quick', 'few steps per measurement (for tests; numbers are rough)')
    .addOption(new Option('--config <name>', 'MoCo model: small = widths 16-32-64-128 batch 64, resnet18 = 64-128-256-512 batch 32, all = both').choices(BENCH_CONFIG_CHOICES).default('all'))
    .option('--threads <list>', 'thread counts, comma-separated; one child process each', parseThreadList, [1, 2])
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend of the measuring processes').choices(BACKEND_NAMES).default('auto'))
    .option('--steps <n>', 'timed steps per measurement (default: as many as fit in --seconds)', parseCount)
    .option('--seconds <s>', 'time budget of each throughput loop', parseSeconds, 15)
    .option('--eval-seconds <s>', "time budget of each configuration's evaluation feature extraction (kNN and linear probe come on top); 0 skips the evaluation", parseSecondsOrZero, 10)
    .option('--rounds <n>', 'measure every MoCo row n times, round after round; each row reports its median round, and the thread counts are compared within each round; 0: no rows (e.g. for --interleave alone)', parseNonNegative, 1)
    .option('--interleave <cycles>', 'thread scaling from warm processes stepped in turn: per configuration, cycles of short slices (each thread count alone, PyTorch\'s, the one-thread copies at once), each ratio within a cycle, the median over cycles; 0: none', parseNonNegative, 0)
    .option('--slice-seconds <s>', 'length of one slice of --interleave', parseSeconds, 4)
    .option('--interleave-env <NAME=VALUE>', 'with --interleave: a variant, processes started with this environment variable (repeat for more), each thread count beside the plain process in every cycle', collectEnv, {})
    .option('--data-workers <n>', 'input pipeline worker threads (default: as in training)', parseNonNegative)
    .addOption(new Option('--torch <mode>', 'auto: each MoCo row followed by the same step on PyTorch (bench/reference/moco_torch.py) when python3 imports torch (STREAMSSL_BENCH_PYTHON picks the interpreter); none: never').choices(['auto', 'none']).default('auto'))
    .addOption(new Option('--copies <mode>', 'auto: beside each thread count n above 1, n one-thread copies of the row at once, each its own process: the most n threads can give here when the work splits perfectly (needs 1 as the first thread count); none: never').choices(['auto', 'none']).default('auto'))
    .addOption(new Option('--batch-norm <kernel>', "training batch norm, as a scenario's model.batchNorm").choices(BATCH_NORM_KERNELS).default('fused'))
    .addOption(new Option('--convolutions <algorithm>', "convolutions in training and evaluation, as a scenario's model.convolutions").choices(CONV_ALGORITHMS).default('winograd'))
    .addOption(new Option('--handoff <name>', 'model whose online-encoder state is handed between two clients').choices(HANDOFF_CHOICES).default('resnet18'))
    .option('--handoff-encodings <list>', 'wire encodings the --handoff model (resnet18 when none) is handed off in, one hand-off each: float32, float16, float32+deflate, float16+deflate, comma-separated (default: none)', parseTransferList, [])
    .option('--handoff-link <rates>', 'hand-off of the --handoff model (resnet18 when none) across test hosts (network namespaces, as root) whose links tbf holds to each rate, e.g. 1gbit,100mbit,20mbit; in each --handoff-encodings (default float32)', parseLinkRates, [])
    .option('--handoff-sizes <list>', `hand-off time against model size: models of ${HANDOFF_SIZE_NAMES.join(', ')}, comma-separated, or none`, nameList(HANDOFF_SIZE_NAMES), [...HANDOFF_SIZE_NAMES])
    .option('--overhead-clients <list>', 'coordinator overhead per stage against the number of clients: counts, comma-separated, or none', countListOrNone, [4, 16, 64])
    .option('--startup <list>', 'client start-up (process start to joined), compiled and from the sources, with this many clients started at once: counts, comma-separated, or none', countListOrNone, [1, 4])
    .action(async (opts: BenchCliOptions) => {
      // Loaded on demand: the bench pulls in the coordinator and spawns TensorFlow.js processes.
      const { runBench, formatReport } = await import('../bench/run.js');
      const report = await runBench({
        configs: opts.config === 'all' ? ['small', 'resnet18'] : [opts.config],
        threads: opts.threads,
        backend: opts.backend,
        quick: opts.quick ?? false,
        steps: opts.steps,
        seconds: opts.seconds,
        evalSeconds: opts.evalSeconds,
        dataWorkers: opts.dataWorkers,
        batchNorm: opts.batchNorm,
        rounds: opts.rounds,
        interleave: opts.interleave,
        sliceSeconds: opts.sliceSeconds,
        interleaveEnv: opts.interleaveEnv,
        convolutions: opts.convolutions,
        torch: opts.torch,
        copies: opts.copies,
        handoff: opts.handoff === 'none' ? null : opts.handoff,
        handoffEncodings: opts.handoffEncodings,
        handoffLinks: opts.handoffLink,
        handoffSizes: opts.handoffSizes as HandoffSizeName[],
        overheadClients: opts.overheadClients,
        startupClients: opts.startup,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    });
}
