#!/usr/bin/env bash
# Run `python -m consumer <command> [args...]` in the cluster as a one-off Job made from the consumer
# Deployment's own pod template (operator-job.jq), wait for it, print its output and exit with its status
# (the contract's: 0 done, 1 problems found, 2 bad arguments or settings, 3 refused).
#   deploy/k8s/consumer-command.sh <namespace> redrive --list
#   deploy/k8s/consumer-command.sh <namespace> replay --to 2025-06-01T09:30:00Z --dry-run
#   deploy/k8s/consumer-command.sh <namespace> audit --since 2025-06-01T09:30:00Z
# (audit and reconcile also get the WooCommerce REST key from the Secret: operator-job.jq)
# Works while the consumers are scaled to zero (replay needs that). Needs kubectl and jq. The Job stays
# an hour for `kubectl logs job/<name>`; WAIT_S (default 900) bounds the wait for it to finish.
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: $0 <namespace> <command> [args...]" >&2
  exit 2
fi
ns=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
job="woo-netsuite-sync-$1-$(date -u +%Y%m%d%H%M%S)"
# The arguments as a JSON array (jq 1.6 would read `--to` after --args as its own option).
args=$(printf '%s\n' "$@" | jq -R . | jq -sc .)
kubectl -n "$ns" get deployment/woo-netsuite-sync-consumer -o json \
  | jq -f "$here/operator-job.jq" --arg name "$job" --argjson args "$args" \
  | kubectl -n "$ns" create -f - >/dev/null
echo "job/$job started in $ns" >&2

pod_field() {
  kubectl -n "$ns" get pods -l "job-name=$job" -o "jsonpath={.items[0].$1}" 2>/dev/null || true
}
deadline=$((SECONDS + ${WAIT_S:-900}))
until [[ $(pod_field status.phase) =~ ^(Succeeded|Failed)$ ]]; do
  if ((SECONDS > deadline)); then
    echo "job/$job did not finish in ${WAIT_S:-900} s: kubectl -n $ns describe job/$job" >&2
    exit 1
  fi
  sleep 2
done
kubectl -n "$ns" logs "job/$job"
exit "$(pod_field 'status.containerStatuses[0].state.terminated.exitCode')"
