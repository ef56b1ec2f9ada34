// Package contract is a vendor's published API description (an OpenAPI document, loaded and
// validated by kin-openapi), and a checker of a fake's exchanges against it.
//
// The fakes (flagsmithtest, githubtest) embed their vendor's document and say in a Vendor what
// differs: how the description is named in messages, how credentials are checked, which answers
// the document describes, and how the vendor refuses a request it does not allow. This package
// owns the checking; it does not own the documents, their conversions, or a fake's routing (a
// fake under a root such as GitHub Enterprise Server's /api/v3 cuts the root off before asking
// Checker.Handler). It is test support: nothing in cmd/slipway imports it.
package contract
