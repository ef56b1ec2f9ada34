package images

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// GHAEnv is what the runner gives a step for the GitHub Actions cache service. actions/runner gives
// a container action ACTIONS_RUNTIME_TOKEN, ACTIONS_CACHE_URL (when the job has a v1 service) and
// ACTIONS_RESULTS_URL, but not ACTIONS_CACHE_SERVICE_V2, which it sets for JavaScript actions only
// (src/Runner.Worker/Handlers/ContainerActionHandler.cs and NodeScriptActionHandler.cs).
type GHAEnv struct {
	Token      string // ACTIONS_RUNTIME_TOKEN: a secret
	CacheURL   string // ACTIONS_CACHE_URL: the v1 service (_apis/artifactcache)
	ResultsURL string // ACTIONS_RESULTS_URL: the v2 service (twirp, blobs at signed URLs)
	ServiceV2  string // ACTIONS_CACHE_SERVICE_V2 as given, "" when unset
}

// githubResults is GitHub.com's results service, the host BuildKit's gha backend also takes for v2
// (cache/remotecache/gha getConfig). GitHub.com shut its v1 cache service down in April 2025 and
// still gives steps ACTIONS_CACHE_URL, so on GitHub.com v2 is the one that works.
const githubResults = "results-receiver.actions.githubusercontent.com"

// secretCacheAttrs are the attributes of a cache line that hold a secret: never shown.
var secretCacheAttrs = []string{"token", "ghtoken"}

// ResolveGHA fills a type=gha cache from the runner's environment, as buildx fills it from its own
// (build/opt.go, addGithubToken): the token, the protocol version and that version's URL. What the
// line gives wins. Which service: version=, else url_v2= or url= in the line, else
// ACTIONS_CACHE_SERVICE_V2 when set, else v2 on GitHub.com, else v1 where ACTIONS_CACHE_URL is
// given (GitHub Enterprise Server, act, Gitea, Forgejo), else v2 where ACTIONS_RESULTS_URL is. Each
// missing variable is named.
func ResolveGHA(c Cache, env GHAEnv) (Cache, error) {
	if c.Type != "gha" {
		return c, nil
	}
	var errs []error
	if c.Attrs["token"] == "" {
		if env.Token == "" {
			errs = append(errs, errors.New("ACTIONS_RUNTIME_TOKEN is not set: the runner gives it to an action's step (not to a run: step), and only inside GitHub Actions"))
		}
		c.Attrs["token"] = env.Token
	}
	switch ghaVersion(c.Attrs, env) {
	case "2":
		c.Attrs["version"] = "2"
		if c.Attrs["url_v2"] == "" {
			c.Attrs["url_v2"] = env.ResultsURL
		}
		if c.Attrs["url_v2"] == "" {
			errs = append(errs, errors.New("ACTIONS_RESULTS_URL is not set: the cache service v2 is reached through it"))
		}
	case "1":
		c.Attrs["version"] = "1"
		if c.Attrs["url"] == "" {
			c.Attrs["url"] = env.CacheURL
		}
		if c.Attrs["url"] == "" {
			errs = append(errs, errors.New("ACTIONS_CACHE_URL is not set: the cache service v1 is reached through it"))
		}
	default:
		errs = append(errs, errors.New("neither ACTIONS_RESULTS_URL nor ACTIONS_CACHE_URL is set: the runner gives them to an action's step, and only inside GitHub Actions"))
	}
	return c, errors.Join(errs...)
}

// ghaVersion is the cache service's protocol version, "1" or "2", or "" when nothing says.
func ghaVersion(attrs map[string]string, env GHAEnv) string {
	switch {
	case attrs["version"] != "":
		return attrs["version"]
	case attrs["url_v2"] != "":
		return "2"
	case attrs["url"] != "":
		return "1"
	}
	if b, err := strconv.ParseBool(env.ServiceV2); err == nil {
		if b {
			return "2"
		}
		return "1"
	}
	switch {
	case strings.Contains(env.ResultsURL, githubResults):
		return "2"
	case env.CacheURL != "":
		return "1"
	case env.ResultsURL != "":
		return "2"
	}
	return ""
}

// GHAScope is the scope an image's gha cache is kept under: the image's name, after the line's
// scope= when it has one, so that one cache line serves every image of the step without one
// image's index replacing another's; with several platforms each adds its own (-linux-arm64).
func GHAScope(given, image, platform string, perPlatform bool) string {
	s := image
	if given != "" {
		s = given + "-" + image
	}
	if perPlatform {
		s += "-" + strings.ReplaceAll(platform, "/", "-")
	}
	return s
}

// shownCacheLine is a cache line as errors show it: the values of secret attributes replaced.
func shownCacheLine(line string) string {
	fields := strings.Split(line, ",")
	for i, f := range fields {
		k, _, ok := strings.Cut(strings.TrimSpace(f), "=")
		for _, s := range secretCacheAttrs {
			if ok && k == s {
				fields[i] = k + "=***"
			}
		}
	}
	return fmt.Sprintf("%q", strings.Join(fields, ","))
}
