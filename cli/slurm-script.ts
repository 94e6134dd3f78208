/**
 * The text of a Slurm batch script that runs one streamssl run as one job: task 0 runs the
 * coordinator (`streamssl serve`, or `streamssl resume` when the run folder already holds a
 * run: a journal.json, or the seeds.json of a run over several seeds), every other task
 * runs `streamssl client` against it. A pure function of its options,
 * so that what `streamssl slurm` writes can be read, diffed and tested.
 */

/** Where each client task's GPUs come from. */
export const GPU_BINDINGS = ['slurm', 'local'] as const;
export type GpuBinding = (typeof GPU_BINDINGS)[number];

export interface SlurmScriptOptions {
  /** Absolute path of the scenario file (on a file system the first node sees). */
  scenario: string;
  /** Absolute path of the run folder, on the shared file system. */
  out: string;
  /** The `streamssl` command on the nodes (an absolute path or a name on their PATH). */
  streamssl: string;
  jobName: string;
  nodes: number;
  /** Tasks in all: one coordinator and `tasks - 1` clients. */
  tasks: number;
  tasksPerNode?: number;
  cpusPerTask?: number;
  gpusPerTask: number;
  /**
   * `slurm`: the job asks for `--gpus-per-task` and each client keeps the GPUs Slurm bound
   * to it; `local`: the job asks for no GPUs and client task i of a node takes the GPUs
   * [slot * n, slot * n + n) by its SLURM_LOCALID (for nodes whose GPUs are not Slurm resources).
   */
  gpuBinding: GpuBinding;
  /** Slurm's time limit (e.g. 02:00:00); the cluster's default when absent. */
  time?: string;
  partition?: string;
  account?: string;
  /** The coordinator's port; default 20000 + job id mod 20000, so jobs sharing a node differ. */
  port?: number;
  /** Client backend (`streamssl client --backend`). */
  backend: string;
  reconnectSeconds: number;
  /** Scenario overrides handed to `serve` (`--set key=value`). */
  overrides: readonly string[];
  /** `serve --seeds N`: the coordinator runs every arm once per seed, all on the job's clients. */
  seeds?: number;
  /** Shell lines run before the tasks start (module loads, environments). */
  setup: readonly string[];
}

/** How long clients may outlive their coordinator before the job ends them. */
const CLIENT_GRACE_SECONDS = 5;

/** `s` as one shell word: single-quoted, with embedded single quotes spliced in. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function sbatchLines(o: SlurmScriptOptions): string[] {
  const lines = [
    `--job-name=${o.jobName}`,
    `--nodes=${o.nodes}`,
    `--ntasks=${o.tasks}`,
    ...(o.tasksPerNode !== undefined ? [`--ntasks-per-node=${o.tasksPerNode}`] : []),
    ...(o.cpusPerTask !== undefined ? [`--cpus-per-task=${o.cpusPerTask}`] : []),
    ...(o.gpusPerTask > 0 && o.gpuBinding === 'slurm' ? [`--gpus-per-task=${o.gpusPerTask}`] : []),
    ...(o.time !== undefined ? [`--time=${o.time}`] : []),
    ...(o.partition !== undefined ? [`--partition=${o.partition}`] : []),
    ...(o.account !== undefined ? [`--account=${o.account}`] : []),
    `--output=${o.out}/slurm-%j.out`,
  ];
  // sbatch reads #SBATCH values without a shell: no quoting, so nothing that would need it.
  const bad = lines.find((line) => /[\s'"\\]/.test(line));
  if (bad !== undefined) throw new Error(`cannot write "#SBATCH ${bad}": Slurm options may not hold spaces, quotes or backslashes`);
  return lines.map((line) => `#SBATCH ${line}`);
}

/**
 * What every task runs (`srun bash -c "$STREAMSSL_TASK"`), from the STREAMSSL_* variables
 * the batch script exports and the task's SLURM_* ones. The batch script holds it in a quoted
 * heredoc, so nothing in it is expanded before the task's own shell runs it.
 */
export function slurmTaskScript(o: SlurmScriptOptions): string {
  const sets = o.overrides.map((s) => ` --set ${shellQuote(s)}`).join('') + (o.seeds !== undefined ? ` --seeds ${o.seeds}` : '');
  const threads = o.cpusPerTask !== undefined ? ' --threads "$SLURM_CPUS_PER_TASK"' : '';
  return `set -u
if [ "$SLURM_PROCID" = 0 ]; then
  # The coordinator. A run folder that holds a run (journal.json; seeds.json for a run over
  # several seeds, each seed continued where it stopped) is continued, not restarted.
  if [ -f "$STREAMSSL_RUN/journal.json" ] || [ -f "$STREAMSSL_RUN/seeds.json" ]; then
    "$STREAMSSL_BIN" resume "$STREAMSSL_RUN" --port "$STREAMSSL_PORT" --clients "$STREAMSSL_CLIENTS"
  else
    "$STREAMSSL_BIN" serve "$STREAMSSL_SCENARIO" --out "$STREAMSSL_RUN" --port "$STREAMSSL_PORT" --min-clients "$STREAMSSL_CLIENTS"${sets}
  fi
  code=$?
  echo "$code" > "$STREAMSSL_STATUS"
  exit "$code"
fi
# A client. Its GPUs: the ones Slurm bound to this task, else n by its slot on the node
# (the coordinator holds slot -1 on the first node and no GPU).
if [ -n "\${SLURM_STEP_GPUS:-}\${SLURM_JOB_GPUS:-}" ]; then
  export CUDA_VISIBLE_DEVICES="\${CUDA_VISIBLE_DEVICES:-\${SLURM_STEP_GPUS:-$SLURM_JOB_GPUS}}"
elif [ "$STREAMSSL_GPUS_PER_TASK" -gt 0 ]; then
  slot=$SLURM_LOCALID
  if [ "$SLURM_NODEID" = 0 ]; then slot=$((slot - 1)); fi
  ids=$((slot * STREAMSSL_GPUS_PER_TASK))
  for ((i = 1; i < STREAMSSL_GPUS_PER_TASK; i++)); do ids="$ids,$((slot * STREAMSSL_GPUS_PER_TASK + i))"; done
  export CUDA_VISIBLE_DEVICES=$ids
fi
"$STREAMSSL_BIN" client --server "http://$STREAMSSL_SERVER_HOST:$STREAMSSL_PORT" --client-id "$SLURMD_NODENAME-task$SLURM_PROCID" \\
  --reconnect-seconds "$STREAMSSL_RECONNECT_SECONDS" --backend "$STREAMSSL_BACKEND"${threads} &
client=$!
# Clients leave when the coordinator ends the run. One still running ${CLIENT_GRACE_SECONDS} s after it exited
# (it never got in, or a resumed run had nothing left to do) is ended.
# (The watcher naps in the background so that, told to stop, it leaves no sleep behind.)
(
  trap 'kill "$nap" 2>/dev/null; exit 0' TERM
  while [ ! -f "$STREAMSSL_STATUS" ]; do sleep 1 & nap=$!; wait "$nap"; done
  sleep ${CLIENT_GRACE_SECONDS} & nap=$!; wait "$nap"
  echo "streamssl client on $SLURMD_NODENAME (task $SLURM_PROCID): the coordinator has exited; ending this client" >&2
  kill -TERM "$client"
) &
watcher=$!
wait "$client"
code=$?
kill "$watcher" 2>/dev/null
# A client's failure is the coordinator's to handle (it retries the stage elsewhere); the job's
# exit code is the coordinator's.
if [ "$code" != 0 ]; then echo "streamssl client on $SLURMD_NODENAME (task $SLURM_PROCID) exited with code $code" >&2; fi
exit 0`;
}

/** The batch script for `o`; throws when an option cannot be written into it. */
export function slurmScript(o: SlurmScriptOptions): string {
  if (o.tasks < 2) throw new Error(`a job needs at least 2 tasks (the coordinator and a client), got ${o.tasks}`);
  const port = o.port !== undefined ? String(o.port) : '$((20000 + SLURM_JOB_ID % 20000))';
  const setup = o.setup.length > 0 ? `\n# Setup given to streamssl slurm --setup\n${o.setup.join('\n')}\n` : '';
  const body = slurmTaskScript(o);
  if (/^STREAMSSL_TASK_END$/m.test(body)) throw new Error('a --set value may not be the line STREAMSSL_TASK_END');
  return `#!/bin/bash
# One streamssl run as one Slurm job, written by \`streamssl slurm\`. Submit: sbatch <this file>
# Task 0 runs the coordinator (streamssl serve; streamssl resume when the run folder already
# holds a run, so submitting this file again continues it); every other task runs
# streamssl client against it. Options given to sbatch override the #SBATCH lines.
${sbatchLines(o).join('\n')}
set -euo pipefail

export STREAMSSL_BIN=${shellQuote(o.streamssl)}
export STREAMSSL_SCENARIO=${shellQuote(o.scenario)}
export STREAMSSL_RUN=${shellQuote(o.out)}
export STREAMSSL_BACKEND=${shellQuote(o.backend)}
export STREAMSSL_GPUS_PER_TASK=${o.gpusPerTask}
export STREAMSSL_RECONNECT_SECONDS=${o.reconnectSeconds}
${setup}
# The token clients present: STREAMSSL_TOKEN from the submitting environment, else a fresh
# one. It travels to every task in the environment, never on a command line.
if [ -z "\${STREAMSSL_TOKEN:-}" ]; then STREAMSSL_TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n'); fi
export STREAMSSL_TOKEN
# The coordinator is task 0, on the first node of the job.
nodes=$(scontrol show hostnames "$SLURM_JOB_NODELIST")
export STREAMSSL_SERVER_HOST=\${nodes%%$'\\n'*}
export STREAMSSL_PORT=${port}
export STREAMSSL_CLIENTS=$((SLURM_NTASKS - 1))
if [ "$STREAMSSL_CLIENTS" -lt 1 ]; then echo "streamssl: the job has $SLURM_NTASKS task(s); it needs the coordinator and at least one client" >&2; exit 2; fi
mkdir -p "$STREAMSSL_RUN"
# Task 0 writes the coordinator's exit code here: the job's exit code, and the clients' sign to leave.
export STREAMSSL_STATUS="$STREAMSSL_RUN/slurm-$SLURM_JOB_ID.serve-exit"
rm -f "$STREAMSSL_STATUS"
echo "streamssl: coordinator http://$STREAMSSL_SERVER_HOST:$STREAMSSL_PORT, $STREAMSSL_CLIENTS client(s), run folder $STREAMSSL_RUN"

IFS= read -r -d '' STREAMSSL_TASK <<'STREAMSSL_TASK_END' || true
${body}
STREAMSSL_TASK_END
# --kill-on-bad-exit: a coordinator that fails takes its clients down with it.
set +e
srun --kill-on-bad-exit=1 --label bash -c "$STREAMSSL_TASK"
code=$?
set -e
if [ -f "$STREAMSSL_STATUS" ]; then code=$(cat "$STREAMSSL_STATUS"); rm -f "$STREAMSSL_STATUS"; fi
echo "streamssl: the coordinator exited with code $code"
exit "$code"
`;
}
