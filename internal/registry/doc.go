// Package registry owns where images go: the registries input (Docker Hub namespaces, ECR
// registries, any other registry), logging in to each (an ECR token from aws-sdk-go-v2's credential
// chain, else the login package registryauth finds), ECR repositories (created when missing, with
// scan on push and a lifecycle policy), the checks made before anything is pushed (credentials,
// repositories, immutable tags), the push through the engine to the first registry and the copy of
// the pushed manifests and blobs to the others with go-containerregistry, with retries.
//
// It does not build: package images does.
package registry
