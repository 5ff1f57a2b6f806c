// Package controllers is a minimal stand-in for sigs.k8s.io/mcs-api/controllers
// (a nested module that the Go module proxy does not serve). Cilium only uses
// this constant from it (multi-cluster services, unused in a single kind cluster).
package controllers

// DerivedServiceAnnotation is set on a ServiceImport to reference the
// derived Service that represents the imported service for kube-proxy.
const DerivedServiceAnnotation = "multicluster.kubernetes.io/derived-service"
