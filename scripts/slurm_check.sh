#!/usr/bin/env bash
# Runs the Slurm job files for real on this machine: installs Debian's
# slurm-wlm and munge if needed, starts munge, slurmctld and slurmd on
# localhost with a one-node configuration in a temporary folder, submits
# deploy/slurm/reproduce.sbatch and deploy/slurm/simulate.sbatch as
# two-task arrays followed by deploy/slurm/merge.sbatch, waits, and compares
# each merged table with an unsharded run of the same experiment, byte for
# byte. Small experiments (a few minutes of CPU in all); needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "slurm-check: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (it installs packages and starts the Slurm daemons)"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "slurm-check: installing slurm-wlm and munge with apt-get"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null
fi

work=$(mktemp -d /tmp/nistgmm-slurm.XXXXXX)
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
mkdir -p "$work"/{spool,state,log}
export SLURM_CONF="$work/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=nistgmm
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=check Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

cleanup() {
  [ -f "$work/slurmd.pid" ] && kill "$(cat "$work/slurmd.pid")" 2>/dev/null || true
  [ -f "$work/slurmctld.pid" ] && kill "$(cat "$work/slurmctld.pid")" 2>/dev/null || true
}
trap cleanup EXIT

# munge: a key if the package did not leave one, then the daemon.
[ -s /etc/munge/munge.key ] || { mungekey --create --force 2>/dev/null || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
chown munge:munge /etc/munge/munge.key 2>/dev/null || true
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null || true
if ! munge -n >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged 2>/dev/null || /usr/sbin/munged --force
fi
munge -n | unmunge >/dev/null || fail "munge does not work"

slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  sinfo -h -o %t 2>/dev/null | grep -q idle && break
  sleep 1
done
sinfo -h -o %t | grep -q idle || { cat "$work"/log/*.log >&2; fail "the node did not come up"; }
echo "slurm-check: slurmctld and slurmd up on $host ($cpus CPUs); logs in $work/log"

make build >/dev/null
feats=data/features
[ -f "$feats/manifest.json" ] || ./bin/nistgmm extract --quiet --out "$feats" >/dev/null

# wait_for JOBID...: until none is pending or running, then every task of
# each must have completed (slurmctld keeps finished jobs for MinJobAge,
# 300 s; there is no accounting database here for sacct).
wait_for() {
  while squeue -h -j "$(IFS=,; echo "$*")" -t PENDING,RUNNING,CONFIGURING,COMPLETING 2>/dev/null | grep -q .; do sleep 2; done
  for j in "$@"; do
    states=$(scontrol -o show job "$j" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort -u | tr '\n' ' ' || true)
    [ "$states" = "JobState=COMPLETED " ] || { cat "$work"/log/*.out >&2; fail "job $j ended with ${states:-no state}"; }
  done
}

out="$work/out"
mkdir -p "$out"
table_flags="--machines 10 --n-total 2000 --alphas 0,0.2 --restarts 1 --penalty-scale 10"
echo "slurm-check: Table 2 as a two-task array, then the merge"
jid=$(OUT="$out/table2" FEATURES="$feats" REPS=4 EXTRA="$table_flags" sbatch --parsable --array=0-1 -o "$work/log/table2-%a.out" deploy/slurm/reproduce.sbatch)
mid=$(OUT="$out/table2" sbatch --parsable --dependency=afterok:$jid -o "$work/log/merge-table2.out" deploy/slurm/merge.sbatch)
sim_flags="--ms 10 --ns 1000 --alphas 0.2 --failures mean,weight --test-n 1000"
echo "slurm-check: Figure 3's grid, shrunk, as a two-task array, then the merge"
sid=$(FIGURE=3 OUT="$out/sim" REPS=4 EXTRA="$sim_flags" sbatch --parsable --array=0-1 -o "$work/log/sim-%a.out" deploy/slurm/simulate.sbatch)
smid=$(OUT="$out/sim" sbatch --parsable --dependency=afterok:$sid -o "$work/log/merge-sim.out" deploy/slurm/merge.sbatch)

echo "slurm-check: unsharded runs of the same experiments, meanwhile"
./bin/nistgmm reproduce --quiet --features "$feats" --reps 4 --parallel 1 $table_flags --out "$out/table2-whole" >/dev/null
./bin/nistgmm simulate --quiet --figure 3 --reps 4 --parallel 1 $sim_flags --out "$out/sim-whole" >/dev/null

wait_for "$jid" "$mid" "$sid" "$smid"
cmp "$out/table2/table2.csv" "$out/table2-whole/table2.csv" || fail "the merged table2.csv differs from the unsharded run's"
cmp "$out/sim/reps.csv" "$out/sim-whole/reps.csv" || fail "the merged reps.csv differs from the unsharded run's"
cmp "$out/sim/summary.csv" "$out/sim-whole/summary.csv" || fail "the merged summary.csv differs from the unsharded run's"
echo "slurm-check: passed: the merged table2.csv, reps.csv and summary.csv are byte-identical to the unsharded runs' ($out)"
