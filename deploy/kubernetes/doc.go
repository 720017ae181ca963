// Package kubernetes holds no code: tokensvc.yaml is a Deployment, Service
// and PodDisruptionBudget for two replicas sharing Redis, and
// manifest_test.go keeps it in step with the service (the variables it sets
// exist, its probes and ports are the ones tokensvc serves, its selectors
// match).
package kubernetes
