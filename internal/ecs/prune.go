package ecs

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// prune deregisters the active revisions of each deployed family beyond the newest KeepRevisions,
// never the one now in use nor the previous one (kept for a rollback). It returns what it
// deregistered; a failure to prune is reported but does not fail the deploy.
func (d *Deployer) prune(ctx context.Context, o Options, rep *Report) []string {
	keep := map[string]bool{}
	families := map[string]bool{}
	for _, r := range rep.Services {
		keep[r.TaskDefinitionARN], keep[r.PreviousTaskDefinitionARN] = true, true
		families[r.family] = true
	}
	var pruned []string
	for _, family := range keys(families) {
		p := ecs.NewListTaskDefinitionsPaginator(d.ECS, &ecs.ListTaskDefinitionsInput{
			FamilyPrefix: aws.String(family), Status: types.TaskDefinitionStatusActive, Sort: types.SortOrderDesc,
		})
		kept := 0
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				d.Infof("could not list revisions of %s: %v", family, err)
				break
			}
			for _, arn := range page.TaskDefinitionArns {
				// The prefix also matches other families ("api" and "api-worker").
				if !strings.HasSuffix(arn[:strings.LastIndex(arn, ":")], "/"+family) {
					continue
				}
				if kept < o.KeepRevisions || keep[arn] {
					kept++
					continue
				}
				if _, err := d.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)}); err != nil {
					d.Infof("could not deregister %s: %v", arn, err)
					continue
				}
				pruned = append(pruned, arn)
			}
		}
	}
	if len(pruned) > 0 {
		d.Infof("deregistered %d old revisions", len(pruned))
	}
	return pruned
}
