"""What every layer shares, as k8s.io/apimachinery: API errors, names, quantities, selectors, the cluster's
clock, cron schedules and the resource types served."""
