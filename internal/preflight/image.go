package preflight

import (
	"context"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// ecrHost is a private ECR registry's host: account.dkr.ecr[-fips].region.amazonaws.com[.cn]
// ("Private registry concepts", Amazon ECR User Guide).
var ecrHost = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)

// ecrImage is an image reference split into what BatchGetImage takes.
type ecrImage struct {
	account, region, repository string
	id                          types.ImageIdentifier
}

// parseECR reads an ECR image reference: host/repository, then @digest (which wins when a tag is
// there too: the digest is what ECS pulls), :tag, or neither (latest). ok is false for any other
// registry.
func parseECR(ref string) (img ecrImage, ok bool) {
	host, rest, found := strings.Cut(ref, "/")
	m := ecrHost.FindStringSubmatch(host)
	if !found || m == nil {
		return img, false
	}
	img.account, img.region = m[1], m[2]
	if name, digest, ok := strings.Cut(rest, "@"); ok {
		img.repository, img.id.ImageDigest = name, aws.String(digest)
		if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
			img.repository = name[:i]
		}
		return img, true
	}
	img.repository, img.id.ImageTag = rest, aws.String("latest")
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
		img.repository, img.id.ImageTag = rest[:i], aws.String(rest[i+1:])
	}
	return img, true
}

// image checks that an ECR image is in its repository, by digest when the reference has one
// (BatchGetImage lists an image it does not hold among its failures, ImageNotFound; a missing
// repository is RepositoryNotFoundException:
// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html). Images of
// other registries are not checked.
func (v *verification) image(ctx context.Context, service, container, ref string) {
	img, ok := parseECR(ref)
	if !ok {
		return
	}
	if v.elsewhere(img.region) {
		v.unchecked(service, container, "image "+ref+": in region "+img.region+", not checked from "+v.Region)
		return
	}
	key := "image " + ref
	problem, seen := v.found[key]
	if !seen {
		out, err := v.ECR.BatchGetImage(ctx, &ecr.BatchGetImageInput{RegistryId: aws.String(img.account),
			RepositoryName: aws.String(img.repository), ImageIds: []types.ImageIdentifier{img.id}})
		var read bool
		problem, read = v.outcome(service, container, "ECR repository "+img.repository, err, "RepositoryNotFoundException")
		if read && len(out.Images) == 0 {
			why := "not found"
			if len(out.Failures) > 0 {
				why = string(out.Failures[0].FailureCode)
			}
			problem = "image " + ref + " is not in ECR repository " + img.repository + " (" + why + ")"
		}
		v.found[key] = problem
	}
	if problem != "" {
		v.problem(service, container, problem)
	}
}
