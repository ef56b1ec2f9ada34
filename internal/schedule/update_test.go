package schedule

import (
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

// Every field UpdateSchedule takes (but ClientToken, a per-call token) is filled from GetSchedule's
// answer: a field the SDK adds later fails this test until updateOf sends it back too.
func TestUpdateOf_SendsBackEveryField(t *testing.T) {
	t.Parallel()
	now := time.Now()
	got := &scheduler.GetScheduleOutput{Name: aws.String("n"), GroupName: aws.String("g"), ScheduleExpression: aws.String("rate(1 day)"),
		ScheduleExpressionTimezone: aws.String("UTC"), FlexibleTimeWindow: &types.FlexibleTimeWindow{}, Target: &types.Target{},
		ActionAfterCompletion: types.ActionAfterCompletionNone, Description: aws.String("d"), StartDate: aws.Time(now.Add(time.Hour)),
		EndDate: aws.Time(now.Add(2 * time.Hour)), KmsKeyArn: aws.String("k"), State: types.ScheduleStateEnabled}
	in := reflect.ValueOf(*updateOf(got, now))
	for i := range in.NumField() {
		f := in.Type().Field(i)
		if f.IsExported() && f.Name != "ClientToken" && in.Field(i).IsZero() {
			t.Errorf("UpdateScheduleInput.%s is not sent back", f.Name)
		}
	}
	got.StartDate = aws.Time(now.Add(-time.Minute))
	if updateOf(got, now).StartDate != nil {
		t.Error("a StartDate that has passed is sent back; Scheduler refuses it")
	}
}
