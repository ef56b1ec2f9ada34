package registry

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// RefusedError is a registry, or ECR's API, that answered and said no: credentials it does not
// take, rights they lack, a repository that does not exist, a tag that may not move. Only the user
// can change that; a re-run would fail the same way. A registry or ECR that could not be reached, or
// kept failing (5xx, 429 after the retries), is not a refusal.
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// Refused reports whether every problem in err is one the user must change: a *RefusedError or a
// *NoCredentialsError, alone or all of the errors joined in it. One outage among them (a registry
// down) makes it false: the run did not learn everything it would have.
func Refused(err error) bool {
	switch e := err.(type) {
	case nil:
		return false
	case *RefusedError, *NoCredentialsError:
		return true
	case interface{ Unwrap() []error }:
		errs := e.Unwrap()
		for _, x := range errs {
			if !Refused(x) {
				return false
			}
		}
		return len(errs) > 0
	case interface{ Unwrap() error }:
		return Refused(e.Unwrap())
	}
	return false
}

// refusedStatus reports whether an HTTP status is the server refusing the request as made, rather
// than failing to serve it: a 4xx other than 408 (timeout) and 429 (too many requests).
func refusedStatus(code int) bool {
	return code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests
}

// awsRefusal marks an error of an ECR API call as a refusal, with advice when there is any, when
// AWS answered with a client error (AccessDenied, an unrecognised or expired token …) that is not
// throttling; anything else (no answer, a 5xx) is returned as it is.
func awsRefusal(err error, advice string) error {
	var status interface{ HTTPStatusCode() int }
	var coded interface{ ErrorCode() string }
	if !errors.As(err, &status) || !refusedStatus(status.HTTPStatusCode()) {
		return err
	}
	if errors.As(err, &coded) {
		if _, throttled := retry.DefaultThrottleErrorCodes[coded.ErrorCode()]; throttled {
			return err
		}
	}
	if advice != "" {
		err = fmt.Errorf("%w — %s", err, advice)
	}
	return &RefusedError{err}
}
