package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/jsonmessage"
)

// enginePush tags the local image as ref and pushes it through the engine, retrying what a
// registry may answer for a moment (429, 5xx, a dropped connection) with exponential backoff and
// jitter. The engine answers 200 even when a push fails: the JSON stream says so, and only a stream
// that ends with the pushed digest is success.
func (p *Publisher) enginePush(ctx context.Context, s *session, imageID, ref string) (string, error) {
	if err := p.Docker.ImageTag(ctx, imageID, ref); err != nil {
		return "", fmt.Errorf("tag %s: %w", ref, err)
	}
	b := p.backoff()
	attempts := 0
	digest, err := backoff.Retry(ctx, func() (string, error) {
		attempts++
		digest, err := p.pushOnce(ctx, s, ref)
		if err != nil && !retryable(err) {
			return "", backoff.Permanent(err)
		}
		return digest, err
	},
		backoff.WithBackOff(&backoff.ExponentialBackOff{InitialInterval: b.Duration, Multiplier: b.Factor,
			RandomizationFactor: b.Jitter, MaxInterval: time.Minute}),
		backoff.WithMaxTries(uint(b.Steps)),
		backoff.WithMaxElapsedTime(0),
		backoff.WithNotify(func(err error, d time.Duration) {
			p.infof("push %s: %v; retrying in %s (attempt %d of %d)", ref, err, d.Round(time.Millisecond), attempts+1, b.Steps)
		}))
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", describePush(s.reg, ref, err, attempts)
	}
	return digest, nil
}

func (p *Publisher) pushOnce(ctx context.Context, s *session, ref string) (string, error) {
	rc, err := p.Docker.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: s.engine})
	if err != nil {
		return "", err
	}
	defer rc.Close()
	dec := json.NewDecoder(rc)
	var digest string
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return "", fmt.Errorf("read the engine's push stream: %w", err)
		}
		if m.Error != nil {
			return "", errors.New(m.Error.Message)
		}
		if m.Aux != nil {
			var res types.PushResult
			if json.Unmarshal(*m.Aux, &res) == nil && res.Digest != "" {
				digest = res.Digest
			}
		}
	}
	if digest == "" {
		return "", errors.New("the engine's push stream ended without a digest")
	}
	return digest, nil
}

var transient = regexp.MustCompile(`(?i)\b(429|too many requests|toomanyrequests|50[0234]|internal server error|bad gateway|service unavailable|gateway timeout|connection reset|connection refused|broken pipe|unexpected eof|\beof\b|i/o timeout|tls handshake timeout)`)

func retryable(err error) bool {
	return err != nil && !errors.Is(err, context.Canceled) && transient.MatchString(err.Error())
}

func describePush(r Registry, ref string, err error, attempts int) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unauthorized") || strings.Contains(msg, "authentication required") || strings.Contains(msg, "no basic auth credentials"):
		return fmt.Errorf("push %s: %s said unauthorized (%v) — check the credentials for %s", ref, r.Host, err, r)
	case attempts > 1:
		return fmt.Errorf("push %s: %w (gave up after %d attempts)", ref, err, attempts)
	}
	return fmt.Errorf("push %s: %w", ref, err)
}
