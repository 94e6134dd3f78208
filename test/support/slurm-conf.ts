/**
 * Test helper: the slurm.conf (and gres.conf) of a one-node cluster living in one folder:
 * no cgroups, no accounting, every state, spool, log and pid file inside the folder, munge
 * through its own socket there, fake GPUs as device files (links to /dev/null, which
 * Slurm accepts as character devices) so that Slurm's own GPU binding can be exercised.
 */
import { join } from 'node:path';

export interface SlurmConfOptions {
  dir: string;
  /** This host's short name: the controller's host and the node's name. */
  hostname: string;
  cpus: number;
  /** Fake GPUs the node declares (0: no GRES). */
  gpus: number;
  controllerPort: number;
  nodePort: number;
  mungeSocket: string;
}

/** Where the fake GPU device files of the cluster in `dir` are. */
export function fakeGpuPaths(dir: string, gpus: number): string[] {
  return Array.from({ length: gpus }, (_, i) => join(dir, `gpu${i}`));
}

/** The text of slurm.conf. */
export function slurmConf(o: SlurmConfOptions): string {
  const gres = o.gpus > 0 ? ` Gres=gpu:${o.gpus}` : '';
  return [
    'ClusterName=streamssltest',
    // The address is given so that the daemons do not depend on how this host's name resolves.
    `SlurmctldHost=${o.hostname}(127.0.0.1)`,
    `SlurmctldPort=${o.controllerPort}`,
    `SlurmdPort=${o.nodePort}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${o.mungeSocket}`,
    `StateSaveLocation=${join(o.dir, 'state')}`,
    `SlurmdSpoolDir=${join(o.dir, 'spool')}`,
    `SlurmctldPidFile=${join(o.dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(o.dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(o.dir, 'log', 'slurmctld.log')}`,
    `SlurmdLogFile=${join(o.dir, 'log', 'slurmd.log')}`,
    `PlugStackConfig=${join(o.dir, 'plugstack.conf')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/none',
    'MpiDefault=none',
    'SwitchType=switch/none',
    'SchedulerType=sched/backfill',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'MailProg=/bin/true',
    'ReturnToService=2',
    // A cancelled step is killed 5 s after its SIGTERM (default 30 s): a quicker cleanup.
    'KillWait=5',
    ...(o.gpus > 0 ? ['GresTypes=gpu'] : []),
    `NodeName=${o.hostname} NodeAddr=127.0.0.1 CPUs=${o.cpus}${gres} State=UNKNOWN`,
    `PartitionName=test Nodes=${o.hostname} Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n');
}

/** The text of gres.conf: the fake GPUs as files gpu0, gpu1, ... */
export function gresConf(dir: string, gpus: number): string {
  return gpus > 0 ? `Name=gpu File=${join(dir, 'gpu')}[0-${gpus - 1}]\n` : '';
}
