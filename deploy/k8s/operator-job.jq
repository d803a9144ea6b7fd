# The consumer Deployment (kubectl get -o json) -> a one-off Job running `python -m consumer <args>`
# from the same pod template: same image, ConfigMap, Secret keys, security context and /tmp; no
# probes, no ports, never restarted, and labels that neither the consumer's PDB nor its monitors select.
# `audit`, `reconcile` and `check` also read the shop's REST API: their Job gets the WooCommerce key and secret
# from the same Secret (which the consumer itself never mounts).
#   kubectl -n NS get deployment/woo-netsuite-sync-consumer -o json \
#     | jq -f deploy/k8s/operator-job.jq --arg name JOB --argjson args '["redrive", "--list"]' \
#     | kubectl -n NS create -f -
# deploy/k8s/consumer-command.sh does that, waits, prints the output and returns the exit status.
{
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: {
    name: $name,
    labels: {
      "app.kubernetes.io/name": "woo-netsuite-sync",
      "app.kubernetes.io/component": "operator-command"
    }
  },
  spec: {
    backoffLimit: 0,
    activeDeadlineSeconds: 3600,
    ttlSecondsAfterFinished: 3600,
    template: {
      metadata: {
        labels: {
          "app.kubernetes.io/name": "woo-netsuite-sync",
          "app.kubernetes.io/component": "operator-command"
        }
      },
      spec: (
        .spec.template.spec
        | .restartPolicy = "Never"
        | .terminationGracePeriodSeconds = 30
        | .containers = [
            .containers[0]
            | .name = "command"
            | .args = ["consumer"] + $args
            | if ($args[0] == "audit" or $args[0] == "reconcile" or $args[0] == "check") then
                .env = (.env // []) + [
                  "WOOCOMMERCE_CONSUMER_KEY", "WOOCOMMERCE_CONSUMER_SECRET"
                  | {name: ., valueFrom: {secretKeyRef: {name: "woo-netsuite-sync-secrets", key: .}}}
                ]
              else . end
            | del(.ports, .startupProbe, .readinessProbe, .livenessProbe, .lifecycle)
          ]
      )
    }
  }
}
