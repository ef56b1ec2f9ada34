// Package analysis samples metrics through a bake, as Argo Rollouts' AnalysisRun does: each metric
// is measured every interval (count times, or until the bake ends), each measurement is
// successful, failed, inconclusive or an error by its conditions, and the analysis ends at the
// first sample that takes failures, inconclusive results or consecutive errors past their limits.
// It holds the providers that read a monitoring system (Prometheus, CloudWatch) and the comparison
// of the rollout group with everyone else; the URL and command gates are rollout's and reach it
// through the Provider interface. It decides a verdict; what to do with the flag is rollout's.
package analysis
